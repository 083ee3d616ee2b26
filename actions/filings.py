"""Every write to filings and decisions not to notify goes through these functions.

Like ``actions.incidents``: keyword-only ``actor`` and ``reason``, the role
checked on the server, the incident row locked, everything validated before the
first write, the deadline rows recomputed in the same transaction. A refused
filing writes nothing.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import date, datetime
from typing import TypedDict, Unpack

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from actions.changes import actor_zone
from filings.choices import EEA_COUNTRIES, FilingChannel, FilingType, NotNotifiedBasis, ReporterFunction, TemplateAnswer
from filings.models import AuthorityFiling, NotificationDecisionRecord
from incidents.choices import CONTROLLER_ROLES, NotificationDecision, RiskLevel, Status
from incidents.models import AwarenessRecord, Incident, IncidentParty
from incidents.models.incident import check_instant
from organisations.models import Authority, User
from organisations.services import authorise, require_reason, save_with_history
from readers.filing_content import content_sha256, snapshot
from rules import clocks, completeness
from rules.awareness import earliest_awareness
from rules.deadlines import recompute_deadlines

Errors = dict[str, list[ValidationError]]


def _add(errors: Errors, field: str, message: str, code: str) -> None:
    errors.setdefault(field, []).append(ValidationError(message, code=code))


def _raise(errors: Errors) -> None:
    if errors:
        raise ValidationError(errors)


def _lock_open(incident: Incident) -> Incident:
    """The incident row, locked until commit; a closed entry takes no new filings."""
    locked = Incident.objects.select_related("organisation").select_for_update(of=("self",)).get(pk=incident.pk)
    if locked.status == Status.CLOSED:
        raise ValidationError(
            _("This incident is closed: reopen it (with a reason) before changing it."), code="closed"
        )
    return locked


def _actor_name(actor: User | None) -> str:
    return (actor.get_full_name() or actor.get_username()) if actor is not None else ""


def controller_awareness(incident: Incident, controller: IncidentParty) -> AwarenessRecord | None:
    """The awareness record that starts this controller's 72 hours, or None."""
    return earliest_awareness(incident.awareness_records.filter(party=controller)).get(controller.pk)


def chain(
    incident: Incident, controller: IncidentParty | None, authority: Authority | None
) -> QuerySet[AuthorityFiling]:
    """The filings of one controller to one authority, in submission order."""
    return AuthorityFiling.objects.filter(incident=incident, controller=controller, authority=authority).order_by(
        "submitted_at", "pk"
    )


def _check_controller(errors: Errors, incident: Incident, controller: IncidentParty | None) -> None:
    if controller is None:
        _add(errors, "controller", _("Choose the controller that files."), "required")
    elif controller.incident_id != incident.pk:
        _add(errors, "controller", _("Unknown party."), "other_incident")
    elif controller.role not in CONTROLLER_ROLES:
        _add(errors, "controller", _("Only a controller notifies the authority (Art. 33(1))."), "not_controller")


def _check_instant(
    errors: Errors,
    field: str,
    value: datetime | None,
    *,
    incident: Incident,
    aware: AwarenessRecord | None,
    now: datetime,
    after: AuthorityFiling | None = None,
) -> None:
    """Not in the future, not before the breach, the controller's awareness or ``after``."""
    if value is None:
        _add(errors, field, _("Give the moment."), "required")
        return
    check_instant(errors, field, value, now)
    if incident.occurred_from_at and value < incident.occurred_from_at:
        _add(errors, field, _("This cannot come before the breach started."), "before_start")
    if aware is not None and value < aware.aware_at:
        _add(
            errors,
            field,
            _("This cannot come before the controller became aware (%(aware)s).")
            % {"aware": aware.aware_at.isoformat()},
            "before_awareness",
        )
    if after is not None and value < after.submitted_at:
        _add(
            errors,
            field,
            _("This cannot come before the previous filing (%(at)s).") % {"at": after.submitted_at.isoformat()},
            "before_previous",
        )


