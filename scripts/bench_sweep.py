#!/usr/bin/env python3
"""Benchmark the deadline sweep: a busy sweep, an idle sweep, and its selection query.

    .venv/bin/python scripts/bench_sweep.py --rows 2000 --due 50 --repeat 2        # SQLite, small
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bt_e2e_bench \\
        .venv/bin/python scripts/bench_sweep.py --rows 1000000 --due 1000 --json out.json

It creates a throw-away database next to the configured one (``<name>_sweepbench``; your data
is never touched) and drops it at the end. Steps:
  1. one organisation and ``rows / 100`` incidents (bulk, with history);
  2. ``rows / 100`` Deadline rows, none due: an idle sweep (time, query count);
  3. the other rows, none due (PostgreSQL: one INSERT ... generate_series): the idle sweep again,
     whose query count must be the same at both sizes;
  4. ``--due`` of them made due (spread over the last minutes): the sweep's selection, by the ORM
     and as hand-written SQL, timed and EXPLAIN ANALYZEd (index use printed);
  5. one sweep recording every due alert, ``--repeat`` times (the rows reset in between).
Deadline rows are derived, un-historied state, so bulk inserts are allowed for them.
Targets: busy sweep of 1,000 due <= 2 s; idle sweep <= 10 ms (both on PostgreSQL).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "breachtrack.settings")
os.environ.setdefault("BREACHTRACK_VAR_DIR", "/tmp/breachtrack-bench")

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402

from actions.sweep import database_now, sweep  # noqa: E402
from notifications.models import Deadline  # noqa: E402

IDLE_TARGET_MS = 10
BUSY_TARGET_S = 2.0
LABEL = "before:48h"


# --- Data ----------------------------------------------------------------------------------------
def make_incidents(count: int) -> list[int]:
    from breachtrack.history import bulk_create_with_history, system_actor
    from incidents.models import Incident
    from organisations import services as org_services

    admin = system_actor("benchmark")
    lab = org_services.create_organisation(name="Sweep Bench Lab", country="NL", actor=admin, reason="benchmark")
    incidents = [Incident(organisation=lab, reference=f"S-{k:06d}", title=f"Incident {k}") for k in range(count)]
    bulk_create_with_history(incidents, Incident, actor=admin, reason="benchmark data", batch_size=2000)
    return list(Incident.objects.filter(organisation=lab).order_by("pk").values_list("pk", flat=True))


def add_idle_rows(incident_ids: list[int], start: int, stop: int, now) -> None:
    """Rows ``start..stop-1``: their next alert (before:48h) 1 to ~30 hours ahead; every 10th met."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                """
                INSERT INTO notifications_deadline
                    (incident_id, kind, started_at, due_at, met_at, is_legal_deadline,
                     next_alert_at, next_alert_label, is_active, updated_at)
                SELECT ids.a[1 + g %% ids.n], 'authority_notification', nxt - interval '24 hours',
                       nxt + interval '48 hours', CASE WHEN g %% 10 = 0 THEN %(now)s END, true,
                       CASE WHEN g %% 10 = 0 THEN NULL ELSE nxt END,
                       CASE WHEN g %% 10 = 0 THEN '' ELSE %(label)s END, true, %(now)s
                FROM (SELECT array_agg(id ORDER BY id) AS a, count(*)::int AS n FROM incidents_incident
                      WHERE id = ANY(%(ids)s)) ids,
                     generate_series(%(start)s, %(stop)s - 1) g,
                     LATERAL (SELECT %(now)s + interval '1 hour' + g * interval '100 milliseconds' AS nxt) t
                """,
                {"now": now, "label": LABEL, "ids": incident_ids, "start": start, "stop": stop},
            )
        return
    rows = []
    for g in range(start, stop):
        nxt = now + timedelta(hours=1) + g * timedelta(milliseconds=100)
        met = g % 10 == 0
        rows.append(
            Deadline(
                incident_id=incident_ids[g % len(incident_ids)],
                kind="authority_notification",
                started_at=nxt - timedelta(hours=24),
                due_at=nxt + timedelta(hours=48),
                met_at=now if met else None,
                is_legal_deadline=True,
                next_alert_at=None if met else nxt,
                next_alert_label="" if met else LABEL,
            )
        )
    Deadline.objects.bulk_create(rows, batch_size=5000)


def make_due(ids: list[int], now) -> None:
    """Put ``ids`` back in the due state: 'before:48h' passed 1 s, 2 s, ... ago, none recorded.

    The new due moments differ from every earlier repeat's, so the alerts of earlier repeats
    (append-only: the database refuses to delete them) do not count as already recorded.
    """
    rows = []
    for k, pk in enumerate(ids):
        nxt = now - timedelta(seconds=k + 1)
        rows.append(
            Deadline(
                pk=pk,
                next_alert_at=nxt,
                next_alert_label=LABEL,
                due_at=nxt + timedelta(hours=48),
                started_at=nxt - timedelta(hours=24),
                met_at=None,
            )
        )
    Deadline.objects.bulk_update(
        rows, ["next_alert_at", "next_alert_label", "due_at", "started_at", "met_at"], batch_size=1000
    )


# --- Measurements --------------------------------------------------------------------------------
def _backend_cpu_seconds() -> float:
    """CPU time of this connection's PostgreSQL backend so far (same machine: /proc), else 0."""
    if connection.vendor != "postgresql":
        return 0.0
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0  # the server runs elsewhere
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


