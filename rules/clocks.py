"""Deadline arithmetic for the GDPR clocks, as pure functions.

Why this module looks the way it does (the rules are in docs/domain.md#counting-hours):

* **Elapsed time, computed in UTC.** "72 hours" in Art. 33(1) is 72 real hours from the moment
  the controller became aware. Every input is converted to UTC before any arithmetic: adding 72
  hours to a local wall-clock time gives 71 or 73 real hours across a daylight-saving change
  (and Python's aware arithmetic *is* wall-clock arithmetic when both sides share a tzinfo).
  Example: aware 2026-03-27 10:00 Europe/Amsterdam (CET) -> due 2026-03-30 11:00 CEST.
* **No weekend or holiday shift.** Regulation (EEC, Euratom) 1182/71 Art. 3(4) moves only periods
  *not* expressed in hours; an hour-based period ends when its hours run out, on a Saturday too.
* **The 1182/71 bound is information only.** Where 1182/71 applies (Art. 3(1), 3(2)(a)) the hour
  of the event is not counted, so the period ends at ``floor_to_hour(aware_at) + 73h``. Whether it
  governs GDPR periods is an open question; the product alerts on the earlier ``aware_at + 72h`` and may show
  the later bound beside it. Should the reading change, only :func:`regulation_1182_71_bound` or
  the rule data need to follow.
* **Rules are data.** Only Art. 33(1) has a number in the law; the other periods ("without undue
  delay") are targets that an organisation or a processing agreement may set differently, hence
  :class:`ClockRule` and :func:`rule_with_duration`.
* **No clock inside.** Nothing here reads the current time or the database: ``now`` is passed in,
  so models, tasks and tests all get the same answer for the same values.

Every function rejects naive datetimes with ``ValueError`` and returns aware UTC datetimes.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum

from rules.regimes import Report, catalogue
from rules.regimes.durations import HOURS
from rules.regimes.durations import to_utc as _to_utc
from rules.regimes.model import STANDARD_ALERTS, STANDARD_OVERDUE_EVERY, Alerts

# The GDPR's periods are stated once, as data, in rules/regimes/data/gdpr.toml (like every other
# regime's); the clocks below read their hours from it. GDPR clocks stay their own kinds (per
# controller, per processing relationship), derived by rules.deadlines.
GDPR = "gdpr"


def gdpr_report(code: str) -> Report:
    """One report of the GDPR's rules in force (gdpr.toml), whose period must be whole elapsed hours."""
    enabled = [version for version in catalogue()[GDPR].versions if version.enabled]
    report = enabled[-1].report(code)
    period = report.period
    if period.unit != HOURS or period.roll is not None or report.latest is not None:
        raise ValueError(f"gdpr.toml: {code} must be a plain period of hours (the GDPR counts elapsed hours)")
    return report


def gdpr_hours(code: str) -> int:
    """The hours of one GDPR report in gdpr.toml: 72 for Art. 33(1), the default targets for the others."""
    return gdpr_report(code).period.amount


AUTHORITY_NOTIFICATION_PERIOD = timedelta(hours=gdpr_hours("authority_notification"))  # Art. 33(1): law, not a setting
REGULATION_1182_71_PERIOD = AUTHORITY_NOTIFICATION_PERIOD + timedelta(hours=1)

# One ladder for every clock; a rule uses only the rungs shorter than its duration, so a
# processor agreement that moves 24h to 48h gains the "before:24h" alert without new data.
# Stated once in rules.regimes (a regime report without ``alerts`` in its file has this ladder).
STANDARD_THRESHOLDS_BEFORE: tuple[timedelta, ...] = STANDARD_ALERTS.before
STANDARD_OVERDUE_REPEAT = STANDARD_OVERDUE_EVERY


def _require_positive(value: timedelta, name: str) -> None:
    if not isinstance(value, timedelta):
        raise TypeError(f"{name} must be a timedelta, got {type(value).__name__}")
    if value <= timedelta(0):
        raise ValueError(f"{name} must be positive, got {value}")