def _check_sequence(errors: Errors, filing_type: str, last: AuthorityFiling | None) -> None:
    """Initial first (or again after a withdrawal); follow-ups and a withdrawal only after it."""
    standing = last is not None and not last.is_withdrawal
    if filing_type == FilingType.INITIAL and standing:
        _add(
            errors,
            "filing_type",
            _("This controller already notified this authority: file a follow-up."),
            "already_notified",
        )
    elif filing_type in (FilingType.FOLLOW_UP, FilingType.WITHDRAWAL) and not standing:
        _add(errors, "filing_type", _("There is no standing notification to follow up or withdraw."), "no_initial")


def _check_reasons(errors: Errors, filing: AuthorityFiling, aware: AwarenessRecord | None) -> None:
    if filing.filing_type == FilingType.WITHDRAWAL:
        if not filing.withdrawal_reason:
            _add(errors, "withdrawal_reason", _("Say why the notification is withdrawn."), "required")
        if filing.is_phased:
            _add(errors, "is_phased", _("A withdrawal is not phased."), "not_allowed")
    elif filing.withdrawal_reason:
        _add(errors, "withdrawal_reason", _("Only a withdrawal has a withdrawal reason."), "not_allowed")
    late = (
        filing.filing_type == FilingType.INITIAL
        and aware is not None
        and filing.submitted_at is not None
        and filing.submitted_at > clocks.authority_due_at(aware.aware_at)
    )
    if late and not filing.delay_reasons:
        _add(
            errors,
            "delay_reasons",
            _("Submitted after the 72 hours of Art. 33(1): the notification must give the reasons for the delay."),
            "required",
        )


def _check_complete(errors: Errors, filing: AuthorityFiling) -> None:
    """An incomplete filing is allowed only as a phased one (Art. 33(4))."""
    if filing.filing_type == FilingType.WITHDRAWAL:
        return
    missing = completeness.missing_items(filing.content)
    if not missing or filing.is_phased:
        return
    for item in missing:
        _add(errors, item.field, _("Missing (Art. 33(3)): %(item)s") % {"item": item.label}, "incomplete")
    _add(
        errors,
        "is_phased",
        _("The filing is incomplete: complete the register, or file in phases (Art. 33(4))."),
        "incomplete",
    )


def establishment_codes(value: str) -> list[str]:
    """``"nl, BE"`` as ``["BE", "NL"]``: the country codes of a comma-separated list, sorted, once each."""
    return sorted({part.strip().upper() for part in (value or "").replace(";", ",").split(",") if part.strip()})


def _check_template_answers(errors: Errors, filing: AuthorityFiling, now: datetime) -> None:
    """The EDPB template's police and cross-border answers: known choices, facts that agree."""
    for name in ("police_report", "cross_border"):
        if getattr(filing, name) and getattr(filing, name) not in TemplateAnswer.values:
            _add(errors, name, _("Answer yes, no or unknown."), "invalid_choice")
    reported = filing.police_report == TemplateAnswer.YES
    if not reported and (filing.police_reported_on or filing.police_reference):
        _add(
            errors,
            "police_report",
            _("A date or report number of a police report is given: answer yes, or leave them empty."),
            "contradiction",
        )
    if filing.police_reported_on and filing.police_reported_on > now.date():
        _add(errors, "police_reported_on", _("The police report cannot be dated in the future."), "future")
    codes = establishment_codes(filing.establishment_countries)
    unknown = [code for code in codes if code not in EEA_COUNTRIES]
    if unknown:
        _add(
            errors,
            "establishment_countries",
            _("Not the code of an EEA country: %(codes)s. Use two-letter codes such as NL, BE.")
            % {"codes": ", ".join(unknown)},
            "not_eea",
        )
    filing.establishment_countries = ", ".join(codes)
    if codes and filing.cross_border != TemplateAnswer.YES:
        _add(
            errors,
            "establishment_countries",
            _("Establishments are asked only for cross-border processing: answer yes, or leave them empty."),
            "contradiction",
        )


class FilingFacts(TypedDict, total=False):
    """What ``submit_filing`` records besides the controller and the authority; the content is frozen from the register."""

    filing_type: str
    submitted_at: datetime
    submitted_tz: str
    submitted_by: str
    reporter_function: str
    reporter_function_detail: str
    reporter_contact: str
    channel: str
    police_report: str
    police_reported_on: date | None
    police_reference: str
    cross_border: str
    establishment_countries: str
    authority_reference: str
    is_phased: bool
    delay_reasons: str
    withdrawal_reason: str


