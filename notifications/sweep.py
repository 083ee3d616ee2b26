"""The sweep: turn passed deadline thresholds into AlertEvent rows (STYLE.md habits 3 and 4).

Modelled on healthchecks' ``sendalerts``: ``handle_one_due_deadline`` takes one due row per
call and says whether it found work; ``sweep`` drains them within a time budget. Claiming is a
compare-and-set on ``next_alert_at``; the unique constraint on AlertEvent is the final guard, so
two sweepers (or a retried task) record each threshold once. This module only *detects*; a new
event is handed to ``notifications.fanout`` (in the same transaction), which writes who is to be
told; ``notifications.delivery`` does the telling.
"""

from __future__ import annotations

import enum
import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from incidents import clocks
from notifications.deadlines import current_alert, rule_for
from notifications.fanout import fan_out
from notifications.models import AlertEvent, Deadline, SweepHeartbeat

logger = logging.getLogger(__name__)

RETRY_DELAY = timedelta(hours=1)  # a row that raised waits this long, so it cannot crash-loop the sweep


def database_now() -> datetime:
    """The database's clock, so every worker compares against the same 'now'.

    PostgreSQL: ``CURRENT_TIMESTAMP`` (workers on other hosts may drift; the database is the one
    clock they share). SQLite: the database is a file read by processes on this one machine, so
    its clock *is* this machine's clock, and SQLite's own ``CURRENT_TIMESTAMP`` is a text value
    with whole seconds only: ``timezone.now()`` is the same clock, more precise.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT CURRENT_TIMESTAMP")
            return cursor.fetchone()[0]
    return timezone.now()


class Outcome(enum.Enum):
    NOTHING_DUE = "nothing_due"
    RECORDED = "recorded"
    ALREADY_RECORDED = "already_recorded"  # the unique constraint caught a repeat
    LOST_CLAIM = "lost_claim"  # another sweeper (or a recompute) changed the row first


def _pick(now: datetime) -> Deadline | None:
    due = Deadline.objects.due(now)
    if connection.features.has_select_for_update_skip_locked:
        # PostgreSQL: concurrent sweepers take different rows instead of queueing on one.
        due = due.select_for_update(skip_locked=True)
    return due.first()


def _claim(deadline: Deadline, now: datetime) -> tuple[str, datetime] | None:
    """Move the row past ``now``; the alert it claimed, or None if another writer got there first.

    The alert recorded is the clock's state at ``now`` (the latest passed threshold); it equals
    the stored label when the sweep runs on time, and after an outage it is one alert for the
    current state rather than a replay of every missed threshold.
    """
    rule = rule_for(deadline)
    claimed = current_alert(rule, deadline.due_at, now) or (deadline.next_alert_label, deadline.next_alert_at)
    upcoming = clocks.next_alert_at(rule, deadline.due_at, deadline.met_at, after=now)
    label, at = upcoming if upcoming is not None else ("", None)
    changed = Deadline.objects.filter(pk=deadline.pk, next_alert_at=deadline.next_alert_at).update(  # not-historied: Deadline
        next_alert_at=at, next_alert_label=label
    )
    return claimed if changed == 1 else None


def _record(deadline: Deadline, label: str, now: datetime) -> bool:
    """Record the alert; a *new* one is fanned out to its recipients in the same transaction."""
    event, created = AlertEvent.objects.get_or_create(
        deadline=deadline, label=label, due_at=deadline.due_at, defaults={"fired_at": now}
    )
    if created:
        fan_out(event, now)
    return created


def _push_back(deadline: Deadline, now: datetime) -> None:
    Deadline.objects.filter(pk=deadline.pk).update(next_alert_at=now + RETRY_DELAY)  # not-historied: Deadline


def _handle_one(now: datetime) -> Outcome:
    deadline = None
    try:
        with transaction.atomic():
            deadline = _pick(now)
            if deadline is None:
                return Outcome.NOTHING_DUE
            claimed = _claim(deadline, now)
            if claimed is None:
                return Outcome.LOST_CLAIM
            return Outcome.RECORDED if _record(deadline, claimed[0], now) else Outcome.ALREADY_RECORDED
    except DatabaseError:
        # Not this row's fault (a lock, a lost connection): the claim was rolled back, the row
        # stays due and the next sweep retries it. A push here would likely fail the same way.
        raise
    except Exception:
        # The row's own processing failed and the claim was rolled back with it: push the row
        # ahead (outside that transaction) so one bad row cannot crash-loop the sweep, then let
        # the error be seen.
        if deadline is not None:
            logger.exception("deadline %s: alert failed, retrying in %s", deadline.pk, RETRY_DELAY)
            _push_back(deadline, now)
        raise


def handle_one_due_deadline(*, now: datetime) -> bool:
    """Record the alert of one due deadline; False when nothing was due."""
    return _handle_one(now) is not Outcome.NOTHING_DUE


def _beat(now: datetime, found: int) -> None:
    """One UPDATE in the steady state; the row is created by the very first sweep."""
    values = {"last_sweep_at": now, "last_found": found}
    if not SweepHeartbeat.objects.filter(pk=1).update(**values):  # not-historied: SweepHeartbeat
        SweepHeartbeat.objects.update_or_create(pk=1, defaults=values)


@contextmanager
def _commits_without_waiting_for_disk() -> Iterator[None]:
    """PostgreSQL: while sweeping, a COMMIT returns before its WAL reaches the disk.

    A durable commit waits for an fsync (about 6 ms on the benchmark machine), and the sweep
    commits once per row, which capped it near 150 alerts a second. What it writes is
    recomputable detection state: a database crash loses at most the last few hundred
    milliseconds of commits, each whole (a claim with its AlertEvent, never one without the
    other, never a later one kept while an earlier one is lost), so a lost alert's row is still
    due and the next sweep records it again; nothing is recorded twice. Set for the session and
    reset afterwards (2 statements per sweep, not one per row), so other work on the worker's
    connection keeps durable commits.
    """
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SET synchronous_commit TO OFF")
    try:
        yield
    finally:
        try:
            with connection.cursor() as cursor:
                cursor.execute("RESET synchronous_commit")
        except DatabaseError:
            # The connection is broken (the error that got us here): Django discards it, and
            # the setting with it. Raising here would hide that error.
            logger.warning("could not reset synchronous_commit after the sweep", exc_info=True)


def sweep(*, budget_seconds: float = 10, now_func: Callable[[], datetime] = database_now) -> int:
    """Handle due deadlines until none is left or the budget is spent; the alerts recorded.

    The heartbeat is written only when the sweep finishes, so a sweeper that keeps failing shows
    up as a stale heartbeat.
    """
    deadline_at = time.monotonic() + budget_seconds
    recorded = 0
    with _commits_without_waiting_for_disk():
        now = now_func()
        while True:
            outcome = _handle_one(now)
            if outcome is Outcome.NOTHING_DUE:
                break
            recorded += outcome is Outcome.RECORDED
            if time.monotonic() >= deadline_at:
                break
            now = now_func()
        _beat(now, recorded)
    return recorded
