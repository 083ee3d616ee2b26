"""The sweep: turn passed deadline thresholds into AlertEvent rows, in batches of due rows; detection only.

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
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple

from django.db import DatabaseError, connection, models, transaction
from django.db.models import Case, CharField, DateTimeField, OuterRef, Q, QuerySet, Subquery, Value, When
from django.utils import timezone

from breachtrack.dbclock import database_now
from breachtrack.history import insert_rows_without_history
from incidents.models import Incident
from notifications.fanout import fan_out_events
from notifications.models import AlertEvent, Deadline, SweepHeartbeat
from rules import clocks
from rules.deadlines import current_alert
from rules.policies import PolicyBook, regime_report_key

logger = logging.getLogger(__name__)

RETRY_DELAY = timedelta(hours=1)  # a row that raised waits this long, so it cannot crash-loop the sweep
BATCH_SIZE = 100  # rows claimed per transaction (see sweep())


class Outcome(enum.Enum):
    NOTHING_DUE = "nothing_due"
    RECORDED = "recorded"
    ALREADY_RECORDED = "already_recorded"  # the unique constraint caught a repeat
    LOST_CLAIM = "lost_claim"  # another sweeper (or a recompute) changed the row first


class DueRow(NamedTuple):
    """A due deadline as the sweep works on it: the columns it reads, no model instance."""

    pk: int
    kind: str
    started_at: datetime
    due_at: datetime
    met_at: datetime | None
    next_alert_at: datetime
    next_alert_label: str
    organisation_id: int
    # A regime row's report (its rule version's alerts give its ladder); blank for other kinds.
    regime: str
    rule_version: str
    report: str


def due_queryset(now: datetime, limit: int) -> QuerySet:
    """The sweep's pick: up to ``limit`` due rows, the columns of ``DueRow``.

    The organisation is a scalar subquery, not a join: the partial index on ``next_alert_at``
    then yields the rows in order and stops at ``limit`` (a join made PostgreSQL hash every
    incident and sort every due row). PostgreSQL: ``FOR UPDATE OF`` the deadline rows only,
    ``SKIP LOCKED``, so concurrent sweepers take different rows instead of queueing on one, and a
    service editing an incident is not blocked. The alert policies are read once per batch
    afterwards (``rules.policies.PolicyBook``), not as subqueries per row.
    """
    organisation = Incident.objects.filter(pk=OuterRef("incident_id")).order_by().values("organisation_id")[:1]
    due = (
        Deadline.objects.filter(next_alert_at__lte=now)
        .annotate(organisation_id=Subquery(organisation))
        .order_by("next_alert_at", "pk")
        .values_list(*DueRow._fields)
    )
    if connection.features.has_select_for_update_skip_locked:
        due = due.select_for_update(skip_locked=True, of=("self",))
    return due[:limit]


# The pick is the same statement every run but for ``now``: compiled once per process and database,
# for a placeholder moment that ``due_rows`` swaps for the real one (building and compiling the
# queryset each batch cost more than running it: the issue-15 benchmark, ORM / the same SQL raw).
_PLACEHOLDER_NOW = datetime(2000, 1, 1, 0, 0, 0, 123457, tzinfo=UTC)
_compiled_picks: dict[tuple[str, str, int], tuple] = {}


def _compiled_pick(limit: int) -> tuple:
    key = (connection.alias, connection.vendor, limit)
    found = _compiled_picks.get(key)
    if found is None:
        compiler = due_queryset(_PLACEHOLDER_NOW, limit).query.get_compiler(connection.alias)
        sql, params = compiler.as_sql()
        placeholder = _prepared_now(_PLACEHOLDER_NOW)
        slots = [index for index, param in enumerate(params) if param == placeholder]
        if len(slots) != 1:  # the statement changed shape: refuse rather than guess
            raise RuntimeError(f"the sweep's pick has {len(slots)} places for now, not 1: {sql}")
        converters = compiler.get_converters([column for column, _sql, _alias in compiler.select[: compiler.col_count]])
        found = _compiled_picks[key] = (sql, tuple(params), slots[0], compiler, converters)
    return found


def _prepared_now(now: datetime) -> object:
    """``now`` as the database receives it in ``next_alert_at <= now``."""
    return Deadline._meta.get_field("next_alert_at").get_db_prep_value(now, connection)


def due_rows(now: datetime, limit: int) -> list[DueRow]:
    """The due rows as the sweep works on them: ``due_queryset``'s statement (compiled once), as tuples."""
    sql, params, slot, compiler, converters = _compiled_pick(limit)
    params = (*params[:slot], _prepared_now(now), *params[slot + 1 :])
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    if converters:
        rows = compiler.apply_converters(rows, converters)
    return [DueRow._make(values) for values in rows]