FILING_FIELDS = frozenset(FilingFacts.__annotations__)


def _refuse_unknown(facts: Mapping[str, object], allowed: Collection[str]) -> None:
    """A field a caller may not set here is refused before anything is checked or written."""
    unknown = set(facts) - set(allowed)
    if unknown:
        raise ValidationError(
            {name: ValidationError(_("This field cannot be set here."), code="not_editable") for name in unknown}
        )


@transaction.atomic
def submit_filing(
    incident: Incident,
    *,
    controller: IncidentParty | None,
    authority: Authority | None,
    actor: User,
    reason: str,
    now: datetime | None = None,
    **facts: Unpack[FilingFacts],
) -> AuthorityFiling:
    """Record a filing to the authority as submitted, its content frozen from the register.

    Steps:
    1. check the role, lock the incident (closed entries take no filings);
    2. check controller, authority (one of the incident's), type and sequence of the chain;
    3. check the instant (not future, not before the breach, awareness or the previous filing);
    4. snapshot the register into ``content``; refuse an incomplete non-phased filing;
    5. require reasons for a late initial filing and for a withdrawal;
    6. save with history and recompute the incident's deadlines.
    """
    authorise(actor, incident.organisation)
    reason = require_reason(reason)
    now = now or timezone.now()
    incident = _lock_open(incident)
    _refuse_unknown(facts, FILING_FIELDS)
    errors: Errors = {}
    _check_controller(errors, incident, controller)
    if authority is None or not incident.authorities.filter(authority=authority).exists():
        _add(errors, "authority", _("File with an authority recorded on this incident."), "not_on_incident")
    _raise(errors)
    if controller is None:  # refused just above; this tells the type checker
        raise AssertionError("unreachable")

    filing = AuthorityFiling(incident=incident, controller=controller, authority=authority, recorded_by=actor, **facts)
    for name in (
        "delay_reasons",
        "withdrawal_reason",
        "submitted_by",
        "authority_reference",
        "reporter_function",
        "reporter_function_detail",
        "reporter_contact",
        "police_report",
        "police_reference",
        "cross_border",
    ):
        setattr(filing, name, (getattr(filing, name) or "").strip())
    _check_template_answers(errors, filing, now)
    filing.submitted_by = filing.submitted_by or _actor_name(actor)
    if filing.submitted_at is not None and not filing.submitted_tz:
        filing.submitted_tz = actor_zone(actor)
    if filing.filing_type not in FilingType.values:
        _add(errors, "filing_type", _("Unknown type of filing."), "invalid_choice")
    if filing.reporter_function and filing.reporter_function not in ReporterFunction.values:
        _add(errors, "reporter_function", _("Unknown function."), "invalid_choice")
    if filing.channel not in FilingChannel.values:
        _add(errors, "channel", _("Unknown channel."), "invalid_choice")
    last = chain(incident, controller, authority).last()
    filing.previous = last
    _check_sequence(errors, filing.filing_type, last)
    aware = controller_awareness(incident, controller)
    if aware is None:
        _add(
            errors,
            "controller",
            _("Record when this controller became aware first: the 72 hours run from it."),
            "no_awareness",
        )
    _check_instant(errors, "submitted_at", filing.submitted_at, incident=incident, aware=aware, now=now, after=last)
    filing.content = snapshot(
        incident,
        controller,
        aware.aware_at if aware else None,
        aware.aware_tz if aware else "",
        known_by=filing.submitted_at,
        previous_reference=last.authority_reference if last else "",
    )
    filing.content_sha256 = content_sha256(filing.content)
    _check_complete(errors, filing)
    _check_reasons(errors, filing, aware)
    _raise(errors)
    save_with_history(filing, actor=actor, reason=reason)
    recompute_deadlines(incident, now=now)
    return filing


