#!/usr/bin/env python3
"""Benchmark the call-centre lookup and the recipient import as a user waits for them.

    .venv/bin/python scripts/bench_lookup.py --recipients 2000 --lookups 100          # SQLite (CI)
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bt_bench CELERY_BROKER_URL=redis://127.0.0.1:6379/3 \\
        .venv/bin/python scripts/bench_lookup.py --recipients 2000 --lookups 100      # PostgreSQL (CI)
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bt_bench CELERY_BROKER_URL=redis://127.0.0.1:6379/3 \\
        .venv/bin/python scripts/bench_lookup.py --recipients 1000000 --lookups 2000  # full size

Everything runs as in production, out of process, with DEBUG off:
  * the web is **gunicorn** (2 sync workers, as ``scripts/run`` starts it; production mode on
    PostgreSQL, behind a TLS proxy: the client sends X-Forwarded-Proto), the worker a real
    ``celery worker`` (prefork, one child) consuming the broker (``CELERY_BROKER_URL``, default
    Redis db 3 on PostgreSQL; on SQLite the embedded mode and its filesystem broker);
  * a throw-away database: ``<name>_lookupbench`` next to DATABASE_URL's (PostgreSQL), or a file
    in a temporary var dir (SQLite); dropped at the end. This process migrates it and makes the
    people through the services (an organisation, an officer with an API token, a call-centre
    agent with a viewer token and a session, an incident, a wave).
Steps:
  1. ``--recipients`` valid BSNs written to a CSV; uploaded through ``POST
     /api/incidents/{i}/waves/{w}/imports/`` (the officer's token); the clock runs from the
     upload's first byte until the job row says done (``finished_at``); the worker's peak RSS is
     the largest ``VmHWM`` of its processes (master and pool child), read from /proc after the job;
  2. ``--lookups`` lookups of random recipients through ``POST /api/lookup/`` (the agent's viewer
     token, a new connection each, as gunicorn's sync workers close it), timed at the client, and
     as many through the lookup page (session cookie + CSRF token, ``POST /communications/lookup/``);
     every answer is checked (the wave found, the page shows it);
  3. the queries of one lookup through each, counted in this process through Django's test
     client against the same database and settings (the WSGI stack without the network);
  4. ``--profile [api|page]``: cProfile of ``--lookups`` in-process lookups through the API (the
     default) or the page, the top functions printed.
Targets (PostgreSQL, 2 cores, quiet): API median <= 5 ms, p99 <= 10 ms; the page's figures are
shown beside the API's, not judged (the target is the API's: what call-centre software calls; the
page also loads a session, checks CSRF and writes the layout); 1M import <= 60 s with worker peak
<= 300 MB. Ends with benchkit's JSON line;
``--check`` exits 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import random
import re
import secrets
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import requests
from benchkit import Figure, emit, percentile

from tests.e2e.stack import BIN, CLEARED_ENV, PostgresDatabase, Processes, free_port, wait_until

API_MEDIAN_MS, API_P99_MS = 5, 10
IMPORT_S, WORKER_PEAK_MB = 60, 300
FULL_SIZE = 1_000_000
HOST = "127.0.0.1"


# --- Data ----------------------------------------------------------------------------------------
def bsn_from(number: int) -> str | None:
    """The valid BSN whose first eight digits are ``number``, or None (check digit would be 10)."""
    head = f"{number:08d}"
    check = sum(int(d) * w for d, w in zip(head, range(9, 1, -1), strict=False)) % 11
    return None if check == 10 else head + str(check)


def write_csv(path: Path, count: int) -> list[str]:
    """Write ``count`` distinct valid BSNs; return a sample of up to 10,000 for the lookups."""
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


def populate() -> dict:
    from django.conf import settings
    from django.test import Client

    from actions import communications as comms
    from actions import incidents as services
    from api import tokens
    from breachtrack.history import system_actor
    from organisations import services as org_services
    from organisations.models import Role

    admin = system_actor("benchmark")
    lab = org_services.create_organisation(name="Bench Lab", country="NL", actor=admin, reason="benchmark")

    def member(name: str, role: str):
        user = org_services.create_user(
            username=f"{name}@lab.example", email=f"{name}@lab.example", password=None, actor=admin, reason="benchmark"
        )
        org_services.add_member(lab, user, role=role, actor=admin, reason="benchmark")
        return user

    officer = member("officer", Role.PRIVACY_OFFICER)
    agent = member("agent", Role.VIEWER)  # the call centre reads only
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
    expires = datetime.now(UTC) + timedelta(days=30)

    def token(user, role: str) -> str:
        made = tokens.create_api_token(
            organisation=lab, user=user, role=role, name="bench", expires_at=expires, actor=admin, reason="benchmark"
        )
        return made.secret

    browser = Client()
    browser.force_login(agent)
    return {
        "lab": lab,
        "agent": agent,
        "incident": incident,
        "wave": wave,
        "officer_token": token(officer, Role.PRIVACY_OFFICER),
        "agent_token": token(agent, Role.VIEWER),
        "session": browser.cookies[settings.SESSION_COOKIE_NAME].value,
    }


# --- The stack -----------------------------------------------------------------------------------
def environment(database_url: str | None, broker_url: str | None, var_dir: Path) -> dict[str, str]:
    """The environment of this process and of gunicorn and the worker (the same settings)."""
    env = {k: v for k, v in os.environ.items() if k not in CLEARED_ENV}
    env.update({"BREACHTRACK_VAR_DIR": str(var_dir), "DEBUG": "false", "PYTHONUNBUFFERED": "1", "ALLOWED_HOSTS": HOST})
    env["DJANGO_SETTINGS_MODULE"] = "breachtrack.settings"
    if database_url:  # production mode, as deployed: PostgreSQL, Redis, TLS at the proxy
        env.update(
            {
                "BREACHTRACK_MODE": "production",
                "DATABASE_URL": database_url,
                "CELERY_BROKER_URL": broker_url or "redis://127.0.0.1:6379/3",
                "SECRET_KEY": secrets.token_urlsafe(48),
                "BREACHTRACK_LEDGER_KEY": secrets.token_urlsafe(32),
                "BEHIND_TLS_PROXY": "true",
                "BREACHTRACK_BASE_URL": "https://breachtrack.example",
            }
        )
    return env


def start_web(processes: Processes) -> str:
    port = free_port()
    processes.start(
        "web",
        [
            str(BIN / "gunicorn"),
            "breachtrack.wsgi:application",
            "--bind",
            f"{HOST}:{port}",
            "--workers",
            "2",
            "--error-logfile",
            "-",
            "--no-control-socket",
            "--logger-class",
            "breachtrack.gunicorn_logging.RedactingLogger",
        ],
    )
    url = f"http://{HOST}:{port}"

    def answers() -> bool:
        try:
            requests.get(url + "/", timeout=2, allow_redirects=False)
            return True
        except requests.RequestException:
            return False

    wait_until(answers, 60, what="gunicorn")
    return url


def start_worker(processes: Processes) -> int:
    argv = [str(BIN / "celery"), "-A", "breachtrack", "worker", "--concurrency=1", "--loglevel=INFO"]
    argv += ["--without-gossip", "--without-mingle", "--without-heartbeat", "-n", f"bench{uuid.uuid4().hex[:6]}@%h"]
    process = processes.start("worker", argv)
    processes.wait_for_log("worker", " ready.", 90)
    return process.pid


def process_tree(pid: int) -> list[int]:
    found, pending = [], [pid]
    while pending:
        current = pending.pop()
        found.append(current)
        children = Path(f"/proc/{current}/task/{current}/children")
        if children.exists():
            pending += [int(child) for child in children.read_text().split()]
    return found


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time of these processes so far (what the shared machine's load cannot inflate)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / ticks  # utime, stime (fields 14 and 15)
    return total


def peak_rss_mb(pids: list[int]) -> dict[int, float]:
    """VmHWM (peak resident set) of each process, in MB."""
    peaks = {}
    for pid in pids:
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        match = re.search(r"^VmHWM:\s+(\d+) kB", status, re.MULTILINE)
        if match:
            peaks[pid] = int(match.group(1)) / 1024
    return peaks


# --- Measuring -----------------------------------------------------------------------------------
SECURE = {"X-Forwarded-Proto": "https"}  # what the TLS proxy adds (trusted in production mode only)


def run_import(url: str, world: dict, path: Path, worker_pid: int) -> dict:
    from communications.models import ImportJob

    wave, incident = world["wave"], world["incident"]
    endpoint = f"{url}/api/incidents/{incident.pk}/waves/{wave.pk}/imports/"
    cpu_before = cpu_seconds(process_tree(worker_pid))
    started_at = datetime.now(UTC)
    began = time.perf_counter()
    with path.open("rb") as handle:
        response = requests.post(
            endpoint,
            headers={"Authorization": f"Bearer {world['officer_token']}", **SECURE},
            data={"reason": "benchmark letters"},
            files={"file": ("recipients.csv", handle, "text/csv")},
            timeout=600,
        )
    upload_s = time.perf_counter() - began
    if response.status_code != 202:
        raise RuntimeError(f"upload answered {response.status_code}: {response.text[:500]}")
    job_id = response.json()["id"]

    def ended():
        job = ImportJob.objects.get(pk=job_id)
        return job if job.finished_at is not None else None

    job = wait_until(ended, 1800, interval=0.05, what="the import job to end")
    if job.state != ImportJob.State.DONE:
        raise RuntimeError(f"import job ended {job.state}: {job.messages}")
    peaks = peak_rss_mb(process_tree(worker_pid))
    return {
        "worker_cpu_s": cpu_seconds(process_tree(worker_pid)) - cpu_before,
        "upload_s": upload_s,
        "seconds": (job.finished_at - started_at).total_seconds(),
        "rows": job.rows_written,
        "worker_peak_mb": max(peaks.values()),
        "peaks": peaks,
    }


def time_api(url: str, world: dict, identifiers: list[str]) -> list[float]:
    headers = {"Authorization": f"Bearer {world['agent_token']}", "Content-Type": "application/json", **SECURE}
    timings = []
    for bsn in identifiers:
        body = f'{{"kind": "bsn", "identifier": "{bsn}"}}'
        began = time.perf_counter()
        response = requests.post(f"{url}/api/lookup/", data=body, headers=headers, timeout=30)
        timings.append((time.perf_counter() - began) * 1000)
        contacts = response.json()["contacts"] if response.status_code == 200 else None
        if not contacts or contacts[0]["wave"] != world["wave"].pk:
            raise RuntimeError(f"API lookup answered {response.status_code}: {response.text[:300]}")
    return timings


def time_page(url: str, world: dict, identifiers: list[str]) -> list[float]:
    from django.conf import settings

    page = f"{url}/communications/lookup/"
    cookies = {settings.SESSION_COOKIE_NAME: world["session"]}
    first = requests.get(page, headers=SECURE, cookies=cookies, timeout=30, allow_redirects=False)
    if first.status_code != 200:
        raise RuntimeError(f"lookup page answered {first.status_code}")
    csrf_cookie = first.cookies[settings.CSRF_COOKIE_NAME]
    cookies[settings.CSRF_COOKIE_NAME] = csrf_cookie
    form_token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', first.text).group(1)
    headers = {**SECURE, "Origin": f"https://{HOST}:{url.rsplit(':', 1)[1]}", "Referer": page.replace("http", "https")}
    timings = []
    for bsn in identifiers:
        form = {
            "csrfmiddlewaretoken": form_token,
            "organisation": world["lab"].pk,
            "kind": "bsn",
            "identifier": bsn,
        }
        began = time.perf_counter()
        response = requests.post(page, data=form, headers=headers, cookies=cookies, timeout=30, allow_redirects=False)
        timings.append((time.perf_counter() - began) * 1000)
        if response.status_code != 200 or world["incident"].reference not in response.text:
            raise RuntimeError(f"lookup page answered {response.status_code}: {response.text[:300]}")
    return timings


def in_process_client(world: dict, *, page: bool):
    """Django's test client with the same settings and database (for query counts and profiles)."""
    from django.test import Client

    client = Client(HTTP_HOST=HOST, HTTP_X_FORWARDED_PROTO="https", enforce_csrf_checks=False)
    if page:
        client.force_login(world["agent"])
        return lambda bsn: client.post(
            "/communications/lookup/", {"organisation": world["lab"].pk, "kind": "bsn", "identifier": bsn}
        )
    return lambda bsn: client.post(
        "/api/lookup/",
        {"kind": "bsn", "identifier": bsn},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {world['agent_token']}",
    )


