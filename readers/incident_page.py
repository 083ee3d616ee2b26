"""The incident page's read model: what a privacy officer needs during a breach, in a fixed number
of queries whatever the number of parties, estimates, filings, waves or countdown revisions.

Queries, on top of ``selectors.register_view``'s fixed set:
  1. the reader's role in the incident's organisation (what actions the page offers; the server
     checks again on every write);
  2. the incident's active deadline rows (the header's live countdowns, read at ``now`` with the
     dashboard's ``states.read_clock``);
  3. the Art. 34 assessments (the current one per controller is the latest);
  4. the Art. 34 waves.
The timeline excerpt is made from rows already loaded (no history tables read here): the full
timeline, with every change, is evidence:timeline.
"""

from __future__ import annotations

import heapq
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from operator import itemgetter

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from communications.models import CommunicationAssessment, CommunicationWave
from incidents.choices import EstimateMeasure
from notifications.models import Deadline, DeadlineKind
from organisations.models import Role
from organisations.tenancy import active_memberships
from readers import wording
from readers.clock_states import read_clock
from readers.dashboard import ClockRow, deadline_subject
from readers.estimate_chart import EstimateChart, build_chart
from readers.register import ControllerClock, ProcessorLagRow, RegisterView, load_instances, register_view

TIMELINE_EXCERPT = 8  # the latest events shown; the rest is one click away
ROWS_SHOWN = 50  # rows of a long table (controllers, processors, awareness, counts, Art. 34); "show all" gives the rest


@dataclass(frozen=True)
class Fold:
    """How much of a long table the page shows: ``shown`` of ``total`` rows."""

    shown: int
    total: int
    is_latest: bool = False  # the latest rows are shown (a table in time order), else the first

    @property
    def is_folded(self) -> bool:
        return self.shown < self.total


def _fold(rows: list, limit: int | None, *, latest: bool = False) -> tuple[list, Fold]:
    if limit is None or len(rows) <= limit:
        return rows, Fold(len(rows), len(rows), latest)
    return (rows[-limit:] if latest else rows[:limit]), Fold(limit, len(rows), latest)


def _fold_processors(processors: list[ProcessorRow], limit: int | None) -> tuple[list[ProcessorRow], Fold]:
    """The processors' table, one row per processor and controller, cut after ``limit`` rows."""
    total = sum(max(1, len(row.serves)) for row in processors)
    if limit is None or total <= limit:
        return processors, Fold(total, total)
    shown, left = [], limit
    for row in processors:
        if left <= 0:
            break
        shown.append(ProcessorRow(row.party, row.awareness, row.serves[:left]))
        left -= max(1, len(shown[-1].serves))
    return shown, Fold(limit - max(0, left), total)


@dataclass(frozen=True)
class ControllerRow:
    clock: ControllerClock
    lags: list[ProcessorLagRow]  # the processors that serve this controller, with their lag

    @property
    def party(self):
        return self.clock.party

    @property
    def has_lag_over_target(self) -> bool:
        return any(row.lag is not None and row.lag.is_over_target for row in self.lags)


@dataclass(frozen=True)
class ProcessorRow:
    party: object  # IncidentParty
    awareness: object | None  # its earliest AwarenessRecord
    serves: list[ProcessorLagRow]


@dataclass(frozen=True)
class CommunicationRow:
    controller: object  # IncidentParty
    assessment: CommunicationAssessment | None


@dataclass(frozen=True)
class PageEvent:
    at: datetime
    entered_tz: str
    kind: str  # a CSS class and a test hook
    text: str


