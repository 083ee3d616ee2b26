"""The regimes as values: a regime, its rule versions, their reports, and when each report is due."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from rules.regimes import vocabulary
from rules.regimes.conditions import Condition
from rules.regimes.durations import Period, local_moment, to_utc
from rules.regimes.text import Text

# The anchors recorded as facts on an incident (each with who, when and why), with their names
# from the vocabulary (data/vocabulary/vocabulary.toml).
FACT_ANCHOR_CODES = (
    "awareness",
    "detection",
    "classification",
    "determination",
    "assessment",
    "fix_available",
    "handling_ended",
)
FACT_ANCHORS: dict[str, Text] = {code: vocabulary.anchor(code) for code in FACT_ANCHOR_CODES}
REPORT_PREFIX = "report:"  # chained: when the report of that code (same version) was submitted
YEAR_END_PREFIX = "year_end:"  # derived: 00:00 on 1 January after the anchor's local date


@dataclass(frozen=True)
class Backstop:
    """``latest``: the report is due no later than ``period`` after ``anchor``."""

    anchor: str
    period: Period


@dataclass(frozen=True)
class Alerts:
    """When the team is warned about one report's clock: ``before`` its due moment, and how often after it.

    ``before`` are distances before the due moment (only those shorter than the row's period ever
    fire, see ``rules.clocks.ClockRule``); ``overdue_every`` is the interval of reminders once the
    report is overdue, ``None`` for none. A report without ``alerts`` in its file has
    :data:`STANDARD_ALERTS`, the product's one ladder (``rules.clocks.STANDARD_THRESHOLDS_BEFORE``).
    ``rules.clocks.report_clock_rule(report, duration)`` turns them into a row's clock rule.
    """

    before: tuple[timedelta, ...]
    overdue_every: timedelta | None


# The standard ladder of every clock (rules.clocks takes its constants from here): a rule uses
# only the rungs shorter than its duration, so a 24-hour report is warned at 12, 6 and 1 hours.
STANDARD_OVERDUE_EVERY = timedelta(hours=12)
STANDARD_ALERTS = Alerts(
    before=tuple(timedelta(hours=h) for h in (48, 24, 12, 6, 1)), overdue_every=STANDARD_OVERDUE_EVERY
)


@dataclass(frozen=True)
class Report:
    """One report a rule version asks for: to whom, from which anchor, within which period."""

    code: str
    title: Text
    recipient: str
    recipient_title: Text
    anchor: str
    period: Period
    legal: bool
    condition: Condition | None
    basis: Text
    latest: Backstop | None = None
    alerts: Alerts = STANDARD_ALERTS
    # The titles of the version's other reports, so explain() can name a chained anchor.
    report_titles: tuple[tuple[str, Text], ...] = field(default=(), compare=False, repr=False)

    def due_at(self, anchors: Mapping[str, datetime]) -> datetime | None:
        """The due moment (aware UTC), or ``None`` while the anchor(s) it needs are unknown.

        ``anchors`` maps fact anchors ("awareness", "detection", ...) and submitted reports
        ("report:initial") to aware instants. With a backstop the earlier moment wins; when only
        one of the two anchors is known, that one alone gives the due moment.
        """
        primary = _period_end(self.anchor, self.period, anchors)
        if self.latest is None:
            return primary
        backstop = _period_end(self.latest.anchor, self.latest.period, anchors)
        known = [moment for moment in (primary, backstop) if moment is not None]
        return min(known) if known else None

    def explain(self, language: str | None) -> str:
        """How the period counts, for a person: "3 business days (Brazil) after awareness, ends ..."."""
        titles = dict(self.report_titles)
        text = self.period.explain(anchor_label(self.anchor, titles), _day_zero(self.anchor))
        if self.latest is not None:
            backstop = self.latest.period.explain(
                anchor_label(self.latest.anchor, titles), _day_zero(self.latest.anchor)
            )
            text = Text(f"{text.en}; at the latest {backstop.en}", f"{text.nl}; uiterlijk {backstop.nl}")
        return text.get(language)


def anchor_label(anchor: str, report_titles: Mapping[str, Text]) -> Text:
    """What an anchor is called in a sentence ("awareness", "the submission of Initial notification")."""
    if anchor.startswith(REPORT_PREFIX):
        code = anchor.removeprefix(REPORT_PREFIX)
        title = report_titles.get(code, Text(code, code))
        return Text(f"the submission of “{title.en}”", f"het indienen van “{title.nl}”")
    if anchor.startswith(YEAR_END_PREFIX):
        inner = FACT_ANCHORS[anchor.removeprefix(YEAR_END_PREFIX)]
        return Text(f"the end of the calendar year of {inner.en}", f"het einde van het kalenderjaar van {inner.nl}")
    return FACT_ANCHORS[anchor]


def _day_zero(anchor: str) -> Text | None:
    """Which day does not count, when it is not the anchor's own day: a year's end counts from 1 January."""
    if anchor.startswith(YEAR_END_PREFIX):
        return Text("1 January is day 1", "1 januari is dag 1")
    return None


def _period_end(anchor: str, period: Period, anchors: Mapping[str, datetime]) -> datetime | None:
    if anchor.startswith(YEAR_END_PREFIX):
        source = anchors.get(anchor.removeprefix(YEAR_END_PREFIX))
        if source is None:
            return None
        zone = period.zone or "UTC"  # the loader requires a zone for year-end anchors
        year = to_utc(source, anchor).astimezone(ZoneInfo(zone)).year
        start = local_moment(date(year + 1, 1, 1), time(0), zone)
        # The year ended at the end of 31 December: that is the anchor day, so 1 January is day 1.
        return period.end(start, anchor_day=date(year, 12, 31))
    moment = anchors.get(anchor)
    if moment is None:
        return None
    return period.end(to_utc(moment, anchor))


@dataclass(frozen=True)
class RuleVersion:
    """A regime's rules from ``effective_from`` on; an obligation keeps the version it was computed with."""

    regime: str
    version: str
    effective_from: date
    enabled: bool
    reports: tuple[Report, ...]

    def report(self, code: str) -> Report:
        for report in self.reports:
            if report.code == code:
                return report
        raise KeyError(f"{self.regime} version {self.version} has no report {code!r}")


@dataclass(frozen=True)
class Regime:
    """One notification regime, read from its data file."""

    code: str
    title: Text
    jurisdiction: str
    source: Text  # the legal citation; a plain string in the file is the same Text in both languages
    certainty: str
    applicability: Condition | None
    versions: tuple[RuleVersion, ...]

    def version_on(self, day: date) -> RuleVersion | None:
        """The latest enabled version in force on ``day``, or ``None``."""
        if not isinstance(day, date) or isinstance(day, datetime):
            raise TypeError(f"day must be a date, got {type(day).__name__}")
        in_force = [v for v in self.versions if v.enabled and v.effective_from <= day]
        return in_force[-1] if in_force else None

    def version(self, version: str) -> RuleVersion:
        for candidate in self.versions:
            if candidate.version == version:
                return candidate
        raise KeyError(f"{self.code} has no version {version!r}")


@dataclass(frozen=True)
class Suggestion:
    """The engine's suggestion for one regime: whether it seems to apply, and why."""

    regime: Regime
    applies: bool
    reasons: tuple[Text, ...]