def count_queries(world: dict, identifiers: list[str], *, page: bool) -> tuple[int, list[str]]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    call = in_process_client(world, page=page)
    call(identifiers[0])  # warm: the organisation key, the first session load of the page
    with CaptureQueriesContext(connection) as captured:
        response = call(identifiers[1])
    assert response.status_code == 200, response.status_code
    return len(captured), [query["sql"][:160] for query in captured.captured_queries]


def profile(world: dict, identifiers: list[str], *, page: bool) -> str:
    call = in_process_client(world, page=page)
    for bsn in identifiers[:20]:
        call(bsn)
    profiler = cProfile.Profile()
    began = time.perf_counter()
    profiler.enable()
    for bsn in identifiers:
        call(bsn)
    profiler.disable()
    each = (time.perf_counter() - began) * 1000 / len(identifiers)
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("cumulative").print_stats(45)
    stats.sort_stats("tottime").print_stats(25)
    through = "page" if page else "API"
    return f"in-process {through} lookup, profiled: {each:.2f} ms each\n" + out.getvalue()


def summary(label: str, timings: list[float]) -> str:
    return (
        f"{label}: median {statistics.median(timings):.2f} ms   p99 {percentile(timings, 0.99):.2f} ms"
        f"   max {max(timings):.2f} ms   (n={len(timings)})"
    )


