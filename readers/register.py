"""Read models for the register pages: a fixed number of queries per incident.

Everything here reads; the arithmetic is delegated to the pure clock module
with ``now`` passed in.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.db import models
from django.db.models.base import ModelState
from django.db.models.functions import Cast
from django.db.models.query_utils import DeferredAttribute

from filings.models import AuthorityFiling, NotificationDecisionRecord
from incidents.choices import EstimateMeasure
from incidents.models import (
    AffectedEstimate,
    AwarenessRecord,
    ExtortionCountdown,
    ExtortionThreat,
    Incident,
    IncidentParty,
    ProcessingRelationship,
    ProcessorNotice,
    Publication,
)
from rules import clocks
from rules.awareness import earliest_awareness
from rules.filing_chains import standing_initials


@dataclass(frozen=True)
class ControllerClock:
    """One controller's Art. 33(1) clock, from its own earliest awareness."""

    party: IncidentParty
    awareness: AwarenessRecord | None
    due_at: datetime | None
    outer_bound_at: datetime | None  # Regulation 1182/71 reading, informational
    status: clocks.DeadlineStatus | None
    is_decided_not_to_notify: bool = False  # closed by a decision not to notify, not met


@dataclass(frozen=True)
class ProcessorLagRow:
    relationship: ProcessingRelationship
    processor_aware_at: datetime | None
    informed_at: datetime | None
    target: timedelta
    lag: clocks.ProcessorLag | None
    notice: object | None = None  # incidents.ProcessorNotice: the (one) notice, for its correction link
    notices: tuple = ()  # every notice of the relationship, earliest first (read these, not .notices.all())


@dataclass(frozen=True)
class ThreatRow:
    """One threat actor's countdown as it stands: the chain, the current revision, time left.

    Operational only (docs/domain.md#extortion): ``status`` is the actor's deadline, never a legal one.
    """

    threat: ExtortionThreat
    revisions: list[ExtortionCountdown]
    current: ExtortionCountdown | None  # the latest revision
    status: clocks.DeadlineStatus | None  # None when no countdown runs (none, or withdrawn)
    publications: list[Publication]


@dataclass(frozen=True)
class ExtortionView:
    threats: list[ThreatRow]
    publications: list[Publication]
    publications_to_reassess: list[Publication]  # each raises the Art. 34 risk: reassess it


@dataclass(frozen=True)
class RegisterView:
    incident: Incident
    parties: list[IncidentParty]
    authorities: list
    awareness: list[AwarenessRecord]
    controller_clocks: list[ControllerClock]
    processor_lags: list[ProcessorLagRow]
    estimates: dict[str, list]
    current_estimates: dict[str, object]
    gaps: list[tuple[str, str]]
    extortion: ExtortionView
    filings: list  # filings.AuthorityFiling of this incident, in submission order
    decisions: list  # filings.NotificationDecisionRecord: decisions not to notify, oldest first


def controller_clocks(parties, earliest, now, met=None, decided=frozenset()) -> list[ControllerClock]:
    """``met``: controller id → its standing initial filing's time; ``decided``: ids that decided not to notify."""
    met = met or {}
    rows = []
    for party in parties:
        if not party.is_controller:
            continue
        record = earliest.get(party.pk)
        if record is None:
            rows.append(ControllerClock(party, None, None, None, None))
            continue
        due = clocks.authority_due_at(record.aware_at)
        rows.append(
            ControllerClock(
                party=party,
                awareness=record,
                due_at=due,
                outer_bound_at=clocks.outer_bound_at("authority_notification", record.aware_at),
                # Met by the earliest initial filing that stands (rules.filing_chains.standing_initials).
                status=clocks.evaluate(due, met.get(party.pk), now),
                is_decided_not_to_notify=party.pk not in met and party.pk in decided,
            )
        )
    return rows


def _processor_lags(relationships, earliest, now, notices_of=None) -> list[ProcessorLagRow]:
    """``notices_of``: relationship id → its notices (else each relationship's ``notices`` are read)."""
    rows = []
    for relationship in relationships:
        found = notices_of.get(relationship.pk, ()) if notices_of is not None else relationship.notices.all()
        notices = sorted(found, key=lambda notice: notice.informed_at)
        informed_at = notices[0].informed_at if notices else None
        aware = earliest.get(relationship.processor_id)
        target = timedelta(hours=relationship.notice_target_hours)
        lag = None
        if aware is not None and (informed_at is None or informed_at >= aware.aware_at):
            lag = clocks.processor_lag(aware.aware_at, informed_at, target, now)
        rows.append(
            ProcessorLagRow(
                relationship,
                aware.aware_at if aware else None,
                informed_at,
                target,
                lag,
                notices[0] if notices else None,
                tuple(notices),
            )
        )
    return rows