@dataclass
class IncidentPage:
    register: RegisterView
    role: str | None
    now: datetime
    clocks: list[ClockRow] = field(default_factory=list)  # open legal clocks and targets, nearest first
    countdowns: list[ClockRow] = field(default_factory=list)  # the threat actor's (operational)
    controllers: list[ControllerRow] = field(default_factory=list)
    processors: list[ProcessorRow] = field(default_factory=list)
    chart: EstimateChart | None = None
    subject_estimates: list = field(default_factory=list)
    other_estimates: list = field(default_factory=list)
    communications: list[CommunicationRow] = field(default_factory=list)
    waves: list[CommunicationWave] = field(default_factory=list)
    events: list[PageEvent] = field(default_factory=list)
    event_count: int = 0
    awareness: list = field(default_factory=list)  # the awareness records shown (register.awareness: all)
    folds: dict[str, Fold] = field(default_factory=dict)  # per long table: how many of its rows are shown

    @property
    def incident(self):
        return self.register.incident

    @property
    def own_roles(self) -> list:
        """The organisation's own parties to the incident (its roles in it), in the register's
        order: the header names them (a loop in Python, not over 2,000 parties in the template)."""
        return [party for party in self.register.parties if party.party.is_self]

    @property
    def role_label(self) -> str:
        return str(Role(self.role).label) if self.role else ""

    @property
    def may_write(self) -> bool:
        """For showing the officer's actions only: the services check the role again."""
        return self.role == Role.PRIVACY_OFFICER

    @property
    def may_use_legal_tools(self) -> bool:
        return self.role in (Role.PRIVACY_OFFICER, Role.LEGAL)

    @property
    def visible_clocks(self) -> list[ClockRow]:
        """The open clocks the page lists (the nearest ones when there are many): ``has_overdue``
        still reads them all."""
        fold = self.folds.get("clocks")
        return self.clocks if fold is None else self.clocks[: fold.shown]

    @property
    def has_overdue(self) -> bool:
        return any(row.reading.state.value == "overdue" for row in self.clocks)

    @property
    def next_actions(self) -> list[NextAction]:
        """Who is waiting for what, nearest deadline first: one sentence per open clock, then
        what the register still lacks."""
        actions = [next_action(row) for row in self.visible_clocks]
        if self.register.gaps:
            actions.append(
                NextAction(
                    None,
                    ngettext(
                        "Complete the register: %(n)s item is missing before it can be closed.",
                        "Complete the register: %(n)s items are missing before it can be closed.",
                        len(self.register.gaps),
                    )
                    % {"n": len(self.register.gaps)},
                    False,
                )
            )
        return actions


@dataclass(frozen=True)
class NextAction:
    due_at: datetime | None
    text: str  # who is waiting for what, in words
    is_overdue: bool


# Per clock, who is waiting for what (the subject is the controller, or processor → controller).
NEXT_ACTION_TEXTS = {
    DeadlineKind.AUTHORITY_NOTIFICATION: gettext_lazy(
        "The supervisory authority is waiting for the notification for %(who)s."
    ),
    DeadlineKind.PROCESSOR_NOTICE: gettext_lazy("The controller is waiting to be informed: %(who)s."),
    DeadlineKind.FOLLOW_UP: gettext_lazy("The supervisory authority is waiting for further information for %(who)s."),
    DeadlineKind.DATA_SUBJECT_COMMUNICATION: gettext_lazy("The data subjects of %(who)s are waiting to be informed."),
}


def next_action(row: ClockRow) -> NextAction:
    text = NEXT_ACTION_TEXTS.get(row.kind)
    sentence = str(text) % {"who": row.subject} if text else row.label
    return NextAction(row.reading.due_at, sentence, row.reading.state.value == "overdue")


def reader_role(user, incident) -> str | None:
    """The reader's role in the incident's organisation; an administrator acts as an officer
    (as in the admin and the API, api.scoping.role_in)."""
    role = (
        active_memberships(user).filter(organisation_id=incident.organisation_id).values_list("role", flat=True).first()
    )
    if role is None and user.is_superuser:
        return Role.PRIVACY_OFFICER
    return role