# --- Main ----------------------------------------------------------------------------------------
def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--recipients", type=int, default=FULL_SIZE)
    parser.add_argument("--lookups", type=int, default=1000)
    parser.add_argument(
        "--profile",
        nargs="?",
        const="api",
        choices=("api", "page"),
        help="print a cProfile of in-process lookups through the API (the default) or the page",
    )
    parser.add_argument("--show-queries", action="store_true", help="print the SQL of one lookup")
    parser.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args()

    root = Path(tempfile.mkdtemp(prefix="bench-lookup-"))
    base_url = os.environ.get("DATABASE_URL", "")
    database = PostgresDatabase(base_url, suffix="lookupbench") if base_url.startswith("postgres") else None
    if base_url and database is None:
        raise SystemExit("DATABASE_URL must be a PostgreSQL URL (or unset: SQLite)")
    env = environment(database.url if database else None, os.environ.get("CELERY_BROKER_URL"), root / "var")
    os.environ.clear()
    os.environ.update(env)
    processes = Processes(root / "logs", env)
    try:
        if database:
            database.create()
        import django

        django.setup()
        from django.core.management import call_command
        from django.db import connection

        call_command("migrate", verbosity=0, interactive=False)
        call_command("collectstatic", verbosity=0, interactive=False)  # the manifest pages are served from
        world = populate()
        csv_path = root / "recipients.csv"
        sample = write_csv(csv_path, args.recipients)
        worker_pid = start_worker(processes)
        url = start_web(processes)
        connection.close()  # the polling below opens its own, in autocommit

        imported = run_import(url, world, csv_path, worker_pid)
        print(
            f"database: {connection.vendor}; {args.recipients:,} recipients ({csv_path.stat().st_size / 1e6:.1f} MB) "
            f"through the API and the Celery worker: {imported['seconds']:.1f} s from upload to done "
            f"(upload answered in {imported['upload_s']:.2f} s; worker CPU {imported['worker_cpu_s']:.1f} s); worker peak RSS {imported['worker_peak_mb']:.0f} MB "
            f"(per process: {', '.join(f'{mb:.0f}' for mb in imported['peaks'].values())})"
        )

        warm = random.choices(sample, k=20)
        time_api(url, world, warm)
        time_page(url, world, warm)
        load_before = os.getloadavg()[0]
        web = process_tree(processes.running["web"].pid)
        cpu_before = cpu_seconds(web)
        api = time_api(url, world, random.choices(sample, k=args.lookups))
        api_cpu = (cpu_seconds(web) - cpu_before) * 1000 / args.lookups
        cpu_before = cpu_seconds(web)
        page = time_page(url, world, random.choices(sample, k=args.lookups))
        page_cpu = (cpu_seconds(web) - cpu_before) * 1000 / args.lookups
        load = " / ".join(f"{value:.2f}" for value in os.getloadavg())
        print(summary(f"API  POST /api/lookup/ (gunicorn, viewer token; load {load})", api))
        print(summary("page POST /communications/lookup/ (gunicorn, session)", page))
        api_queries, api_sql = count_queries(world, sample, page=False)
        page_queries, page_sql = count_queries(world, sample, page=True)
        print(f"queries per lookup: API {api_queries}, page {page_queries}")
        print(f"gunicorn CPU per lookup: API {api_cpu:.2f} ms, page {page_cpu:.2f} ms")
        if args.show_queries:
            for label, sql in (("API", api_sql), ("page", page_sql)):
                for line in sql:
                    print(f"    {label}: {line}")
        if args.profile:
            print(profile(world, random.choices(sample, k=args.lookups), page=args.profile == "page"))
        del load_before
    except Exception:
        print(processes.logs()[-6000:], file=sys.stderr)  # what gunicorn and the worker said
        raise
    finally:
        leftovers = processes.stop_all()
        from django.db import connections

        connections.close_all()
        if database:
            database.drop()
        shutil.rmtree(root, ignore_errors=True)
        if leftovers:
            print(f"WARNING: still running: {leftovers}", file=sys.stderr)

    full = args.recipients >= FULL_SIZE
    ok = emit(
        "lookup",
        [
            Figure("lookup through the API, median", statistics.median(api), "ms", target=API_MEDIAN_MS),
            Figure("lookup through the API, p99", percentile(api, 0.99), "ms", target=API_P99_MS),
            # Shown, not judged: the target is the API's (what call-centre software calls). The page
            # also loads the session, checks the CSRF token and writes the whole layout.
            Figure(
                "lookup through the page, median",
                statistics.median(page),
                "ms",
                detail=f"shown only; the API's target is {API_MEDIAN_MS} ms",
            ),
            Figure(
                "lookup through the page, p99",
                percentile(page, 0.99),
                "ms",
                detail=f"shown only; the API's target is {API_P99_MS} ms",
            ),
            Figure("queries per API lookup", api_queries, "queries"),
            Figure("gunicorn CPU per API lookup", api_cpu, "ms"),
            Figure("gunicorn CPU per page lookup", page_cpu, "ms"),
            Figure("queries per page lookup", page_queries, "queries"),
            Figure(
                f"import of {args.recipients:,} recipients through Celery, upload to done",
                imported["seconds"],
                "s",
                target=IMPORT_S,
                detail="the target is for 1M recipients",
            ),
            Figure("import worker CPU time", imported["worker_cpu_s"], "s"),
            Figure("import worker peak RSS", imported["worker_peak_mb"], "MB", target=WORKER_PEAK_MB),
        ],
        size={"recipients": args.recipients, "lookups": args.lookups},
        full_size=full,
    )
    return 1 if args.check and not ok else 0


if __name__ == "__main__":
    sys.exit(main())
