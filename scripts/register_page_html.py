#!/usr/bin/env python3
"""Write the register page of the benchmark's incidents as HTML files, to compare two versions byte for byte.

    .venv/bin/python scripts/register_page_html.py OUT_DIR [--facts 20 200]
    git stash; ...same with OTHER_DIR...; git stash pop; diff -r OUT_DIR OTHER_DIR

A change meant to make the page faster must leave what people see unchanged: this writes, for
each incident of scripts/bench_register.py's data (a throw-away test database, dropped at the
end), the page in English and Dutch, folded and with ``?all=1``, made and read at fixed moments. What
differs per request is blanked (CSRF tokens, CSP nonces).
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "breachtrack.settings")
os.environ.setdefault("BREACHTRACK_VAR_DIR", "/tmp/breachtrack-bench")

import django

django.setup()

import bench_register  # noqa: E402
import time_machine  # noqa: E402
from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.urls import reverse  # noqa: E402

MADE_AT = datetime(2025, 7, 15, 9, 0, tzinfo=UTC)  # when the facts are recorded: their recorded_at
READ_AT = datetime(2025, 7, 20, 12, 0, tzinfo=UTC)  # a fortnight after the benchmark's facts
PER_REQUEST = [
    (re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"'), 'name="csrfmiddlewaretoken" value=""'),
    (re.compile(r'"X-CSRFToken": "[^"]+"'), '"X-CSRFToken": ""'),
    (re.compile(r'nonce="[^"]+"'), 'nonce=""'),
]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--facts", type=int, nargs="+", default=[20, 200])
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    settings.DEBUG = False
    settings.ALLOWED_HOSTS = ["testserver"]
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    database = settings.DATABASES["default"]
    if connection.vendor == "postgresql":
        database.setdefault("TEST", {})["NAME"] = f"{database['NAME']}_registerhtml"
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        with time_machine.travel(MADE_AT, tick=False):
            lab, officer = bench_register.setup_organisation(10)
            incidents = {n: bench_register.populate_incident(lab, officer, n) for n in args.facts}
        client = Client()
        client.force_login(officer)
        with time_machine.travel(READ_AT, tick=False):
            for n, incident in incidents.items():
                url = reverse("incidents:detail", args=[incident.pk])
                for language in ("en", "nl"):
                    for suffix, query in (("", ""), (".all", "?all=1")):
                        response = client.get(url + query, HTTP_ACCEPT_LANGUAGE=language)
                        assert response.status_code == 200, response.status_code
                        text = response.content.decode()
                        for pattern, blank in PER_REQUEST:
                            text = pattern.sub(blank, text)
                        (args.out / f"register-{n}-facts.{language}{suffix}.html").write_text(text)
        print(f"{len(incidents) * 4} pages written to {args.out}")
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