def _clock_rows(incident, now, register: RegisterView) -> tuple[list[ClockRow], list[ClockRow]]:
    """The open deadline rows, their parties and links handed over from the register (loaded
    already) rather than joined in again: at 2,000 controllers the joins made 16,000 instances."""
    parties = {party.pk: party for party in register.parties}
    links = {row.relationship.pk: row.relationship for row in register.processor_lags}
    deadlines = load_instances(
        Deadline.objects.filter(incident=incident, is_active=True, met_at__isnull=True).order_by("due_at", "pk"),
        Deadline,
        joined=("extortion_threat",),
    )
    legal, countdowns = [], []
    for deadline in deadlines:
        if deadline.party_id in parties:
            _DEADLINE_PARTY.set_cached_value(deadline, parties[deadline.party_id])
        if deadline.relationship_id in links:
            _DEADLINE_LINK.set_cached_value(deadline, links[deadline.relationship_id])
        row = ClockRow(deadline, read_clock(deadline.due_at, deadline.met_at, now), deadline_subject(deadline))
        (countdowns if row.is_extortion else legal).append(row)
    return legal, countdowns


_DEADLINE_PARTY = Deadline._meta.get_field("party")
_DEADLINE_LINK = Deadline._meta.get_field("relationship")


def _parties(register: RegisterView) -> tuple[list[ControllerRow], list[ProcessorRow]]:
    earliest = {}
    for record in register.awareness:
        held = earliest.get(record.party_id)
        if not record.is_withdrawn and (held is None or record.aware_at < held.aware_at):
            earliest[record.party_id] = record
    # Grouped once: a scan of every lag row per party is quadratic (4M steps at 2,000 controllers).
    by_controller, by_processor = defaultdict(list), defaultdict(list)
    for row in register.processor_lags:
        by_controller[row.relationship.controller_id].append(row)
        by_processor[row.relationship.processor_id].append(row)
    controllers = [ControllerRow(clock, by_controller[clock.party.pk]) for clock in register.controller_clocks]
    processors = [
        ProcessorRow(party, earliest.get(party.pk), by_processor[party.pk])
        for party in register.parties
        if party.is_processor
    ]
    return controllers, processors


def _communications(incident, register) -> tuple[list[CommunicationRow], list[CommunicationWave]]:
    latest = {}
    for assessment in CommunicationAssessment.objects.filter(incident=incident).order_by("pk"):
        latest[assessment.controller_id] = assessment
    rows = [CommunicationRow(party, latest.get(party.pk)) for party in register.parties if party.is_controller]
    waves = list(
        CommunicationWave.objects.filter(incident=incident)
        .select_related("controller__party")
        .order_by("planned_at", "pk")
    )
    return rows, waves


def _events(register: RegisterView, waves, assessments) -> tuple[int, list[PageEvent]]:
    """The number of domain events the page has loaded anyway, and the latest ``TIMELINE_EXCERPT``
    of them, newest first.

    Only the excerpt is worded and made into :class:`PageEvent`: thousands of estimates and
    notices are counted and ranked as plain tuples (``heapq.nlargest`` keeps the order a stable
    sort, newest first, gives), and only ``TIMELINE_EXCERPT`` are worded.
    """
    events = []
    add = events.append

    for record in register.awareness:
        if not record.is_withdrawn:
            add((record.aware_at, record.aware_tz, "awareness", _awareness_words, (record,)))
    for row in register.processor_lags:
        for notice in row.notices:
            add((notice.informed_at, notice.informed_tz, "processor_notice", _notice_words, (row.relationship,)))
    for rows in register.estimates.values():
        for estimate in rows:
            add((estimate.known_at, estimate.known_tz, "estimate", _estimate_words, (estimate,)))
    for filing in register.filings:
        add((filing.submitted_at, filing.submitted_tz, "filing", _filing_words, (filing,)))
    for decision in register.decisions:
        add((decision.decided_at, decision.decided_tz, "decision", _decision_words, (decision,)))
    for threat in register.extortion.threats:
        for revision in threat.revisions:
            add((revision.announced_at, revision.announced_tz, "countdown", _countdown_words, (threat, revision)))
    for publication in register.extortion.publications:
        add((publication.published_at, publication.published_tz, "publication", _publication_words, (publication,)))
    for assessment in assessments:
        add((assessment.decided_at, assessment.decided_tz, "assessment", _assessment_words, (assessment,)))
    for wave in waves:
        if wave.sent_at is not None:
            add((wave.sent_at, wave.sent_tz, "wave", _wave_words, (wave,)))
    latest = heapq.nlargest(TIMELINE_EXCERPT, events, key=itemgetter(0))
    return len(events), [PageEvent(at, zone, kind, words(*row)) for at, zone, kind, words, row in latest]


