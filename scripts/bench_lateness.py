#!/usr/bin/env python3
"""Measure alert lateness with a real worker and beat: fired_at minus the threshold moment.

    .venv/bin/python scripts/bench_lateness.py                          # SQLite + filesystem broker
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bt_e2e \\
        .venv/bin/python scripts/bench_lateness.py --broker redis --interval 15 --deadlines 60

Steps:
  1. a temporary var dir; with --broker redis a private redis-server on a free port; with a
     PostgreSQL DATABASE_URL a throw-away database next to it (``<name>_e2e_<random>``, dropped
     at the end); ``manage.py migrate`` in a subprocess;
  2. Celery as in production (filesystem: ``worker -B``; Redis: worker and beat), sweeping every
     ``--interval`` seconds;
  3. ``--deadlines`` Art. 33(1) clocks created through the services, falling due at evenly
     spread moments from ``--start`` to ``--start + --spread`` seconds ahead;
  4. wait for every 'due' alert; lateness = fired_at - due_at; p50/p95/p99/max.
Target: p99 <= interval + 5 s. Exit status 1 if it is missed or an alert never came.
Everything it started is killed at the end (process groups), whatever happens.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.e2e.stack import PostgresDatabase, Processes, RedisServer, Stack, wait_until

SLACK_TARGET = 5  # seconds beyond the interval


def percentiles(values: list[float]) -> dict:
    if len(values) == 1:
        return {"p50": values[0], "p95": values[0], "p99": values[0], "max": values[0]}
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    return {"p50": cuts[49], "p95": cuts[94], "p99": cuts[98], "max": max(values)}


def measure(args, root: Path) -> dict:
    processes = Processes(root / "logs", dict(os.environ))
    database = None
    try:
        broker_url = None
        if args.broker == "redis":
            redis = RedisServer(processes, root / "redis")
            redis.start()
            broker_url = redis.url
        base = os.environ.get("DATABASE_URL", "")
        if base.startswith("postgres"):
            database = PostgresDatabase(base)
            database.create()
        stack = Stack(
            root,
            interval=args.interval,
            database_url=database.url if database else None,
            broker_url=broker_url,
            processes=processes,
        )
        stack.migrate()
        stack.start_celery()
        step = args.spread / max(args.deadlines - 1, 1)
        leads = [args.start + k * step for k in range(args.deadlines)]
        rows = stack.scenario("incident_with_clocks_due_in", leads=leads, tag="lateness")
        clocks = {row["deadline"]: datetime.fromisoformat(row["due_at"]) for row in rows}
        latest = max(clocks.values())
        timeout = (latest - datetime.now(latest.tzinfo)).total_seconds() + args.interval + 60
        try:
            wait_until(
                lambda: {a.deadline for a in stack.alerts_for(clocks, "due")} == set(clocks),
                timeout,
                interval=1,
                what="every 'due' alert",
            )
        except TimeoutError:
            pass  # reported as missing below
        alerts = stack.alerts_for(clocks, "due")
        lateness = sorted((a.fired_at - clocks[a.deadline]).total_seconds() for a in alerts)
        return {
            "broker": args.broker,
            "database": "postgresql" if database else "sqlite",
            "interval_s": args.interval,
            "deadlines": len(clocks),
            "alerts": len(alerts),
            "missing": len(set(clocks) - {a.deadline for a in alerts}),
            "duplicates": len(alerts) - len({a.deadline for a in alerts}),
            "lateness_s": percentiles(lateness) if lateness else None,
            "min_s": lateness[0] if lateness else None,
        }
    except Exception:
        print(processes.logs(), file=sys.stderr)
        raise
    finally:
        leftovers = processes.stop_all()
        if leftovers:
            print(f"WARNING: process groups still alive: {leftovers}", file=sys.stderr)
        if database is not None:
            database.drop()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--broker", choices=("filesystem", "redis"), default="filesystem")
    parser.add_argument("--interval", type=int, default=15, help="beat interval (BREACHTRACK_SWEEP_INTERVAL_SECONDS)")
    parser.add_argument("--deadlines", type=int, default=60)
    parser.add_argument("--start", type=float, default=10, help="seconds until the first threshold")
    parser.add_argument("--spread", type=float, default=90, help="seconds over which the thresholds fall")
    parser.add_argument("--json", metavar="FILE", help="also write the figures as JSON ('-': standard output)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bt-lateness-") as tmp:
        result = measure(args, Path(tmp))
    target = args.interval + SLACK_TARGET
    late = result["lateness_s"]
    ok = late is not None and late["p99"] <= target and result["missing"] == 0 and result["duplicates"] == 0
    print(
        f"broker {result['broker']}, database {result['database']}, interval {args.interval} s: "
        f"{result['alerts']}/{result['deadlines']} 'due' alerts, {result['missing']} missing, {result['duplicates']} duplicates"
    )
    if late:
        print(
            f"lateness  min {result['min_s']:6.2f} s  p50 {late['p50']:6.2f} s  p95 {late['p95']:6.2f} s  "
            f"p99 {late['p99']:6.2f} s  max {late['max']:6.2f} s   (target p99 <= {target} s: {'ok' if ok else 'MISSED'})"
        )
    if args.json:
        text = json.dumps(result, indent=2)
        if args.json == "-":
            print(text)
        else:
            Path(args.json).write_text(text + "\n")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
