#!/usr/bin/env python3
"""Benchmark the register pages: server time and query count as the data grows.

    .venv/bin/python scripts/bench_register.py                     # SQLite, default sizes
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench \\
        .venv/bin/python scripts/bench_register.py --incidents 10000 --facts 2000

It creates a throw-away test database (Django's test-database machinery, so
your data is never touched), fills it through the history-aware helpers, and
measures with Django's test client (server time without network). Steps:
  1. one organisation, an officer, ``--incidents`` incidents (bulk, with history);
  2. one incident with ``--facts`` estimates, awareness records and notices;
  3. GET the list page and the register page ``--repeat`` times each: median and
     max milliseconds, and the number of SQL queries (which must not grow).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "breachtrack.settings")
os.environ.setdefault("BREACHTRACK_VAR_DIR", "/tmp/breachtrack-bench")

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402
from django.urls import reverse  # noqa: E402

UTC = UTC


def populate(n_incidents: int, n_facts: int):
    from actions import incidents as services
    from breachtrack.history import bulk_create_with_history, system_actor
    from incidents.models import Incident
    from organisations import services as org_services
    from organisations.models import Role

    admin = system_actor("benchmark")
    lab = org_services.create_organisation(name="Bench Lab", country="NL", actor=admin, reason="benchmark")
    officer = org_services.create_user(
        username="bench@lab.example", email="bench@lab.example", password=None, actor=admin, reason="benchmark"
    )
    org_services.add_member(lab, officer, role=Role.PRIVACY_OFFICER, actor=admin, reason="benchmark")
    incidents = [Incident(organisation=lab, reference=f"B-{k:06d}", title=f"Incident {k}") for k in range(n_incidents)]
    bulk_create_with_history(incidents, Incident, actor=admin, reason="benchmark data", batch_size=2000)

    start = datetime(2025, 7, 3, 22, 0, tzinfo=UTC)
    big = services.create_incident(
        organisation=lab, title="Big one", occurred_from_at=start, actor=officer, reason="benchmark"
    )
    programme = org_services.create_party(lab, name="Programme", country="NL", actor=officer, reason="benchmark")
    processor = services.add_party(
        big, party=lab.parties.get(is_self=True), role="processor", actor=officer, reason="b"
    )
    controller = services.add_party(big, party=programme, role="controller", actor=officer, reason="b")
    relationship = services.link_processor(big, processor=processor, controller=controller, actor=officer, reason="b")
    services.record_awareness(
        big, party=processor, aware_at=start + timedelta(days=3), source="threat_actor", actor=officer, reason="b"
    )
    for k in range(n_facts):
        at = start + timedelta(days=4, minutes=k)
        services.record_estimate(
            big, measure="data_subjects", low=1000 + k, known_at=at, source="count", actor=officer, reason="b"
        )
        served = relationship
        if k:  # one notice per processor and controller: each further notice tells another controller
            practice = org_services.create_party(lab, name=f"Practice {k}", country="NL", actor=officer, reason="b")
            other = services.add_party(big, party=practice, role="controller", actor=officer, reason="b")
            served = services.link_processor(big, processor=processor, controller=other, actor=officer, reason="b")
        services.record_processor_notice(
            served, informed_at=at, channel="email", informed_by="CEO", actor=officer, reason="b"
        )
    return officer, big


def measure(client: Client, url: str, repeat: int):
    timings, queries = [], set()
    for _ in range(repeat):
        connection.queries_log.clear()  # populating filled Django's 9,000-entry query log
        with CaptureQueriesContext(connection) as captured:
            began = time.perf_counter()
            response = client.get(url)
            timings.append((time.perf_counter() - began) * 1000)
        assert response.status_code == 200, response.status_code
        queries.add(len(captured))
    return statistics.median(timings), max(timings), sorted(queries)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--incidents", type=int, default=1000)
    parser.add_argument("--facts", type=int, default=200, help="estimates and notices on the big incident")
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()

    setup_test_environment()
    settings.ALLOWED_HOSTS = ["testserver"]
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        began = time.perf_counter()
        officer, big = populate(args.incidents, args.facts)
        print(
            f"database: {connection.vendor}; populated {args.incidents} incidents + {args.facts} facts in {time.perf_counter() - began:.1f} s"
        )
        client = Client()
        client.force_login(officer)
        for label, url in (
            ("list page (50 per page)", reverse("incidents:list")),
            ("register page", reverse("incidents:detail", args=[big.pk])),
        ):
            median, worst, queries = measure(client, url, args.repeat)
            print(f"{label:26s} median {median:7.1f} ms   max {worst:7.1f} ms   queries {queries}")
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
