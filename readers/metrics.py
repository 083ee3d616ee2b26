"""Time-to-notify metrics of one organisation over a period: how often on time, how long, how late.

Every figure is computed from the facts as frozen, never re-derived here:

* the **clocks** are the ``notifications.Deadline`` rows that ``rules.deadlines.recompute_deadlines``
  derives from the historied facts in the same transaction as every change (awareness records,
  processor notices, the filings' ``submitted_at``, the Art. 34 assessments and sent waves). Their
  ``started_at``, ``due_at`` and ``met_at`` are the moments the incident page, the dashboard and the
  regulator summary already read; a withdrawn fact leaves its row inactive, and inactive rows are
  never counted. A controller that decided not to notify has no Art. 33(1) clock, so it is counted
  neither on time nor late;
* **on time** is :func:`rules.clocks.evaluate`: met at or before ``due_at`` is on time, after it
  late; unmet and past ``due_at`` is overdue. The database expressions in :data:`CLOCK_BUCKETS`
  say exactly that (``met_at <= due_at``), and ``tests/readers/test_metrics.py`` holds the two
  together on the boundary;
* the **detection gaps**: occurrence → detection per incident (the period selects incidents by
  their detection), detection → awareness per Art. 33(1) clock (each controller's awareness);
* the open clocks' **bands** are :func:`readers.clock_states.band` (at exactly 24 h or 6 h left a
  clock is in the tighter band), written as ``due_at`` ranges around ``now``;
* an Art. 33(1) clock that was met late counts **with reasons** when the filing that met it (the
  controller's initial filing submitted at ``met_at``) gave reasons for the delay.

Cost, whatever the number of incidents (ten queries in all): two aggregate queries for every count,
and for each duration its values sorted by the database, one column and the row's id (the
nearest-rank median and 90th percentile are picked from that list), then the worst row's incident.
The counts never bring a row per incident to Python; the durations do, one small row per measured
case (see :func:`duration_figure`). The figures of another regime (``Filters.regime``) are
``readers.metrics_regimes``'s, from that regime's report clocks.

Durations are ``met_at - started_at``, ``detected_at - occurred_from_at`` and an Art. 33(1) clock's
start minus its incident's ``detected_at``, computed by the database as intervals.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import Count, DurationField, Exists, ExpressionWrapper, F, OuterRef, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from filings.choices import FilingType
from filings.models import AuthorityFiling
from incidents.models import Incident, IncidentAuthority
from notifications.models import Deadline, DeadlineKind
from organisations.models import Organisation, Role
from organisations.tenancy import organisation_ids
from readers.clock_states import UNDER_6H, UNDER_24H

AUTHORITY = DeadlineKind.AUTHORITY_NOTIFICATION
PROCESSOR = DeadlineKind.PROCESSOR_NOTICE
ART34 = DeadlineKind.DATA_SUBJECT_COMMUNICATION
OPEN_KINDS = (AUTHORITY, PROCESSOR, ART34, DeadlineKind.FOLLOW_UP)


@dataclass(frozen=True)
class Filters:
    """What a metrics reading covers. Instants are UTC; ``period_until`` is exclusive.

    The period selects clocks by the moment they started (an Art. 33(1) clock: the controller's
    awareness; a processor's: the processor's awareness; Art. 34: the assessment that found a high
    risk) and incidents (occurrence → detection) by the moment they were detected.
    """

    organisation_id: int
    period_from: datetime | None = None
    period_until: datetime | None = None
    authority_id: int | None = None  # organisations.Authority
    controller_id: int | None = None  # organisations.Party (the directory entry of the controller)
    # The regime whose figures are read: "gdpr" is this module's; another (a code of the regimes'
    # catalogue) is its report clocks' (readers.metrics_regimes).
    regime: str = "gdpr"


# --- Which rows a figure counts ------------------------------------------------------------------


def late_reasons_given() -> Exists:
    """The Art. 33(1) clock's meeting filing (initial, its controller's, at ``met_at``) gave reasons."""
    return Exists(
        AuthorityFiling.objects.filter(
            incident_id=OuterRef("incident_id"),
            controller_id=OuterRef("party_id"),
            filing_type=FilingType.INITIAL,
            submitted_at=OuterRef("met_at"),
        )
        .exclude(delay_reasons="")
        .order_by()
    )


def clock_buckets(now: datetime) -> dict[str, Q]:
    """Every count of the page over clock rows: key → the condition a row must meet (``now``: the
    reading's instant, for the overdue and the bands)."""
    met_on_time = Q(met_at__isnull=False, met_at__lte=F("due_at"))
    met_late = Q(met_at__isnull=False, met_at__gt=F("due_at"))
    unmet = Q(met_at__isnull=True)
    overdue = unmet & Q(due_at__lt=now)
    under_6h = unmet & Q(due_at__gte=now, due_at__lte=now + UNDER_6H)
    under_24h = unmet & Q(due_at__gt=now + UNDER_6H, due_at__lte=now + UNDER_24H)
    on_track = unmet & Q(due_at__gt=now + UNDER_24H)
    buckets = {
        "art33_on_time": Q(kind=AUTHORITY) & met_on_time,
        "art33_late": Q(kind=AUTHORITY) & met_late,
        "art33_late_with_reasons": Q(kind=AUTHORITY) & met_late & Q(has_late_reasons=True),
        "art33_late_without_reasons": Q(kind=AUTHORITY) & met_late & Q(has_late_reasons=False),
        "art33_overdue": Q(kind=AUTHORITY) & overdue,
        "art33_filed": Q(kind=AUTHORITY, met_at__isnull=False),
        "processor_within_target": Q(kind=PROCESSOR) & met_on_time,
        "processor_over_target": Q(kind=PROCESSOR) & met_late,
        "processor_not_informed": Q(kind=PROCESSOR) & unmet,
        "processor_informed": Q(kind=PROCESSOR, met_at__isnull=False),
        "gap_detected_to_aware": Q(kind=AUTHORITY, incident__detected_at__isnull=False),
        "art34_on_time": Q(kind=ART34) & met_on_time,
        "art34_late": Q(kind=ART34) & met_late,
        "art34_pending": Q(kind=ART34) & unmet & Q(due_at__gte=now),
        "art34_overdue": Q(kind=ART34) & overdue,
    }
    for kind in OPEN_KINDS:
        for state, condition in (
            ("on_track", on_track),
            ("under_24h", under_24h),
            ("under_6h", under_6h),
            ("overdue", overdue),
        ):
            buckets[f"open_{kind}_{state}"] = Q(kind=kind) & condition
    return buckets


# Incident-level counts: occurrence → detection needs both instants.
INCIDENT_BUCKETS = {
    "gap_occurred_to_detected": Q(occurred_from_at__isnull=False, detected_at__isnull=False),
}


def clock_scope(filters: Filters) -> QuerySet:
    """The active clock rows the filters select (:func:`with_late_reasons` adds ``has_late_reasons``)."""
    rows = Deadline.objects.filter(incident__organisation_id=filters.organisation_id, is_active=True)
    if filters.period_from is not None:
        rows = rows.filter(started_at__gte=filters.period_from)
    if filters.period_until is not None:
        rows = rows.filter(started_at__lt=filters.period_until)
    if filters.controller_id is not None:
        # A processor's clock belongs to the controller it must inform; every other to its party.
        rows = rows.filter(
            Q(kind=PROCESSOR, relationship__controller__party_id=filters.controller_id)
            | (~Q(kind=PROCESSOR) & Q(party__party_id=filters.controller_id))
        )
    if filters.authority_id is not None:
        rows = rows.filter(incident__in=incidents_with_authority(filters))
    return rows


def with_late_reasons(rows: QuerySet) -> QuerySet:
    """Only the counts read it: the duration queries never pay for the subquery."""
    return rows.annotate(has_late_reasons=late_reasons_given())


def incidents_with_authority(filters: Filters) -> QuerySet:
    """Incidents whose register names the authority (lead or concerned) or that filed with it."""
    named = IncidentAuthority.objects.filter(authority_id=filters.authority_id).values("incident_id")
    filed = AuthorityFiling.objects.filter(authority_id=filters.authority_id).values("incident_id")
    return (
        Incident.objects.filter(organisation_id=filters.organisation_id)
        .filter(Q(pk__in=named) | Q(pk__in=filed))
        .values("pk")
    )


def incident_scope(filters: Filters) -> QuerySet:
    """The incidents the filters select, by the moment they were detected (the period), the
    authority, and the controller (one of its Art. 33(1) clocks is that controller's)."""
    incidents = Incident.objects.filter(organisation_id=filters.organisation_id)
    if filters.period_from is not None:
        incidents = incidents.filter(detected_at__gte=filters.period_from)
    if filters.period_until is not None:
        incidents = incidents.filter(detected_at__lt=filters.period_until)
    if filters.controller_id is not None:
        clocks = Deadline.objects.filter(kind=AUTHORITY, is_active=True, party__party_id=filters.controller_id)
        incidents = incidents.filter(pk__in=clocks.values("incident_id"))
    if filters.authority_id is not None:
        incidents = incidents.filter(pk__in=incidents_with_authority(filters))
    return incidents


# --- Durations ---------------------------------------------------------------------------------


def nearest_rank(count: int, share: float) -> int:
    """The 0-based index of the nearest-rank percentile ``share`` (0..1] in ``count`` sorted values:
    the smallest value with at least that share of the values at or below it."""
    if count <= 0:
        raise ValueError("no values")
    rank = max(1, -(-round(share * 1000) * count // 1000))
    return min(rank, count) - 1


@dataclass(frozen=True)
class Worst:
    incident_id: int
    reference: str
    title: str
    duration: timedelta
    target: timedelta | None = None


@dataclass(frozen=True)
class DurationFigure:
    key: str
    count: int
    median: timedelta | None
    p90: timedelta | None
    worst: Worst | None
    bucket: str  # the drill-down of the rows it counts


def span(later: str, earlier: str) -> ExpressionWrapper:
    return ExpressionWrapper(F(later) - F(earlier), output_field=DurationField())


def duration_figure(
    key: str, rows: QuerySet, expression, bucket: str, *, with_p90: bool, target=None
) -> DurationFigure:
    """Median, p90 and the worst of ``expression`` over ``rows`` (which hold an ``incident`` or are
    incidents). Two queries: the values of one duration column (and the row's id), computed and
    sorted by the database, from which the nearest ranks are picked; then the worst row's incident.

    What it costs, honestly: one row per measured case crosses to Python (10,000 intervals and ids
    at 10,000 incidents, about as much as one page of a CSV), in exchange for one sort instead of one
    per percentile; SQLite has no percentile function, and PostgreSQL's would still sort.
    """
    incident = "incident__" if rows.model is not Incident else ""
    spans = rows.annotate(span_value=expression).filter(span_value__isnull=False)
    values = list(spans.order_by("span_value", "pk").values_list("span_value", "pk"))
    if not values:
        return DurationFigure(key, 0, None, None, None, bucket)
    count = len(values)
    worst_span, worst_pk = values[-1]
    fields = [f"{incident}pk", f"{incident}reference", f"{incident}title"]
    found = spans.filter(pk=worst_pk)
    if target is not None:
        found = found.annotate(target_value=target)
        fields.append("target_value")
    named = found.values_list(*fields)[0]
    worst = Worst(named[0], named[1], named[2], worst_span, named[3] if target is not None else None)
    median = values[nearest_rank(count, 0.5)][0]
    p90 = values[nearest_rank(count, 0.9)][0] if with_p90 else None
    return DurationFigure(key, count, median, p90, worst, bucket)


# --- The reading ---------------------------------------------------------------------------------


@dataclass
class Metrics:
    filters: Filters
    now: datetime
    counts: dict[str, int] = field(default_factory=dict)
    durations: dict[str, DurationFigure] = field(default_factory=dict)

    def share(self, part: str, whole: tuple[str, ...]) -> float | None:
        total = sum(self.counts[key] for key in whole)
        return None if total == 0 else self.counts[part] / total

    @property
    def art33_share_on_time(self) -> float | None:
        """On time among the Art. 33(1) clocks met by a filing (overdue ones are counted apart)."""
        return self.share("art33_on_time", ("art33_on_time", "art33_late"))

    @property
    def processor_share_within_target(self) -> float | None:
        return self.share("processor_within_target", ("processor_within_target", "processor_over_target"))

    @property
    def art34_share_on_time(self) -> float | None:
        return self.share("art34_on_time", ("art34_on_time", "art34_late"))


def metrics(filters: Filters, *, now: datetime) -> Metrics:
    """Every figure of the page for ``filters``, seen at ``now``. Constant number of queries:
    2 aggregates, and two for each of the four durations (:func:`duration_figure`)."""
    reading = Metrics(filters, now)
    clocks = clock_scope(filters)
    buckets = clock_buckets(now)
    reading.counts = with_late_reasons(clocks).aggregate(
        **{key: Count("pk", filter=condition) for key, condition in buckets.items()}
    )
    incidents = incident_scope(filters)
    reading.counts.update(
        incidents.aggregate(**{key: Count("pk", filter=condition) for key, condition in INCIDENT_BUCKETS.items()})
    )
    reading.durations = {
        "awareness_to_filing": duration_figure(
            "awareness_to_filing",
            clocks.filter(buckets["art33_filed"]),
            span("met_at", "started_at"),
            "art33_filed",
            with_p90=True,
        ),
        "processor_lag": duration_figure(
            "processor_lag",
            clocks.filter(buckets["processor_informed"]),
            span("met_at", "started_at"),
            "processor_informed",
            with_p90=False,
            target=span("due_at", "started_at"),
        ),
        "occurred_to_detected": duration_figure(
            "occurred_to_detected",
            incidents.filter(INCIDENT_BUCKETS["gap_occurred_to_detected"]),
            span("detected_at", "occurred_from_at"),
            "gap_occurred_to_detected",
            with_p90=False,
        ),
        "detected_to_aware": duration_figure(
            "detected_to_aware",
            clocks.filter(buckets["gap_detected_to_aware"]),
            span("started_at", "incident__detected_at"),
            "gap_detected_to_aware",
            with_p90=False,
        ),
    }
    return reading


def bucket_keys(now: datetime) -> set[str]:
    return set(clock_buckets(now)) | set(INCIDENT_BUCKETS)


def counted_incidents(filters: Filters, bucket: str, *, now: datetime) -> QuerySet:
    """The incidents a figure counts (its drill-down), with the same conditions as the figure.

    ``bucket`` must be one of :func:`bucket_keys` (``KeyError`` otherwise).
    """
    buckets = clock_buckets(now)
    if bucket in buckets:
        ids = with_late_reasons(clock_scope(filters)).filter(buckets[bucket]).values("incident_id")
    else:
        ids = incident_scope(filters).filter(INCIDENT_BUCKETS[bucket]).values("pk")
    return Incident.objects.filter(organisation_id=filters.organisation_id, pk__in=ids).order_by("-created_at", "-pk")


LABELS = {
    "art33_on_time": _("filed on time"),
    "art33_late": _("filed late"),
    "art33_late_with_reasons": _("late, with reasons given"),
    "art33_late_without_reasons": _("late, without reasons"),
    "art33_overdue": _("not filed, overdue"),
    "processor_within_target": _("within target"),
    "processor_over_target": _("over target"),
    "processor_not_informed": _("not informed yet"),
    "art34_on_time": _("met on time"),
    "art34_late": _("met late"),
    "art34_pending": _("pending"),
    "art34_overdue": _("overdue"),
    "art33_filed": _("filed"),
    "processor_informed": _("controller informed"),
    "gap_occurred_to_detected": _("with occurrence and detection recorded"),
    "gap_detected_to_aware": _("with detection and awareness recorded"),
    "on_track": _("more than 24 h left"),
    "under_24h": _("24 h or less left"),
    "under_6h": _("6 h or less left"),
    "overdue": _("overdue"),
}


# Who reads the metrics: the people who answer for the organisation's notifications.
METRICS_ROLES = frozenset({Role.PRIVACY_OFFICER, Role.LEGAL})


def readable_organisations(user) -> QuerySet:
    """The organisations whose metrics ``user`` may read (privacy officer or legal there)."""
    return Organisation.objects.filter(pk__in=organisation_ids(user, METRICS_ROLES)).order_by("name")
