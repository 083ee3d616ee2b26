#!/usr/bin/env python3
"""Benchmark ``verify_audit``: how long it takes to walk a million chained history records.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bt_evidence_bench \\
        .venv/bin/python scripts/bench_audit.py                  # 1,000,000 records (target: <= 30 s)
    .venv/bin/python scripts/bench_audit.py --records 2000      # small size, SQLite, for CI

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
  4. time ``verify()`` (what ``manage.py verify_audit`` runs) and check that it finds the chains
     and the live rows intact; then change one record and check that it is named.
Its last line is the JSON line of ``scripts/benchkit.py`` (read by ``scripts/bench``); the exit
status is 1 when the chains are not found intact, the forged record is not named, or (at 1M
records) verify takes longer than its target (issue 15: 30 s).
"""

from __future__ import annotations

import argparse
import itertools
import os
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from benchkit import Figure, emit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "breachtrack.settings")
os.environ.setdefault("BREACHTRACK_VAR_DIR", "/tmp/breachtrack-bench")

import django

django.setup()

from django.db import connection  # noqa: E402

from breachtrack.history import system_actor  # noqa: E402
from evidence.canonical import content_sha256, link_hash, record_fields  # noqa: E402
from evidence.chain import chain_key, field_set_id  # noqa: E402
from evidence.models import AuditChainHead, AuditChainLink  # noqa: E402
from evidence.verify import CONTENT_CHANGED, verify  # noqa: E402
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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--organisations", type=int, default=20)
    parser.add_argument("--target-seconds", type=float, default=30.0)
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
                cursor.execute("ANALYZE")

        began = time.monotonic()
        report = verify()
        seconds = time.monotonic() - began
        print(f"database: {connection.vendor} ({test_name})")
        print(f"records: {args.records:,} written in {written - started:.1f} s, chained in {chained - written:.1f} s")
        print(
            f"verify: {report.links:,} links, {report.records:,} records, {report.rows:,} live rows in {seconds:.1f} s "
            f"({report.records / seconds:,.0f} records/s); target {args.target_seconds:.0f} s"
        )
        if not report.ok:
            print(
                f"FAILED: the benchmark's chains and rows should be intact: {report.first_per_chain()[:3]} "
                f"{report.live_breaks[:3]}"
            )
        named = _check_tampering(first) if report.ok else False
        vendor = connection.vendor
    finally:
        connection.creation.destroy_test_db(test_name, verbosity=0)
    full_size = args.records >= 1_000_000
    ok = emit(
        "audit",
        [
            Figure(f"verify_audit, {args.records:,} chained records", seconds, "s", target=args.target_seconds),
            Figure("records verified per second", report.records / seconds if seconds else 0.0, "records/s"),
            Figure("chains and live rows intact (1 = yes)", int(report.ok), "", target=1, at_least=True),
            Figure("forged record named (1 = yes)", int(named), "", target=1, at_least=True),
        ],
        size={"records": args.records, "organisations": args.organisations},
        full_size=full_size,
        database=vendor,
    )
    # Correctness fails at every size; the time only at full size (small sizes run in CI).
    return 0 if report.ok and named and (ok or not full_size) else 1


def _check_tampering(first_history_id: int) -> bool:
    """Change one record behind the triggers' back: verify must name it."""
    table = HISTORY._meta.db_table
    target = first_history_id + 7
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
        else:
            cursor.execute(f"DROP TRIGGER evidence_no_update_{table}")
        cursor.execute(f"UPDATE {table} SET name = 'forged' WHERE history_id = %s", [target])
    named = [(b.problem, b.history_id) for b in verify().first_per_chain()]
    print(f"tampering with record {target}: named {named}")
    return named == [(CONTENT_CHANGED, target)]


if __name__ == "__main__":
    sys.exit(main())
