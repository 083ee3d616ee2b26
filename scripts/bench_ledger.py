#!/usr/bin/env python3
"""Benchmark the recipient ledger: import time, peak memory, lookup latency.

    .venv/bin/python scripts/bench_ledger.py --recipients 2000 --lookups 50       # small (CI)
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bt_comms_bench \\
        .venv/bin/python scripts/bench_ledger.py --recipients 1000000             # full size

Targets (the ledger's budget, on a 2-core machine): 1,000,000 recipients imported on PostgreSQL in
≤ 60 s with peak memory ≤ 300 MB; lookup p99 ≤ 5 ms. It uses a throw-away test database
(Django's test-database machinery, so real data is never touched). Steps:
  1. write a CSV of ``--recipients`` valid BSNs to a temporary file (streamed);
  2. an organisation, an officer, an incident, a controller, a content version and a wave;
  3. import the file through ``actions.ledger.import_recipients`` (the service the
     upload page calls), timed; peak memory is the process's maximum resident set size
     (``resource.getrusage``), which includes Django itself;
  4. ``--lookups`` lookups of random recipients through ``actions.ledger.lookup``
     (hash, query, log row), timed one by one: median, p99, max; then each part by itself
     (see ``part_timings``), and the load average, since the machine is shared.
``--check`` exits non-zero when a target is missed (only meaningful at full size).
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "breachtrack.settings")
os.environ.setdefault("BREACHTRACK_VAR_DIR", "/tmp/breachtrack-bench")

import django

django.setup()

from django.db import connection  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402

UTC = UTC


def bsn_from(number: int) -> str | None:
    """The valid BSN whose first eight digits are ``number``, or None (check digit would be 10)."""
    head = f"{number:08d}"
    check = sum(int(d) * w for d, w in zip(head, range(9, 1, -1), strict=False)) % 11
    return None if check == 10 else head + str(check)


def write_csv(path: Path, count: int) -> list[str]:
    """Write ``count`` distinct valid BSNs; return a sample of 10,000 for the lookups."""
    sample, number, written = [], 10_000_000, 0
    with path.open("w", encoding="utf-8", newline="") as handle:
        handle.write("kind,identifier\n")
        while written < count:
            bsn = bsn_from(number)
            number += 1
            if bsn is None:
                continue
            handle.write(f"bsn,{bsn}\n")
            written += 1
            if len(sample) < 10_000:
                sample.append(bsn)
            elif random.random() < 0.01:
                sample[random.randrange(len(sample))] = bsn
    return sample


def populate():
    from actions import communications as comms
    from actions import incidents as services
    from breachtrack.history import system_actor
    from organisations import services as org_services
    from organisations.models import Role

    admin = system_actor("benchmark")
    lab = org_services.create_organisation(name="Bench Lab", country="NL", actor=admin, reason="benchmark")
    officer = org_services.create_user(
        username="bench@lab.example", email="bench@lab.example", password=None, actor=admin, reason="benchmark"
    )
    org_services.add_member(lab, officer, role=Role.PRIVACY_OFFICER, actor=admin, reason="benchmark")
    incident = services.create_incident(
        organisation=lab, title="Letters", occurred_from_at=datetime(2025, 7, 3, tzinfo=UTC), actor=officer, reason="b"
    )
    programme = org_services.create_party(lab, name="Programme", country="NL", actor=officer, reason="b")
    controller = services.add_party(incident, party=programme, role="controller", actor=officer, reason="b")
    content = comms.create_content_version(
        incident,
        language="nl",
        title="Brief",
        text="…",
        describes_nature=True,
        names_contact_point=True,
        describes_consequences=True,
        describes_measures=True,
        actor=officer,
        reason="b",
    )
    wave = comms.plan_wave(
        incident,
        controller=controller,
        cohort_label="all",
        channel="letter",
        content_version=content,
        planned_at=datetime(2025, 9, 1, tzinfo=UTC),
        actor=officer,
        reason="b",
    )
    return lab, officer, wave


def report_timings(label: str, timings: list[float]) -> float:
    timings = sorted(timings)
    p99 = timings[min(len(timings) - 1, int(len(timings) * 0.99))]
    print(f"{label}: median {statistics.median(timings):.2f} ms   p99 {p99:.2f} ms   max {timings[-1]:.2f} ms")
    return p99


def part_timings(lab, officer, sample, count) -> dict[str, list[float]]:
    """Each part of a lookup by itself, to see where the time goes.

    ``round trip``: ``SELECT 1`` (the floor for any query); ``role check``: ``authorise``;
    ``ledger query``: the lookup's query with the hash given; ``log row + commit``: the
    ``LedgerLookup`` insert in autocommit (its commit waits for the WAL flush, fsync);
    ``log row, rolled back``: the same insert inside a transaction that is rolled back (so the
    difference is the commit's flush); on PostgreSQL also the insert committed with
    ``synchronous_commit=off``, which the service does not use (figures for the trade-off).
    """
    from django.db import transaction

    from actions import ledger
    from communications.models import LedgerLookup
    from organisations.services import READ_ROLES, authorise

    key = ledger.organisation_key(lab)
    digests = [ledger.identifier_hash(key, "bsn", bsn) for bsn in random.choices(sample, k=count)]

    def timed(action) -> list[float]:
        timings = []
        for digest in digests:
            began = time.perf_counter()
            action(digest)
            timings.append((time.perf_counter() - began) * 1000)
        return timings

    def select_one(_digest):
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")

    def query(digest):
        assert len(ledger.ledger_rows(lab, digest, officer)) == 1

    def log(_digest):
        LedgerLookup.objects.create(organisation=lab, looked_up_by=officer, looked_up_at=datetime.now(UTC), matches=1)

    def log_rolled_back(_digest):
        with transaction.atomic():
            log(_digest)
            transaction.set_rollback(True)

    def log_without_flush_wait(_digest):
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL synchronous_commit = off")
            log(_digest)

    parts = {
        "round trip (SELECT 1)": timed(select_one),
        "role check (authorise)": timed(lambda _digest: authorise(officer, lab, READ_ROLES)),
        "ledger query (role folded in, hash given)": timed(query),
        "log row + commit": timed(log),
        "log row, rolled back (no flush)": timed(log_rolled_back),
    }
    if connection.vendor == "postgresql":
        # For the trade-off only; the service does NOT do this (a crash could lose the last
        # ~0.6 s of access log rows, wal_writer_delay x 3).
        parts["log row + commit with synchronous_commit=off (not used)"] = timed(log_without_flush_wait)
    return parts


def explain(lab, officer, sample) -> None:
    from actions import ledger
    from organisations.services import READ_ROLES

    digest = ledger.identifier_hash(ledger.organisation_key(lab), "bsn", sample[0])
    prefix = "EXPLAIN ANALYZE " if connection.vendor == "postgresql" else "EXPLAIN QUERY PLAN "
    with connection.cursor() as cursor:
        cursor.execute(prefix + ledger._lookup_sql(), [digest, lab.pk, False, officer.pk, *READ_ROLES])
        for row in cursor.fetchall():
            print("   ", " ".join(str(value) for value in row))


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--recipients", type=int, default=1_000_000)
    parser.add_argument("--lookups", type=int, default=1000)
    parser.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    parser.add_argument("--explain", action="store_true", help="print the ledger query's plan")
    args = parser.parse_args()

    from actions import ledger

    setup_test_environment()
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        with tempfile.TemporaryDirectory() as directory:
            path = Path(directory) / "recipients.csv"
            sample = write_csv(path, args.recipients)
            lab, officer, wave = populate()
            before = peak_mb()
            began = time.perf_counter()
            with path.open("rb") as handle:
                report = ledger.import_recipients(wave, handle, file_name=path.name, actor=officer, reason="benchmark")
            seconds = time.perf_counter() - began
            assert report.batch.rows_added == args.recipients, report.batch.rows_added
            memory = peak_mb()
            print(
                f"database: {connection.vendor}; imported {args.recipients:,} recipients "
                f"({path.stat().st_size / 1e6:.1f} MB) in {seconds:.1f} s; peak RSS {memory:.0f} MB "
                f"(before import {before:.0f} MB)"
            )
            timings = []
            for bsn in random.choices(sample, k=args.lookups):
                began = time.perf_counter()
                found = ledger.lookup(lab, kind="bsn", identifier=bsn, actor=officer)
                timings.append((time.perf_counter() - began) * 1000)
                assert len(found) == 1
            load = " / ".join(f"{value:.2f}" for value in os.getloadavg())
            p99 = report_timings(f"lookup x{args.lookups} (role check + query, log row + commit; load {load})", timings)
            if args.explain:
                explain(lab, officer, sample)
            for part, part_times in part_timings(lab, officer, sample, args.lookups).items():
                report_timings(f"  part: {part}", part_times)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
    missed = seconds > 60 or memory > 300 or p99 > 5
    return 1 if args.check and missed else 0


if __name__ == "__main__":
    sys.exit(main())
