"""The dashboard's reads: a user's open incidents, most urgent first, a page at a time.

A fixed number of queries whatever the number of incidents (the dashboard's budget is 10 per
page, with the session, the user, the badge, the banner and the role; tested at two sizes and
measured by scripts/bench_dashboard.py):
  1. the organisations the user is a member of (the filter's choices and the scope);
  2. how many open incidents match (the pager);
  3. one page of them with their organisation, ordered by their nearest pending deadline (the
     notifications.Deadline rows, which every incident service keeps in step with the facts): a
     deferred join, whose inner query orders the ids of all of them and keeps the page's;
  4. the active deadline rows of that page, with the names their labels need;
  5. the Art. 34 assessments of that page (each controller's latest is its current one).
The states are computed in Python by the pure ``readers.clock_states.read_clock`` at one ``now``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from django.core.paginator import Page, Paginator
from django.db.models import DateTimeField, Exists, FilteredRelation, Min, OuterRef, Q, Value
from django.db.models.functions import Coalesce

from communications.models import CommunicationAssessment
from incidents.choices import RiskLevel, Status
from incidents.models import Incident
from notifications.models import Deadline, DeadlineKind
from organisations.models import Organisation
from organisations.tenancy import organisation_ids
from readers.clock_states import ClockReading, ClockState, read_clock
from readers.regime_labels import deadline_label

PAGE_SIZE = 25
NOTHING_PENDING = datetime(9999, 12, 31, tzinfo=UTC)  # the sort key of an incident with no pending clock
UNASSESSED = "unassessed"  # the risk filter's value for "no risk level recorded yet"
NO_HIGH_RISK = "no_high_risk"  # no level on the incident, but an Art. 34 assessment found no high risk


@dataclass(frozen=True)
class ClockRow:
    """One deadline row of an incident, read at the dashboard's ``now``."""

    deadline: Deadline
    reading: ClockReading
    subject: str  # whose clock: the controller, the processor → controller, the threat actor

    @property
    def kind(self) -> str:
        return self.deadline.kind

    @property
    def label(self) -> str:
        """What the clock is, in words: the kind's label, or a regime report's titles ("NIS2 · Early warning")."""
        return deadline_label(self.deadline)

    @property
    def is_extortion(self) -> bool:
        return self.deadline.kind == DeadlineKind.EXTORTION_COUNTDOWN


@dataclass
class IncidentRow:
    incident: Incident
    next_due_at: datetime | None  # the nearest pending (unmet, active) deadline; the sort key
    clocks: list[ClockRow] = field(default_factory=list)  # legal clocks and targets
    countdowns: list[ClockRow] = field(default_factory=list)  # the threat actor's, operational
    assessments: list = field(default_factory=list)  # each controller's current Art. 34 assessment

    @property
    def risk(self) -> str:
        """The risk the badge shows: one truth for the register's level and the Art. 34 assessments.

        A current assessment that finds a high risk (Art. 34(1)) is a high risk whatever the level
        field says; else the register's level; else, when assessments found no high risk, that;
        else nothing was assessed ("").
        """
        if any(assessment.is_high_risk for assessment in self.assessments):
            return RiskLevel.HIGH.value
        if self.incident.risk_level:
            return self.incident.risk_level
        return NO_HIGH_RISK if self.assessments else ""

    @property
    def worst_state(self) -> ClockState | None:
        """The most urgent state among the pending clocks (for the card's edge colour)."""
        order = [ClockState.OVERDUE, ClockState.UNDER_6H, ClockState.UNDER_24H, ClockState.ON_TRACK]
        states = {row.reading.state for row in self.clocks + self.countdowns}
        return next((state for state in order if state in states), None)


@dataclass(frozen=True)
class DashboardFilters:
    status: str = ""  # "" (every open one), "open" or "contained"
    risk: str = ""  # "" (any), a RiskLevel value, or UNASSESSED
    organisation: int | None = None  # one of the user's organisations, or all of them


@dataclass(frozen=True)
class Dashboard:
    organisations: list[Organisation]
    page: Page  # its object_list holds the IncidentRows
    now: datetime

    @property
    def rows(self) -> list[IncidentRow]:
        return self.page.object_list


def member_organisations(user) -> list[Organisation]:
    """The organisations the user is an active member of: the dashboard is about their own work,
    so a superuser sees only the organisations they belong to here too (the register shows all)."""
    return list(Organisation.objects.filter(pk__in=organisation_ids(user)).order_by("name", "pk"))


