"""Time-to-notify metrics of a notification regime other than the GDPR (NIS2, DORA, HIPAA, SEC 8-K, ...).

Per report of the regime (NIS2's early warning, its incident notification, ...), from the frozen
facts only: the ``notifications.Deadline`` rows of kind ``regime_report`` that
``rules.deadlines.recompute_deadlines`` derives (``rules.obligations``), whose ``met_at`` is the
submission of the report's first ``filings.RegimeReportFiling``. A report whose condition does not
hold on the facts, or whose regime an officer did not confirm (or rejected), has no active row and
is counted nowhere; a withdrawn anchor leaves its row inactive, never counted.

* **on time**: met at or before ``due_at`` (``rules.clocks.evaluate``, as the GDPR's figures);
  **late**: after; **not filed, overdue**: unmet and ``due_at`` passed; **not filed, time left**:
  unmet and not yet due. The share on time is on time among the filed ones.
* **lag**: ``met_at - started_at``, from the moment the report's clock counts from (its anchor:
  the organisation's awareness, the detection, a classification, a previous report's submission,
  as the regime's file says) to the first filing; median and 90th percentile by nearest rank
  (:func:`readers.metrics.nearest_rank`), the worst named.

The same filters as the GDPR's figures: the period selects rows by ``started_at``; the authority
and the controller select incidents (the controller: one of its Art. 33(1) clocks is on the
incident, as ``readers.metrics.incident_scope`` reads it).

Cost, whatever the number of incidents or reports: one aggregate grouped by report (one row per
report), the lags of the met rows sorted by the database (one small row per filed report), and one
query naming the worst cases' incidents (none when nothing was filed). Three queries.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, F, Max, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from incidents.models import Incident
from notifications.models import Deadline, DeadlineKind, RegimeDeadlineKind
from readers.metrics import (
    DurationFigure,
    Filters,
    Metrics,
    Worst,
    bucket_keys,
    counted_incidents,
    incidents_with_authority,
    metrics,
    nearest_rank,
    span,
)
from readers.regime_labels import find_report, language, text
from readers.regime_labels import regime_label as regime_title
from rules import regimes

GDPR = "gdpr"  # the register's own clocks: readers.metrics
REGIME_REPORT = RegimeDeadlineKind.REGIME_REPORT
STATES = ("on_time", "late", "overdue", "pending")
BUCKET_STATES = (*STATES, "filed")
LABELS = {
    "on_time": _("filed on time"),
    "late": _("filed late"),
    "overdue": _("not filed, overdue"),
    "pending": _("not filed, time left"),
    "filed": _("filed"),
}


def known_regime(code: str) -> bool:
    """A code of the regimes' catalogue (the GDPR included)."""
    return code in regimes.catalogue()


def regime_choices(organisation_ids, chosen: str = GDPR) -> list[tuple[str, str]]:
    """The regimes the select offers: the GDPR first, then every regime with a report clock in the
    organisations' data (and the chosen one), by name. One query."""
    present = set(
        Deadline.objects.filter(incident__organisation_id__in=organisation_ids, kind=REGIME_REPORT)
        .order_by("regime")
        .values_list("regime", flat=True)
        .distinct()
    )
    present.discard(GDPR)
    if chosen != GDPR and known_regime(chosen):
        present.add(chosen)
    others = sorted(((code, regime_title(code)) for code in present if known_regime(code)), key=lambda c: c[1])
    return [(GDPR, regime_title(GDPR)), *others]


# --- Which rows a figure counts ------------------------------------------------------------------


def state_conditions(now: datetime) -> dict[str, Q]:
    unmet = Q(met_at__isnull=True)
    return {
        "on_time": Q(met_at__isnull=False, met_at__lte=F("due_at")),
        "late": Q(met_at__isnull=False, met_at__gt=F("due_at")),
        "overdue": unmet & Q(due_at__lt=now),
        "pending": unmet & Q(due_at__gte=now),
        "filed": Q(met_at__isnull=False),
    }


def regime_scope(filters: Filters) -> QuerySet:
    """The active report clocks of ``filters.regime`` that the filters select."""
    rows = Deadline.objects.filter(
        incident__organisation_id=filters.organisation_id, kind=REGIME_REPORT, regime=filters.regime, is_active=True
    )
    if filters.period_from is not None:
        rows = rows.filter(started_at__gte=filters.period_from)
    if filters.period_until is not None:
        rows = rows.filter(started_at__lt=filters.period_until)
    if filters.controller_id is not None:
        clocks = Deadline.objects.filter(
            kind=DeadlineKind.AUTHORITY_NOTIFICATION, is_active=True, party__party_id=filters.controller_id
        )
        rows = rows.filter(incident_id__in=clocks.values("incident_id"))
    if filters.authority_id is not None:
        rows = rows.filter(incident_id__in=incidents_with_authority(filters))
    return rows


# --- The reading ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReportReading:
    """One report of the regime: its words, its counts and its lag."""

    code: str
    title: str  # "Early warning"
    recipient: str  # "CSIRT"
    period: str  # how its period counts, in words (the regime's file)
    counts: dict[str, int]
    lag: DurationFigure

    @property
    def share_on_time(self) -> float | None:
        filed = self.counts["on_time"] + self.counts["late"]
        return None if filed == 0 else self.counts["on_time"] / filed


def report_words(regime_code: str, version: str, code: str) -> tuple[str, str, str]:
    """(title, recipient, period in words) of a report; the code when the catalogue lost it."""
    _regime, report = find_report(regime_code, version, code)
    if report is None:
        return code, "", ""
    return text(report.title), text(report.recipient_title), report.explain(language())


