"""Every change to the extortion facts of an incident (docs/domain.md#extortion) goes through here.

Same contract as ``actions.incidents``: keyword-only ``actor`` and ``reason``, the role checked
on the server, the whole change validated before anything is written, one transaction, and the
incident row locked so concurrent writers serialise. Countdown revisions recompute the incident's
deadline rows in the same transaction; they only ever touch the operational countdown clock.

Instants: pass an aware datetime, or a wall-clock time without zone together with its
``<name>_tz`` (and ``<name>_fold`` for the hour that happens twice). Wall-clock times are read
through ``rules.timeinput``: a time skipped by a DST change is refused (code
``nonexistent``), a repeated one needs its fold (code ``ambiguous``).

The rules of a countdown revision (written down once, here and in the model):

* ``announced_at`` — when the threat actor made the revision — is required, not in the future,
  not before the first contact, and not before the latest revision already recorded: the chain
  is kept in the order the actor made it, so *extended* and *shortened* mean something.
* ``deadline_at`` must come after ``announced_at``. It may already have passed: then the row is a
  historical record (recorded late, with the time it was made) and starts no clock.
* The first revision sets the countdown; a new *set* follows only a withdrawal; *extended* and
  *shortened* need a running countdown and a later / earlier deadline; *renewed after payment*
  needs an earlier countdown (running, expired or withdrawn); *withdrawn* needs a running one.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any, TypedDict, Unpack

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from actions.changes import actor_zone
from actions.incidents import lock_open_incident, recompute_deadlines_now
from breachtrack.errors import field_error, field_errors
from incidents.choices import CountdownRevisionKind as Kind
from incidents.models import ExtortionCountdown, ExtortionThreat, Incident, Publication
from organisations.models import User
from organisations.services import authorise, require_reason, save_with_history
from rules.timeinput import LOCAL_TIME_MESSAGES, Fold, LocalTimeError, local_to_utc

# What each service accepts. An instant is an aware datetime, or a wall-clock time with its
# ``<name>_tz`` (and ``<name>_fold`` for the hour that happens twice); the fold only says how to
# read the time, so it is not a field of the row and not in the allow-lists below.


class ThreatFacts(TypedDict, total=False):
    actor_name: str
    actor_aliases: str
    first_contact_at: datetime
    first_contact_tz: str
    first_contact_fold: Fold | str | None
    channel: str
    channel_detail: str
    demand_amount: Decimal | None
    demand_currency: str
    demand_payment_method: str


class PaymentFacts(TypedDict, total=False):
    """Besides ``payment_decision``, which ``record_payment_decision`` takes by name."""

    payment_decided_at: datetime | None
    payment_decided_tz: str
    payment_decided_fold: Fold | str | None
    payment_reasoning: str


class PoliceFacts(TypedDict, total=False):
    police_reported_at: datetime | None
    police_reported_tz: str
    police_reported_fold: Fold | str | None
    police_reference: str
    other_agencies_told: str


class RevisionFacts(TypedDict, total=False):
    announced_at: datetime
    announced_tz: str
    announced_fold: Fold | str | None
    deadline_at: datetime | None
    deadline_tz: str
    deadline_fold: Fold | str | None
    source: str
    evidence: str
    note: str


class PublicationFacts(TypedDict, total=False):
    published_at: datetime
    published_tz: str
    published_fold: Fold | str | None
    location: str
    records_count: int | None
    files_count: int | None
    size_bytes: int | None
    note: str


def _field_names(facts: type) -> frozenset[str]:
    """The fields of the row that ``facts`` (a TypedDict) names: every key but the folds."""
    return frozenset(name for name in facts.__annotations__ if not name.endswith("_fold"))


THREAT_FIELDS = _field_names(ThreatFacts)
PAYMENT_FIELDS = _field_names(PaymentFacts) | {"payment_decision"}
POLICE_FIELDS = _field_names(PoliceFacts)
REVISION_FIELDS = _field_names(RevisionFacts)
PUBLICATION_FIELDS = _field_names(PublicationFacts)


# --- Helpers -------------------------------------------------------------------------------------


def _instant(field: str, value: datetime | None, zone_name: str, fold: Fold | str | None) -> datetime | None:
    """``value`` as a UTC instant; a naive value is a wall-clock time in ``zone_name``."""
    if value is None or timezone.is_aware(value):
        return value
    try:
        return local_to_utc(value, zone_name, fold or None)
    except LocalTimeError as error:
        # The same words as the form field, so every interface explains a DST gap alike.
        message = LOCAL_TIME_MESSAGES.get(error.code, _("Enter a valid date and time."))
        params = {"time": value.strftime("%Y-%m-%d %H:%M"), "zone": zone_name}
        raise field_error(field, message % params, error.code) from None


def _apply(obj: object, facts: Mapping[str, Any], allowed: Collection[str], actor: User) -> list[str]:
    """Set ``facts`` on ``obj``: each instant in UTC with the zone it was entered in.

    Refuses unknown fields; returns the names of the fields set.
    """
    facts = dict(facts)
    folds = {name: facts.pop(name) for name in list(facts) if name.endswith("_fold")}
    unknown = (set(facts) - set(allowed)) | {name for name in folds if f"{name[:-5]}_at" not in allowed}
    if unknown:
        raise field_errors(sorted(unknown), _("This field cannot be changed here."), "not_editable")
    fields = []
    for name, value in facts.items():
        if name.endswith("_at") and f"{name[:-3]}_tz" in allowed:
            stem = name[:-3]
            zone_name = facts.get(f"{stem}_tz") or actor_zone(actor)
            value = _instant(name, value, zone_name, folds.get(f"{stem}_fold"))
            setattr(obj, f"{stem}_tz", zone_name if value is not None else "")
            fields.append(f"{stem}_tz")
        elif name.endswith("_tz") and f"{name[:-3]}_at" in facts:
            continue  # set with its instant
        setattr(obj, name, value)
        fields.append(name)
    return sorted(set(fields))


def _lock_threat(threat: ExtortionThreat) -> tuple[Incident, ExtortionThreat]:
    incident = lock_open_incident(threat.incident)
    return incident, ExtortionThreat.objects.select_for_update().get(pk=threat.pk)


# --- The threat ------------------------------------------------------------------------------------
@transaction.atomic
def record_threat(incident: Incident, *, actor: User, reason: str, **facts: Unpack[ThreatFacts]) -> ExtortionThreat:
    """Record a threat actor's demand: who, first contact, channel, amount and currency."""
    authorise(actor, incident.organisation)
    require_reason(reason)
    incident = lock_open_incident(incident)
    threat = ExtortionThreat(incident=incident, recorded_by=actor)
    _apply(threat, facts, THREAT_FIELDS, actor)
    return save_with_history(threat, actor=actor, reason=reason)


