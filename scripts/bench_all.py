#!/usr/bin/env python3
"""Run every benchmark script and print one table of their figures (what ``scripts/bench`` runs).

    scripts/bench                                   # full size, SQLite (+ PostgreSQL if DATABASE_URL)
    scripts/bench --small                           # the CI size: indicative verdicts only
    scripts/bench --pg postgres://postgres@127.0.0.1:5432/bench sweep ledger
    scripts/bench --small --db sqlite -v --json figures.jsonl

Steps:
  1. pick the rows of :data:`BENCHES` (all, or the names given) and the databases (SQLite always
     unless ``--db postgresql``; PostgreSQL when ``--pg URL`` or DATABASE_URL names one);
  2. run each (script, database) as a subprocess with a clean environment: DEBUG off, embedded
     mode, its own throw-away BREACHTRACK_VAR_DIR and, on PostgreSQL, its own database name
     ``<name>_<bench>`` next to the URL's (each script makes its throw-away database from that
     name, so two scripts never share one); at small size two at a time (2 cores), at full size
     one at a time (a figure measured beside another benchmark measures the neighbour);
  3. read each script's JSON line (``scripts/benchkit.py``: the last line of standard output that
     parses as a JSON object with a "bench" key); its own output is shown only when it fails,
     or always with ``-v``;
  4. print the table (bench, database, figure, target, measured, met, load) and the machine's
     load average and cpus; ``--json FILE`` writes every line, one per run (JSON Lines).

Exit status: 1 when a script fails (a non-zero exit with no missed target, a crash, a timeout)
or prints no JSON line; at full size also when a target is missed. At small size a missed target
is only shown, marked indicative: small sizes prove that the scripts still run, not the targets.
A script may exit non-zero because it missed a target (``sys.exit(0 if ok else 1)`` after
``benchkit.emit``): that is read as a miss, not as a failure, when its line names a missed figure;
its output is then shown too.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

SCRIPTS = Path(__file__).resolve().parent
REPO = SCRIPTS.parent
SQLITE, POSTGRESQL = "sqlite", "postgresql"
BOTH = (SQLITE, POSTGRESQL)


@dataclass(frozen=True)
class Bench:
    name: str  # what to type on the command line; also names its var dir and PostgreSQL database
    script: str  # a file in scripts/
    small: tuple[str, ...]  # arguments at --small (CI): seconds, not minutes
    full: tuple[str, ...]  # arguments at full size: the target sizes
    databases: tuple[str, ...] = BOTH


# --- The size table: the one place that says what runs, at which size, on which database. ------
# Arguments are the scripts' own (see each script's --help). Full size is what the targets are
# promised at (docs/operations.md, "Scaling": PostgreSQL on the 2-core machine); SQLite is the embedded mode.
BENCHES: tuple[Bench, ...] = (
    # The sweep with 2 members and a webhook per organisation: 1,000 due in <= 1.5 s, selection
    # <= 1.5x the same SQL run raw, idle sweep <= 5 ms with the same statements at both sizes.
    Bench(
        "sweep",
        "bench_sweep.py",
        ("--rows", "2000", "--due", "50", "--repeat", "2"),
        ("--rows", "1000000", "--due", "1000", "--repeat", "3"),
    ),
    # Alert lateness at commit and at the SMTP server, embedded mode (SQLite, filesystem broker,
    # the workers scripts/run starts): p99 <= interval + 5 s.
    Bench(
        "lateness-embedded",
        "bench_lateness.py",
        ("--modes", "embedded", "--interval", "3", "--deadlines", "10", "--start", "4", "--spread", "8"),
        ("--modes", "embedded", "--interval", "15", "--deadlines", "60"),
        (SQLITE,),
    ),
    # The same with Redis (a private redis-server), sweep worker, delivery worker and beat apart.
    Bench(
        "lateness-redis",
        "bench_lateness.py",
        ("--modes", "redis", "--interval", "3", "--deadlines", "10", "--start", "4", "--spread", "8"),
        ("--modes", "redis", "--interval", "15", "--deadlines", "60"),
        (POSTGRESQL,),
    ),
    # The call-centre lookup through gunicorn (API: median <= 5 ms, p99 <= 10 ms) and the import
    # of N recipients through a real Celery worker (1M: <= 60 s, worker peak <= 300 MB).
    Bench(
        "lookup",
        "bench_lookup.py",
        ("--recipients", "2000", "--lookups", "50"),
        ("--recipients", "1000000", "--lookups", "1000"),
    ),
    # The register page at two sizes (2,000 facts: <= 300 ms; the same queries at both sizes).
    Bench(
        "register",
        "bench_register.py",
        ("--facts", "20", "100", "--incidents", "100", "--repeat", "3"),
        ("--facts", "200", "2000"),
    ),
    # The dashboard at N open incidents (10,000: <= 100 ms, <= 10 queries).
    Bench("dashboard", "bench_dashboard.py", ("--incidents", "200", "--repeat", "2"), ("--incidents", "10000")),
    # The timeline exports at N history records (10,000: JSON and CSV <= 300 ms, PDF <= 2 s).
    Bench("timeline", "bench_timeline.py", ("--records", "1000", "--repeat", "2"), ("--records", "10000")),
    # The metrics page over N incidents with 5 filings each (10,000: <= 300 ms, constant queries).
    Bench("metrics", "bench_metrics.py", ("--incidents", "100", "--repeat", "2"), ("--incidents", "10000")),
    # Incidents under 5 confirmed regimes (GDPR, NIS2, DORA, SEC 8-K, LGPD; 10,000): the sweep over
    # 1,000 due rows of mixed kinds (<= 1.5 s, 2 members + 1 webhook each), the idle sweep (<= 5 ms,
    # statements equal at 0 and 5 regimes), recompute_deadlines and the incident page and dashboard
    # (queries equal whatever the number of regimes).
    Bench(
        "regimes",
        "bench_regimes.py",
        ("--incidents", "200", "--due", "50", "--orgs", "2", "--repeat", "2", "--samples", "5"),
        ("--incidents", "10000", "--due", "1000", "--repeat", "3"),
    ),
    # verify_audit over N chained history records (1M: <= 30 s).
    Bench("audit", "bench_audit.py", ("--records", "2000", "--organisations", "4"), ("--records", "1000000")),
)

# Variables that choose the mode or the services: a developer's shell must not leak them in.
CLEARED_ENV = (
    "BREACHTRACK_MODE",
    "DATABASE_URL",
    "CELERY_BROKER_URL",
    "BREACHTRACK_TEST_REDIS_URL",
    "DJANGO_SETTINGS_MODULE",
    "SECRET_KEY",
    "DEBUG",
    "ALLOWED_HOSTS",
    "EMAIL_HOST",
    "STATIC_ROOT",
    "BREACHTRACK_VAR_DIR",
)


@dataclass
class Run:
    bench: Bench
    database: str
    line: dict | None = None
    returncode: int | None = None
    seconds: float = 0.0
    output: str = ""
    problem: str = ""  # why the run failed; "" when it did not
    missed: list[str] = field(default_factory=list)  # figures whose target was missed

    @property
    def label(self) -> str:
        return f"{self.bench.name} on {self.database}"


def json_line(stdout: str) -> dict | None:
    """The last line of ``stdout`` that is a JSON object with a "bench" key."""
    for text in reversed(stdout.splitlines()):
        text = text.strip()
        if not text.startswith("{"):
            continue
        try:
            value = json.loads(text)
        except ValueError:
            continue
        if isinstance(value, dict) and "bench" in value:
            return value
    return None


def database_url(base: str, bench: Bench) -> str:
    """``base`` with the database name ``<name>_<bench>``: its own throw-away databases."""
    head, _, name = base.rpartition("/")
    name, query = (name.split("?", 1) + [""])[:2]
    own = re.sub(r"[^a-z0-9_]", "_", f"{name}_{bench.name}".lower())[:40]
    return f"{head}/{own}" + (f"?{query}" if query else "")


def environment(run: Run, var_dir: Path, pg_url: str | None) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key not in CLEARED_ENV}
    env.update(DEBUG="0", BREACHTRACK_VAR_DIR=str(var_dir), PYTHONUNBUFFERED="1")
    if run.database == POSTGRESQL:
        env["DATABASE_URL"] = database_url(pg_url, run.bench)
    return env


def execute(run: Run, *, small: bool, python: str, pg_url: str | None, timeout: float | None, tmp: Path) -> Run:
    """Step 2 and 3 for one run: the subprocess, its JSON line, and what went wrong."""
    var_dir = tmp / f"{run.bench.name}-{run.database}"
    var_dir.mkdir(parents=True, exist_ok=True)
    command = [python, str(SCRIPTS / run.bench.script), *(run.bench.small if small else run.bench.full)]
    began = time.monotonic()
    if _stopping:
        run.problem = "not run: interrupted"
        return run
    # Its own session, so a timeout can stop the whole group (lateness starts Celery and Redis).
    process = subprocess.Popen(
        command,
        cwd=REPO,
        env=environment(run, var_dir, pg_url),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        errors="replace",
        start_new_session=True,
    )
    _running.add(process)
    try:
        run.output, _ = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        _stop_group(process)
        run.output, _ = process.communicate()
        run.problem = f"timed out after {timeout:.0f} s"
    finally:
        _running.discard(process)
    if _stopping and not run.problem:
        run.problem = "interrupted"
    run.seconds = time.monotonic() - began
    run.returncode = process.returncode
    run.line = json_line(run.output)
    if run.line is not None:
        run.missed = [f["figure"] for f in run.line.get("figures", []) if f.get("met") is False]
    if run.problem:
        return run
    if run.line is None:
        run.problem = f"printed no JSON line (exit status {run.returncode})"
    elif run.returncode != 0 and not run.missed:
        run.problem = f"exit status {run.returncode} with every target met: it broke after measuring"
    return run


# The scripts run in their own sessions, so Ctrl-C in the terminal does not reach them: on an
# interrupt (or scripts/test's TERM) the runner stops every group it started, then exits.
_running: set[subprocess.Popen] = set()
_stopping = False


def _stop_everything(signum=None, frame=None) -> None:
    global _stopping
    _stopping = True
    for process in list(_running):
        _stop_group(process)
    if signum is not None:
        raise SystemExit(128 + signum)


def _stop_group(process: subprocess.Popen) -> None:
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(timeout=10)
            return
        except subprocess.TimeoutExpired:
            continue


def indicative(run: Run, small: bool) -> bool:
    """A verdict is a promise only at full size, as the script itself judged its size."""
    return small or not (run.line or {}).get("full_size", True)


def _number(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:,.3g}" if abs(value) < 100 else f"{value:,.0f}"
    return f"{value:,}" if isinstance(value, int) else str(value)


def _verdict(figure: dict, indicative_: bool) -> str:
    met = figure.get("met")
    if met is None:
        return "-"
    if indicative_:  # a small size promises nothing: said quietly
        return "yes (indicative)" if met else "missed (indicative)"
    return "yes" if met else "MISSED"


def table(runs: list[Run], small: bool) -> list[str]:
    """Step 4: one row per figure; a failed run is one row saying why."""
    rows = [("bench", "database", "figure", "target", "measured", "met", "load")]
    for run in runs:
        line = run.line or {}
        load = line.get("load_average") or []
        load_text = " -> ".join(f"{value:.2f}" for value in load)
        bench = line.get("bench", run.bench.name)
        database = line.get("database", run.database)
        if run.problem:
            rows.append((bench, database, run.problem, "", "", "FAILED", load_text))
        for figure in line.get("figures", []):
            unit = figure.get("unit") or ""
            target = figure.get("target")
            target_text = (
                "" if target is None else f"{figure.get('comparison') or '<='} {_number(target)} {unit}".strip()
            )
            rows.append(
                (
                    bench,
                    database,
                    figure.get("figure", "?"),
                    target_text,
                    f"{_number(figure.get('measured'))} {unit}".strip(),
                    _verdict(figure, indicative(run, small)),
                    load_text,
                )
            )
            bench = database = load_text = ""  # said once per run
    widths = [max(len(str(row[i])) for row in rows) for i in range(len(rows[0]))]
    lines = [
        "  ".join(str(cell).ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip() for row in rows
    ]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return lines


def choose(names: list[str], databases: list[str], benches: tuple[Bench, ...]) -> list[Run]:
    known = {bench.name: bench for bench in benches}
    unknown = [name for name in names if name not in known]
    if unknown:
        raise SystemExit(f"scripts/bench: unknown benchmark {', '.join(unknown)} (known: {', '.join(known)})")
    chosen = [known[name] for name in names] if names else list(benches)
    return [Run(bench, database) for bench in chosen for database in databases if database in bench.databases]


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="scripts/bench", description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("names", nargs="*", metavar="BENCH", help="only these rows of the size table")
    parser.add_argument("--small", action="store_true", help="the CI size; missed targets are only shown")
    parser.add_argument("--pg", metavar="URL", help="PostgreSQL to make throw-away databases next to (DATABASE_URL)")
    parser.add_argument("--db", choices=(SQLITE, POSTGRESQL), action="append", help="only this database (repeatable)")
    parser.add_argument("--jobs", type=int, help="scripts at once (default: 2 at --small, 1 at full size)")
    parser.add_argument("--timeout", type=float, help="seconds per script (default: 900 at --small, none at full size)")
    parser.add_argument("--json", metavar="FILE", help="write every run's JSON line to FILE (JSON Lines)")
    parser.add_argument("-v", "--verbose", action="store_true", help="show every script's own output")
    parser.add_argument("--list", action="store_true", help="print the size table and exit")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None, *, benches: tuple[Bench, ...] = BENCHES, python: str = sys.executable) -> int:
    """Steps 1-4; ``benches`` and ``python`` are parameters so that tests can run tiny fakes."""
    global _stopping
    _stopping = False
    args = parse(argv)
    if args.list:
        for bench in benches:
            print(f"{bench.name:18s} {bench.script:18s} {'/'.join(bench.databases):18s}")
            print(f"{'':18s} small: {' '.join(bench.small)}\n{'':18s} full:  {' '.join(bench.full)}")
        return 0
    pg_url = args.pg or os.environ.get("DATABASE_URL") or None
    if pg_url and not pg_url.startswith(("postgres://", "postgresql://")):
        print(f"scripts/bench: --pg / DATABASE_URL must be a postgres:// URL, not {pg_url!r}", file=sys.stderr)
        return 2
    databases = args.db or ([SQLITE, POSTGRESQL] if pg_url else [SQLITE])
    if POSTGRESQL in databases and not pg_url:
        print("scripts/bench: --db postgresql needs --pg URL (or DATABASE_URL)", file=sys.stderr)
        return 2
    runs = choose(args.names, databases, benches)
    if not runs:
        print("scripts/bench: nothing to run on the databases chosen", file=sys.stderr)
        return 2
    jobs = max(1, args.jobs or (2 if args.small else 1))
    timeout = args.timeout or (900.0 if args.small else None)
    size = "small (CI; verdicts indicative)" if args.small else "full"
    load_before = os.getloadavg()
    print(f"== benchmarks: {len(runs)} runs at {size} size, {jobs} at a time ==", flush=True)
    tmp = Path(tempfile.mkdtemp(prefix="breachtrack-bench-"))
    previous = signal.signal(signal.SIGTERM, _stop_everything)
    pool = ThreadPoolExecutor(max_workers=jobs)
    try:
        futures = [
            pool.submit(execute, run, small=args.small, python=python, pg_url=pg_url, timeout=timeout, tmp=tmp)
            for run in runs
        ]
        for future in futures:  # in table order; the output of each is printed whole
            report_one(future.result(), args.verbose)
    except BaseException:  # Ctrl-C, TERM: no script outlives the runner
        _stop_everything()
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        signal.signal(signal.SIGTERM, previous)
        shutil.rmtree(tmp, ignore_errors=True)
    load_after = os.getloadavg()
    print()
    print("\n".join(table(runs, args.small)))
    print(
        f"\nload average (1, 5, 15 min): {' '.join(f'{v:.2f}' for v in load_before)} at start, "
        f"{' '.join(f'{v:.2f}' for v in load_after)} at end; cpus {os.cpu_count()}; size {size}"
    )
    if args.json:
        write_json(Path(args.json), runs)
    return verdict(runs, args.small)


def report_one(run: Run, verbose: bool) -> None:
    state = f"FAILED: {run.problem}" if run.problem else ("missed " + "; ".join(run.missed) if run.missed else "ok")
    print(f"-- {run.label}: {state} ({run.seconds:.0f} s)", flush=True)
    if verbose or run.problem or run.returncode != 0:
        print(run.output.rstrip(), flush=True)


def write_json(path: Path, runs: list[Run]) -> None:
    """One line per run: the script's own line, or for a failed run one that says why."""
    with path.open("w", encoding="utf-8") as handle:
        for run in runs:
            line = run.line or {"bench": run.bench.name, "database": run.database, "figures": []}
            if run.problem:
                line = {**line, "failed": run.problem}
            handle.write(json.dumps(line, default=str) + "\n")


def verdict(runs: list[Run], small: bool) -> int:
    failed = [run.label for run in runs if run.problem]
    missed = [run.label for run in runs if run.missed and not run.problem and not indicative(run, small)]
    if failed:
        print(f"FAILED: {', '.join(failed)}", file=sys.stderr)
    if missed:
        print(f"MISSED a target at full size: {', '.join(missed)}", file=sys.stderr)
    return 1 if failed or missed else 0


if __name__ == "__main__":
    sys.exit(main())