class CpuClock:
    """CPU seconds spent by this process and its database backend: what a quiet machine would take.

    Wall-clock timings on a loaded machine mostly measure waiting for a CPU; the CPU both ends
    actually used is a floor for the time on an idle one (plus one loopback round trip per
    statement, a few tens of microseconds).
    """

    def __enter__(self):
        self.began = time.process_time() + _backend_cpu_seconds()
        return self

    def __exit__(self, *exc):
        self.seconds = time.process_time() + _backend_cpu_seconds() - self.began


def idle_sweep(repeat: int) -> dict:
    sweep()  # warm: the heartbeat row exists and the connection is open
    timings, cpu, queries = [], [], set()
    for _ in range(max(repeat, 5)):
        connection.queries_log.clear()  # a full log (9,000 entries) would make the count 0
        with CaptureQueriesContext(connection) as captured, CpuClock() as clock:
            began = time.perf_counter()
            assert sweep() == 0
            timings.append((time.perf_counter() - began) * 1000)
        cpu.append(clock.seconds * 1000)
        queries.add(len(captured))
    return {
        "median_ms": statistics.median(timings),
        "max_ms": max(timings),
        "cpu_ms": statistics.median(cpu),
        "queries": sorted(queries),
    }


def busy_sweep(due_ids: list[int], repeat: int) -> dict:
    timings, cpu, statements = [], [], 0
    for _ in range(repeat):
        make_due(due_ids, database_now())
        counted = []

        def count(execute, sql, params, many, context):
            counted.append(1)  # not Django's query log: it keeps only the last 9,000  # noqa: B023 (used within this iteration only)
            return execute(sql, params, many, context)

        with connection.execute_wrapper(count), CpuClock() as clock:
            began = time.perf_counter()
            recorded = sweep(budget_seconds=600)
            timings.append(time.perf_counter() - began)
        cpu.append(clock.seconds)
        statements = len(counted)
        assert recorded == len(due_ids), (recorded, len(due_ids))
    # Statements per alert: a figure the machine's load does not change (each is a round trip).
    return {
        "median_s": statistics.median(timings),
        "max_s": max(timings),
        "cpu_s": statistics.median(cpu),
        "recorded": len(due_ids),
        "statements_per_alert": statements / len(due_ids),
    }


def _orm_selection(now):
    due = Deadline.objects.due(now)
    if connection.features.has_select_for_update_skip_locked:
        due = due.select_for_update(skip_locked=True)
    return due


RAW_SQL = {
    "postgresql": "SELECT * FROM notifications_deadline WHERE next_alert_at <= %s "
    "ORDER BY next_alert_at, id LIMIT 1 FOR UPDATE SKIP LOCKED",
    "sqlite": "SELECT * FROM notifications_deadline WHERE next_alert_at <= %s ORDER BY next_alert_at, id LIMIT 1",
}


def selection(repeat: int) -> dict:
    """The sweep's pick, as the ORM builds it and by hand: median time, ratio, plans."""
    now = database_now()
    raw = RAW_SQL[connection.vendor]
    param = now if connection.vendor == "postgresql" else connection.ops.adapt_datetimefield_value(now)

    def orm():
        return _orm_selection(now).first()

    def by_hand():
        with connection.cursor() as cursor:
            cursor.execute(raw, [param])
            return cursor.fetchone()

    timings = {"orm": [], "raw": []}
    for _ in range(max(repeat, 20)):
        for name, run in (("orm", orm), ("raw", by_hand)):
            with transaction.atomic():  # FOR UPDATE needs one; rolled back: nothing is claimed
                began = time.perf_counter()
                assert run() is not None
                timings[name].append((time.perf_counter() - began) * 1000)
                transaction.set_rollback(True)
    with transaction.atomic():
        if connection.vendor == "postgresql":
            orm_plan = _orm_selection(now)[:1].explain(analyze=True)
            with connection.cursor() as cursor:
                cursor.execute("EXPLAIN ANALYZE " + raw, [param])
                raw_plan = "\n".join(row[0] for row in cursor.fetchall())
        else:
            orm_plan = _orm_selection(now)[:1].explain()
            with connection.cursor() as cursor:
                cursor.execute("EXPLAIN QUERY PLAN " + raw, [param])
                raw_plan = "\n".join(str(row[-1]) for row in cursor.fetchall())
        transaction.set_rollback(True)
    orm_ms, raw_ms = statistics.median(timings["orm"]), statistics.median(timings["raw"])
    return {"orm_ms": orm_ms, "raw_ms": raw_ms, "ratio": orm_ms / raw_ms, "orm_plan": orm_plan, "raw_plan": raw_plan}


