"""A real worker and beat turn a clock's passed threshold into one AlertEvent and one e-mail to the
incident's officer (through a local aiosmtpd server), through crashes too.

Nothing is mocked: migrate, the data (created through the incident services), Celery worker and
beat all run as subprocesses against a database they share with the test, which reads it back
directly. The filesystem-broker case runs in the SQLite pass; the Redis cases need PostgreSQL
and a private redis-server (started here on a free port, so it can be killed and restarted
without touching the machine's own Redis).
"""

from __future__ import annotations

import time
import uuid
from datetime import datetime

import pytest

from tests.e2e.stack import Stack, wait_until

# Seconds a threshold may wait for its sweep beyond the beat interval: the filesystem broker's
# one-second poll, the worker picking the task up, a busy two-core machine.
SLACK = 5
# The filesystem-broker cases run on a Stack of their own (an embedded SQLite database, the
# filesystem broker; the Stack clears DATABASE_URL and CELERY_BROKER_URL), the same in both passes
# of scripts/test: the SQLite pass runs them (tests/conftest.py).
ON_THEIR_OWN_SQLITE = pytest.mark.database_independent


def _create_clocks(stack: Stack, leads: list[float]) -> dict[int, datetime]:
    """Clocks falling due ``leads`` seconds from now: ``{deadline id: due_at}``."""
    rows = stack.scenario("incident_with_clocks_due_in", leads=leads, tag=uuid.uuid4().hex[:8])
    return {row["deadline"]: datetime.fromisoformat(row["due_at"]) for row in rows}


def _wait_for_due_alerts(stack: Stack, clocks: dict[int, datetime], timeout: float) -> None:
    def all_recorded():
        return {alert.deadline for alert in stack.alerts_for(clocks, "due")} == set(clocks)

    wait_until(all_recorded, timeout, what=f"'due' alerts of deadlines {sorted(clocks)}")


def _wait_for_a_later_sweep(stack: Stack) -> None:
    """Until a sweep that started after the one that recorded the latest alert has finished: a
    repeat would have been recorded by then. (A sweep of a few rows stamps its alerts and, as it
    finishes, its heartbeat with one instant, so a later heartbeat means a later, complete sweep.)"""
    since = max((alert.fired_at for alert in stack.alerts()), default=None) or stack.last_sweep_at()

    def swept_again():
        latest = stack.last_sweep_at()
        return latest is not None and (since is None or latest > since)

    wait_until(swept_again, stack.interval + SLACK + 10, what="one more complete sweep after the alerts")


def _assert_each_alerted_once(stack: Stack, clocks: dict[int, datetime], label: str = "due") -> list:
    """After one more complete sweep (a repeat would show by then): exactly one alert per clock."""
    _wait_for_a_later_sweep(stack)
    alerts = stack.alerts_for(clocks, label)
    assert sorted(alert.deadline for alert in alerts) == sorted(clocks)
    assert all(alert.due_at == clocks[alert.deadline] for alert in alerts)
    return alerts


def _assert_on_time(stack: Stack, clocks: dict[int, datetime], alerts) -> None:
    for alert in alerts:
        lateness = (alert.fired_at - clocks[alert.deadline]).total_seconds()
        assert 0 <= lateness <= stack.interval + SLACK, (alert, lateness)


def _email_deliveries(stack: Stack, clocks) -> list:
    return [row for row in stack.deliveries(clocks) if row.channel == "email"]


def _wait_for_emails_sent(stack: Stack, clocks, count: int, timeout: float) -> None:
    def sent():
        rows = _email_deliveries(stack, clocks)
        return len(rows) == count and all(row.status == "sent" for row in rows)

    wait_until(sent, timeout, what=f"{count} e-mail deliveries marked sent")


def _assert_each_mailed_once(stack: Stack, smtp_server, clocks, labels=("before:1h", "due")) -> dict:
    """One e-mail delivery per alert, sent, and exactly one message with its Message-ID at the
    SMTP server (a repeated send would carry the same Message-ID twice). Arrivals by (deadline, label)."""
    rows = _email_deliveries(stack, clocks)
    assert sorted((row.deadline, row.label) for row in rows) == sorted((d, label) for d in clocks for label in labels)
    arrivals = smtp_server.by_message_id()
    arrived = {}
    for row in rows:
        matching = [times for message_id, times in arrivals.items() if message_id.startswith(row.message_id_stem)]
        assert len(matching) == 1 and len(matching[0]) == 1, (row, matching)
        arrived[(row.deadline, row.label)] = matching[0][0]
    return arrived


