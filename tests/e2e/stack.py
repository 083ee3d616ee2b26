"""Run BreachTrack's real processes for end-to-end tests and benchmarks.

Everything runs out of process, as in production: ``manage.py migrate`` and the data script in
subprocesses, Celery worker and beat as subprocesses (each the leader of its own process group,
so a kill reaches the pool children too), a private ``redis-server`` on a free port when a Redis
broker is wanted, a throw-away PostgreSQL database when PostgreSQL is wanted. The database is
read back directly (sqlite3 / psycopg), never through pytest-django's test database, which the
subprocesses could not see. gunicorn (``Stack.start_web``) as scripts/run starts it in production,
and a local SMTP server (``Mailbox``) that counts what arrives.

Used by ``tests/e2e``, ``scripts/bench_lateness.py``, ``scripts/bench_lookup.py`` and ``scripts/load_fault.py``. Every process output goes to a file in
the run's folder; :meth:`Stack.logs` returns them all for a failure report.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from email import message_from_bytes
from pathlib import Path

import requests
from aiosmtpd.controller import Controller

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent  # the venv's bin: celery sits beside python
# Variables that choose the mode or the services: never inherited from the caller's shell.
CLEARED_ENV = (
    "BREACHTRACK_MODE",
    "DATABASE_URL",
    "CELERY_BROKER_URL",
    "BREACHTRACK_TEST_REDIS_URL",
    "BREACHTRACK_VAR_DIR",
    "BREACHTRACK_SWEEP_INTERVAL_SECONDS",
    "DJANGO_SETTINGS_MODULE",
    "SECRET_KEY",
    "DEBUG",
    "ALLOWED_HOSTS",
    "EMAIL_HOST",
    "EMAIL_PORT",
    "EMAIL_USE_TLS",
    "EMAIL_HOST_USER",
    "EMAIL_HOST_PASSWORD",
    "STATIC_ROOT",
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(predicate, timeout: float, interval: float = 0.2, what: str = "condition"):
    """Poll ``predicate`` until it returns something truthy; that value, or TimeoutError."""
    end = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= end:
            raise TimeoutError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)


@dataclass(frozen=True)
class Alert:
    deadline: int
    label: str
    due_at: datetime
    fired_at: datetime


class Mailbox:
    """An aiosmtpd server on a free port, and what it received: ``messages`` (``email.message.Message``) and, at the
    same index, ``arrived_at`` (aware UTC), so a test can tell how late a mail came."""

    def __init__(self):
        self.messages = []
        self.arrived_at = []
        self._lock = threading.Lock()
        self._controller = None

    def start(self) -> None:
        """Listen on a free port; ``env`` then points BreachTrack's e-mail settings at it."""
        self._controller = Controller(self, hostname="127.0.0.1", port=free_port())
        self._controller.start()
        self.port = self._controller.port
        self.env = {"EMAIL_HOST": "127.0.0.1", "EMAIL_PORT": str(self.port), "EMAIL_USE_TLS": "false"}

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd handler hook
        with self._lock:
            self.messages.append(message_from_bytes(envelope.original_content or envelope.content))
            self.arrived_at.append(datetime.now(UTC))
        return "250 OK"

    def by_message_id(self) -> dict[str, list[datetime]]:
        """Arrival times per Message-ID: a repeat of the same delivery shows as two entries."""
        with self._lock:
            arrivals: dict[str, list[datetime]] = {}
            for message, at in zip(self.messages, self.arrived_at, strict=False):
                arrivals.setdefault(message["Message-ID"], []).append(at)
            return arrivals


