#!/usr/bin/env python3
"""Benchmark the timeline exports (JSON, PDF, CSV): server time and query count as history grows.

    .venv/bin/python scripts/bench_timeline.py                     # SQLite, 1,000 and 10,000 records
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench \\
        .venv/bin/python scripts/bench_timeline.py --sizes 1000 10000

It creates a throw-away test database (Django's test-database machinery, so your data is never
touched), fills it through the history-aware helpers and measures with Django's test client
(server time without network). Steps:
  1. one organisation and an officer; per size, one incident with a party, an awareness record
     and estimates, created and then changed in bulk (``*_with_history``) until the incident's
     history holds ``size`` records: each change is a timeline entry diffed against its predecessor;
  2. GET ``/incidents/<id>/timeline.json``, ``.pdf`` and ``.csv`` ``--repeat`` times each: median
     and max milliseconds, the median CPU milliseconds of this process, the number of SQL queries,
     which must be the same at every size, and the size of the file (PDF: and its pages). Targets
     at 10,000 records: JSON at most 1 s, PDF at most 10 s.
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
VERSIONS = 10  # each estimate is created once and changed nine times
EXPORTS = {"json": "evidence:timeline_json", "pdf": "evidence:timeline_pdf", "csv": "evidence:timeline_csv"}


def setup():
    from breachtrack.history import system_actor
    from organisations import services as org_services
    from organisations.models import Role

    admin = system_actor("benchmark")
    lab = org_services.create_organisation(name="Bench Lab", country="NL", actor=admin, reason="benchmark")
    officer = org_services.create_user(
        username="bench@lab.example", email="bench@lab.example", password=None, actor=admin, reason="benchmark"
    )
    org_services.add_member(lab, officer, role=Role.PRIVACY_OFFICER, actor=admin, reason="benchmark")
    return lab, officer


def populate(lab, officer, size: int):
    """One incident whose history holds ``size`` records (the estimates' versions make up the rest)."""
    from actions import incidents as services
    from breachtrack.history import bulk_create_with_history, bulk_update_with_history
    from incidents.models import AffectedEstimate
    from readers import history_rows

    start = datetime(2025, 7, 3, 22, 0, tzinfo=UTC)
    incident = services.create_incident(
        organisation=lab, title=f"History of {size}", occurred_from_at=start, actor=officer, reason="benchmark"
    )
    party = services.add_party(
        incident, party=lab.parties.get(is_self=True), role="controller", actor=officer, reason="benchmark"
    )
    services.record_awareness(
        incident,
        party=party,
        aware_at=start + timedelta(days=3),
        source="threat_actor",
        actor=officer,
        reason="benchmark",
    )
    base = sum(len(rows) for rows in history_rows.load(incident.pk).values())
    n = -(-(size - base) // VERSIONS)  # rounded up: at least ``size`` records
    estimates = [
        AffectedEstimate(
            incident=incident,
            measure="data_subjects",
            low=1000 + k,
            known_at=start + timedelta(days=4, minutes=k),
            known_tz="UTC",
            source="count",
            recorded_by=officer,
        )
        for k in range(n)
    ]
    estimates = bulk_create_with_history(
        estimates, AffectedEstimate, actor=officer, reason="benchmark: counted", batch_size=2000
    )
    for version in range(1, VERSIONS):
        for estimate in estimates:
            estimate.low += 1
            estimate.note = f"revision {version}"
        bulk_update_with_history(
            estimates,
            AffectedEstimate,
            ["low", "note"],
            actor=officer,
            reason=f"benchmark: revision {version}",
            batch_size=2000,
        )
    total = sum(len(rows) for rows in history_rows.load(incident.pk).values())
    return incident, total


def measure(client: Client, url: str, repeat: int):
    """Wall-clock and CPU milliseconds of the request (the CPU time is this process's, which on a
    shared machine says more than the wall clock: the database server's time is not in it)."""
    timings, cpu, queries = [], [], set()
    for _ in range(repeat):
        connection.queries_log.clear()
        with CaptureQueriesContext(connection) as captured:
            began, began_cpu = time.perf_counter(), time.process_time()
            response = client.get(url)
            timings.append((time.perf_counter() - began) * 1000)
            cpu.append((time.process_time() - began_cpu) * 1000)
        assert response.status_code == 200, response.status_code
        queries.add(len(captured))
        body = response.content
    return statistics.median(timings), max(timings), statistics.median(cpu), sorted(queries), body


def pages(body: bytes) -> str:
    """The page count of a PDF, when pypdf (requirements-test.txt) is installed."""
    try:
        import io

        import pypdf
    except ImportError:
        return ""
    return f"   {len(pypdf.PdfReader(io.BytesIO(body)).pages)} pages"


def profile(client: Client, url: str, top: int) -> None:
    """One request under cProfile, sorted by cumulative then by own time: where the time goes."""
    import cProfile
    import pstats

    profiler = cProfile.Profile()
    profiler.enable()
    client.get(url)
    profiler.disable()
    stats = pstats.Stats(profiler).strip_dirs()
    stats.sort_stats("cumulative").print_stats(top)
    stats.sort_stats("tottime").print_stats(top)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000], help="history records per incident")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--exports", nargs="+", default=list(EXPORTS), choices=list(EXPORTS))
    parser.add_argument(
        "--profile",
        type=int,
        metavar="N",
        default=0,
        help="after measuring, profile one request at the last size (cProfile) and print the top N functions",
    )
    args = parser.parse_args()

    setup_test_environment()
    settings.ALLOWED_HOSTS = ["testserver"]
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        lab, officer = setup()
        client = Client()
        client.force_login(officer)
        counts = {name: set() for name in args.exports}
        print(f"database: {connection.vendor}")
        for size in args.sizes:
            began = time.perf_counter()
            incident, total = populate(lab, officer, size)
            filled = time.perf_counter() - began
            print(f"{total:6d} history records (filled in {filled:5.1f} s):")
            for name in args.exports:
                median, worst, cpu, queries, body = measure(
                    client, reverse(EXPORTS[name], args=[incident.pk]), args.repeat
                )
                counts[name].update(queries)
                print(
                    f"    timeline.{name:4s} median {median:7.1f} ms   max {worst:7.1f} ms   cpu {cpu:7.1f} ms   queries {queries}"
                    f"   {len(body) / 1e6:.1f} MB{pages(body) if name == 'pdf' else ''}"
                    f"   (load average {os.getloadavg()[0]:.2f})"
                )
        for name, found in counts.items():
            if len(found) != 1:
                sys.exit(f"the query count of timeline.{name} grows with the history: {sorted(found)}")
        if args.profile:
            profile(client, reverse("evidence:timeline_json", args=[incident.pk]), args.profile)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
