"""Every change to the breach register goes through one of these functions.

Each takes ``actor`` and ``reason`` as keyword-only arguments, checks the
actor's role on the server, validates the whole row (and its neighbours where
a rule spans rows) and writes in one transaction: a refused change leaves the
database exactly as it was.
"""

from __future__ import annotations

from datetime import datetime
from typing import TypedDict, Unpack

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from actions.changes import apply_changes
from breachtrack.errors import field_error
from incidents.choices import AuthorityRole, AwarenessSource, Channel, Status
from incidents.models import (
    AffectedEstimate,
    AwarenessRecord,
    Incident,
    IncidentAuthority,
    IncidentParty,
    IncidentReferenceCounter,
    ProcessingRelationship,
    ProcessorNotice,
)
from organisations.models import Authority, Organisation, Party, User
from organisations.services import authorise, save_with_history
from rules.deadlines import recompute_deadlines
from rules.policies import default_notice_target_hours
from rules.timeinput import utc_to_local


class IncidentFacts(TypedDict, total=False):
    """What ``create_incident`` sets besides the title (which it takes by name).

    Everything else has its own service (status) or never changes (organisation, reference).
    Each ``<fact>_at`` of ``TIME_FACTS`` has its ``<fact>_tz``: the zone it was entered in.
    """

    is_confidentiality_breach: bool
    is_integrity_breach: bool
    is_availability_breach: bool
    cause: str
    cause_detail: str
    discovery_method: str
    discovery_detail: str
    description: str
    systems_involved: str
    confidentiality_outcome: str
    integrity_outcome: str
    availability_outcome: str
    occurred_from_at: datetime | None
    occurred_from_tz: str
    occurred_until_at: datetime | None
    occurred_until_tz: str
    is_ongoing: bool
    detected_at: datetime | None
    detected_tz: str
    investigation_started_at: datetime | None
    investigation_started_tz: str
    contained_at: datetime | None
    contained_tz: str
    data_categories: list[str]
    data_subject_categories: list[str]
    data_subject_countries: list[str]
    is_data_encrypted: bool | None
    is_key_compromised: bool | None
    likely_consequences: str
    severity: str
    risk_level: str
    risk_reasoning: str
    measures_before: str
    measures_containment: str
    measures_mitigation: str
    measures_planned: str
    notification_decision: str
    notification_reasoning: str


class IncidentChanges(IncidentFacts, total=False):
    """The fields a person may change through ``update_incident``."""

    title: str


# The run-time allow-list: the same names as the type, so the two cannot drift apart.
EDITABLE_FIELDS = frozenset(IncidentChanges.__annotations__)


def highest_reference_number(organisation: Organisation, year: int) -> int:
    """The highest NNNN of ``organisation``'s references ``YYYY-NNNN`` in ``year`` (0: none yet)."""
    prefix = f"{year}-"
    references = Incident.objects.filter(organisation=organisation, reference__startswith=prefix)
    numbers = (reference[len(prefix) :] for reference in references.values_list("reference", flat=True))
    return max((int(number) for number in numbers if number.isascii() and number.isdigit()), default=0)


def _allocate_reference(organisation: Organisation, now: datetime) -> str:
    """The next reference of ``organisation`` in ``now``'s year, taken in the caller's transaction.

    The year's counter row is locked until commit, so a concurrent create waits for it and takes
    the next number; a create that rolls back gives its number back. The first create of a year
    makes the row, starting at the highest number already used that year: on PostgreSQL a
    concurrent first INSERT waits for this one's commit and is then ignored, on SQLite the write
    lock (``BEGIN IMMEDIATE``) admits one writer at a time.
    """
    year = now.year
    counters = IncidentReferenceCounter.objects.select_for_update()
    counter = counters.filter(organisation=organisation, year=year).first()
    if counter is None:
        first = IncidentReferenceCounter(
            organisation=organisation, year=year, last_number=highest_reference_number(organisation, year)
        )
        IncidentReferenceCounter.objects.bulk_create(  # not-historied: IncidentReferenceCounter
            [first], ignore_conflicts=True
        )
        counter = counters.get(organisation=organisation, year=year)
    counter.last_number += 1
    counter.save(update_fields=["last_number"])
    return f"{year}-{counter.last_number:04d}"


@transaction.atomic
def create_incident(
    *,
    organisation: Organisation,
    title: str,
    actor: User,
    reason: str,
    now: datetime | None = None,
    **fields: Unpack[IncidentFacts],
) -> Incident:
    """Open a register entry. Only a title is needed: the rest can follow."""
    authorise(actor, organisation)
    now = now or timezone.now()
    incident = Incident(organisation=organisation, title=title)
    apply_changes(incident, fields, EDITABLE_FIELDS, actor)
    incident.reference = _allocate_reference(organisation, now)
    return save_with_history(incident, actor=actor, reason=reason)


