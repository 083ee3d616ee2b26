"""Every change to the breach register goes through one of these functions.

Each takes ``actor`` and ``reason`` as keyword-only arguments, checks the
actor's role on the server, validates the whole row (and its neighbours where
a rule spans rows) and writes in one transaction: a refused change leaves the
database exactly as it was.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from breachtrack.errors import field_error, field_errors
from incidents.choices import AwarenessSource, Status
from incidents.models import (
    TIME_FACTS,
    AffectedEstimate,
    AwarenessRecord,
    Incident,
    IncidentAuthority,
    IncidentParty,
    ProcessingRelationship,
    ProcessorNotice,
)
from organisations.services import authorise, save_with_history
from rules.deadlines import recompute_deadlines
from rules.policies import default_notice_target_hours

# Fields a person may change through update_incident; everything else has its
# own service (status) or never changes (organisation, reference).
EDITABLE_FIELDS = frozenset(
    {
        "title",
        "is_confidentiality_breach",
        "is_integrity_breach",
        "is_availability_breach",
        "cause",
        "cause_detail",
        "discovery_method",
        "discovery_detail",
        "description",
        "is_ongoing",
        "data_categories",
        "data_subject_categories",
        "data_subject_countries",
        "is_data_encrypted",
        "is_key_compromised",
        "likely_consequences",
        "severity",
        "risk_level",
        "risk_reasoning",
        "measures_before",
        "measures_containment",
        "measures_mitigation",
        "measures_planned",
        "notification_decision",
        "notification_reasoning",
    }
    | {f"{name}_at" for name in TIME_FACTS}
    | {f"{name}_tz" for name in TIME_FACTS}
)


def _actor_zone(actor) -> str:
    return getattr(actor, "time_zone", "") or timezone.get_default_timezone_name()


def apply_changes(obj, changes: dict, allowed, actor) -> list[str]:
    """Set ``changes`` on ``obj``; give each new instant the zone it was entered in."""
    unknown = set(changes) - set(allowed)
    if unknown:
        raise field_errors(sorted(unknown), _("This field cannot be changed here."), "not_editable")
    for name, value in changes.items():
        setattr(obj, name, value)
    fields = list(changes)
    for name in list(changes):
        if name.endswith("_at") and f"{name[:-3]}_tz" in allowed and f"{name[:-3]}_tz" not in changes:
            tz_field = f"{name[:-3]}_tz"
            setattr(obj, tz_field, _actor_zone(actor) if changes[name] is not None else "")
            fields.append(tz_field)
    return fields


def _next_reference(organisation, now) -> str:
    year = now.year
    count = Incident.objects.filter(organisation=organisation, reference__startswith=f"{year}-").count()
    return f"{year}-{count + 1:04d}"


@transaction.atomic
def create_incident(*, organisation, title: str, actor, reason: str, now=None, **fields) -> Incident:
    """Open a register entry. Only a title is needed: the rest can follow."""
    authorise(actor, organisation)
    now = now or timezone.now()
    incident = Incident(organisation=organisation, title=title)
    apply_changes(incident, fields, EDITABLE_FIELDS, actor)
    for attempt in range(5):
        incident.reference = _next_reference(organisation, now)
        try:
            with transaction.atomic():
                return save_with_history(incident, actor=actor, reason=reason)
        except IntegrityError:
            if attempt == 4:
                raise
            incident.pk = None  # a concurrent create took the number: take the next
    raise AssertionError("unreachable")


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
        raise ValidationError(_("This incident is closed: reopen it (with a reason) before changing it."), code="closed")
    return locked


@transaction.atomic
def update_incident(incident: Incident, *, actor, reason: str, **changes) -> Incident:
    authorise(actor, incident.organisation)
    locked = lock_open_incident(incident)
    fields = apply_changes(locked, changes, EDITABLE_FIELDS, actor)
    # No deadline recompute: none of EDITABLE_FIELDS is an input of a clock
    # (awareness, parties, notices and status have their own services).
    save_with_history(locked, actor=actor, reason=reason, update_fields=fields + ["updated_at"])
    return locked


@transaction.atomic
def change_status(incident: Incident, status: str, *, actor, reason: str) -> Incident:
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
def add_party(incident: Incident, *, party, role: str, actor, reason: str, notes: str = "") -> IncidentParty:
    authorise(actor, incident.organisation)
    incident = lock_open_incident(incident)
    party = save_with_history(IncidentParty(incident=incident, party=party, role=role, notes=notes), actor=actor, reason=reason)
    recompute_deadlines_now(incident)
    return party


@transaction.atomic
def add_authority(incident: Incident, *, authority, role: str, actor, reason: str) -> IncidentAuthority:
    authorise(actor, incident.organisation)
    incident = lock_open_incident(incident)
    return save_with_history(IncidentAuthority(incident=incident, authority=authority, role=role), actor=actor, reason=reason)


@transaction.atomic
def link_processor(
    incident: Incident, *, processor: IncidentParty, controller: IncidentParty, actor, reason: str,
    notice_target_hours: int | None = None, agreement_reference: str = "",
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


AWARENESS_FIELDS = frozenset(
    {"aware_at", "aware_tz", "source", "source_detail", "asserted_by", "evidence", "rationale"}
)


@transaction.atomic
def record_awareness(incident: Incident, *, party: IncidentParty, actor, reason: str, **facts) -> AwarenessRecord:
    """Record that ``party`` became aware of the breach (starts that party's clock)."""
    authorise(actor, incident.organisation)
    incident = lock_open_incident(incident)
    record = AwarenessRecord(incident=incident, party=party, recorded_by=actor)
    apply_changes(record, facts, AWARENESS_FIELDS, actor)
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
def correct_awareness(record: AwarenessRecord, *, actor, reason: str, **changes) -> AwarenessRecord:
    """Correct an awareness record; the old value stays in its history."""
    authorise(actor, record.incident.organisation)
    lock_open_incident(record.incident)
    record = AwarenessRecord.objects.select_for_update().get(pk=record.pk)
    _refuse_derived(record)
    fields = apply_changes(record, changes, AWARENESS_FIELDS, actor)
    record = save_with_history(record, actor=actor, reason=reason, update_fields=fields)
    recompute_deadlines_now(record.incident)
    return record


@transaction.atomic
def withdraw_awareness(record: AwarenessRecord, *, withdrawal_reason: str, actor, reason: str) -> AwarenessRecord:
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


NOTICE_FIELDS = frozenset(
    {"informed_at", "informed_tz", "channel", "informed_by", "received_by", "summary", "evidence"}
)


def _check_notice_time(notice: ProcessorNotice, relationship: ProcessingRelationship, incident: Incident) -> None:
    """A notice cannot precede the breach, nor the processor's own awareness.

    The controller's awareness is derived from the notice, so its rules are
    checked here and reported on the notice's own field.
    """
    if notice.informed_at is None:
        return
    if incident.occurred_from_at and notice.informed_at < incident.occurred_from_at:
        raise field_error("informed_at", _("A controller cannot be informed before the breach started."), "before_start")
    processor_aware = (
        relationship.processor.awareness_records.filter(is_withdrawn=False).order_by("aware_at").values_list("aware_at", flat=True).first()
    )
    if processor_aware is not None and notice.informed_at < processor_aware:
        raise field_error(
            "informed_at",
            _("The processor cannot inform a controller before it was aware itself (%(aware)s).")
            % {"aware": processor_aware.isoformat()},
            "before_processor_awareness",
        )


@transaction.atomic
def record_processor_notice(relationship: ProcessingRelationship, *, actor, reason: str, **facts) -> ProcessorNotice:
    """Record the processor informing a controller (Art. 33(2)).

    The controller is, in principle, aware when its processor tells it (EDPB
    Guidelines 9/2022), so the notice also records that controller's awareness
    — linked to the notice, so the two never disagree.
    """
    incident = relationship.incident
    authorise(actor, incident.organisation)
    incident = lock_open_incident(incident)
    notice = ProcessorNotice(relationship=relationship, recorded_by=actor)
    apply_changes(notice, facts, NOTICE_FIELDS, actor)
    _check_notice_time(notice, relationship, incident)
    save_with_history(notice, actor=actor, reason=reason)
    processor_name = relationship.processor.party.name
    awareness = AwarenessRecord(
        incident=incident,
        party=relationship.controller,
        aware_at=notice.informed_at,
        aware_tz=notice.informed_tz,
        source=AwarenessSource.PROCESSOR_NOTICE,
        source_detail=_("Informed by processor %(name)s via %(channel)s") % {"name": processor_name, "channel": notice.get_channel_display()},
        asserted_by=notice.received_by,
        evidence=notice.evidence,
        rationale=_("A controller is in principle aware when its processor informs it (EDPB Guidelines 9/2022)."),
        processor_notice=notice,
        recorded_by=actor,
    )
    save_with_history(awareness, actor=actor, reason=reason)
    recompute_deadlines_now(incident)
    return notice


@transaction.atomic
def correct_processor_notice(notice: ProcessorNotice, *, actor, reason: str, **changes) -> ProcessorNotice:
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


ESTIMATE_FIELDS = frozenset(
    {"measure", "low", "high", "is_approximate", "is_at_least", "party", "known_at", "known_tz", "source", "note"}
)


@transaction.atomic
def record_estimate(incident: Incident, *, actor, reason: str, **facts) -> AffectedEstimate:
    """Add what is now known about the number of people or records affected."""
    authorise(actor, incident.organisation)
    incident = lock_open_incident(incident)
    estimate = AffectedEstimate(incident=incident, recorded_by=actor)
    apply_changes(estimate, facts, ESTIMATE_FIELDS, actor)
    save_with_history(estimate, actor=actor, reason=reason)
    recompute_deadlines_now(incident)  # a count that moved against the last filing starts the Art. 33(4) follow-up clock
    return estimate
