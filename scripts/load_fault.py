#!/usr/bin/env python3
"""Load and faults: concurrent API writes through crashes and a broker outage, then an audit.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/breachtrack \\
        .venv/bin/python scripts/load_fault.py --incidents 1000 --clients 16      # full size

scripts/test runs it at a small size (``--incidents 12 --clients 4 --due-after 5 --due-spread 5``)
in its benchmark step, on
PostgreSQL. It needs PostgreSQL (DATABASE_URL) and ``redis-server`` on the PATH; it never touches
the machine's own Redis nor the database DATABASE_URL names.

Steps:
  1. a throw-away database next to DATABASE_URL's (``<name>_e2e_<random>``, dropped at the end),
     migrated; a private redis-server on a free port (so it can be stopped); a local SMTP server;
     an organisation with a privacy officer and an API token;
  2. production mode (``BREACHTRACK_MODE=production``) as scripts/run starts it: gunicorn with 2
     workers, a Celery worker for the sweep, two for deliveries and the rest, and beat
     (sweeping every 2 s);
  3. ``--clients`` threads write ``--incidents`` chains through the API, each one: create an
     incident, name the organisation controller, record its awareness (its Art. 33(1) clock then
     falls due ``--due-after`` to ``--due-after + --due-spread`` s later: a 'before:1h' alert at
     once, a 'due' alert during the run), record an estimate. Every POST carries an
     Idempotency-Key (api.idempotency) and is retried with the same key on a dropped connection,
     a 5xx or a 409 ``idempotency_key_in_flight``, as the API documents; 2xx (first answer or
     replay) = acknowledged. Every ``--lose-answers-every``-th chain loses the first answer of each
     of its writes (the client stops waiting after 1 ms, the server carries on): its retry must be
     answered from the key (``Idempotent-Replayed``), not executed again. With ``--without-keys``
     (a control of the audit itself) those retries create duplicates, and the run must fail;
  4. faults, at fixed shares of the acknowledged chains: 20 %: SIGKILL of one gunicorn worker
     (its master starts another); 35 %: SIGKILL of a Celery worker, restarted at once (as a
     supervisor would); 50 %: the broker stops (SIGKILL; it keeps nothing on disk, so queued
     tasks are lost); 75 % and at least ``--broker-down`` s later: it starts again;
  5. once every clock has fallen due: wait (bounded) until every alert is delivered, then audit.

Violations (exit status 1), each printed:
  - a write never acknowledged within the retry budget (``--retry-budget`` s), or refused (4xx);
  - a 5xx, at any time. None is allowed, fault windows included: the API's writes do not touch
    the broker, and a killed gunicorn worker drops its connections (the client sees a transport
    error, which it retries) rather than answering 5xx; gunicorn's master answers nothing itself;
  - an acknowledged object missing, or present more than once, or an object nobody acknowledged
    (the incidents, parties, awareness records and estimates of the organisation are compared with
    the acknowledged ids; incident references must be distinct);
  - a clock that fell due without exactly one 'due' alert; an alert recorded twice for one
    threshold; an alert whose e-mail is not sent, or whose e-mail reached the SMTP server other
    than exactly once (by Message-ID).
Figures: requests, retries, replays (a retry answered from its key: the first attempt had been
executed, its answer lost), transport errors, latency p50/p95 of the requests that got an
answer, writes per second, and the times to recover (gunicorn worker back, Celery worker ready,
deliveries complete after the broker's restart).
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import queue
import secrets
import signal
import statistics
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.e2e.stack import BIN, Mailbox, PostgresDatabase, Processes, RedisServer, Stack, wait_until

SWEEP_INTERVAL = 2
RETRIED_STATUSES = {409, 502, 503, 504}  # 409: idempotency_key_in_flight, "retry later"
MODELS = {  # what each step creates: the table its row lands in
    "incident": "incidents_incident",
    "party": "incidents_incidentparty",
    "awareness": "incidents_awarenessrecord",
    "estimate": "incidents_affectedestimate",
}


@dataclass
class Tally:
    """What the clients saw; appended to from many threads (list.append is atomic)."""

    answered: list = field(default_factory=list)  # (started monotonic, seconds, status, path)
    transport_errors: list = field(default_factory=list)  # (monotonic, path, error)
    lost_answers: list = field(default_factory=list)  # (monotonic, path): answers the client gave up on
    retries: int = 0
    replayed: int = 0  # answers with Idempotent-Replayed: true (the first attempt had been executed)
    acknowledged: dict = field(default_factory=lambda: {kind: [] for kind in MODELS})  # kind → ids
    references: list = field(default_factory=list)
    violations: list = field(default_factory=list)
    chains_done: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


class Client:
    """One integration thread: POSTs with an Idempotency-Key, retried with the same key."""

    def __init__(self, base_url: str, token: str, tally: Tally, budget: float, *, keys: bool = True):
        self.base_url = base_url
        self.keys = keys
        self.headers = {"Authorization": f"Bearer {token}", "X-Forwarded-Proto": "https"}
        self.tally = tally
        self.budget = budget
        self.session = requests.Session()

    def post(self, kind: str, path: str, body: dict, *, lose_first_answer: bool = False) -> dict | None:
        """POST until acknowledged. ``lose_first_answer``: the first attempt stops waiting for its
        answer at once (a client timeout), while the server goes on executing it."""
        key = str(uuid.uuid4())
        give_up = time.monotonic() + self.budget
        backoff = 0.05
        timeout = (10, 0.001) if lose_first_answer else 30
        while True:
            started = time.monotonic()
            headers = {**self.headers, "Idempotency-Key": key} if self.keys else self.headers
            try:
                response = self.session.post(self.base_url + path, json=body, headers=headers, timeout=timeout)
            except requests.ReadTimeout:
                self.tally.lost_answers.append((started, path))
                self.session = requests.Session()
            except requests.RequestException as exc:
                self.tally.transport_errors.append((started, path, type(exc).__name__))
                self.session = requests.Session()  # the connection may be half dead
            else:
                self.tally.answered.append((started, time.monotonic() - started, response.status_code, path))
                if 200 <= response.status_code < 300:
                    if response.headers.get("Idempotent-Replayed") == "true":
                        with self.tally.lock:
                            self.tally.replayed += 1
                    data = response.json()
                    self.tally.acknowledged[kind].append(data["id"])
                    return data
                if response.status_code >= 500:
                    self.tally.violations.append(f"{response.status_code} on POST {path}: {response.text[:300]}")
                elif response.status_code not in RETRIED_STATUSES:
                    self.tally.violations.append(
                        f"refused {response.status_code} on POST {path}: {response.text[:300]}"
                    )
                    return None
            timeout = 30
            if time.monotonic() >= give_up:
                self.tally.violations.append(f"POST {path} (key {key}) not acknowledged within {self.budget:.0f} s")
                return None
            with self.tally.lock:
                self.tally.retries += 1
            time.sleep(backoff)  # a client's back-off between retries, not a synchronisation
            backoff = min(backoff * 2, 1.0)

    def chain(self, number: int, own_party: int, due_in: float, *, lose_answers: bool = False) -> None:
        """Four writes on one new incident; ``lose_answers``: each one's first answer is lost."""
        post = functools.partial(self.post, lose_first_answer=lose_answers)
        now = datetime.now(UTC)
        incident = post(
            "incident",
            "/api/incidents/",
            {
                "title": f"Load {number}",
                "occurred_from_at": (now - timedelta(hours=80)).isoformat(),
                "reason": "load_fault",
            },
        )
        if incident is None:
            return
        self.tally.references.append(incident["reference"])
        base = f"/api/incidents/{incident['id']}"
        party = post("party", f"{base}/parties/", {"party": own_party, "role": "controller", "reason": "load"})
        if party is None:
            return
        aware_at = datetime.now(UTC) - timedelta(hours=72) + timedelta(seconds=due_in)
        body = {"party": party["id"], "aware_at": aware_at.isoformat(), "source": "own_detection", "reason": "load"}
        if post("awareness", f"{base}/awareness/", body) is None:
            return
        estimate = {
            "measure": "data_subjects",
            "low": 1000 + number,
            "known_at": datetime.now(UTC).isoformat(),
            "source": "count",
            "reason": "load",
        }
        if post("estimate", f"{base}/estimates/", estimate) is None:
            return
        with self.tally.lock:
            self.tally.chains_done += 1