def report_title(regime_code: str, code: str) -> str:
    """A report's title in the reader's language, from the newest version of the file that has it."""
    regime = regimes.catalogue().get(regime_code)
    for version in reversed(regime.versions if regime is not None else ()):
        for report in version.reports:
            if report.code == code:
                return text(report.title)
    return code


def report_order(regime_code: str, versions: dict[str, str], now: datetime) -> list[tuple[str, str]]:
    """(report, rule version) in the order of the regime's file: the reports of the version in force
    today, then those only older rows know (by code)."""
    regime = regimes.catalogue().get(regime_code)
    ordered: list[tuple[str, str]] = []
    if regime is not None:
        current = regime.version_on(now.date())
        if current is not None:
            ordered = [(report.code, versions.get(report.code, current.version)) for report in current.reports]
    known = {code for code, _version in ordered}
    ordered += sorted((code, version) for code, version in versions.items() if code not in known)
    return ordered


def regime_reading(filters: Filters, *, now: datetime) -> list[ReportReading]:
    """Every report's figures for ``filters`` (whose ``regime`` is not the GDPR), seen at ``now``."""
    rows = regime_scope(filters)
    conditions = state_conditions(now)
    grouped = (
        rows.order_by("report")
        .values("report")
        .annotate(version=Max("rule_version"), **{state: Count("pk", filter=conditions[state]) for state in STATES})
    )
    counts = {row["report"]: {state: row[state] for state in STATES} for row in grouped}
    versions = {row["report"]: row["version"] for row in grouped}
    lags = lag_figures(rows.filter(conditions["filed"]))
    readings = []
    for code, version in report_order(filters.regime, versions, now):
        title, recipient, period = report_words(filters.regime, version, code)
        readings.append(
            ReportReading(
                code=code,
                title=title,
                recipient=recipient,
                period=period,
                counts=counts.get(code, dict.fromkeys(STATES, 0)),
                lag=lags.get(code) or DurationFigure(f"{code}_lag", 0, None, None, None, bucket(code, "filed")),
            )
        )
    return readings


def lag_figures(filed: QuerySet) -> dict[str, DurationFigure]:
    """Median, p90 and worst lag per report, in two queries: the lags sorted by the database, then
    the worst rows' incidents."""
    values = filed.annotate(span_value=span("met_at", "started_at")).order_by("report", "span_value", "pk")
    by_report = defaultdict(list)
    for report, lag, pk in values.values_list("report", "span_value", "pk"):
        by_report[report].append((lag, pk))
    if not by_report:
        return {}
    worst_pks = [spans[-1][1] for spans in by_report.values()]
    named = {
        pk: (incident_id, reference, title)
        for pk, incident_id, reference, title in Deadline.objects.filter(pk__in=worst_pks).values_list(
            "pk", "incident_id", "incident__reference", "incident__title"
        )
    }
    figures = {}
    for report, spans in by_report.items():
        count = len(spans)
        worst_lag, worst_pk = spans[-1]
        incident_id, reference, title = named[worst_pk]
        figures[report] = DurationFigure(
            f"{report}_lag",
            count,
            spans[nearest_rank(count, 0.5)][0],
            spans[nearest_rank(count, 0.9)][0],
            Worst(incident_id, reference, title, worst_lag),
            bucket(report, "filed"),
        )
    return figures


# --- Drill-down ----------------------------------------------------------------------------------


def bucket(report: str, state: str) -> str:
    """The drill-down key of a report's figure: ``report_on_time:early_warning``."""
    return f"report_{state}:{report}"


def parse_bucket(key: str) -> tuple[str, str] | None:
    """(state, report) of a report figure's key, or None."""
    head, separator, report = key.partition(":")
    state = head.removeprefix("report_")
    if not separator or not head.startswith("report_") or state not in BUCKET_STATES or not report:
        return None
    return state, report


def counted_regime_incidents(filters: Filters, key: str, *, now: datetime) -> QuerySet:
    """The incidents a report figure counts, with the same condition (``key`` from :func:`bucket`)."""
    state, report = parse_bucket(key) or ("", "")
    ids = regime_scope(filters).filter(state_conditions(now)[state], report=report).values("incident_id")
    return Incident.objects.filter(organisation_id=filters.organisation_id, pk__in=ids).order_by("-created_at", "-pk")


# --- Either reading ------------------------------------------------------------------------------


@dataclass
class RegimeMetrics:
    """The figures of a regime other than the GDPR: one :class:`ReportReading` per report."""

    filters: Filters
    now: datetime
    reports: list[ReportReading]

    @property
    def regime_title(self) -> str:
        return regime_title(self.filters.regime)


def reading(filters: Filters, *, now: datetime) -> Metrics | RegimeMetrics:
    """The figures the page, its CSV and the API show for ``filters``: the GDPR's
    (``readers.metrics.metrics``, unchanged) or another regime's reports."""
    if filters.regime == GDPR:
        return metrics(filters, now=now)
    return RegimeMetrics(filters, now, regime_reading(filters, now=now))


def is_bucket(filters: Filters, key: str, *, now: datetime) -> bool:
    """Whether ``key`` names a figure of the reading ``filters`` select."""
    if filters.regime == GDPR:
        return key in bucket_keys(now)
    return parse_bucket(key) is not None


def counted(filters: Filters, key: str, *, now: datetime) -> QuerySet:
    """The incidents a figure counts (``key`` must pass :func:`is_bucket`)."""
    if filters.regime == GDPR:
        return counted_incidents(filters, key, now=now)
    return counted_regime_incidents(filters, key, now=now)