class Processes:
    """Named subprocesses, each in its own session; output appended to ``<dir>/<name>.log``."""

    def __init__(self, log_dir: Path, env: dict[str, str]):
        self.log_dir = log_dir
        self.env = env
        self.running: dict[str, subprocess.Popen] = {}
        self.log_dir.mkdir(parents=True, exist_ok=True)

    def log_path(self, name: str) -> Path:
        return self.log_dir / f"{name}.log"

    def start(self, name: str, argv: list[str], env: dict[str, str] | None = None) -> subprocess.Popen:
        if name in self.running and self.running[name].poll() is None:
            raise RuntimeError(f"{name} is already running")
        with self.log_path(name).open("a") as log:
            log.write(f"\n===== {name} started {datetime.now(UTC).isoformat()}: {' '.join(argv)}\n")
            log.flush()
            process = subprocess.Popen(
                argv,
                cwd=REPO,
                env=env or self.env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: killpg reaches Celery's pool children
            )
        self.running[name] = process
        return process

    def signal(self, name: str, sig: int = signal.SIGKILL) -> None:
        """Signal the whole group of ``name`` and reap its leader (SIGKILL: as a crash would)."""
        process = self.running[name]
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            pass
        if sig == signal.SIGKILL:
            process.wait(timeout=10)
            _wait_group_gone(process.pid, 10)

    def log(self, name: str) -> str:
        path = self.log_path(name)
        return path.read_text(errors="replace") if path.exists() else ""

    def wait_for_log(self, name: str, text: str, timeout: float) -> None:
        """Wait for ``text`` in the output of ``name`` since its last start."""

        def seen():
            if self.running[name].poll() is not None:
                raise RuntimeError(f"{name} exited with {self.running[name].returncode} before saying {text!r}")
            return text in self.log(name).rsplit("===== ", 1)[-1]

        wait_until(seen, timeout, what=f"{name} to say {text!r}")

    def stop_all(self, grace: float = 1) -> list[str]:
        """TERM every group, KILL what is left after ``grace`` s; the names of groups still alive.

        The grace is short on purpose: the tests never rely on a clean shutdown (Celery's embedded
        beat can hang in it), and a crash is what the alerts must survive anyway.
        """
        for process in self.running.values():
            _killpg(process.pid, signal.SIGTERM)
        end = time.monotonic() + grace
        while time.monotonic() < end and any(_group_alive(p.pid) for p in self.running.values()):
            time.sleep(0.1)
        for process in self.running.values():
            _killpg(process.pid, signal.SIGKILL)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass
        leftovers = [name for name, p in self.running.items() if not _wait_group_gone(p.pid, 5)]
        self.running.clear()
        return leftovers

    def logs(self) -> str:
        return "\n".join(
            f"----- {path.name} -----\n{path.read_text(errors='replace')}"
            for path in sorted(self.log_dir.glob("*.log"))
        )


def _killpg(pgid: int, sig: int) -> None:
    try:
        os.killpg(pgid, sig)
    except ProcessLookupError:
        pass


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _wait_group_gone(pgid: int, timeout: float) -> bool:
    end = time.monotonic() + timeout
    while _group_alive(pgid):
        if time.monotonic() >= end:
            return False
        time.sleep(0.05)
    return True


class RedisServer:
    """A private redis-server on a free port, no persistence: stopping it loses its queues."""

    def __init__(self, processes: Processes, workdir: Path, port: int | None = None):
        self.processes = processes
        self.workdir = workdir
        self.port = port or free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        workdir.mkdir(parents=True, exist_ok=True)

    def start(self) -> None:
        self.processes.start(
            "redis",
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.workdir),
                "--daemonize",
                "no",
            ],
        )
        wait_until(self.answers, 15, what=f"redis-server on port {self.port}")

    def crash(self) -> None:
        self.processes.signal("redis", signal.SIGKILL)

    def answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(64).startswith(b"+PONG")
        except OSError:
            return False


class PostgresDatabase:
    """A throw-away database next to the one ``base_url`` names: ``<name>_e2e_<random>``."""

    def __init__(self, base_url: str, suffix: str | None = None):
        import dj_database_url

        self.base = dj_database_url.parse(base_url)
        self.name = f"{self.base['NAME']}_e2e_{suffix or uuid.uuid4().hex[:8]}"
        self.url = base_url.rsplit("/", 1)[0] + "/" + self.name

    def _admin(self):
        import psycopg

        return psycopg.connect(
            dbname="postgres",
            user=self.base["USER"],
            password=self.base["PASSWORD"] or None,
            host=self.base["HOST"],
            port=self.base["PORT"] or 5432,
            autocommit=True,
        )

    def create(self) -> None:
        with self._admin() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{self.name}"')

    def drop(self) -> None:
        with self._admin() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')

    def connect(self):
        import psycopg

        return psycopg.connect(
            dbname=self.name,
            user=self.base["USER"],
            password=self.base["PASSWORD"] or None,
            host=self.base["HOST"],
            port=self.base["PORT"] or 5432,
            autocommit=True,
        )


ALERTS_SQL = "SELECT deadline_id, label, due_at, fired_at FROM notifications_alertevent ORDER BY fired_at, id"
DELIVERIES_SQL = (
    "SELECT e.deadline_id, e.label, d.id, d.alert_event_id, d.channel, d.status"
    " FROM notifications_delivery d JOIN notifications_alertevent e ON e.id = d.alert_event_id ORDER BY d.id"
)


@dataclass(frozen=True)
class DeliveryRow:
    deadline: int
    label: str
    id: int
    alert_event: int
    channel: str
    status: str

    @property
    def message_id_stem(self) -> str:
        """How notifications.models.Delivery.message_id starts: the part that names this delivery."""
        return f"<alert-{self.alert_event}.delivery-{self.id}@"