@dataclass(frozen=True)
class ClockRule:
    """How long one kind of clock runs and when it asks for attention.

    ``thresholds_before`` are distances before the due moment; only those shorter than
    ``duration`` ever fire (one at or before the start would announce itself immediately).
    ``overdue_repeat`` is the interval of reminders after the due moment, ``None`` for none.
    """

    kind: str
    duration: timedelta
    thresholds_before: tuple[timedelta, ...]
    overdue_repeat: timedelta | None
    is_legal_deadline: bool
    legal_basis: str

    def __post_init__(self) -> None:
        # Rules come from settings and per-organisation data: refuse bad ones when they are
        # built, not when the sweeper first meets them at night.
        _require_positive(self.duration, "duration")
        if not isinstance(self.thresholds_before, tuple):
            raise TypeError("thresholds_before must be a tuple (the rule is frozen and hashable)")
        for threshold in self.thresholds_before:
            _require_positive(threshold, "each threshold in thresholds_before")
        if len(set(self.thresholds_before)) != len(self.thresholds_before):
            raise ValueError(f"thresholds_before has duplicates: {self.thresholds_before}")
        if self.overdue_repeat is not None:
            _require_positive(self.overdue_repeat, "overdue_repeat")


def _standard_rule(kind: str, *, is_legal: bool, basis: str) -> ClockRule:
    """A GDPR clock with the standard ladder; its hours, and whether it is law, come from gdpr.toml."""
    report = gdpr_report(kind)
    if report.legal != is_legal:
        raise ValueError(
            f"gdpr.toml: {kind} is {'a legal deadline' if report.legal else 'a target'}, the code says not"
        )
    return ClockRule(
        kind=kind,
        duration=timedelta(hours=report.period.amount),
        thresholds_before=STANDARD_THRESHOLDS_BEFORE,
        overdue_repeat=STANDARD_OVERDUE_REPEAT,
        is_legal_deadline=is_legal,
        legal_basis=basis,
    )


# A threat actor's countdown is operational, never legal: it moves no GDPR deadline (docs/domain.md#extortion).
# Its duration comes from each row (announced -> deadline, see rules.deadlines.rule_for);
# the one here is a placeholder that no stored row runs on. Alerts at 24h (a working day to
# prepare statements, the Art. 34 reassessment and watching the leak site), 6h and 1h before,
# and at the deadline. No overdue repeats: once the moment passed, what matters is what was
# published (a Publication, with its own Art. 34 flag), and a reminder every few hours about an
# expired threat would only teach people to ignore alerts. The legal clocks keep theirs.
EXTORTION_COUNTDOWN_RULE = ClockRule(
    kind="extortion_countdown",
    duration=timedelta(days=7),
    thresholds_before=tuple(timedelta(hours=h) for h in (24, 6, 1)),
    overdue_repeat=None,
    is_legal_deadline=False,
    legal_basis="Not a legal deadline: the threat actor's countdown is operational only and never "
    "delays or extends Art. 33(1) or Art. 34",
)


DEFAULT_RULES: dict[str, ClockRule] = {
    rule.kind: rule
    for rule in (
        _standard_rule(
            "authority_notification",
            is_legal=True,
            basis="GDPR Art. 33(1): notify the supervisory authority within 72 hours of awareness",
        ),
        _standard_rule(
            "processor_notice",
            is_legal=False,
            basis="GDPR Art. 33(2): processor informs the controller without undue delay "
            "(no number in the law; 24h is a default target, contracts often fix 24 or 48h)",
        ),
        _standard_rule(
            "data_subject_communication",
            is_legal=False,
            basis="GDPR Art. 34(1): communicate to data subjects without undue delay "
            "(no number in the law; 72h is a target)",
        ),
        _standard_rule(
            "follow_up",
            is_legal=False,
            basis="GDPR Art. 33(4): further information in phases without undue further delay "
            "(no number in the law; 72h is a target)",
        ),
        EXTORTION_COUNTDOWN_RULE,
    )
}

# The clocks of other regimes (kind regime_report, docs/obligations.md): each row carries its own
# period (due_at - started_at, from the regime's file) and whether it is law
# (``Deadline.is_legal_deadline``); this rule gives them the standard ladder, which a report's
# ``alerts`` in its file replace (``regime_report_rule``; docs/regimes.md). Marked legal so that
# an organisation's target never replaces a period the regime's rules set. Not in DEFAULT_RULES,
# whose kinds are the GDPR's clocks and the countdown.
REGIME_REPORT_RULE = ClockRule(
    kind="regime_report",
    duration=timedelta(hours=72),  # a placeholder: each row carries its own
    thresholds_before=STANDARD_THRESHOLDS_BEFORE,
    overdue_repeat=STANDARD_OVERDUE_REPEAT,
    is_legal_deadline=True,
    legal_basis="The rules of the regime (its data file), as the row's regime, report and rule version name",
)