def recompute_deadlines_now(incident: Incident) -> None:
    """Bring the derived deadline rows in line with the facts just written (same transaction)."""
    recompute_deadlines(incident, now=timezone.now())


def _lock(incident: Incident) -> Incident:
    """The incident row, locked until commit, so concurrent writers serialise on it."""
    return Incident.objects.select_for_update().get(pk=incident.pk)


def lock_open_incident(incident: Incident) -> Incident:
    """Lock the incident and refuse if it is closed (checked on the locked row, not a stale copy)."""
    locked = _lock(incident)
    if locked.status == Status.CLOSED:
        raise ValidationError(
            _("This incident is closed: reopen it (with a reason) before changing it."), code="closed"
        )
    return locked


@transaction.atomic
def update_incident(incident: Incident, *, actor: User, reason: str, **changes: Unpack[IncidentChanges]) -> Incident:
    authorise(actor, incident.organisation)
    locked = lock_open_incident(incident)
    fields = apply_changes(locked, changes, EDITABLE_FIELDS, actor)
    # No deadline recompute: none of EDITABLE_FIELDS is an input of a clock
    # (awareness, parties, notices and status have their own services).
    save_with_history(locked, actor=actor, reason=reason, update_fields=fields + ["updated_at"])
    return locked


@transaction.atomic
def change_status(incident: Incident, status: str, *, actor: User, reason: str) -> Incident:
    """Move an incident through open → contained → closed (or reopen it).

    Closing requires a register entry complete enough for Art. 33(5); the
    missing items are returned as field errors.
    """
    authorise(actor, incident.organisation)
    locked = _lock(incident)
    if status not in Status.values:
        raise field_error("status", _("Unknown status."), "invalid_choice")
    if status == Status.CONTAINED and locked.contained_at is None:
        raise field_error("contained_at", _("Record when the breach was contained first."), "required")
    if status == Status.CLOSED:
        gaps = locked.register_gaps()
        if gaps:
            errors: dict[str, list[str]] = {}
            for field, message in gaps:
                errors.setdefault(field, []).append(message)
            raise ValidationError(errors, code="incomplete")
    locked.status = status
    save_with_history(locked, actor=actor, reason=reason, update_fields=["status", "updated_at"])
    recompute_deadlines_now(locked)
    return locked


@transaction.atomic
def add_party(
    incident: Incident, *, party: Party, role: str, actor: User, reason: str, notes: str = ""
) -> IncidentParty:
    authorise(actor, incident.organisation)
    incident = lock_open_incident(incident)
    incident_party = save_with_history(
        IncidentParty(incident=incident, party=party, role=role, notes=notes), actor=actor, reason=reason
    )
    recompute_deadlines_now(incident)
    return incident_party


@transaction.atomic
def add_authority(
    incident: Incident, *, authority: Authority, role: str, actor: User, reason: str
) -> IncidentAuthority:
    authorise(actor, incident.organisation)
    incident = lock_open_incident(incident)
    if role == AuthorityRole.LEAD:
        refuse_second_lead(incident)
    return save_with_history(
        IncidentAuthority(incident=incident, authority=authority, role=role), actor=actor, reason=reason
    )


def refuse_second_lead(incident: Incident, *, other_than: IncidentAuthority | None = None) -> None:
    """One lead supervisory authority per incident (Art. 56): say which one leads already."""
    leads = IncidentAuthority.objects.filter(incident=incident, role=AuthorityRole.LEAD).select_related("authority")
    lead = leads.exclude(pk=other_than.pk).first() if other_than is not None else leads.first()
    if lead is not None:
        raise field_error(
            "role",
            _("This incident already has a lead supervisory authority (%(name)s): make it a concerned one first.")
            % {"name": lead.authority},
            "second_lead",
        )


@transaction.atomic
def link_processor(
    incident: Incident,
    *,
    processor: IncidentParty,
    controller: IncidentParty,
    actor: User,
    reason: str,
    notice_target_hours: int | None = None,
    agreement_reference: str = "",
) -> ProcessingRelationship:
    """Link a processor to a controller; without an agreed target, the organisation's default."""
    authorise(actor, incident.organisation)
    incident = lock_open_incident(incident)
    if notice_target_hours is None:
        notice_target_hours = default_notice_target_hours(incident.organisation_id)
    relationship = ProcessingRelationship(
        incident=incident,
        processor=processor,
        controller=controller,
        notice_target_hours=notice_target_hours,
        agreement_reference=agreement_reference,
    )
    relationship = save_with_history(relationship, actor=actor, reason=reason)
    recompute_deadlines_now(incident)
    return relationship


