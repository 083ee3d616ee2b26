"""Every change to Art. 34 assessments, content versions and waves goes through here.

Same rules as ``actions.incidents``: keyword-only ``actor`` and ``reason``, the role
checked on the server, validation before any write, one transaction, and the Art. 34
deadline rows recomputed inside it.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import TypedDict, Unpack

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from actions.changes import apply_changes
from actions.incidents import lock_open_incident
from breachtrack.errors import field_error
from communications.models import CommunicationAssessment, CommunicationWave, ContentVersion
from incidents.models import Incident, IncidentParty
from incidents.models.incident import check_instant
from organisations.models import User
from organisations.services import authorise, save_with_history
from rules.deadlines import recompute_deadlines


class AssessmentFacts(TypedDict, total=False):
    """The Art. 34 decision for one controller (``record_assessment``)."""

    is_high_risk: bool
    reasoning: str
    exemption: str
    exemption_reasoning: str
    authority_decision: str
    authority_decided_at: datetime | None
    authority_decided_tz: str
    authority_reference: str
    decided_by_name: str
    decided_by_role: str
    decided_at: datetime
    decided_tz: str


class ContentChanges(TypedDict, total=False):
    """What ``update_content_version`` corrects: everything but the language."""

    title: str
    text: str
    describes_nature: bool
    names_contact_point: bool
    describes_consequences: bool
    describes_measures: bool


class ContentFields(ContentChanges, total=False):
    """What ``create_content_version`` sets."""

    language: str


class WaveFields(TypedDict, total=False):
    """What ``plan_wave`` sets and ``update_wave`` changes (the plan, apart from what a ledger holds)."""

    cohort_label: str
    channel: str
    content_version: ContentVersion
    planned_at: datetime
    planned_tz: str
    planned_count: int


class WaveCounts(TypedDict, total=False):
    """What ``record_wave_counts`` records for a wave without a ledger."""

    planned_count: int
    sent_count: int
    bounced_count: int


ASSESSMENT_FIELDS = frozenset(AssessmentFacts.__annotations__)
CONTENT_FIELDS = frozenset(ContentFields.__annotations__)
WAVE_FIELDS = frozenset(WaveFields.__annotations__)
COUNT_FIELDS = tuple(WaveCounts.__annotations__)


def _refuse_implausible(obj: object, fields: Iterable[str], now: datetime) -> None:
    """Not before the plausibility floor, not in the future (``check_instant``)."""
    errors: dict[str, list[ValidationError]] = {}
    for name in fields:
        check_instant(errors, name, getattr(obj, name), now)
    if errors:
        raise ValidationError(errors)


def _refuse_before_start(obj: object, fields: Iterable[str], incident: Incident) -> None:
    """A decision about a breach cannot predate the breach."""
    start = incident.occurred_from_at
    errors = {
        name: [ValidationError(_("This cannot come before the breach started."), code="before_start")]
        for name in fields
        if start is not None and getattr(obj, name) is not None and getattr(obj, name) < start
    }
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def record_assessment(
    incident: Incident,
    *,
    controller: IncidentParty,
    actor: User,
    reason: str,
    now: datetime | None = None,
    **facts: Unpack[AssessmentFacts],
) -> CommunicationAssessment:
    """Record the Art. 34 decision for one controller; it supersedes the previous one.

    Steps: check the role; lock the (open) incident; build and validate the entry (a decision
    *not* to communicate needs its reasoning like any other); save it with history; recompute
    the incident's deadlines (the Art. 34 clock starts, moves or closes).
    """
    authorise(actor, incident.organisation)
    now = now or timezone.now()
    incident = lock_open_incident(incident)
    assessment = CommunicationAssessment(incident=incident, controller=controller, recorded_by=actor)
    apply_changes(assessment, facts, ASSESSMENT_FIELDS, actor)
    _refuse_implausible(assessment, ("decided_at", "authority_decided_at"), now)
    _refuse_before_start(assessment, ("decided_at", "authority_decided_at"), incident)
    save_with_history(assessment, actor=actor, reason=reason)
    recompute_deadlines(incident, now=now)
    return assessment


def current_assessment(controller: IncidentParty) -> CommunicationAssessment | None:
    """The latest recorded assessment for ``controller`` (the current one), or None."""
    return controller.communication_assessments.order_by("-pk").first()


@transaction.atomic
def create_content_version(
    incident: Incident, *, actor: User, reason: str, **fields: Unpack[ContentFields]
) -> ContentVersion:
    """Add a version of the text; it gets the next number for its incident and language."""
    authorise(actor, incident.organisation)
    incident = lock_open_incident(incident)
    content = ContentVersion(incident=incident, recorded_by=actor)
    apply_changes(content, fields, CONTENT_FIELDS, actor)
    latest = ContentVersion.objects.filter(incident=incident, language=content.language).order_by("-version").first()
    content.version = (latest.version if latest else 0) + 1
    return save_with_history(content, actor=actor, reason=reason)


@transaction.atomic
def update_content_version(
    content: ContentVersion, *, actor: User, reason: str, **changes: Unpack[ContentChanges]
) -> ContentVersion:
    """Correct a version not yet used by a sent wave; a frozen one needs a new version."""
    authorise(actor, content.incident.organisation)
    lock_open_incident(content.incident)
    content = ContentVersion.objects.select_for_update().get(pk=content.pk)
    if content.is_frozen:
        raise ValidationError(
            _("This version was sent to data subjects and is frozen: create a new version instead."), code="frozen"
        )
    fields = apply_changes(content, changes, CONTENT_FIELDS - {"language"}, actor)
    return save_with_history(content, actor=actor, reason=reason, update_fields=fields)


@transaction.atomic
def plan_wave(
    incident: Incident, *, controller: IncidentParty, actor: User, reason: str, **fields: Unpack[WaveFields]
) -> CommunicationWave:
    """Plan a wave: a cohort of one controller's data subjects, a channel and a content version."""
    authorise(actor, incident.organisation)
    incident = lock_open_incident(incident)
    wave = CommunicationWave(incident=incident, controller=controller, recorded_by=actor)
    apply_changes(wave, fields, WAVE_FIELDS, actor)
    return save_with_history(wave, actor=actor, reason=reason)