def percentile(values: list[float], share: float) -> float:
    if not values:
        return float("nan")
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[round(share * 100) - 1]


WORKERS = ("sweep-worker", "worker1", "worker2")


def start_celery(stack: Stack, name: str) -> None:
    """The production topology (docs/operations.md, "Workers and queues"): the sweep worker, and
    workers for deliveries and the rest (two here, so that one can die while the other works)."""
    argv = Stack.SWEEP_WORKER if name == "sweep-worker" else (*Stack.WORKER, "--concurrency=1")
    argv = [*argv[: argv.index("-n")], *argv[argv.index("-n") + 2 :], "-n", f"{name}@%h"]
    stack.processes.start(name, [str(BIN / "celery"), "-A", "breachtrack", *argv, "--loglevel=INFO"])


def run(args, root: Path) -> dict:
    base = os.environ.get("DATABASE_URL", "")
    if not base.startswith("postgres"):
        raise SystemExit("load_fault.py needs DATABASE_URL=postgres://... (a throw-away database is made next to it)")
    processes = Processes(root / "logs", dict(os.environ))
    database = PostgresDatabase(base)
    mailbox = Mailbox()
    figures: dict = {"faults": {}}
    try:
        redis = RedisServer(processes, root / "redis")
        redis.start()
        mailbox.start()
        database.create()
        stack = Stack(
            root,
            interval=SWEEP_INTERVAL,
            database_url=database.url,
            broker_url=redis.url,
            processes=processes,
            extra_env={
                "BREACHTRACK_MODE": "production",
                "SECRET_KEY": secrets.token_urlsafe(48),
                "BREACHTRACK_LEDGER_KEY": secrets.token_urlsafe(32),
                "ALLOWED_HOSTS": "127.0.0.1",
                "BEHIND_TLS_PROXY": "true",  # the clients send the X-Forwarded-Proto a TLS proxy adds
                "BREACHTRACK_BASE_URL": "https://breachtrack.example",
                # A delivery whose task died with its worker or its broker is taken up again after
                # these (their minimums), not after production's 5 minutes.
                "BREACHTRACK_DELIVERY_LEASE_SECONDS": "30",
                "BREACHTRACK_DELIVERY_REQUEUE_SECONDS": "15",
                "EMAIL_TIMEOUT": "10",  # the lease must exceed it (settings)
                **mailbox.env,
            },
        )
        setup_started = time.monotonic()
        stack.migrate()
        [persona] = stack.scenario("api_officer", tag=uuid.uuid4().hex[:8])
        for name in WORKERS:
            start_celery(stack, name)
        processes.start("beat", [str(BIN / "celery"), "-A", "breachtrack", "beat", "--max-interval", "1"])
        base_url = stack.start_web(workers=2)
        for name in WORKERS:
            processes.wait_for_log(name, " ready.", 60)
        figures["setup_seconds"] = round(time.monotonic() - setup_started, 1)

        tally = Tally()
        work: queue.Queue = queue.Queue()
        for number in range(args.incidents):
            work.put((number, args.due_after + args.due_spread * number / max(args.incidents - 1, 1)))

        def client_loop() -> None:
            client = Client(base_url, persona["token"], tally, args.retry_budget, keys=not args.without_keys)
            while True:
                try:
                    number, due_in = work.get_nowait()
                except queue.Empty:
                    return
                lose = args.lose_answers_every > 0 and number % args.lose_answers_every == 0
                client.chain(number, persona["own_party"], due_in, lose_answers=lose)

        load_started = time.monotonic()
        threads = [threading.Thread(target=client_loop, daemon=True) for _ in range(args.clients)]
        for thread in threads:
            thread.start()

        def progress(share: float):
            return lambda: tally.chains_done >= share * args.incidents or not any(t.is_alive() for t in threads)

        timeout = args.retry_budget * 4 + args.incidents * 2
        # Fault 1: a gunicorn worker dies mid-request; its master starts another.
        wait_until(progress(0.20), timeout, what="20 % of the chains")
        victim = stack.web_workers()[0]
        killed_at = time.monotonic()
        os.kill(victim, signal.SIGKILL)
        wait_until(
            lambda: len(set(stack.web_workers()) - {victim}) >= 2, 60, interval=0.05, what="gunicorn's new worker"
        )
        figures["faults"]["gunicorn_worker_respawned_s"] = round(time.monotonic() - killed_at, 2)
        figures["faults"]["gunicorn_killed_at"] = killed_at

        # Fault 2: a Celery worker dies with its task; a supervisor starts it again.
        wait_until(progress(0.35), timeout, what="35 % of the chains")
        killed_at = time.monotonic()
        processes.signal("worker1", signal.SIGKILL)
        start_celery(stack, "worker1")
        processes.wait_for_log("worker1", " ready.", 60)
        figures["faults"]["celery_worker_ready_s"] = round(time.monotonic() - killed_at, 2)

        # Fault 3: the broker stops (losing its queues) and comes back.
        wait_until(progress(0.50), timeout, what="50 % of the chains")
        redis.crash()
        stopped_at = time.monotonic()
        wait_until(
            lambda: progress(0.75)() and time.monotonic() - stopped_at >= args.broker_down,
            timeout,
            what="75 % of the chains and the broker's declared outage",
        )
        redis.start()
        restarted_at = time.monotonic()
        figures["faults"]["broker_down_s"] = round(restarted_at - stopped_at, 2)

        for thread in threads:
            thread.join(timeout)
        load_seconds = time.monotonic() - load_started

        # Every clock falls due, then every alert must be recorded once and mailed once.
        clocks = len(tally.acknowledged["awareness"])
        wait_until(
            lambda: _all_due_alerted(stack, persona["organisation"], clocks),
            args.due_after + args.due_spread + 120,
            what="a 'due' alert per clock",
        )
        wait_until(
            lambda: _delivery_state(stack, persona["organisation"]) == 0, 120, what="every alert's delivery sent"
        )
        figures["faults"]["deliveries_complete_after_broker_restart_s"] = round(time.monotonic() - restarted_at, 1)

        tally.violations.extend(_audit(stack, persona["organisation"], tally, mailbox))
        latencies = [seconds for _, seconds, _, _ in tally.answered]
        writes = sum(len(ids) for ids in tally.acknowledged.values())
        web_killed = figures["faults"].pop("gunicorn_killed_at")
        after_kill = [s + d for s, d, code, _ in tally.answered if s >= web_killed and 200 <= code < 300]
        figures.update(
            {
                "incidents": args.incidents,
                "clients": args.clients,
                "requests": len(tally.answered) + len(tally.transport_errors),
                "answered": len(tally.answered),
                "retries": tally.retries,
                "replayed": tally.replayed,
                "transport_errors": len(tally.transport_errors),
                "lost_answers": len(tally.lost_answers),
                "statuses": _count(code for _, _, code, _ in tally.answered),
                "acknowledged_writes": writes,
                "load_seconds": round(load_seconds, 1),
                "writes_per_second": round(writes / load_seconds, 1),
                "latency_p50_ms": round(percentile(latencies, 0.50) * 1000, 1),
                "latency_p95_ms": round(percentile(latencies, 0.95) * 1000, 1),
                "latency_max_ms": round(max(latencies, default=0) * 1000, 1),
                "first_write_after_gunicorn_kill_s": round(min(after_kill) - web_killed, 2) if after_kill else None,
                "e-mails": len(mailbox.messages),
                "load_average_1_5_15": [round(x, 2) for x in os.getloadavg()],  # the machine's, at the end
                "violations": tally.violations,
            }
        )
        return figures
    except BaseException:
        print(processes.logs()[-20000:], file=sys.stderr)
        raise
    finally:
        processes.stop_all()
        mailbox.stop()
        database.drop()