def _next(row: DueRow, rule: clocks.ClockRule, now: datetime) -> tuple[str, tuple[str, datetime | None]]:
    """(the alert the row's claim records, the (label, moment) its next alert moves to).

    The alert recorded is the clock's state at ``now`` (the latest passed threshold); it equals
    the stored label when the sweep runs on time, and after an outage it is one alert for the
    current state rather than a replay of every missed threshold.
    """
    claimed = current_alert(rule, row.due_at, now) or (row.next_alert_label, row.next_alert_at)
    upcoming = clocks.next_alert_at(rule, row.due_at, row.met_at, after=now)
    return claimed[0], upcoming if upcoming is not None else ("", None)


def _rule(book: PolicyBook, row: DueRow) -> clocks.ClockRule:
    """The row's rule, as ``rules.deadlines.rule_for`` gives it, from the batch's policies (no query)."""
    report = regime_report_key(row.kind, row.regime, row.rule_version, row.report)
    return book.rule(row.organisation_id, row.kind, row.due_at - row.started_at, report)


def _claim(row: DueRow, next_label: str, at: datetime | None) -> bool:
    """Move one row to its next alert by compare-and-set; False if another writer changed it first."""
    return (
        Deadline.objects.filter(pk=row.pk, next_alert_at=row.next_alert_at).update(  # not-historied: Deadline
            next_alert_at=at, next_alert_label=next_label
        )
        == 1
    )


class _ClaimRace(Exception):
    """Some row of a batch changed between its pick and its claim (the batch claims them one by one)."""


def _claim_all(rows: list[DueRow], now: datetime) -> list[tuple[DueRow, str]]:
    """Claim every row (compare-and-set, one UPDATE for the batch); (row, label) of each row claimed.

    The UPDATE matches each row only at the ``next_alert_at`` it was picked with. When it moves
    all of them (always on PostgreSQL, where the picked rows are locked) they are all ours; else a
    writer changed one meanwhile (SQLite, where a pick does not lock), so the UPDATE is undone
    (savepoint) and the rows are claimed one by one, each keeping its own compare-and-set.
    """
    if not rows:
        return []
    book = PolicyBook(row.organisation_id for row in rows)
    plans = [(row, _next(row, _rule(book, row), now)) for row in rows]
    if len(rows) == 1:
        ((row, (label, (next_label, at))),) = plans
        return [(row, label)] if _claim(row, next_label, at) else []
    try:
        with transaction.atomic():
            changed = _claim_update(plans)
            if changed != len(rows):
                raise _ClaimRace
    except _ClaimRace:
        return [(row, label) for row, (label, (next_label, at)) in plans if _claim(row, next_label, at)]
    return [(row, label) for row, (label, _upcoming) in plans]


def _table(model: type[models.Model]) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _column(model: type[models.Model], name: str) -> str:
    field = model._meta.get_field(name)
    return connection.ops.quote_name(getattr(field, "column", None) or name)