class Stack:
    """One BreachTrack installation in a temporary folder: database, broker, worker, beat.

    ``database_url`` None: the embedded SQLite file under the var dir. ``broker_url`` None: the
    embedded filesystem broker (worker with ``-B``); a Redis URL: worker and a separate beat.
    ``extra_env`` reaches every subprocess (e.g. EMAIL_HOST/EMAIL_PORT of a local SMTP server).
    ``worker_concurrency``: pool processes of the deliveries worker (1 keeps tests light;
    scripts/run leaves Celery's default, one per CPU).
    """

    def __init__(
        self,
        root: Path,
        *,
        interval: int = 2,
        database_url: str | None = None,
        broker_url: str | None = None,
        extra_env: dict[str, str] | None = None,
        processes: Processes | None = None,
        worker_concurrency: int = 1,
    ):
        self.root = root
        self.var_dir = root / "var"
        self.var_dir.mkdir(parents=True, exist_ok=True)
        self.interval = interval
        self.database_url = database_url
        self.broker_url = broker_url
        self.worker_concurrency = worker_concurrency  # the deliveries worker's pool (the sweep's is 1)
        env = {k: v for k, v in os.environ.items() if k not in CLEARED_ENV}
        env.update(
            {
                "BREACHTRACK_VAR_DIR": str(self.var_dir),
                "BREACHTRACK_SWEEP_INTERVAL_SECONDS": str(interval),
                "PYTHONUNBUFFERED": "1",
            }
        )
        if database_url:
            env["DATABASE_URL"] = database_url
        if broker_url:
            env["CELERY_BROKER_URL"] = broker_url
        env.update(extra_env or {})
        self.env = env
        self.processes = processes or Processes(root / "logs", env)
        self.processes.env = env

    # --- Django in subprocesses ---------------------------------------------------------------
    def manage(self, *args: str, timeout: float = 180) -> str:
        result = subprocess.run(
            [str(BIN / "python"), "manage.py", *args],
            cwd=REPO,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        with self.processes.log_path("manage").open("a") as log:
            log.write(f"\n===== manage.py {args[0]} (exit {result.returncode})\n{result.stdout}{result.stderr}")
        if result.returncode != 0:
            raise RuntimeError(
                f"manage.py {' '.join(args[:1])} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}"
            )
        return result.stdout

    def migrate(self) -> None:
        self.manage("migrate", "--noinput", "-v", "0")

    def scenario(self, function: str, **kwargs):
        """Run ``tests.e2e.scenario.<function>(**kwargs)`` in ``manage.py shell``; its result."""
        from tests.e2e.scenario import RESULT_MARK

        code = f"from tests.e2e.scenario import main; main({function!r}, **{kwargs!r})"
        output = self.manage("shell", "-c", code)
        lines = [line for line in output.splitlines() if line.startswith(RESULT_MARK)]
        return json.loads(lines[-1][len(RESULT_MARK) :])

    # --- Celery -------------------------------------------------------------------------------
    def _celery(self, *args: str) -> list[str]:
        return [str(BIN / "celery"), "-A", "breachtrack", *args, "--loglevel=INFO"]

    # The topology scripts/run starts (docs/operations.md, "Workers and queues"): a worker of its
    # own for the sweep (one slot, so it never waits behind a delivery), a worker for deliveries and
    # the rest, and one beat -- inside the sweep worker (-B) on the filesystem broker, where beat
    # must run on the one host, else a process of its own. Gossip, mingle and heartbeats are off
    # here only to start faster; they carry no task.
    QUIET = ("--without-gossip", "--without-mingle", "--without-heartbeat")
    SWEEP_WORKER = ("worker", "-Q", "sweep", "--concurrency=1", *QUIET, "-n", "sweep@%h")
    WORKER = ("worker", "-Q", "deliveries,celery", *QUIET, "-n", "e2e@%h")
    WORKERS = ("sweep-worker", "worker")

    def _worker_argv(self, name: str, *extra: str) -> list[str]:
        if name == "sweep-worker":
            return self._celery(*self.SWEEP_WORKER, *extra)
        return self._celery(*self.WORKER, f"--concurrency={self.worker_concurrency}", *extra)

    def start_celery(self, timeout: float = 60) -> None:
        """Start both workers and beat: beat inside the sweep worker (-B) on the filesystem broker,
        else a process of its own; wait until both workers are ready."""
        if self.broker_url:
            self.processes.start("sweep-worker", self._worker_argv("sweep-worker"))
            self.processes.start("beat", self._celery("beat", "--max-interval", "1"))
            self.processes.wait_for_log("beat", "beat: Starting", timeout)
        else:
            self.processes.start("sweep-worker", self._worker_argv("sweep-worker", "-B"))
        self.processes.start("worker", self._worker_argv("worker"))
        for name in self.WORKERS:
            self.processes.wait_for_log(name, " ready.", timeout)

    def kill_workers(self) -> None:
        """SIGKILL both (separate-beat) workers, with their pools; beat keeps sending."""
        for name in self.WORKERS:
            self.processes.signal(name, signal.SIGKILL)

    def restart_workers(self, timeout: float = 60) -> None:
        """Start the (separate-beat) workers again after they were killed; wait until they are ready."""
        for name in self.WORKERS:
            self.processes.start(name, self._worker_argv(name))
        for name in self.WORKERS:
            self.processes.wait_for_log(name, " ready.", timeout)

    def kill_celery(self) -> None:
        """SIGKILL workers (with their pools) and beat, as a power cut would."""
        for name in (*self.WORKERS, "beat"):
            if name in self.processes.running:
                self.processes.signal(name, signal.SIGKILL)

    # --- The web server ---------------------------------------------------------------------
    def collectstatic(self) -> None:
        """Production serves its static files from a manifest (whitenoise), as scripts/run makes it."""
        self.manage("collectstatic", "--noinput", "-v", "0")

    def start_web(self, *, workers: int = 2, timeout: float = 60) -> str:
        """gunicorn with ``workers`` workers, as scripts/run starts it in production, on a free
        port; its base URL once it answers HTTP (any status: the app is up)."""
        port = free_port()
        self.processes.start(
            "web",
            [
                str(BIN / "gunicorn"),
                "breachtrack.wsgi:application",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                str(workers),
                "--access-logfile",
                "-",
                "--error-logfile",
                "-",
                "--no-control-socket",
                "--logger-class",
                "breachtrack.gunicorn_logging.RedactingLogger",
            ],
        )
        self.web_url = f"http://127.0.0.1:{port}"
        wait_until(lambda: _answers_http(self.web_url), timeout, what=f"gunicorn on port {port}")
        return self.web_url

    def web_workers(self) -> list[int]:
        """The pids of gunicorn's workers (the children of its master)."""
        master = self.processes.running["web"].pid
        children = Path(f"/proc/{master}/task/{master}/children")
        return [int(pid) for pid in children.read_text().split()] if children.exists() else []

    def stop(self) -> list[str]:
        return self.processes.stop_all()

    # --- Reading the database directly --------------------------------------------------------
    def alerts(self) -> list[Alert]:
        if self.database_url:
            import psycopg

            with psycopg.connect(self.database_url.replace("postgres://", "postgresql://", 1), autocommit=True) as conn:
                rows = conn.execute(ALERTS_SQL).fetchall()
        else:
            conn = sqlite3.connect(self.var_dir / "breachtrack.sqlite3", timeout=30)
            try:
                rows = [
                    (d, lab, _sqlite_instant(due), _sqlite_instant(fired))
                    for d, lab, due, fired in conn.execute(ALERTS_SQL)
                ]
            finally:
                conn.close()
        return [Alert(*row) for row in rows]

    def _query(self, sql: str) -> list[tuple]:
        if self.database_url:
            import psycopg

            with psycopg.connect(self.database_url.replace("postgres://", "postgresql://", 1), autocommit=True) as conn:
                return conn.execute(sql).fetchall()
        conn = sqlite3.connect(self.var_dir / "breachtrack.sqlite3", timeout=30)
        try:
            return list(conn.execute(sql))
        finally:
            conn.close()

    def deliveries(self, deadlines=None) -> list[DeliveryRow]:
        rows = [DeliveryRow(*row) for row in self._query(DELIVERIES_SQL)]
        return rows if deadlines is None else [row for row in rows if row.deadline in set(deadlines)]

    def last_sweep_at(self) -> datetime | None:
        """When the last finished sweep started (SweepHeartbeat row 1, written as a sweep ends)."""
        rows = self._query("SELECT last_sweep_at FROM notifications_sweepheartbeat WHERE id = 1")
        if not rows:
            return None
        value = rows[0][0]
        return _sqlite_instant(value) if isinstance(value, str) else value

    def alerts_for(self, deadlines, label: str) -> list[Alert]:
        wanted = set(deadlines)
        return [a for a in self.alerts() if a.deadline in wanted and a.label == label]

    def logs(self) -> str:
        return self.processes.logs()


def _answers_http(base_url: str) -> bool:
    try:
        requests.get(base_url + "/api/", timeout=2, allow_redirects=False)
    except requests.RequestException:
        return False
    return True  # an answer, whatever its status


def _sqlite_instant(text: str) -> datetime:
    """Django's SQLite backend stores UTC instants as naive ISO text."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)