def _count(values) -> dict:
    counts: dict = {}
    for value in values:
        counts[str(value)] = counts.get(str(value), 0) + 1
    return dict(sorted(counts.items()))


def _query(stack: Stack, sql: str, *params) -> list[tuple]:
    with psycopg.connect(stack.database_url.replace("postgres://", "postgresql://", 1), autocommit=True) as conn:
        return conn.execute(sql, params).fetchall()


CLOCKS_SQL = (
    "SELECT d.id FROM notifications_deadline d JOIN incidents_incident i ON i.id = d.incident_id"
    " WHERE i.organisation_id = %s AND d.kind = 'authority_notification' AND d.due_at <= now()"
)
ALERTS_SQL = (
    "SELECT e.id, e.deadline_id, e.label, e.due_at FROM notifications_alertevent e"
    " JOIN notifications_deadline d ON d.id = e.deadline_id JOIN incidents_incident i ON i.id = d.incident_id"
    " WHERE i.organisation_id = %s"
)
DELIVERIES_SQL = (
    "SELECT x.id, x.alert_event_id, x.channel, x.status FROM notifications_delivery x"
    " JOIN notifications_alertevent e ON e.id = x.alert_event_id JOIN notifications_deadline d ON d.id = e.deadline_id"
    " JOIN incidents_incident i ON i.id = d.incident_id WHERE i.organisation_id = %s"
)