def regime_report_rule(alerts: Alerts, duration: timedelta) -> ClockRule:
    """``REGIME_REPORT_RULE`` with one report's alerts (its file's ``alerts``) and a row's duration."""
    return dataclasses.replace(
        REGIME_REPORT_RULE, duration=duration, thresholds_before=alerts.before, overdue_repeat=alerts.overdue_every
    )


def report_clock_rule(report: Report, duration: timedelta) -> ClockRule:
    """The clock rule of a row of ``report`` whose period is ``duration`` (``due_at - started_at``).

    Kind ``regime_report``, the report's alerts, marked legal like every regime row's base rule (so
    that an organisation's target never replaces the regime's period; the row keeps whether the
    report is law in ``Deadline.is_legal_deadline``).
    """
    return regime_report_rule(report.alerts, duration)


def rule_of_kind(kind: str) -> ClockRule:
    """The code's rule of any deadline kind: a GDPR clock, the countdown, or a regime's report."""
    if kind == REGIME_REPORT_RULE.kind:
        return REGIME_REPORT_RULE
    return DEFAULT_RULES[kind]


def rule_with_duration(rule: ClockRule, duration: timedelta) -> ClockRule:
    """The same rule with another duration, for per-organisation or per-contract settings."""
    return dataclasses.replace(rule, duration=duration)


def floor_to_hour(dt: datetime) -> datetime:
    """The start of the UTC hour containing ``dt``.

    Floored in UTC: for zones with whole-hour offsets (all of the EU) this is the local hour too.
    """
    return _to_utc(dt, "dt").replace(minute=0, second=0, microsecond=0)


def due_at(rule: ClockRule, started_at: datetime) -> datetime:
    """When a clock of ``rule`` started at ``started_at`` runs out (elapsed time, UTC)."""
    return _to_utc(started_at, "started_at") + rule.duration


def authority_due_at(aware_at: datetime) -> datetime:
    """The Art. 33(1) deadline: 72 elapsed hours after awareness, never shifted for weekends."""
    return _to_utc(aware_at, "aware_at") + AUTHORITY_NOTIFICATION_PERIOD


def regulation_1182_71_bound(aware_at: datetime) -> datetime:
    """The later bound if Regulation 1182/71 governs the 72 hours (an open question; information only).

    Art. 3(1) leaves out the hour in which awareness happened; Art. 3(2)(a) starts the period at
    the beginning of the next hour. Hence floor + 1h + 72h, always in (72h, 73h] after awareness.
    """
    return floor_to_hour(aware_at) + REGULATION_1182_71_PERIOD


# The clocks whose period is one of the law's, counted in hours, and so has a Regulation 1182/71
# reading: only Art. 33(1)'s 72 hours. Targets ("without undue delay") and the attackers' countdown
# are not periods of the law and have no outer bound.
OUTER_BOUND_KINDS = frozenset({"authority_notification"})


def outer_bound_at(kind: str, started_at: datetime) -> datetime | None:
    """The outer bound of a clock of ``kind`` started at ``started_at``, shown beside its due moment.

    The one place every output (incident page, API deadline rows, the ``deadlines`` command, the
    iCalendar file, the timeline export, the AP answer sheet) takes it from: the Regulation 1182/71
    bound (:func:`regulation_1182_71_bound`, information only) for the 72 hours of Art. 33(1),
    ``None`` for every other kind.
    """
    if kind not in OUTER_BOUND_KINDS:
        return None
    return regulation_1182_71_bound(started_at)


class DeadlineState(str, Enum):
    PENDING = "pending"
    MET_ON_TIME = "met_on_time"
    MET_LATE = "met_late"
    OVERDUE = "overdue"


@dataclass(frozen=True)
class DeadlineStatus:
    due_at: datetime
    state: DeadlineState
    met_at: datetime | None
    lateness: timedelta | None  # how late it was met, or how overdue it is now
    remaining: timedelta | None  # time left while pending


def evaluate(due_at: datetime, met_at: datetime | None, now: datetime) -> DeadlineStatus:
    """Where a deadline stands at ``now``.

    Meeting it exactly at ``due_at`` is on time, so at ``now == due_at`` it is still pending
    with zero remaining. Once met, ``met_at`` alone decides; ``now`` no longer matters.
    """
    # Compare in UTC: aware datetimes sharing a tzinfo compare by wall clock, ignoring fold.
    due = _to_utc(due_at, "due_at")
    current = _to_utc(now, "now")
    if met_at is not None:
        met = _to_utc(met_at, "met_at")
        if met <= due:
            return DeadlineStatus(due, DeadlineState.MET_ON_TIME, met, None, None)
        return DeadlineStatus(due, DeadlineState.MET_LATE, met, met - due, None)
    if current <= due:
        return DeadlineStatus(due, DeadlineState.PENDING, None, None, due - current)
    return DeadlineStatus(due, DeadlineState.OVERDUE, None, current - due, None)