class AwarenessFacts(TypedDict, total=False):
    """What ``record_awareness`` records and ``correct_awareness`` corrects."""

    aware_at: datetime
    aware_tz: str
    source: str
    source_detail: str
    asserted_by: str
    evidence: str
    rationale: str


AWARENESS_FIELDS = frozenset(AwarenessFacts.__annotations__)


def _local(at: datetime, zone_name: str) -> str:
    """An instant as the person entered it: wall-clock time and zone, for a message."""
    return f"{utc_to_local(at, zone_name or 'UTC'):%Y-%m-%d %H:%M} {zone_name or 'UTC'}"


def _refuse_repeated_awareness(record: AwarenessRecord) -> None:
    """One awareness per party and source: a second one is a correction of the first, or a mistake.

    A withdrawn record does not count (it is kept as evidence of what turned out wrong).
    """
    held = (
        AwarenessRecord.objects.filter(party_id=record.party_id, source=record.source, is_withdrawn=False)
        .exclude(pk=record.pk)
        .order_by("aware_at", "pk")
        .first()
    )
    if held is not None:
        raise field_error(
            "source",
            _(
                "%(party)s already has an awareness record from this source (aware at %(at)s). Does this one "
                "correct it? Then correct that record (Correct awareness) instead of adding a second one."
            )
            % {"party": held.party.party, "at": _local(held.aware_at, held.aware_tz)},
            "repeated",
        )


# A notice recorded as an awareness is refused on the awareness's own fields.
NOTICE_TO_AWARENESS = {
    "informed_at": "aware_at",
    "informed_tz": "aware_tz",
    "received_by": "asserted_by",
    "summary": "source_detail",
}


def as_awareness_error(error: ValidationError) -> ValidationError:
    """A notice's refusal, named by the awareness fields the person filled in (a repeat: on ``source``)."""
    if not hasattr(error, "error_dict"):
        return error
    renamed: dict[str, list[ValidationError]] = {}
    for name, items in error.error_dict.items():
        for item in items:
            target = "source" if item.code == "repeated" else NOTICE_TO_AWARENESS.get(name, name)
            renamed.setdefault(target, []).append(item)
    return ValidationError(renamed)


def notifying_relationship(
    party: IncidentParty, relationship: ProcessingRelationship | None = None
) -> ProcessingRelationship:
    """The processing relationship whose notice made ``party`` aware: the one given, or its only one.

    Refuses (on ``processor``) when ``party`` has no processor on this incident, when it has several
    and none was chosen, or when the one chosen does not serve ``party``.
    """
    served_by = list(party.served_by.select_related("processor__party"))
    if relationship is not None:
        if relationship.pk not in {r.pk for r in served_by}:
            raise field_error("processor", _("Choose a processor that serves this controller."), "other_party")
        return relationship
    if not served_by:
        raise field_error(
            "processor",
            _(
                "%(party)s has no processor on this incident. Add the processor and link it to this controller "
                "first, or choose another source."
            )
            % {"party": party.party},
            "no_processor",
        )
    if len(served_by) > 1:
        raise field_error(
            "processor",
            _("%(party)s has several processors: say which one informed it.") % {"party": party.party},
            "ambiguous",
        )
    return served_by[0]


@transaction.atomic
def record_awareness(
    incident: Incident,
    *,
    party: IncidentParty,
    actor: User,
    reason: str,
    relationship: ProcessingRelationship | None = None,
    channel: str = "",
    **facts: Unpack[AwarenessFacts],
) -> AwarenessRecord:
    """Record that ``party`` became aware of the breach (starts that party's clock).

    An awareness whose source is a processor's notice *is* that notice (Art. 33(2)): it is recorded
    as the notice of ``relationship`` (the party's only processor when not given, ``channel`` how it
    was told), with this awareness derived from it, so the processor's clock is met and the two
    never disagree. A second live record for the same party and source is refused: it is a
    correction (``correct_awareness``, or ``correct_processor_notice``), not a new fact.
    """
    authorise(actor, incident.organisation)
    incident = lock_open_incident(incident)
    record = AwarenessRecord(incident=incident, party=party, recorded_by=actor)
    apply_changes(record, facts, AWARENESS_FIELDS, actor)
    if record.source == AwarenessSource.PROCESSOR_NOTICE:
        if party.incident_id != incident.pk:
            raise field_error("party", _("Unknown party."), "other_incident")
        chosen = notifying_relationship(party, relationship)
        notice = ProcessorNotice(
            relationship=chosen,
            recorded_by=actor,
            informed_at=record.aware_at,
            informed_tz=record.aware_tz,
            channel=channel or Channel.OTHER,
            informed_by=chosen.processor.party.name[:200],
            received_by=record.asserted_by,
            summary=record.source_detail,
            evidence=record.evidence,
        )
        try:
            notice = _write_notice(notice, incident, actor=actor, reason=reason, rationale=record.rationale)
        except ValidationError as error:
            raise as_awareness_error(error) from None
        return notice.awareness_record
    _refuse_repeated_awareness(record)
    record = save_with_history(record, actor=actor, reason=reason)
    recompute_deadlines_now(incident)
    return record