@transaction.atomic
def update_threat(
    threat: ExtortionThreat, *, actor: User, reason: str, **changes: Unpack[ThreatFacts]
) -> ExtortionThreat:
    """Correct what is known of the threat; the old values stay in its history."""
    authorise(actor, threat.incident.organisation)
    require_reason(reason)
    _incident, threat = _lock_threat(threat)
    fields = _apply(threat, changes, THREAT_FIELDS, actor)
    if threat.first_contact_at is not None:
        first = threat.countdown_revisions.order_by("announced_at").values_list("announced_at", flat=True).first()
        if first is not None and first < threat.first_contact_at:
            raise field_error("first_contact_at", _("A countdown was announced before this moment."), "after_countdown")
    return save_with_history(threat, actor=actor, reason=reason, update_fields=fields)


@transaction.atomic
def record_payment_decision(
    threat: ExtortionThreat, *, payment_decision: str, actor: User, reason: str, **facts: Unpack[PaymentFacts]
) -> ExtortionThreat:
    """Record whether the organisation pays, when, and why.

    Paying neither reduces the risk to the people affected nor delays any notification
    (docs/domain.md#extortion): no clock is recomputed here, and a renewed countdown after a payment is
    recorded as its own revision.
    """
    authorise(actor, threat.incident.organisation)
    require_reason(reason)
    _incident, threat = _lock_threat(threat)
    fields = _apply(threat, {"payment_decision": payment_decision, **facts}, PAYMENT_FIELDS, actor)
    return save_with_history(threat, actor=actor, reason=reason, update_fields=fields)


@transaction.atomic
def record_police_report(
    threat: ExtortionThreat, *, actor: User, reason: str, **facts: Unpack[PoliceFacts]
) -> ExtortionThreat:
    """Record the report to the police (when, reference) and which other agencies were told."""
    authorise(actor, threat.incident.organisation)
    require_reason(reason)
    _incident, threat = _lock_threat(threat)
    fields = _apply(threat, facts, POLICE_FIELDS, actor)
    return save_with_history(threat, actor=actor, reason=reason, update_fields=fields)


# --- The countdown -------------------------------------------------------------------------------
def _check_chain(revision: ExtortionCountdown, chain: list[ExtortionCountdown]) -> None:
    """The rules against the revisions already recorded (see the module docstring)."""
    latest = chain[-1] if chain else None
    if latest is not None and revision.announced_at < latest.announced_at:
        raise field_error(
            "announced_at",
            _("The latest revision was announced at %(at)s: record revisions in the order they were made.")
            % {"at": latest.announced_at.isoformat()},
            "before_previous",
        )
    running = latest is not None and not latest.is_withdrawal
    kind = revision.kind
    if kind == Kind.SET and running:
        raise field_error(
            "kind", _("A countdown is running: record it as extended, shortened or renewed."), "already_running"
        )
    if kind in (Kind.EXTENDED, Kind.SHORTENED, Kind.WITHDRAWN) and not running:
        raise field_error("kind", _("No countdown is running."), "nothing_running")
    if kind == Kind.RENEWED_AFTER_PAYMENT and latest is None:
        raise field_error("kind", _("There was no countdown to renew: record it as set."), "nothing_to_renew")
    if latest is None or latest.deadline_at is None or revision.deadline_at is None:
        return  # only a withdrawal lacks a deadline (the model's clean), and none is running here
    if kind == Kind.EXTENDED and revision.deadline_at <= latest.deadline_at:
        raise field_error(
            "deadline_at",
            _("An extension must move the deadline later than %(at)s.") % {"at": latest.deadline_at.isoformat()},
            "not_later",
        )
    if kind == Kind.SHORTENED and revision.deadline_at >= latest.deadline_at:
        raise field_error(
            "deadline_at",
            _("A shortened countdown must end before %(at)s.") % {"at": latest.deadline_at.isoformat()},
            "not_earlier",
        )