def _awareness_words(record) -> str:
    return _("%(party)s became aware") % {"party": record.party.party}


def _notice_words(relationship) -> str:
    return _("%(processor)s informed %(controller)s") % {
        "processor": relationship.processor.party,
        "controller": relationship.controller.party,
    }


def _estimate_words(estimate) -> str:
    return _("Estimate: %(measure)s %(value)s") % {
        "measure": estimate.get_measure_display(),
        "value": wording.count_text(estimate),
    }


def _filing_words(filing) -> str:
    return _("%(type)s filed with %(authority)s") % {
        "type": filing.get_filing_type_display(),
        "authority": filing.authority,
    }


def _decision_words(decision) -> str:
    return _("%(controller)s decided not to notify") % {"controller": decision.controller.party}


def _countdown_words(threat, revision) -> str:
    return _("%(actor)s: %(kind)s") % {"actor": threat.threat.actor_name, "kind": revision.get_kind_display()}


def _publication_words(publication) -> str:
    return _("Data published: %(where)s") % {"where": publication.location}


def _assessment_words(assessment) -> str:
    risk = _("high risk") if assessment.is_high_risk else _("no high risk")
    return _("Art. 34 assessment: %(risk)s") % {"risk": risk}


def _wave_words(wave) -> str:
    return _("Letters sent: %(cohort)s") % {"cohort": wave.cohort_label}


def incident_page(incident, *, user, now: datetime, rows: int | None = ROWS_SHOWN) -> IncidentPage:
    """Everything the incident page shows, read at ``now``, in a fixed number of queries.

    ``rows``: the rows each long table shows (the first ones; the open clocks: the nearest; the
    counts: the latest), None for all of them. The filings and the events are never cut.
    """
    register = register_view(incident, now=now)
    page = IncidentPage(register=register, role=reader_role(user, incident), now=now)
    page.clocks, page.countdowns = _clock_rows(incident, now, register)
    page.folds["clocks"] = _fold(page.clocks, rows)[1]  # nearest first: the cut keeps the most urgent
    controllers, processors = _parties(register)
    page.controllers, page.folds["controllers"] = _fold(controllers, rows)
    page.processors, page.folds["processors"] = _fold_processors(processors, rows)
    page.awareness, page.folds["awareness"] = _fold(register.awareness, rows)
    subjects = register.estimates.get(EstimateMeasure.DATA_SUBJECTS, [])
    whole = [e for e in subjects if e.party_id is None]
    page.subject_estimates, page.folds["subject_estimates"] = _fold(subjects, rows, latest=True)
    page.other_estimates, page.folds["other_estimates"] = _fold(
        [e for measure, group in register.estimates.items() if measure != EstimateMeasure.DATA_SUBJECTS for e in group],
        rows,
        latest=True,
    )
    # The line is the whole incident's count; per-controller counts stay in the table only.
    page.chart = build_chart(whole or subjects, now=now)
    communications, page.waves = _communications(incident, register)
    assessments = [row.assessment for row in communications if row.assessment is not None]
    page.communications, page.folds["communications"] = _fold(communications, rows)
    page.event_count, page.events = _events(register, page.waves, assessments)
    return page