def extortion_view(incident: Incident, *, now: datetime) -> ExtortionView:
    """Threats with their countdown revisions, and publications: three queries whatever the size."""
    threats = list(
        incident.extortion_threats.prefetch_related(
            models.Prefetch("countdown_revisions", ExtortionCountdown.objects.select_related("recorded_by"))
        )
    )
    publications = list(incident.publications.select_related("threat", "recorded_by", "risk_reassessed_by"))
    rows = []
    for threat in threats:
        revisions = list(threat.countdown_revisions.all())
        current = revisions[-1] if revisions else None
        status = None
        if current is not None and current.deadline_at is not None:
            status = clocks.evaluate(current.deadline_at, None, now)
        own = [publication for publication in publications if publication.threat_id == threat.pk]
        rows.append(ThreatRow(threat, revisions, current, status, own))
    flagged = [publication for publication in publications if publication.needs_risk_reassessment]
    return ExtortionView(rows, publications, flagged)


def register_view(incident: Incident, *, now: datetime) -> RegisterView:
    """Everything the register page shows, in a fixed number of queries whatever the size."""
    parties, awareness, relationships, notices_of, estimates_list = _facts(incident)
    authorities = list(incident.authorities.select_related("authority"))
    earliest = earliest_awareness(awareness)
    filings, decisions = _filings_and_decisions(incident)
    met = standing_initials(filings)
    decided = {decision.controller_id for decision in decisions}
    estimates = {measure: [e for e in estimates_list if e.measure == measure] for measure in EstimateMeasure.values}
    current = {measure: rows[-1] for measure, rows in estimates.items() if rows}
    return RegisterView(
        incident=incident,
        parties=parties,
        authorities=authorities,
        awareness=awareness,
        controller_clocks=controller_clocks(parties, earliest, now, met, decided),
        processor_lags=_processor_lags(relationships, earliest, now, notices_of),
        estimates=estimates,
        current_estimates=current,
        gaps=_gaps_from(incident, awareness, estimates_list),
        extortion=extortion_view(incident, now=now),
        filings=filings,
        decisions=decisions,
    )


def _facts(incident: Incident):
    """The parties, awareness records, processing links, notices and estimates: five queries.

    The parties are read once and handed to the rows that name them (awareness, links, estimates)
    instead of being joined into every row: at 2,000 controllers the joins made 30,000 model
    instances where 10,000 do (readers.register is the register page's largest cost). Those
    instances are built by :func:`load_instances` (no ``Model.__init__``, instants parsed from text):
    building them the ORM's way was the page's largest cost left.
    """
    parties = load_instances(incident.parties.all(), IncidentParty, joined=("party",))
    by_pk = {party.pk: party for party in parties}
    notices = load_instances(
        ProcessorNotice.objects.filter(relationship__incident=incident).order_by("informed_at", "pk"), ProcessorNotice
    )
    notices_of, notice_by_pk = defaultdict(list), {}
    for notice in notices:
        notices_of[notice.relationship_id].append(notice)
        notice_by_pk[notice.pk] = notice
    awareness = load_instances(
        incident.awareness_records.order_by("aware_at"), AwarenessRecord, joined=("recorded_by",), shared=True
    )
    relationships = load_instances(incident.processing_relationships.all(), ProcessingRelationship)
    estimates = load_instances(
        incident.estimates.order_by("known_at", "pk"), AffectedEstimate, joined=("recorded_by",), shared=True
    )
    _PARTY.set_cached_value_many(awareness, by_pk)
    _NOTICE_OF_AWARENESS.set_cached_value_many(awareness, notice_by_pk)
    _PROCESSOR.set_cached_value_many(relationships, by_pk)
    _CONTROLLER.set_cached_value_many(relationships, by_pk)
    _ESTIMATE_PARTY.set_cached_value_many(estimates, by_pk)
    links = {relationship.pk: relationship for relationship in relationships}
    _NOTICE_RELATIONSHIP.set_cached_value_many(notices, links)
    return parties, awareness, relationships, notices_of, estimates