def _assert_alerts_arrive_on_time_once(stack: Stack, smtp_server) -> None:
    stack.start_celery()
    clocks = _create_clocks(stack, leads=[5])
    _wait_for_due_alerts(stack, clocks, timeout=5 + stack.interval + SLACK + 5)
    alerts = _assert_each_alerted_once(stack, clocks)
    _assert_on_time(stack, clocks, alerts)
    # The clock was made 72h - 5s after awareness: its current state, 'before:1h', once, at once.
    assert [alert.deadline for alert in stack.alerts_for(clocks, "before:1h")] == list(clocks)
    # And the officer was told, by a real e-mail through a real SMTP server, within the interval.
    _wait_for_emails_sent(stack, clocks, count=2, timeout=SLACK + 10)
    arrived = _assert_each_mailed_once(stack, smtp_server, clocks)
    for deadline, due_at in clocks.items():
        lateness = (arrived[(deadline, "due")] - due_at).total_seconds()
        assert 0 <= lateness <= stack.interval + SLACK, lateness


@ON_THEIR_OWN_SQLITE
def test_a_clock_falling_due_alerts_and_mails_once_within_the_interval_on_the_filesystem_broker(
    filesystem_stack, smtp_server
):
    _assert_alerts_arrive_on_time_once(filesystem_stack, smtp_server)


@pytest.mark.postgres
@pytest.mark.redis
def test_a_clock_falling_due_alerts_and_mails_once_within_the_interval_on_redis(redis_stack, smtp_server):
    _assert_alerts_arrive_on_time_once(redis_stack, smtp_server)


def _assert_kill_9_loses_and_repeats_nothing(stack: Stack, smtp_server) -> None:
    """Steps: clocks due in 3..12 s; after the first alert (and its e-mail), SIGKILL the workers (and
    beat) while the others are pending; let them all pass while nothing runs; restart: every
    alert once, every e-mail once.

    The kill waits until no e-mail is in flight: a kill between the SMTP server's "250 OK" and
    the commit of "sent" would send that one again after its lease, under the same Message-ID
    (notifications.delivery documents this at-least-once window; tests/notifications cover the
    lease). Here the point is that pending alerts survive a kill, once each.
    """
    stack.start_celery()
    clocks = _create_clocks(stack, leads=[3, 10, 11, 12])
    first = next(iter(clocks))
    wait_until(lambda: stack.alerts_for([first], "due"), 3 + stack.interval + SLACK + 5, what="the first 'due' alert")
    # The 'before:1h' of every clock and the first 'due': all e-mailed before the kill.
    _wait_for_emails_sent(stack, clocks, count=len(clocks) + 1, timeout=SLACK + 10)
    stack.kill_celery()
    pending = set(clocks) - {alert.deadline for alert in stack.alerts_for(clocks, "due")}
    assert pending, "the kill came too late: every alert was already recorded"

    latest = max(clocks.values())
    wait_until(lambda: datetime.now(latest.tzinfo) > latest, 30, what="the last threshold to pass")
    time.sleep(1)  # a window in which nothing may happen: there is no event to poll for
    assert {alert.deadline for alert in stack.alerts_for(clocks, "due")} == set(clocks) - pending  # nobody swept

    stack.start_celery()
    _wait_for_due_alerts(stack, clocks, timeout=stack.interval + SLACK + 15)
    _assert_each_alerted_once(stack, clocks)
    _assert_each_alerted_once(stack, clocks, label="before:1h")
    _wait_for_emails_sent(stack, clocks, count=2 * len(clocks), timeout=SLACK + 15)
    _assert_each_mailed_once(stack, smtp_server, clocks)


@ON_THEIR_OWN_SQLITE
def test_kill_9_of_the_worker_with_beat_loses_and_repeats_no_alert_on_the_filesystem_broker(
    filesystem_stack, smtp_server
):
    _assert_kill_9_loses_and_repeats_nothing(filesystem_stack, smtp_server)


@pytest.mark.postgres
@pytest.mark.redis
def test_kill_9_of_worker_and_beat_loses_and_repeats_no_alert_on_redis(redis_stack, smtp_server):
    _assert_kill_9_loses_and_repeats_nothing(redis_stack, smtp_server)