def index_lines(plan: str) -> list[str]:
    keep = ("Index", "Seq Scan", "SEARCH", "SCAN", "Sort", "Execution Time")
    return [line.strip() for line in plan.splitlines() if any(word in line for word in keep)]


# --- Main ----------------------------------------------------------------------------------------
def run(rows: int, due: int, repeat: int) -> dict:
    began = time.perf_counter()
    incident_ids = make_incidents(max(1, min(10_000, rows // 100)))
    small = max(due, rows // 100)
    now = database_now()
    add_idle_rows(incident_ids, 0, small, now)
    idle_small = idle_sweep(repeat)
    add_idle_rows(incident_ids, small, rows, now)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE" if connection.vendor == "sqlite" else "ANALYZE notifications_deadline")
    populated = time.perf_counter() - began
    idle_full = idle_sweep(repeat)
    pending = list(Deadline.objects.exclude(next_alert_at=None).order_by("pk").values_list("pk", flat=True))
    due_ids = pending[:: max(1, len(pending) // due)][:due]  # spread over the table
    make_due(due_ids, database_now())
    picked = selection(repeat)
    busy = busy_sweep(due_ids, repeat)
    return {
        "load_average_1min": os.getloadavg()[0],
        "cpus": os.cpu_count(),
        "database": connection.vendor,
        "rows": rows,
        "due": len(due_ids),
        "populate_s": populated,
        "idle_sweep_small": {"rows": small, **idle_small},
        "idle_sweep_full": {"rows": rows, **idle_full},
        "busy_sweep": busy,
        "selection": picked,
    }


def report(result: dict) -> None:
    def verdict(ok: bool) -> str:
        return "ok" if ok else "MISSED"

    busy, small, full, pick = (
        result["busy_sweep"],
        result["idle_sweep_small"],
        result["idle_sweep_full"],
        result["selection"],
    )
    note = "" if result["database"] == "postgresql" else " (the targets are PostgreSQL's)"
    print(
        f"database: {result['database']}; {result['rows']:,} deadline rows, {result['due']:,} due; "
        f"populated in {result['populate_s']:.1f} s{note}"
    )
    print(
        f"load average {result['load_average_1min']:.1f} on {result['cpus']} CPUs (timings are wall-clock: a busy machine inflates them)"
    )
    print(f"{'measure':44s} {'median':>10s} {'max':>10s}  target")
    print(
        f"{'busy sweep, records all ' + format(busy['recorded'], ',') + ' due':44s} {busy['median_s']:9.3f}s {busy['max_s']:9.3f}s  "
        f"<= {BUSY_TARGET_S:.0f} s for 1,000: {verdict(busy['median_s'] * 1000 / max(busy['recorded'], 1) <= BUSY_TARGET_S)}"
    )
    print(
        f"{'  CPU, this process + its backend':44s} {busy['cpu_s']:9.3f}s {'':10s}  "
        f"(floor on an idle machine: {verdict(busy['cpu_s'] * 1000 / max(busy['recorded'], 1) <= BUSY_TARGET_S)})"
    )
    print(f"{'  statements per recorded alert':44s} {busy['statements_per_alert']:9.1f}")
    for idle in (small, full):
        print(
            f"{'idle sweep at ' + format(idle['rows'], ',') + ' rows, queries ' + str(idle['queries']):44s} "
            f"{idle['median_ms']:8.2f}ms {idle['max_ms']:8.2f}ms  <= {IDLE_TARGET_MS} ms: {verdict(idle['median_ms'] <= IDLE_TARGET_MS)}"
            f"; CPU {idle['cpu_ms']:.2f} ms"
        )
    print(f"{'idle sweep query count constant':44s} {verdict(small['queries'] == full['queries'])}")
    print(
        f"{'selection: ORM / raw SQL':44s} {pick['orm_ms']:8.3f}ms {pick['raw_ms']:8.3f}ms  ratio {pick['ratio']:.2f}"
    )
    for name in ("orm_plan", "raw_plan"):
        print(f"  {name.replace('_', ' ')}:")
        for line in index_lines(pick[name]):
            print(f"    {line}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000, help="Deadline rows in all")
    parser.add_argument("--due", type=int, default=1000, help="how many of them are due")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--json", metavar="FILE", help="also write the figures as JSON ('-': standard output)")
    args = parser.parse_args()
    if not 0 < args.due <= args.rows:
        parser.error("--due must be between 1 and --rows")

    setup_test_environment()
    settings.DATABASES["default"].setdefault("TEST", {})["NAME"] = f"{settings.DATABASES['default']['NAME']}_sweepbench"
    if connection.vendor == "sqlite":
        settings.DATABASES["default"]["TEST"]["NAME"] = str(
            Path(os.environ["BREACHTRACK_VAR_DIR"]) / "sweepbench.sqlite3"
        )
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        result = run(args.rows, args.due, args.repeat)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
    report(result)
    if args.json:
        text = json.dumps(result, indent=2, default=str)
        if args.json == "-":
            print(text)
        else:
            Path(args.json).write_text(text + "\n")


if __name__ == "__main__":
    main()