def _claim_update(plans: list[tuple[DueRow, tuple[str, tuple[str, datetime | None]]]]) -> int:
    """The batch's compare-and-set as one UPDATE; how many rows it moved.

    Each row is matched by its id *and* the ``next_alert_at`` it was picked with. On PostgreSQL
    the (id, picked, next moment, next label) of every row travel as four arrays (``unnest``), a
    statement the database plans once and Python does not build per row; elsewhere it is the
    ORM's ``CASE WHEN`` per row (the building of which cost a fifth of a busy sweep).
    """
    if connection.vendor == "postgresql":
        column = {name: _column(Deadline, name) for name in ("id", "next_alert_at", "next_alert_label")}
        sql = (
            f"UPDATE {_table(Deadline)} AS d SET {column['next_alert_at']} = v.at, "  # noqa: S608
            f"{column['next_alert_label']} = v.label "
            "FROM unnest(%s::bigint[], %s::timestamptz[], %s::timestamptz[], %s::text[]) AS v(id, picked, at, label) "
            f"WHERE d.{column['id']} = v.id AND d.{column['next_alert_at']} = v.picked"
        )
        params: list[Any] = [
            [row.pk for row, _plan in plans],
            [row.next_alert_at for row, _plan in plans],
            [at for _row, (_label, (_next, at)) in plans],
            [next_label for _row, (_label, (next_label, _at)) in plans],
        ]
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.rowcount
    matches = Q(*(Q(pk=row.pk, next_alert_at=row.next_alert_at) for row, _plan in plans), _connector=Q.OR)
    # pk__in first: the primary key index finds the rows; the pairs are checked on them.
    return (
        Deadline.objects.filter(pk__in=[row.pk for row, _plan in plans])
        .filter(matches)
        .update(  # not-historied: Deadline
            next_alert_at=Case(
                *(When(pk=row.pk, then=Value(at)) for row, (_l, (_n, at)) in plans),
                output_field=DateTimeField(),
            ),
            next_alert_label=Case(
                *(When(pk=row.pk, then=Value(next_label)) for row, (_l, (next_label, _a)) in plans),
                output_field=CharField(),
            ),
        )
    )


def _record_all(claims: list[tuple[DueRow, str]], now: datetime) -> int:
    """Record the claimed alerts that are not recorded yet, fan the new ones out; how many were new.

    One query for the ones already there, one INSERT for the rest (rows as tuples, their ids
    returned: ``insert_rows_without_history``): inside the batch's transaction the claimed rows
    are ours (locked on PostgreSQL, the one writer on SQLite), so nobody else can insert the same
    (deadline, label, due_at) meanwhile; the unique constraint still guards it.
    """
    if not claims:
        return 0
    wanted = {(row.pk, label, row.due_at): row for row, label in claims}
    existing = set(
        AlertEvent.objects.filter(
            deadline_id__in=[row.pk for row, _label in claims], label__in={label for _row, label in claims}
        ).values_list("deadline_id", "label", "due_at")
    )
    created_at = timezone.now()  # what auto_now_add would write
    new = [
        (pk, label, due_at, now, created_at) for (pk, label, due_at) in wanted if (pk, label, due_at) not in existing
    ]
    # A batch claims each deadline once (one label per row), so the deadline names its new event.
    event_of = dict(
        insert_rows_without_history(
            AlertEvent,
            ("deadline_id", "label", "due_at", "fired_at", "created_at"),
            new,
            returning=("deadline_id", "pk"),
        )
    )
    organisation_of = {row.pk: row.organisation_id for row in wanted.values()}
    deadlines = [pk for pk, *_rest in new]
    fan_out_events([event_of[pk] for pk in deadlines], [organisation_of[pk] for pk in deadlines], now)
    return len(new)


def _push_back(deadline: Deadline | DueRow, now: datetime) -> None:
    Deadline.objects.filter(pk=deadline.pk).update(next_alert_at=now + RETRY_DELAY)  # not-historied: Deadline


def _handle(now: datetime, limit: int) -> tuple[int, int]:
    """Claim and record up to ``limit`` due rows in one transaction; (rows picked, alerts recorded).

    Steps: pick the due rows; claim each by compare-and-set (a row a recompute changed meanwhile
    is left alone); record the claimed alerts and fan them out; commit. Any error rolls the whole
    batch back, claims included, so nothing is half done.
    """
    with transaction.atomic():
        rows = due_rows(now, limit)
        return len(rows), _record_all(_claim_all(rows, now), now)