@pytest.mark.postgres
@pytest.mark.redis
def test_an_alert_whose_threshold_passes_while_redis_is_down_arrives_once_after_recovery(
    redis_stack, redis_server, smtp_server
):
    redis_stack.start_celery()
    clocks = _create_clocks(redis_stack, leads=[8])
    # The pipeline works before the outage: the clock's current state was alerted at once.
    wait_until(
        lambda: redis_stack.alerts_for(clocks, "before:1h"), redis_stack.interval + SLACK + 5, what="'before:1h'"
    )
    # ... and its e-mail went out. Crashing Redis while that task is still queued would lose the
    # message (this redis-server keeps nothing on disk): the delivery row survives and the
    # dispatcher re-enqueues it once its lease (300 s) runs out, which is recovery by design but
    # not what this test waits for.
    _wait_for_emails_sent(redis_stack, clocks, count=1, timeout=SLACK + 10)

    redis_server.crash()
    due_at = max(clocks.values())
    wait_until(lambda: datetime.now(due_at.tzinfo) > due_at, 30, what="the threshold to pass")
    time.sleep(redis_stack.interval + 1)  # a beat interval in which nothing may happen: nothing to poll for
    assert redis_stack.alerts_for(clocks, "due") == []  # no broker, no sweep: nothing can have recorded it

    redis_server.start()
    restarted = datetime.now(due_at.tzinfo)
    _wait_for_due_alerts(redis_stack, clocks, timeout=45)
    [alert] = _assert_each_alerted_once(redis_stack, clocks)
    assert alert.fired_at >= restarted
    for name in ("sweep-worker", "worker", "beat"):  # they rode out the outage instead of dying
        assert redis_stack.processes.running[name].poll() is None, name
    _wait_for_emails_sent(redis_stack, clocks, count=2, timeout=SLACK + 15)
    arrived = _assert_each_mailed_once(redis_stack, smtp_server, clocks)
    assert all(at >= restarted for (_deadline, label), at in arrived.items() if label == "due")


@pytest.mark.postgres
@pytest.mark.redis
def test_a_delivery_task_lost_with_redis_is_enqueued_again_and_mailed_once(redis_stack, redis_server, smtp_server):
    """Steps: both workers are killed; a sweep run by hand records the 'due' alert and enqueues its
    e-mail task into Redis, where nothing consumes it; Redis crashes (it keeps nothing on disk, so
    the task is gone) and comes back with the workers. The delivery row survived, and the
    dispatcher enqueues it again after BREACHTRACK_DELIVERY_REQUEUE_SECONDS (15 s here): the
    e-mail arrives once."""
    redis_stack.env["BREACHTRACK_DELIVERY_REQUEUE_SECONDS"] = "15"  # every process of this stack reads it
    requeue = 15
    redis_stack.start_celery()
    clocks = _create_clocks(redis_stack, leads=[4])
    wait_until(
        lambda: redis_stack.alerts_for(clocks, "before:1h"), redis_stack.interval + SLACK + 5, what="'before:1h'"
    )
    _wait_for_emails_sent(redis_stack, clocks, count=1, timeout=SLACK + 10)

    redis_stack.kill_workers()  # the sweep worker too, or its own sweep would record the alert first
    due_at = max(clocks.values())
    wait_until(lambda: datetime.now(due_at.tzinfo) > due_at, 30, what="the threshold to pass")
    assert "Recorded 1 alert(s)." in redis_stack.manage("sweep")  # its e-mail task now waits in Redis
    [queued] = [row for row in _email_deliveries(redis_stack, clocks) if row.label == "due"]
    assert queued.status == "pending"

    redis_server.crash()
    redis_server.start()
    restarted = datetime.now(due_at.tzinfo)
    redis_stack.restart_workers()
    _wait_for_emails_sent(redis_stack, clocks, count=2, timeout=requeue + redis_stack.interval + SLACK + 15)
    arrived = _assert_each_mailed_once(redis_stack, smtp_server, clocks)
    assert (arrived[(next(iter(clocks)), "due")] - restarted).total_seconds() >= 0


@ON_THEIR_OWN_SQLITE
def test_the_worker_environment_reaches_the_local_smtp_server(tmp_path, processes, smtp_server):
    """The harness for delivery tests: what the worker's Django sends arrives in ``smtp_server``."""
    stack = Stack(tmp_path, processes=processes, extra_env=smtp_server.env)
    stack.manage("sendtestemail", "dpo@e2e.example")
    wait_until(lambda: smtp_server.messages, 10, what="the test e-mail")
    assert smtp_server.messages[0]["To"] == "dpo@e2e.example"