def open_incidents(user, organisations: list[Organisation], filters: DashboardFilters):
    """The user's incidents that are not closed, filtered; scoped twice on purpose (visible_to is
    the tenancy rule, the membership list keeps a superuser to their own organisations)."""
    ids = [organisation.pk for organisation in organisations]
    if filters.organisation is not None:
        ids = [pk for pk in ids if pk == filters.organisation]
    incidents = Incident.objects.visible_to(user).filter(organisation_id__in=ids).exclude(status=Status.CLOSED)
    if filters.status:
        incidents = incidents.filter(status=filters.status)
    assessed = CommunicationAssessment.objects.filter(incident=OuterRef("pk"))
    later = CommunicationAssessment.objects.filter(controller=OuterRef("controller"), pk__gt=OuterRef("pk"))
    high = Exists(assessed.filter(is_high_risk=True).exclude(Exists(later)))  # a current one finds it high
    if filters.risk == UNASSESSED:
        incidents = incidents.filter(risk_level="").exclude(Exists(assessed))
    elif filters.risk == RiskLevel.HIGH:
        incidents = incidents.filter(Q(risk_level=RiskLevel.HIGH) | high)
    elif filters.risk:
        incidents = incidents.filter(risk_level=filters.risk).exclude(high)
    return incidents


def by_urgency(incidents):
    """The incidents ordered by the nearest pending deadline (overdue ones first, as their due
    moment passed); incidents with nothing pending last, newest first. Each carries ``sort_due``.

    The nearest deadline is an aggregate over a join to the pending deadline rows (the join's
    condition keeps met and withdrawn clocks out), so the database reads the deadline table once
    instead of looking up each incident's nearest row in turn. Slice the result for a page.
    """
    pending = FilteredRelation("deadlines", condition=Q(deadlines__is_active=True, deadlines__met_at__isnull=True))
    # Nothing pending sorts as the far future: NULLs come first on SQLite and last on PostgreSQL,
    # and F("...").asc(nulls_last=True) is kept out of the code base (tests/test_no_history_bypass.py).
    return (
        incidents.annotate(pending_deadline=pending)
        .annotate(
            sort_due=Coalesce(Min("pending_deadline__due_at"), Value(NOTHING_PENDING, output_field=DateTimeField()))
        )
        .order_by("sort_due", "-created_at", "-pk")
    )


def page_of_incidents(incidents, start: int):
    """The ``PAGE_SIZE`` incidents from ``start`` in order of urgency, with their organisation: a
    deferred join in one query. The inner query orders and cuts narrow rows (an id, a due moment,
    a creation moment), and only the page's rows are then read whole; ordering the full rows of
    every open incident to keep 25 of them cost most of the page's time at 10,000 incidents."""
    page_ids = by_urgency(incidents).values("pk")[start : start + PAGE_SIZE]
    return list(by_urgency(incidents.filter(pk__in=page_ids)).select_related("organisation"))


def deadline_subject(deadline: Deadline) -> str:
    if deadline.extortion_threat_id is not None:
        return deadline.extortion_threat.actor_name
    if deadline.relationship_id is not None:
        relationship = deadline.relationship
        return f"{relationship.processor.party} → {relationship.controller.party}"
    return str(deadline.party.party) if deadline.party_id is not None else ""


def _attach_clocks(user, rows: list[IncidentRow], now: datetime) -> None:
    """One query for the active deadline rows of the page, read at ``now``; pending ones first."""
    by_incident = {row.incident.pk: row for row in rows}
    deadlines = (
        Deadline.objects.visible_to(user)
        .filter(incident_id__in=list(by_incident), is_active=True)
        .select_related(
            "party__party", "relationship__processor__party", "relationship__controller__party", "extortion_threat"
        )
        .order_by("due_at", "pk")
    )
    for deadline in deadlines:
        clock = ClockRow(deadline, read_clock(deadline.due_at, deadline.met_at, now), deadline_subject(deadline))
        row = by_incident[deadline.incident_id]
        (row.countdowns if clock.is_extortion else row.clocks).append(clock)
    for row in rows:
        row.clocks.sort(key=lambda clock: not clock.reading.state.is_pending)  # stable: keeps due order


def _attach_assessments(rows: list[IncidentRow]) -> None:
    """One query: each controller's latest Art. 34 assessment (by id, as the model's history says)."""
    by_incident = {row.incident.pk: row for row in rows}
    seen: set[int] = set()
    found = CommunicationAssessment.objects.filter(incident_id__in=list(by_incident)).order_by("controller_id", "-pk")
    for assessment in found.only("pk", "incident_id", "controller_id", "is_high_risk"):
        if assessment.controller_id not in seen:
            seen.add(assessment.controller_id)
            by_incident[assessment.incident_id].assessments.append(assessment)


def dashboard(user, filters: DashboardFilters, *, organisations=None, page_number=None, now: datetime) -> Dashboard:
    """One page of the user's open incidents with their clocks, read at ``now``.

    ``organisations``: the user's, when the caller has read them already (the view does, for the
    filter form); else they are read here.
    """
    if organisations is None:
        organisations = member_organisations(user)
    incidents = open_incidents(user, organisations, filters)
    page = Paginator(incidents, PAGE_SIZE).get_page(page_number)  # counts; the slice below is the page
    found = page_of_incidents(incidents, (page.number - 1) * PAGE_SIZE)
    rows = [
        IncidentRow(incident, None if incident.sort_due == NOTHING_PENDING else incident.sort_due) for incident in found
    ]
    if rows:
        _attach_clocks(user, rows, now)
        _attach_assessments(rows)
    page.object_list = rows
    return Dashboard(organisations=organisations, page=page, now=now)