def _refuse_derived(record: AwarenessRecord) -> None:
    """An awareness derived from a processor notice changes only with its notice."""
    if record.processor_notice_id is not None:
        raise ValidationError(
            _("This awareness comes from a processor notice: correct the notice instead."), code="derived"
        )


@transaction.atomic
def correct_awareness(
    record: AwarenessRecord, *, actor: User, reason: str, **changes: Unpack[AwarenessFacts]
) -> AwarenessRecord:
    """Correct an awareness record; the old value stays in its history."""
    authorise(actor, record.incident.organisation)
    lock_open_incident(record.incident)
    record = AwarenessRecord.objects.select_for_update().get(pk=record.pk)
    _refuse_derived(record)
    fields = apply_changes(record, changes, AWARENESS_FIELDS, actor)
    if "source" in fields and record.source == AwarenessSource.PROCESSOR_NOTICE:
        raise field_error(
            "source",
            _("An awareness from a processor's notice is recorded as that notice: record the processor's notice."),
            "derived",
        )
    if "source" in fields:
        _refuse_repeated_awareness(record)
    record = save_with_history(record, actor=actor, reason=reason, update_fields=fields)
    recompute_deadlines_now(record.incident)
    return record


@transaction.atomic
def withdraw_awareness(record: AwarenessRecord, *, withdrawal_reason: str, actor: User, reason: str) -> AwarenessRecord:
    """Withdraw a record that turned out wrong. It is kept, marked, never deleted."""
    authorise(actor, record.incident.organisation)
    lock_open_incident(record.incident)
    record = AwarenessRecord.objects.select_for_update().get(pk=record.pk)
    _refuse_derived(record)
    record.is_withdrawn = True
    record.withdrawal_reason = withdrawal_reason
    record = save_with_history(record, actor=actor, reason=reason, update_fields=["is_withdrawn", "withdrawal_reason"])
    recompute_deadlines_now(record.incident)
    return record


class NoticeFacts(TypedDict, total=False):
    """What ``record_processor_notice`` records and ``correct_processor_notice`` corrects."""

    informed_at: datetime
    informed_tz: str
    channel: str
    informed_by: str
    received_by: str
    summary: str
    evidence: str


NOTICE_FIELDS = frozenset(NoticeFacts.__annotations__)


def _check_notice_time(notice: ProcessorNotice, relationship: ProcessingRelationship, incident: Incident) -> None:
    """A notice cannot precede the breach, nor the processor's own awareness.

    The controller's awareness is derived from the notice, so its rules are
    checked here and reported on the notice's own field.
    """
    if notice.informed_at is None:
        return
    if incident.occurred_from_at and notice.informed_at < incident.occurred_from_at:
        raise field_error(
            "informed_at", _("A controller cannot be informed before the breach started."), "before_start"
        )
    processor_aware = (
        relationship.processor.awareness_records.filter(is_withdrawn=False)
        .order_by("aware_at")
        .values_list("aware_at", flat=True)
        .first()
    )
    if processor_aware is not None and notice.informed_at < processor_aware:
        raise field_error(
            "informed_at",
            _("The processor cannot inform a controller before it was aware itself (%(aware)s).")
            % {"aware": processor_aware.isoformat()},
            "before_processor_awareness",
        )


def _refuse_repeated_notice(notice: ProcessorNotice) -> None:
    """One notice per processor and controller: a second one is a correction of the first."""
    held = notice.relationship.notices.exclude(pk=notice.pk).order_by("informed_at", "pk").first()
    if held is not None:
        raise field_error(
            "informed_at",
            _(
                "%(relationship)s: this notice is already recorded (informed at %(at)s). Does this one correct it? "
                "Then correct that notice instead of adding a second one."
            )
            % {"relationship": notice.relationship, "at": _local(held.informed_at, held.informed_tz)},
            "repeated",
        )