def _format_span(span: timedelta) -> str:
    """'48h', '90m', '45s': the shortest exact unit, so labels stay stable keys for alert rows."""
    seconds = span.total_seconds()
    if span % timedelta(hours=1) == timedelta(0):
        return f"{int(seconds // 3600)}h"
    if span % timedelta(minutes=1) == timedelta(0):
        return f"{int(seconds // 60)}m"
    return f"{seconds:g}s"


def _alerts_up_to_due(rule: ClockRule, due: datetime) -> list[tuple[str, datetime]]:
    """The finite part of the ladder: the 'before' alerts that fall inside the clock, then 'due'."""
    inside = sorted((t for t in rule.thresholds_before if t < rule.duration), reverse=True)
    alerts = [(f"before:{_format_span(t)}", due - t) for t in inside]
    alerts.append(("due", due))
    return alerts


def _overdue_alert(repeat: timedelta, due: datetime, n: int) -> tuple[str, datetime]:
    span = repeat * n
    return (f"overdue:{_format_span(span)}", due + span)


def alert_thresholds(rule: ClockRule, due_at: datetime, until: datetime) -> list[tuple[str, datetime]]:
    """Every alert moment of a clock, ascending, with overdue repeats up to ``until`` inclusive.

    The 'before' alerts and 'due' are always listed (they are finite); ``until`` only bounds
    the otherwise endless overdue repeats.
    """
    due = _to_utc(due_at, "due_at")
    limit = _to_utc(until, "until")
    alerts = _alerts_up_to_due(rule, due)
    if rule.overdue_repeat is None:
        return alerts
    n = 1
    while due + rule.overdue_repeat * n <= limit:
        alerts.append(_overdue_alert(rule.overdue_repeat, due, n))
        n += 1
    return alerts


def next_alert_at(
    rule: ClockRule, due_at: datetime, met_at: datetime | None, after: datetime
) -> tuple[str, datetime] | None:
    """The first alert strictly after ``after``; ``None`` once met or when nothing is left.

    This is what a row stores as its ``next_alert_at`` column, which the sweep's index reads. Overdue
    repeats are computed directly, so a clock months overdue costs no more than a fresh one.
    """
    due = _to_utc(due_at, "due_at")
    moment = _to_utc(after, "after")
    if met_at is not None:
        _to_utc(met_at, "met_at")  # still refuse a naive value: it signals a bug upstream
        return None
    for label, at in _alerts_up_to_due(rule, due):
        if at > moment:
            return (label, at)
    if rule.overdue_repeat is None:
        return None
    # Smallest n >= 1 with due + n*repeat > moment; timedelta // timedelta is exact integer maths.
    n = (moment - due) // rule.overdue_repeat + 1
    return _overdue_alert(rule.overdue_repeat, due, n)


@dataclass(frozen=True)
class ProcessorLag:
    lag: timedelta
    is_informed: bool
    is_over_target: bool


def processor_lag(
    processor_aware_at: datetime,
    informed_at: datetime | None,
    target: timedelta,
    now: datetime,
) -> ProcessorLag:
    """How long a processor took (or is taking) to tell a controller, against a target.

    Art. 33(2) has no number, so ``target`` comes from the processing agreement or a setting.
    Until the controller is informed, the lag keeps growing with ``now``; exactly at the
    target counts as within it, as in :func:`evaluate`.
    """
    if not isinstance(target, timedelta) or target < timedelta(0):
        raise ValueError(f"target must be a non-negative timedelta, got {target!r}")
    start = _to_utc(processor_aware_at, "processor_aware_at")
    current = _to_utc(now, "now")
    if informed_at is not None:
        informed = _to_utc(informed_at, "informed_at")
        if informed < start:
            # A controller told before the processor knew is a data error to fix, not a lag.
            raise ValueError(f"informed_at {informed.isoformat()} is before processor_aware_at {start.isoformat()}")
        lag = informed - start
    else:
        # A clock that has not started (aware_at recorded ahead of now) has no lag yet.
        lag = max(current - start, timedelta(0))
    return ProcessorLag(lag=lag, is_informed=informed_at is not None, is_over_target=lag > target)