def load_instances(queryset, model, *, joined: tuple[str, ...] = (), shared: bool = False) -> list:
    """The rows of ``queryset`` as ``model`` instances, each ``joined`` foreign key filled in as
    ``select_related`` would (same query: the joined table's columns are read in the same row).

    The same instances the ORM builds, for a fraction of the cost: ``values_list`` rows put in
    each instance's ``__dict__`` (what ``Model.__init__`` ends with, without its per-field work),
    and instants read as the text the database writes and parsed with ``datetime.fromisoformat``
    (:func:`readers.history_rows._instant_columns` explains why). ``shared``: one instance per
    distinct joined row (the few people who record thousands of facts), not one per row.
    """
    plans = [_plan(model, "")] + [_plan(model._meta.get_field(name).related_model, f"{name}__") for name in joined]
    columns = [column for plan in plans for column in plan.columns]
    ends = list(itertools.accumulate(len(plan.columns) for plan in plans))
    starts = [0, *ends[:-1]]
    caches = [model._meta.get_field(name) for name in joined]
    made: list = []
    seen: list[dict] = [{} for _ in joined]
    db = queryset.db
    for values in queryset.values_list(*columns):
        obj = plans[0].build(values, 0, ends[0], db)
        for k, field in enumerate(caches):
            start, end = starts[k + 1], ends[k + 1]
            key = values[start + plans[k + 1].pk_index]
            if key is None:
                related = None
            elif shared and key in seen[k]:
                related = seen[k][key]
            else:
                related = seen[k][key] = plans[k + 1].build(values, start, end, db)
            field.set_cached_value(obj, related)
        made.append(obj)
    return made


@dataclass(frozen=True)
class _Plan:
    model: type
    attnames: tuple[str, ...]
    columns: tuple  # what values_list reads: attnames, instants cast to text
    instants: tuple[int, ...]  # positions of the instants in ``attnames``
    cleaning: tuple[tuple[str, object], ...]  # fields whose descriptor cleans a value on assignment
    pk_index: int

    def build(self, values, start: int, end: int, db):
        row = list(values[start:end])
        for position in self.instants:
            text = row[position]
            if text is not None:
                row[position] = _instant(text)
        obj = self.model.__new__(self.model)
        obj.__dict__.update(zip(self.attnames, row, strict=True))
        state = obj._state = ModelState()
        state.adding, state.db = False, db
        for attname, descriptor in self.cleaning:
            descriptor.__set__(obj, obj.__dict__[attname])
        return obj


_PLANS: dict[tuple[type, str], _Plan] = {}


def _plan(model, prefix: str) -> _Plan:
    """How to read ``model``'s columns (``prefix``: the path of a joined model), cached."""
    key = (model, prefix)
    if key not in _PLANS:
        fields = model._meta.concrete_fields
        columns = tuple(
            Cast(prefix + f.attname, output_field=models.TextField())
            if isinstance(f, models.DateTimeField)
            else prefix + f.attname
            for f in fields
        )
        cleaning = tuple(
            (f.attname, descriptor)
            for f in fields
            if hasattr(descriptor := model.__dict__.get(f.attname), "__set__")
            and not isinstance(descriptor, DeferredAttribute)
        )
        _PLANS[key] = _Plan(
            model,
            tuple(f.attname for f in fields),
            columns,
            tuple(k for k, f in enumerate(fields) if isinstance(f, models.DateTimeField)),
            cleaning,
            [f.attname for f in fields].index(model._meta.pk.attname),
        )
    return _PLANS[key]


def _instant(text: str) -> datetime:
    """An instant as the database wrote it (UTC, with or without an offset) as an aware UTC datetime."""
    value = datetime.fromisoformat(text)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class _Attach:
    """Hand already-loaded rows to a foreign key, as ``select_related`` would have (no query)."""

    def __init__(self, model, name: str):
        self.field = model._meta.get_field(name)

    def set_cached_value_many(self, rows, loaded: dict) -> None:
        attname = self.field.attname
        for row in rows:
            key = getattr(row, attname)
            self.field.set_cached_value(row, None if key is None else loaded[key])


_PARTY = _Attach(AwarenessRecord, "party")
_NOTICE_OF_AWARENESS = _Attach(AwarenessRecord, "processor_notice")
_PROCESSOR = _Attach(ProcessingRelationship, "processor")
_CONTROLLER = _Attach(ProcessingRelationship, "controller")
_ESTIMATE_PARTY = _Attach(AffectedEstimate, "party")
_NOTICE_RELATIONSHIP = _Attach(ProcessorNotice, "relationship")


def _filings_and_decisions(incident) -> tuple[list, list]:
    """The filings (submission order) and decisions not to notify: the clocks, the page's filings
    section and the AP answer sheet all read these two lists (two queries)."""

    filings = AuthorityFiling.objects.filter(incident=incident).select_related("controller__party", "authority")
    decisions = NotificationDecisionRecord.objects.filter(incident=incident).select_related("controller__party")
    return list(filings.order_by("submitted_at", "pk")), list(decisions.order_by("decided_at", "pk"))


def _gaps_from(incident, awareness, estimates_list):
    # The rows are loaded already: pass what register_gaps() would query for.
    return incident.register_gaps(
        has_awareness=any(not record.is_withdrawn for record in awareness),
        has_subject_estimate=any(e.measure == EstimateMeasure.DATA_SUBJECTS for e in estimates_list),
    )