def _add_revision(
    threat: ExtortionThreat, kind: str, facts: Mapping[str, object], *, actor: User, reason: str
) -> ExtortionCountdown:
    """Validate the revision alone, then against the chain; write it; recompute the clocks."""
    authorise(actor, threat.incident.organisation)
    require_reason(reason)
    if kind not in Kind.values:
        raise field_error("kind", _("Unknown kind of revision."), "invalid_choice")
    incident, threat = _lock_threat(threat)
    revision = ExtortionCountdown(threat=threat, kind=kind, recorded_by=actor)
    _apply(revision, facts, REVISION_FIELDS, actor)
    revision.full_clean()
    _check_chain(revision, list(threat.countdown_revisions.all()))
    save_with_history(revision, actor=actor, reason=reason, validate=False)
    recompute_deadlines_now(incident)
    return revision


@transaction.atomic
def revise_countdown(
    threat: ExtortionThreat, *, kind: str, actor: User, reason: str, **facts: Unpack[RevisionFacts]
) -> ExtortionCountdown:
    """Record the countdown being set, extended, shortened or renewed after a payment.

    The new deadline moves the operational clock (its alerts follow the new moment; those already
    recorded for the old moment stay). No legal deadline reads it.
    """
    if kind == Kind.WITHDRAWN:
        raise field_error("kind", _("Use the withdrawal to record that the countdown was dropped."), "use_withdraw")
    return _add_revision(threat, kind, facts, actor=actor, reason=reason)


@transaction.atomic
def withdraw_countdown(
    threat: ExtortionThreat, *, actor: User, reason: str, **facts: Unpack[RevisionFacts]
) -> ExtortionCountdown:
    """Record that the threat actor dropped the countdown: its clock stops alerting (kept inactive)."""
    if facts.get("deadline_at") is not None:
        raise field_error("deadline_at", _("A withdrawal has no deadline: clear it."), "withdrawn_with_deadline")
    facts.pop("deadline_at", None)
    return _add_revision(threat, Kind.WITHDRAWN, facts, actor=actor, reason=reason)


# --- Publications ----------------------------------------------------------------------------------
@transaction.atomic
def record_publication(
    incident: Incident,
    *,
    actor: User,
    reason: str,
    threat: ExtortionThreat | None = None,
    **facts: Unpack[PublicationFacts],
) -> Publication:
    """Record a leak: when, where, how much. It raises the Art. 34 reassessment flag.

    ``threat`` must belong to this incident: another incident's (or organisation's) threat is
    refused as unknown, exactly like a threat that does not exist.
    """
    authorise(actor, incident.organisation)
    require_reason(reason)
    incident = lock_open_incident(incident)
    publication = Publication(incident=incident, threat=threat, recorded_by=actor)
    _apply(publication, facts, PUBLICATION_FIELDS, actor)
    return save_with_history(publication, actor=actor, reason=reason)


@transaction.atomic
def record_risk_reassessment(
    publication: Publication, *, outcome: str, actor: User, reason: str, now: datetime | None = None
) -> Publication:
    """Record that the Art. 34 risk was reassessed after this publication (clears its flag).

    The assessment itself lives with the incident's risk (and the Art. 34 module); this records
    that someone looked at it in the light of the leak, and what came out.
    """
    authorise(actor, publication.incident.organisation)
    require_reason(reason)
    lock_open_incident(publication.incident)
    publication = Publication.objects.select_for_update().get(pk=publication.pk)
    if not (outcome or "").strip():
        raise field_error("risk_reassessment_note", _("Say what the reassessment concluded."), "required")
    if not publication.needs_risk_reassessment:
        raise field_error("risk_reassessment_note", _("The reassessment is already recorded."), "already_reassessed")
    publication.risk_reassessed_at = now or timezone.now()
    publication.risk_reassessed_by = actor
    publication.risk_reassessment_note = outcome.strip()
    fields = ["risk_reassessed_at", "risk_reassessed_by", "risk_reassessment_note"]
    return save_with_history(publication, actor=actor, reason=reason, update_fields=fields)


__all__ = [
    "record_payment_decision",
    "record_police_report",
    "record_publication",
    "record_risk_reassessment",
    "record_threat",
    "revise_countdown",
    "update_threat",
    "withdraw_countdown",
]
