#!/usr/bin/env python3
"""Benchmark ``manage.py verify_audit``: how long the command takes over a million chained history records.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bt_bench \\
        .venv/bin/python scripts/bench_audit.py                  # full size: 1,000,000 records (target <= 30 s)
    .venv/bin/python scripts/bench_audit.py --records 20000     # small size (< 30 s), SQLite or PostgreSQL
    .venv/bin/python scripts/bench_audit.py --records 200000 --profile 30   # where the time goes (cProfile)

It works in a throw-away database (``<NAME>_run`` on PostgreSQL, in memory on SQLite; your data is
never touched). Steps:
  1. migrate; ``--organisations`` tenants and a system actor through the services (real history,
     real links);
  2. write ``--records`` parties and one history record of each directly (COPY on PostgreSQL),
     spread over the tenants: this benchmark is about verification, not about writing. The live
     rows are those the records describe, since verify compares every live row with its latest
     record;
  3. chain them the way ``evidence.chain`` does (same canonical content, same hashes), computed
     in Python and written with COPY;
  4. run ``manage.py verify_audit --format json`` (``call_command``: the command a person runs,
     its output parsed, its default --jobs: the CPU count) and time it, with the CPU of this
     process and its workers and of this process's PostgreSQL backend;
     check that it finds the chains and the live rows intact; then change one record behind the
     triggers' back and check that the command names it and fails;
  5. the floor: the same rows read through a bare cursor (links and records, nothing checked);
  6. the JSON line of :mod:`benchkit`: verify_audit <= 30 s at 1,000,000 records, its rate shown.
"""

from __future__ import annotations

import argparse
import io
import itertools
import json
import os
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "breachtrack.settings")
os.environ.setdefault("BREACHTRACK_VAR_DIR", "/tmp/breachtrack-bench")
os.environ.setdefault("DEBUG", "0")  # as in production: no query log kept for a million rows

import django

django.setup()

from benchkit import Figure, backend_cpu_seconds, emit  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.core.management.base import CommandError  # noqa: E402
from django.db import connection  # noqa: E402

from breachtrack.history import system_actor  # noqa: E402
from evidence.append_only import history_models  # noqa: E402
from evidence.canonical import content_sha256, link_hash, record_fields  # noqa: E402
from evidence.chain import chain_key, field_set_id  # noqa: E402
from evidence.models import AuditChainHead, AuditChainLink  # noqa: E402
from evidence.verify import CONTENT_CHANGED  # noqa: E402
from organisations import services as org_services  # noqa: E402
from organisations.models import Party  # noqa: E402

HISTORY = Party.history.model
BATCH = 20_000


def write_records(count: int, organisations: list[int], actor_id: int) -> None:
    """Step 2: ``count`` parties and a history record of each, round-robin over the organisations."""
    start = (HISTORY.objects.order_by("-history_id").values_list("history_id", flat=True).first() or 0) + 1
    moment = datetime(2025, 1, 1, tzinfo=UTC)
    columns = [
        "id",
        "name",
        "country",
        "registration_number",
        "contact_name",
        "contact_email",
        "contact_phone",
        "is_self",
        "owner_id",
        "history_id",
        "history_date",
        "history_change_reason",
        "history_type",
        "history_user_id",
    ]

    def rows():
        return (
            (
                1_000_000 + n,
                f"Processor {n}",
                "NL",
                f"{n:08d}",
                f"Contact {n}",
                f"dpo{n}@processor.example",
                "+31 20 000 0000",
                False,
                organisations[n % len(organisations)],
                start + n,
                moment + timedelta(seconds=n),
                "benchmark: imported processor list",
                "+" if n % 3 == 0 else "~",
                actor_id,
            )
            for n in range(count)
        )

    live = columns.index("history_id")  # the columns before it are the party's own
    _insert(Party._meta.db_table, columns[:live], (row[:live] for row in rows()))
    _insert(HISTORY._meta.db_table, columns, rows())
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{HISTORY._meta.db_table}', 'history_id'), %s)", [start + count]
            )


def _insert(table: str, columns: list[str], rows) -> None:
    names = ", ".join(columns)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            return
        placeholders = ", ".join(["%s"] * len(columns))
        batch = []
        for row in rows:
            batch.append(row)
            if len(batch) == BATCH:
                cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({placeholders})", batch)
                batch = []
        if batch:
            cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({placeholders})", batch)


def chain_records(first_history_id: int) -> None:
    """Step 3: links for the records written in step 2, continuing each organisation's chain."""
    label = HISTORY._meta.label_lower
    fields = record_fields(HISTORY)
    owner_at, pk_at = fields.index("owner_id"), fields.index("history_id")
    fs_id = field_set_id(label, fields, "default")
    heads = {head.chain: head for head in AuditChainHead.objects.all()}
    rows = HISTORY.objects.filter(history_id__gte=first_history_id).order_by("pk").values_list(*fields)

    def links():
        for values in rows.iterator(chunk_size=BATCH):
            key = chain_key(values[owner_at])
            head = heads[key]
            content = content_sha256(label, fields, values)
            seq = head.seq + 1
            digest = link_hash(key, seq, label, values[pk_at], content, head.hash)
            yield (key, values[owner_at], seq, label, values[pk_at], fs_id, content, head.hash, digest)
            head.seq, head.hash = seq, digest

    columns = [
        "chain",
        "organisation_id",
        "seq",
        "history_model",
        "history_id",
        "field_set_id",
        "content_sha256",
        "prev_hash",
        "hash",
    ]
    # One COPY per batch: a COPY must not stay open while the reading cursor fetches its next chunk
    # on the same connection (the two would wait for each other).
    produced = links()
    while batch := list(itertools.islice(produced, BATCH)):
        _insert(AuditChainLink._meta.db_table, columns, batch)
    for head in heads.values():
        head.save(update_fields=["seq", "hash"])