def _handle_one(now: datetime) -> Outcome:
    """One due row: the unit a failing batch falls back to, so one bad row is found and pushed."""
    deadline = None
    try:
        with transaction.atomic():
            rows = due_rows(now, 1)
            if not rows:
                return Outcome.NOTHING_DUE
            deadline = rows[0]
            claims = _claim_all(rows, now)
            if not claims:
                return Outcome.LOST_CLAIM
            return Outcome.RECORDED if _record_all(claims, now) else Outcome.ALREADY_RECORDED
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
    """One UPDATE in the steady state; the row is created by the very first sweep.

    The heartbeat is the only write of an idle sweep, and a durable commit waits for an fsync
    (about 6 ms here, most of an idle sweep's time). It is liveness information, not evidence: a
    database crash that loses the last beat only makes the sweep look a few seconds older. So on
    PostgreSQL it commits without waiting for the disk: ``set_config('synchronous_commit', 'off',
    true)`` inside the UPDATE itself, which lasts only for that statement's own transaction and
    is what counts when it commits. One statement and one round trip, where ``BEGIN``, ``SET
    LOCAL``, the UPDATE and ``COMMIT`` were four. The alerts and their fan-out keep durable commits.
    """
    values = {"last_sweep_at": now, "last_found": found}
    if connection.vendor == "postgresql":
        sql = (
            f"UPDATE {_table(SweepHeartbeat)} SET {_column(SweepHeartbeat, 'last_sweep_at')} = %s, "  # noqa: S608
            f"{_column(SweepHeartbeat, 'last_found')} = %s "
            "FROM (SELECT set_config('synchronous_commit', 'off', true)) AS lazy_commit "
            f"WHERE {_column(SweepHeartbeat, 'id')} = 1"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, [now, found])
            if cursor.rowcount:
                return
    elif SweepHeartbeat.objects.filter(pk=1).update(**values):  # not-historied: SweepHeartbeat
        return
    SweepHeartbeat.objects.update_or_create(pk=1, defaults=values)


def _any_due(now: datetime) -> bool:
    """Whether any deadline is due: one index probe, outside any transaction.

    An idle sweep then costs this one statement and round trip instead of ``BEGIN``, the locking
    pick and ``COMMIT``. It only decides whether to look: the pick in its transaction decides what
    is claimed, and a row falling due just after this probe is the next sweep's, as it would be
    after an empty pick.
    """
    sql = f"SELECT 1 FROM {_table(Deadline)} WHERE {_column(Deadline, 'next_alert_at')} <= %s LIMIT 1"  # noqa: S608
    params: list[Any] = [_prepared_now(now)]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone() is not None


def sweep(
    *, budget_seconds: float = 10, now_func: Callable[[], datetime] = database_now, batch_size: int = BATCH_SIZE
) -> int:
    """Handle due deadlines until none is left or the budget is spent; the alerts recorded.

    Batches of ``batch_size`` rows per transaction: a commit per row (a durable fsync each, ~6 ms
    on PostgreSQL here) capped the sweep far below the 1,000 alerts in 2 s it must manage after
    an outage. A batch that raises anything but a database error is redone row by row, so the
    one bad row is pushed an hour ahead and the others are recorded. The heartbeat is written
    only when the sweep finishes, so a sweeper that keeps failing shows up as a stale heartbeat.
    An idle sweep is a probe (``_any_due``) and the heartbeat: two statements, no transaction.
    """
    deadline_at = time.monotonic() + budget_seconds
    recorded = 0
    now = now_func()
    if not _any_due(now):
        _beat(now, 0)
        return 0
    while True:
        try:
            picked, found = _handle(now, batch_size)
        except DatabaseError:
            raise
        except Exception:
            picked, found = _redo_row_by_row(now, batch_size)
        recorded += found
        if picked < batch_size or time.monotonic() >= deadline_at:
            break
        now = now_func()
    _beat(now, recorded)
    return recorded


def _redo_row_by_row(now: datetime, count: int) -> tuple[int, int]:
    """After a failed batch: the same rows one at a time, then the first error is raised.

    The failing row is pushed back and logged by ``_handle_one``; the rows after it are still
    recorded, and the error still reaches the task (and the heartbeat is not written for it).
    """
    picked = recorded = 0
    error = None
    for _ in range(count):
        try:
            outcome = _handle_one(now)
        except DatabaseError:
            raise
        except Exception as exc:
            error = error or exc
            picked += 1
            continue
        if outcome is Outcome.NOTHING_DUE:
            break
        picked += 1
        recorded += outcome is Outcome.RECORDED
    if error is not None:
        raise error
    return picked, recorded
