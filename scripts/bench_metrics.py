#!/usr/bin/env python3
"""Benchmark the metrics page: server time and query count at 10,000 incidents with 5 filings each.

    .venv/bin/python scripts/bench_metrics.py                                # SQLite, full size
    .venv/bin/python scripts/bench_metrics.py --incidents 100 --repeat 2     # small (about 30 s)
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bt_metrics \\
        .venv/bin/python scripts/bench_metrics.py [--incidents 100 --repeat 2]

The small run's time is mostly the migrations of the throw-away database (20-35 s on a loaded
2-core machine); filling 10,000 incidents with their history takes 6-12 minutes.

It creates a throw-away test database (``<name>_metricsbench``: your data is never touched), runs
with DEBUG off, and drops the database at the end. Steps:
  1. two organisations, each with a privacy officer: the large one with ``--incidents`` incidents,
     the small one with a tenth of them (the two sizes whose query counts must be equal);
  2. per incident (bulk, with history): its own party as controller, occurrence and detection
     instants, and 5 filings (an initial one, four follow-ups; every 5th initial late, half of those
     with reasons) with frozen content; the derived clock rows as ``rules.deadlines`` would write
     them (un-historied state, bulk): the Art. 33(1) clock met by the initial filing, a processor's
     clock for every 3rd incident (every 2nd of those over its 24 h target), an Art. 34 clock for
     every 4th, an open follow-up clock for every 7th, and NIS2's early warning and notification
     clocks (regime_report rows) for every 2nd;
  3. GET the metrics page of each organisation ``--repeat`` times with Django's test client
     (server time, no network): median and max wall-clock ms, CPU ms of this process and its
     PostgreSQL backend, and the number of SQL queries; the same for the reader alone, the CSV and
     the page filtered by regime (``?regime=nis2``).
Targets: the page at most 300 ms at 10,000 incidents, and the same number of queries at both sizes.
Ends with benchkit's JSON line.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "breachtrack.settings")
os.environ.setdefault("BREACHTRACK_VAR_DIR", "/tmp/breachtrack-bench")
os.environ["DEBUG"] = "0"  # the page as production serves it

import django

django.setup()

from benchkit import Figure, backend_cpu_seconds, emit  # noqa: E402
from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402
from django.urls import reverse  # noqa: E402
from django.utils import timezone  # noqa: E402

TARGET_MS = 300
FULL_SIZE = 10_000


def populate(name: str, count: int, authority):
    from breachtrack.history import bulk_create_with_history, system_actor
    from filings.models import AuthorityFiling
    from incidents.models import Incident, IncidentAuthority, IncidentParty
    from notifications.models import Deadline
    from organisations import services as org_services
    from organisations.models import Role

    admin = system_actor("benchmark")
    organisation = org_services.create_organisation(name=name, country="NL", actor=admin, reason="benchmark")
    officer = org_services.create_user(
        username=f"bench@{name.lower().replace(' ', '-')}.example", email="", password=None, actor=admin, reason="b"
    )
    org_services.add_member(organisation, officer, role=Role.PRIVACY_OFFICER, actor=admin, reason="benchmark")
    own = organisation.parties.get(is_self=True)
    now = timezone.now()

    def aware_at(k):
        return now - timedelta(days=400) + timedelta(minutes=50 * k)

    incidents = bulk_create_with_history(
        [
            Incident(
                organisation=organisation,
                reference=f"M-{k:06d}",
                title=f"Incident {k}",
                occurred_from_at=aware_at(k) - timedelta(hours=30 + k % 50),
                detected_at=aware_at(k) - timedelta(hours=2 + k % 7),
            )
            for k in range(count)
        ],
        Incident,
        actor=officer,
        reason="benchmark data",
        batch_size=2000,
    )
    parties = bulk_create_with_history(
        [IncidentParty(incident=incident, party=own, role="controller") for incident in incidents],
        IncidentParty,
        actor=officer,
        reason="benchmark data",
        batch_size=2000,
    )
    bulk_create_with_history(
        [IncidentAuthority(incident=incident, authority=authority, role="lead") for incident in incidents],
        IncidentAuthority,
        actor=officer,
        reason="benchmark data",
        batch_size=2000,
    )
    content = {"summary": "benchmark register snapshot", "data_subjects": 1000}
    digest = hashlib.sha256(repr(content).encode()).hexdigest()
    filings, clocks = [], []
    for k, (incident, party) in enumerate(zip(incidents, parties, strict=True)):
        start = aware_at(k)
        late = k % 5 == 0
        initial_at = start + timedelta(hours=80 + k % 40 if late else 10 + k % 60)
        for n in range(5):
            filings.append(
                AuthorityFiling(
                    incident=incident,
                    controller=party,
                    authority=authority,
                    filing_type="initial" if n == 0 else "follow_up",
                    submitted_at=initial_at + timedelta(days=n * 3),
                    submitted_tz="Europe/Amsterdam",
                    channel="ap_form",
                    delay_reasons="The size of the breach took days to establish." if late and n == 0 and k % 2 else "",
                    content=content,
                    content_sha256=digest,
                    recorded_by=officer,
                )
            )
        clocks.append(
            Deadline(
                incident=incident,
                party=party,
                kind="authority_notification",
                started_at=start,
                due_at=start + timedelta(hours=72),
                met_at=initial_at,
                is_legal_deadline=True,
            )
        )
        if k % 3 == 0:
            clocks.append(
                Deadline(
                    incident=incident,
                    party=party,
                    kind="processor_notice",
                    started_at=start - timedelta(hours=40),
                    due_at=start - timedelta(hours=16),
                    met_at=start if k % 2 else start - timedelta(hours=30),
                    is_legal_deadline=False,
                )
            )
        if k % 4 == 0:
            clocks.append(
                Deadline(
                    incident=incident,
                    party=party,
                    kind="data_subject_communication",
                    started_at=start + timedelta(hours=5),
                    due_at=start + timedelta(hours=77),
                    met_at=start + timedelta(hours=20 + k % 90),
                    is_legal_deadline=False,
                )
            )
        if k % 2 == 0:  # NIS2's early warning (24 h) and notification (72 h), as rules.obligations writes them
            for report, hours, met_after in (
                ("early_warning", 24, 10 + k % 20),
                ("notification", 72, None if k % 10 == 0 else 50 + k % 40),
            ):
                clocks.append(
                    Deadline(
                        incident=incident,
                        kind="regime_report",
                        regime="nis2",
                        report=report,
                        recipient="csirt",
                        rule_version="2024-10-18",
                        started_at=start,
                        due_at=start + timedelta(hours=hours),
                        met_at=None if met_after is None else start + timedelta(hours=met_after),
                        is_legal_deadline=True,
                    )
                )
        if k % 7 == 0:
            clocks.append(
                Deadline(
                    incident=incident,
                    party=party,
                    kind="follow_up",
                    started_at=now - timedelta(hours=k % 100),
                    due_at=now + timedelta(hours=72 - k % 100),
                    is_legal_deadline=False,
                )
            )
    # Filings in submission order per chain: each follow-up names the filing before it.
    created = bulk_create_with_history(
        filings, AuthorityFiling, actor=officer, reason="benchmark data", batch_size=5000
    )
    del created
    Deadline.objects.bulk_create(clocks, batch_size=5000)
    return organisation, officer, len(filings), len(clocks)


def measure(call, repeat: int):
    walls, cpus, queries = [], [], set()
    for _ in range(repeat):
        cpu = time.process_time() + backend_cpu_seconds()
        with CaptureQueriesContext(connection) as captured:
            began = time.perf_counter()
            call()
            walls.append((time.perf_counter() - began) * 1000)
        cpus.append((time.process_time() + backend_cpu_seconds() - cpu) * 1000)
        queries.add(len(captured))
    return statistics.median(walls), max(walls), statistics.median(cpus), sorted(queries)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--incidents", type=int, default=FULL_SIZE, help="incidents of the large organisation")
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()

    from organisations.models import Authority
    from readers.metrics import Filters, metrics

    setup_test_environment()
    settings.ALLOWED_HOSTS = ["testserver"]
    database = settings.DATABASES["default"]
    if connection.vendor == "postgresql":
        database.setdefault("TEST", {})["NAME"] = f"{database['NAME']}_metricsbench"
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    figures = []
    difference = None
    try:
        began = time.perf_counter()
        authority = Authority.objects.get(code="nl-ap")
        small_org, small_officer, *_ = populate("Small Bench Lab", max(1, args.incidents // 10), authority)
        large_org, large_officer, filings, clocks = populate("Large Bench Lab", args.incidents, authority)
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        print(
            f"database: {connection.vendor}; DEBUG {settings.DEBUG}; {args.incidents} incidents, {filings} filings, "
            f"{clocks} clock rows (+ a tenth as many in the small organisation; filled in "
            f"{time.perf_counter() - began:.1f} s); target <= {TARGET_MS} ms, equal queries at both sizes"
        )
        counts = {}
        for label, organisation, officer in (("small", small_org, small_officer), ("large", large_org, large_officer)):
            client = Client()
            client.force_login(officer)
            url = reverse("metrics:page")
            assert client.get(url).status_code == 200  # warm: templates compiled, translations loaded

            def page(client=client, url=url):
                response = client.get(url)
                assert response.status_code == 200, response.status_code

            def reader(organisation=organisation):
                metrics(Filters(organisation.pk), now=timezone.now())

            def csv(client=client):
                assert client.get(reverse("metrics:csv")).status_code == 200

            def nis2(client=client, url=url):
                response = client.get(url, {"regime": "nis2"})
                assert response.status_code == 200, response.status_code

            for what, call in (("page", page), ("reader", reader), ("csv", csv), ("nis2", nis2)):
                median, worst, cpu, queries = measure(call, args.repeat)
                counts[(label, what)] = queries
                print(
                    f"  {label:5s} {what:6s} median {median:7.1f} ms   max {worst:7.1f} ms   cpu {cpu:7.1f} ms"
                    f"   queries {queries}"
                )
                if label == "large" and what == "page":
                    figures.append(
                        Figure(
                            f"metrics page, {args.incidents:,} incidents x 5 filings (median wall)",
                            median,
                            "ms",
                            target=TARGET_MS,
                            detail=f"max {worst:.0f} ms, cpu {cpu:.0f} ms (this process + its database backend)",
                        )
                    )
                    figures.append(Figure("metrics page CPU (process + database backend)", cpu, "ms"))
                if label == "large" and what == "nis2":
                    figures.append(
                        Figure(
                            "metrics page filtered by regime (NIS2, median wall)",
                            median,
                            "ms",
                            target=TARGET_MS,
                            detail=f"max {worst:.0f} ms, cpu {cpu:.0f} ms; queries {queries}",
                        )
                    )
                if label == "large" and what == "reader":
                    figures.append(Figure("metrics reader alone (median wall)", median, "ms"))
        difference = max(counts[("large", "page")]) - max(counts[("small", "page")])
        figures.append(
            Figure(
                "page queries, 10x the incidents minus 1x",
                difference,
                "queries",
                target=0,
                detail=f"{counts[('small', 'page')]} vs {counts[('large', 'page')]}",
            )
        )
        figures.append(Figure("page queries", max(counts[("large", "page")]), "queries"))
        nis2_difference = max(counts[("large", "nis2")]) - max(counts[("small", "nis2")])
        figures.append(
            Figure(
                "NIS2 page queries, 10x the incidents minus 1x",
                nis2_difference,
                "queries",
                target=0,
                detail=f"{counts[('small', 'nis2')]} vs {counts[('large', 'nis2')]}",
            )
        )
        difference = max(difference, abs(nis2_difference))
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
    ok = emit(
        "metrics",
        figures,
        size={"incidents": args.incidents, "filings": args.incidents * 5},
        full_size=args.incidents >= FULL_SIZE,
    )
    # A loaded machine must not fail a small run on its time; unequal query counts fail every run.
    queries_equal = difference == 0
    sys.exit(0 if queries_equal and (ok or args.incidents < FULL_SIZE) else 1)


if __name__ == "__main__":
    main()