FULL_SIZE = 1_000_000
JOBS = os.cpu_count() or 1  # verify_audit's default --jobs: the command as a person runs it


def _cpu_with_workers() -> float:
    """CPU of this process and of its finished children (verify_audit's worker processes; their
    database backends are not counted: they are gone when the workers are)."""
    times = os.times()
    return times.user + times.system + times.children_user + times.children_system


TARGET_SECONDS = 30.0


def run_command() -> tuple[dict, bool]:
    """``manage.py verify_audit --format json``: its report, and whether it passed (exit 0)."""
    out = io.StringIO()
    try:
        call_command("verify_audit", "--format", "json", stdout=out)
        passed = True
    except CommandError:
        passed = False
    return json.loads(out.getvalue()), passed


def raw_read_seconds() -> float:
    """The floor: every link and every history record read through a bare server-side cursor,
    nothing built or checked (what streaming the rows alone costs)."""
    began = time.monotonic()
    tables = [
        (AuditChainLink._meta.db_table, "chain, seq"),
        *((model._meta.db_table, model._meta.pk.column) for model in history_models()),
    ]
    for table, order in tables:
        with connection.chunked_cursor() as cursor:
            cursor.execute(f"SELECT * FROM {table} ORDER BY {order}")
            while cursor.fetchmany(BATCH):
                pass
    return time.monotonic() - began


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=FULL_SIZE)
    parser.add_argument("--organisations", type=int, default=20)
    parser.add_argument("--profile", type=int, metavar="N", default=0, help="profile the command; print top N")
    args = parser.parse_args()

    settings_dict = connection.settings_dict
    if connection.vendor == "postgresql":
        settings_dict["TEST"]["NAME"] = f"{settings_dict['NAME']}_run"
    test_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        started = time.monotonic()
        actor = system_actor("benchmark")
        organisations = [
            org_services.create_organisation(name=f"Tenant {n}", country="NL", actor=actor, reason="benchmark").pk
            for n in range(args.organisations)
        ]
        first = (HISTORY.objects.order_by("-history_id").values_list("history_id", flat=True).first() or 0) + 1
        write_records(args.records, organisations, actor.pk)
        written = time.monotonic()
        chain_records(first)
        chained = time.monotonic()
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("VACUUM ANALYZE")  # as a live database would be: visibility map set, statistics
        print(f"database: {connection.vendor} ({test_name})")
        print(f"records: {args.records:,} written in {written - started:.1f} s, chained in {chained - written:.1f} s")

        began_db, began_cpu, began = backend_cpu_seconds(), _cpu_with_workers(), time.monotonic()
        if args.profile:
            import cProfile
            import pstats

            profiler = cProfile.Profile(time.process_time)
            profiler.enable()
        report, passed = run_command()
        seconds = time.monotonic() - began
        cpu, db_cpu = _cpu_with_workers() - began_cpu, backend_cpu_seconds() - began_db
        if args.profile:
            profiler.disable()
            stats = pstats.Stats(profiler).strip_dirs()
            stats.sort_stats("cumulative").print_stats(args.profile)
            stats.sort_stats("tottime").print_stats(args.profile)
        load = os.getloadavg()[0]
        floor = raw_read_seconds()
        rate = report["records"] / seconds
        print(
            f"verify_audit: {report['links']:,} links, {report['records']:,} records, {report['rows']:,} live rows "
            f"in {seconds:.1f} s ({rate:,.0f} records/s; cpu {cpu:.1f} s here and in {JOBS} workers, "
            f"{db_cpu:.1f} s in this process's database backend; "
            f"load {load:.2f}); floor, the rows read raw: {floor:.1f} s; target {TARGET_SECONDS:.0f} s at 1M"
        )
        if not passed or not report["ok"]:
            print(f"FAILED: the benchmark's chains and rows should be intact: {report['first_breaks'][:3]}")
            return 1
        tampering_named = _check_tampering(first)
    finally:
        connection.creation.destroy_test_db(test_name, verbosity=0)
    figures = [
        Figure(
            f"verify_audit, {args.records:,} records",
            seconds,
            "s",
            target=TARGET_SECONDS,
            detail=f"load {load:.2f}; {JOBS} jobs; cpu {cpu:.1f} s here and in the workers + {db_cpu:.1f} s database",
        ),
        Figure("verify_audit rate", rate, "records/s"),
        Figure("floor: links and records read raw (server-side cursor)", floor, "s"),
        Figure(
            "a changed record is named and the command fails", int(tampering_named), "bool", target=1, at_least=True
        ),
    ]
    ok = emit(
        "audit",
        figures,
        size={"records": args.records, "organisations": args.organisations},
        full_size=args.records >= FULL_SIZE,
    )
    # The time is promised at full size only; a changed record not named fails at every size.
    return 0 if tampering_named and (ok or args.records < FULL_SIZE) else 1


def _check_tampering(first_history_id: int) -> bool:
    """Change one record behind the triggers' back: the command must name it and fail."""
    table = HISTORY._meta.db_table
    target = first_history_id + 7
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
        else:
            cursor.execute(f"DROP TRIGGER evidence_no_update_{table}")
        cursor.execute(f"UPDATE {table} SET name = 'forged' WHERE history_id = %s", [target])
    report, passed = run_command()
    named = [(found["problem"], found["history_id"]) for found in report["first_breaks"]]
    print(f"tampering with record {target}: named {named}, command {'passed' if passed else 'failed'}")
    return named == [(CONTENT_CHANGED, target)] and not passed


if __name__ == "__main__":
    sys.exit(main())