def _write_notice(
    notice: ProcessorNotice, incident: Incident, *, actor: User, reason: str, rationale: str = ""
) -> ProcessorNotice:
    """Save ``notice`` and the controller awareness it is, linked; recompute the clocks.

    Steps: 1. the notice's time (not before the breach, nor the processor's own awareness);
    2. no second notice for the same relationship; 3. the notice; 4. the controller's awareness
    from it — an unlinked one from an earlier "notice from its processor" record is adopted (linked
    and moved to the notice's time, its old value kept in history) rather than doubled.
    """
    relationship = notice.relationship
    _check_notice_time(notice, relationship, incident)
    _refuse_repeated_notice(notice)
    save_with_history(notice, actor=actor, reason=reason)
    processor_name = relationship.processor.party.name
    awareness = (
        AwarenessRecord.objects.select_for_update()
        .filter(
            party=relationship.controller,
            source=AwarenessSource.PROCESSOR_NOTICE,
            processor_notice__isnull=True,
            is_withdrawn=False,
        )
        .order_by("aware_at", "pk")
        .first()
    )
    if awareness is None:
        awareness = AwarenessRecord(
            incident=incident,
            party=relationship.controller,
            source=AwarenessSource.PROCESSOR_NOTICE,
            source_detail=_("Informed by processor %(name)s via %(channel)s")
            % {"name": processor_name, "channel": notice.get_channel_display()},
            asserted_by=notice.received_by,
            evidence=notice.evidence,
            rationale=rationale
            or _("A controller is in principle aware when its processor informs it (EDPB Guidelines 9/2022)."),
            recorded_by=actor,
        )
    awareness.aware_at, awareness.aware_tz = notice.informed_at, notice.informed_tz
    awareness.processor_notice = notice
    save_with_history(awareness, actor=actor, reason=reason)
    recompute_deadlines_now(incident)
    return notice


@transaction.atomic
def record_processor_notice(
    relationship: ProcessingRelationship, *, actor: User, reason: str, **facts: Unpack[NoticeFacts]
) -> ProcessorNotice:
    """Record the processor informing a controller (Art. 33(2)).

    The controller is, in principle, aware when its processor tells it (EDPB
    Guidelines 9/2022), so the notice also records that controller's awareness
    — linked to the notice, so the two never disagree, and never twice.
    """
    incident = relationship.incident
    authorise(actor, incident.organisation)
    incident = lock_open_incident(incident)
    notice = ProcessorNotice(relationship=relationship, recorded_by=actor)
    apply_changes(notice, facts, NOTICE_FIELDS, actor)
    return _write_notice(notice, incident, actor=actor, reason=reason)


@transaction.atomic
def correct_processor_notice(
    notice: ProcessorNotice, *, actor: User, reason: str, **changes: Unpack[NoticeFacts]
) -> ProcessorNotice:
    """Correct a notice; the controller awareness derived from it follows."""
    incident = notice.relationship.incident
    authorise(actor, incident.organisation)
    incident = lock_open_incident(incident)
    notice = ProcessorNotice.objects.select_for_update().get(pk=notice.pk)
    fields = apply_changes(notice, changes, NOTICE_FIELDS, actor)
    _check_notice_time(notice, notice.relationship, incident)
    save_with_history(notice, actor=actor, reason=reason, update_fields=fields)
    if {"informed_at", "informed_tz"} & set(fields):
        awareness = notice.awareness_record
        awareness.aware_at, awareness.aware_tz = notice.informed_at, notice.informed_tz
        save_with_history(awareness, actor=actor, reason=reason, update_fields=["aware_at", "aware_tz"])
    recompute_deadlines_now(incident)
    return notice


class EstimateFacts(TypedDict, total=False):
    """What ``record_estimate`` records: a count (or range) of people or records, when known, from where."""

    measure: str
    low: int
    high: int | None
    is_approximate: bool
    is_at_least: bool
    party: IncidentParty | None
    known_at: datetime
    known_tz: str
    source: str
    note: str


ESTIMATE_FIELDS = frozenset(EstimateFacts.__annotations__)


@transaction.atomic
def record_estimate(
    incident: Incident, *, actor: User, reason: str, **facts: Unpack[EstimateFacts]
) -> AffectedEstimate:
    """Add what is now known about the number of people or records affected."""
    authorise(actor, incident.organisation)
    incident = lock_open_incident(incident)
    estimate = AffectedEstimate(incident=incident, recorded_by=actor)
    apply_changes(estimate, facts, ESTIMATE_FIELDS, actor)
    save_with_history(estimate, actor=actor, reason=reason)
    recompute_deadlines_now(
        incident
    )  # a count that moved against the last filing starts the Art. 33(4) follow-up clock
    return estimate