@transaction.atomic
def update_wave(
    wave: CommunicationWave, *, actor: User, reason: str, **changes: Unpack[WaveFields]
) -> CommunicationWave:
    """Change a wave that has not been sent yet."""
    authorise(actor, wave.incident.organisation)
    lock_open_incident(wave.incident)
    wave = CommunicationWave.objects.select_for_update().get(pk=wave.pk)
    if wave.is_sent:
        raise ValidationError(_("This wave was sent: record its counts instead."), code="sent")
    fields = apply_changes(wave, changes, WAVE_FIELDS, actor)  # the plan stays the officer's, ledger or not
    return save_with_history(wave, actor=actor, reason=reason, update_fields=fields)


@transaction.atomic
def mark_wave_sent(
    wave: CommunicationWave,
    *,
    sent_at: datetime,
    actor: User,
    reason: str,
    sent_tz: str | None = None,
    now: datetime | None = None,
) -> CommunicationWave:
    """Record that a wave went out; this can meet the controller's Art. 34 clock.

    Steps: check the role; lock the incident and the wave; refuse a content version whose
    Art. 34(2) checklist is incomplete, an impossible time, a second sending; freeze the
    content version; save; roll up ledger counts; recompute the deadlines.
    """
    authorise(actor, wave.incident.organisation)
    now = now or timezone.now()
    incident = lock_open_incident(wave.incident)
    wave = CommunicationWave.objects.select_for_update().get(pk=wave.pk)
    if wave.is_sent:
        raise field_error("sent_at", _("This wave was already marked as sent."), "already_sent")
    content = ContentVersion.objects.select_for_update().get(pk=wave.content_version_id)
    missing = content.missing_elements
    if missing:
        raise field_error(
            "content_version",
            _("The content lacks what Art. 34(2) requires: %(missing)s.")
            % {"missing": "; ".join(label for _f, label in missing)},
            "incomplete_content",
        )
    fields = apply_changes(
        wave, {"sent_at": sent_at, **({"sent_tz": sent_tz} if sent_tz else {})}, {"sent_at", "sent_tz"}, actor
    )
    _refuse_implausible(wave, ("sent_at",), now)
    if incident.occurred_from_at and sent_at < incident.occurred_from_at:  # the wave's sent_at, just set
        raise field_error("sent_at", _("A wave cannot be sent before the breach started."), "before_start")
    if wave.has_ledger:
        wave.sent_count = wave.recipient_count
        fields.append("sent_count")
    save_with_history(wave, actor=actor, reason=reason, update_fields=fields)
    if not content.is_frozen:
        content.is_frozen = True
        save_with_history(content, actor=actor, reason=reason, update_fields=["is_frozen"], validate=False)
    recompute_deadlines(incident, now=now)
    return wave


@transaction.atomic
def record_wave_counts(
    wave: CommunicationWave, *, actor: User, reason: str, **counts: Unpack[WaveCounts]
) -> CommunicationWave:
    """Record planned/sent/bounced counts for a wave without a ledger (its ledger counts them otherwise)."""
    authorise(actor, wave.incident.organisation)
    lock_open_incident(wave.incident)
    wave = CommunicationWave.objects.select_for_update().get(pk=wave.pk)
    if wave.has_ledger:
        raise ValidationError(_("This wave's counts come from its recipient ledger."), code="ledger_counts")
    fields = apply_changes(wave, counts, set(COUNT_FIELDS), actor)
    return save_with_history(wave, actor=actor, reason=reason, update_fields=fields)