@transaction.atomic
def add_authority_reference(
    filing: AuthorityFiling, *, authority_reference: str, actor: User, reason: str
) -> AuthorityFiling:
    """Add the authority's report number to a filing submitted without it: once, with a reason."""
    authorise(actor, filing.incident.organisation)
    reason = require_reason(reason)
    # The filing row, locked: two people adding the number at once cannot both see it empty.
    locked = AuthorityFiling.objects.select_for_update().get(pk=filing.pk)
    value = (authority_reference or "").strip()
    if locked.authority_reference:
        raise ValidationError(
            {
                "authority_reference": ValidationError(
                    _("The authority's report number was already recorded and does not change."), code="frozen"
                )
            }
        )
    if not value:
        raise ValidationError({"authority_reference": ValidationError(_("Give the report number."), code="required")})
    locked.authority_reference = value
    return save_with_history(locked, actor=actor, reason=reason, update_fields=["authority_reference"])


def _check_decision(
    errors: Errors, incident: Incident, decision: NotificationDecisionRecord, aware: AwarenessRecord | None
) -> None:
    if decision.risk_basis not in NotNotifiedBasis.values:
        _add(errors, "risk_basis", _("Choose the basis of the decision."), "invalid_choice")
    if incident.risk_level in (RiskLevel.RISK, RiskLevel.HIGH):
        _add(
            errors,
            "risk_basis",
            _("The register assesses a risk (%(level)s): a breach with a risk is notified (Art. 33(1)).")
            % {"level": incident.get_risk_level_display()},
            "contradicts_risk_level",
        )
    if not decision.reasoning:
        _add(
            errors,
            "reasoning",
            _("Give the reasoning: the register must let the authority verify it (Art. 33(5))."),
            "required",
        )


class DecisionFacts(TypedDict, total=False):
    """What ``record_decision_not_to_notify`` records besides the controller."""

    decided_at: datetime
    decided_tz: str
    decided_by: str
    risk_basis: str
    reasoning: str


DECISION_FIELDS = frozenset(DecisionFacts.__annotations__)


@transaction.atomic
def record_decision_not_to_notify(
    incident: Incident,
    *,
    controller: IncidentParty | None,
    actor: User,
    reason: str,
    now: datetime | None = None,
    **facts: Unpack[DecisionFacts],
) -> NotificationDecisionRecord:
    """Record that ``controller`` does not notify the authority, who decided, when and why.

    Steps: check the role and lock the incident; refuse it for a controller that
    already notified, against a register that assesses a risk, or without
    reasoning; save; mark the incident's decision if it was still undecided;
    recompute the deadlines (the controller's Art. 33(1) clock closes as
    "decided not to notify", not as met).
    """
    authorise(actor, incident.organisation)
    reason = require_reason(reason)
    now = now or timezone.now()
    incident = _lock_open(incident)
    _refuse_unknown(facts, DECISION_FIELDS)
    errors: Errors = {}
    _check_controller(errors, incident, controller)
    _raise(errors)
    if controller is None:  # refused just above; this tells the type checker
        raise AssertionError("unreachable")
    decision = NotificationDecisionRecord(incident=incident, controller=controller, recorded_by=actor, **facts)
    decision.reasoning = (decision.reasoning or "").strip()
    decision.decided_by = (decision.decided_by or "").strip() or _actor_name(actor)
    if decision.decided_at is not None and not decision.decided_tz:
        decision.decided_tz = actor_zone(actor)
    aware = controller_awareness(incident, controller)
    _check_instant(errors, "decided_at", decision.decided_at, incident=incident, aware=aware, now=now)
    if _has_standing_filing(incident, controller):
        _add(errors, "controller", _("This controller already notified the authority."), "already_notified")
    _check_decision(errors, incident, decision, aware)
    _raise(errors)
    save_with_history(decision, actor=actor, reason=reason)
    if incident.notification_decision == NotificationDecision.UNDECIDED:
        incident.notification_decision = NotificationDecision.NOT_REQUIRED
        incident.notification_reasoning = decision.reasoning
        save_with_history(
            incident,
            actor=actor,
            reason=reason,
            update_fields=["notification_decision", "notification_reasoning", "updated_at"],
        )
    recompute_deadlines(incident, now=now)
    return decision


def _has_standing_filing(incident: Incident, controller: IncidentParty | None) -> bool:
    """True when some chain of this controller ends in a filing that was not withdrawn."""
    last_by_authority = {}
    for filing in AuthorityFiling.objects.filter(incident=incident, controller=controller).order_by(
        "submitted_at", "pk"
    ):
        last_by_authority[filing.authority_id] = filing
    return any(not filing.is_withdrawal for filing in last_by_authority.values())