def _all_due_alerted(stack: Stack, organisation: int, clocks: int) -> bool:
    """Every one of the ``clocks`` has fallen due, and each has a 'due' alert."""
    due = {row[0] for row in _query(stack, CLOCKS_SQL, organisation)}
    alerted = {row[1] for row in _query(stack, ALERTS_SQL, organisation) if row[2] == "due"}
    return len(due) >= clocks and due <= alerted


def _delivery_state(stack: Stack, organisation: int) -> int:
    """How many alerts are not delivered yet: without a delivery row, or with one not sent."""
    alerts = {row[0] for row in _query(stack, ALERTS_SQL, organisation)}
    deliveries = _query(stack, DELIVERIES_SQL, organisation)
    undelivered = alerts - {row[1] for row in deliveries}
    return len(undelivered) + sum(1 for row in deliveries if row[3] != "sent")


def _audit(stack: Stack, organisation: int, tally: Tally, mailbox: Mailbox) -> list[str]:
    problems = []
    # Writes: exactly the acknowledged ids, each once.
    for kind, table in MODELS.items():
        if kind == "incident":
            sql = f"SELECT id FROM {table} WHERE organisation_id = %s"
        else:
            sql = (
                f"SELECT t.id FROM {table} t JOIN incidents_incident i ON i.id = t.incident_id"
                " WHERE i.organisation_id = %s"
            )
        stored = [row[0] for row in _query(stack, sql, organisation)]
        acknowledged = tally.acknowledged[kind]
        if len(set(acknowledged)) != len(acknowledged):
            problems.append(f"{kind}: one id acknowledged for two writes")
        missing, extra = set(acknowledged) - set(stored), set(stored) - set(acknowledged)
        if missing:
            problems.append(f"{kind}: {len(missing)} acknowledged but not stored: {sorted(missing)[:10]}")
        if extra:
            problems.append(f"{kind}: {len(extra)} stored but never acknowledged (duplicates?): {sorted(extra)[:10]}")
    if len(set(tally.references)) != len(tally.references):
        problems.append("two incidents answered with the same reference")
    references = _query(
        stack, "SELECT reference, count(*) FROM incidents_incident WHERE organisation_id = %s GROUP BY 1", organisation
    )
    problems += [f"reference {ref} stored {n} times" for ref, n in references if n != 1]
    # Alerts: one per threshold, one 'due' per clock that fell due.
    alerts = _query(stack, ALERTS_SQL, organisation)
    seen: dict = {}
    for _, deadline, label, _ in alerts:
        seen[(deadline, label)] = seen.get((deadline, label), 0) + 1
    problems += [f"alert {label} of deadline {d} recorded {n} times" for (d, label), n in seen.items() if n != 1]
    for deadline_id in {row[0] for row in _query(stack, CLOCKS_SQL, organisation)}:
        if seen.get((deadline_id, "due")) != 1:
            problems.append(f"deadline {deadline_id} fell due without exactly one 'due' alert")
    clocks = len({row[0] for row in _query(stack, CLOCKS_SQL, organisation)})
    if clocks != len(tally.acknowledged["awareness"]):
        problems.append(f"{clocks} clocks fell due for {len(tally.acknowledged['awareness'])} awareness records")
    # Deliveries: every alert's e-mail sent, and received exactly once.
    deliveries = _query(stack, DELIVERIES_SQL, organisation)
    problems += [f"delivery {row[0]} is {row[3]}" for row in deliveries if row[3] != "sent"]
    by_alert = {row[1] for row in deliveries}
    problems += [f"alert {row[0]} has no delivery" for row in alerts if row[0] not in by_alert]
    arrivals = mailbox.by_message_id()
    for delivery_id, alert_id, channel, _ in deliveries:
        if channel != "email":
            continue
        stem = f"<alert-{alert_id}.delivery-{delivery_id}@"
        received = sum(len(times) for message_id, times in arrivals.items() if message_id.startswith(stem))
        if received != 1:
            problems.append(f"delivery {delivery_id} (alert {alert_id}) reached the SMTP server {received} times")
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--incidents", type=int, default=150, help="chains of 4 writes (default 150)")
    parser.add_argument("--clients", type=int, default=8, help="concurrent client threads (default 8)")
    parser.add_argument("--due-after", type=float, default=15, help="first clock falls due after (s)")
    parser.add_argument("--due-spread", type=float, default=20, help="clocks fall due over (s)")
    parser.add_argument("--broker-down", type=float, default=5, help="the broker's outage lasts at least (s)")
    parser.add_argument("--retry-budget", type=float, default=60, help="a write is given up after (s)")
    parser.add_argument(
        "--lose-answers-every",
        type=int,
        default=5,
        help="every n-th chain's writes lose their first answer (a client timeout); 0: none (default 5)",
    )
    parser.add_argument(
        "--without-keys",
        action="store_true",
        help="send no Idempotency-Key (a control: the audit must then find the lost answers' duplicates)",
    )
    args = parser.parse_args()
    if args.incidents < 4 or args.clients < 1:
        parser.error("--incidents must be at least 4 (one per fault), --clients at least 1")
    with tempfile.TemporaryDirectory(prefix="breachtrack-load-fault-") as tmp:
        figures = run(args, Path(tmp))
    violations = figures.pop("violations")
    print(json.dumps(figures, indent=2))
    for violation in violations:
        print(f"VIOLATION: {violation}")
    print(f"load_fault: {'FAILED, ' + str(len(violations)) + ' violation(s)' if violations else 'ok'}")
    return 1 if violations else 0


if __name__ == "__main__":
    sys.exit(main())
