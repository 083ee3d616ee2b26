"""The guided intake: open a whole register entry from one browser page.

``new_incident`` is the page (``incidents:new``); ``open_incident`` writes what the form cleaned
to, through the services only, in one transaction: any refusal — the form's, a service's or the
database's — leaves nothing behind. Only a privacy officer of the organisation may use it; the
organisation is chosen among those, so another organisation's id is an unknown choice (400),
never a write.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from actions import extortion as extortion_services
from actions import incidents as services
from incidents.choices import CountdownRevisionKind, PartyRole
from organisations import services as org_services
from organisations.models import Organisation, Party, Role
from organisations.tenancy import organisation_ids
from web.incidents.intake_forms import ROLE_PROCESSOR, IntakeFacts, IntakeForm

# A service refuses with its own field names; the person sees the intake form's.
SERVICE_FIELDS = {
    "title": "title",
    "description": "description",
    "occurred_from_at": "occurred_from",
    "occurred_until_at": "occurred_until",
    "aware_at": "aware_at",
    "source": "awareness_source",
    "processor": "processor_name",
    "informed_at": "controllers_informed_at",
    "low": "affected_low",
    "known_at": "affected_known_at",
    "high": "affected_high",
    "is_at_least": "affected_is_at_least",
    "actor_name": "extortion_actor_name",
    "channel": "extortion_channel",
    "first_contact_at": "extortion_first_contact_at",
    "announced_at": "extortion_first_contact_at",
    "deadline_at": "extortion_deadline_at",
    "demand_amount": "extortion_demand_amount",
    "demand_currency": "extortion_demand_currency",
    "reason": "change_reason",
}


def officer_organisations(user):
    """The organisations in which ``user`` is an active privacy officer (a queryset)."""
    return Organisation.objects.filter(pk__in=organisation_ids(user, roles=[Role.PRIVACY_OFFICER])).order_by("name")


def _directory_party(organisation, name: str, *, actor, reason: str) -> Party:
    """The party of that name in the organisation's own directory, added when it is new."""
    party = Party.objects.filter(owner=organisation, name__iexact=name).first()
    if party is None:
        party = org_services.create_party(organisation, name=name, actor=actor, reason=reason)
    if party.is_self:
        raise ValidationError(
            {
                "other_controllers": _("%(name)s is this organisation itself: name the other parties only.")
                % {"name": name}
            }
        )
    return party


def _add_parties(incident, facts: IntakeFacts, *, actor, reason: str):
    """Our own party in our role, the other controllers and the processor, linked.

    Returns our party and, when we are the processor, our relationship with each controller.
    """
    organisation = facts.organisation
    own = Party.objects.get(owner=organisation, is_self=True)
    is_processor = facts.our_role == ROLE_PROCESSOR
    ours = services.add_party(
        incident,
        party=own,
        role=PartyRole.PROCESSOR if is_processor else PartyRole.CONTROLLER,
        actor=actor,
        reason=reason,
    )
    relationships = []
    for name in facts.other_controllers:
        party = _directory_party(organisation, name, actor=actor, reason=reason)
        role = PartyRole.CONTROLLER if is_processor else PartyRole.JOINT_CONTROLLER
        controller = services.add_party(incident, party=party, role=role, actor=actor, reason=reason)
        if is_processor:
            relationships.append(
                services.link_processor(incident, processor=ours, controller=controller, actor=actor, reason=reason)
            )
    if facts.processor_name and not is_processor:
        party = _directory_party(organisation, facts.processor_name, actor=actor, reason=reason)
        processor = services.add_party(incident, party=party, role=PartyRole.PROCESSOR, actor=actor, reason=reason)
        services.link_processor(incident, processor=processor, controller=ours, actor=actor, reason=reason)
    return ours, relationships


@transaction.atomic
def open_incident(facts: IntakeFacts, *, actor, now):
    """Write one intake, all or nothing.

    1. the incident (nature, times, data and people);
    2. the parties: ours in our role, the other controllers, a processor, linked;
    3. the lead authority; 4. our awareness (starts our 72-hour clock), and — when we are the
       processor and told them already — our notice to each controller (starts theirs);
    5. the first estimate of people affected; 6. an extortion threat and its countdown.
    Every row goes through its service, with ``actor`` and the one reason, so each has history.
    """
    reason = facts.reason
    incident = services.create_incident(
        organisation=facts.organisation, actor=actor, reason=reason, now=now, **facts.incident
    )
    ours, relationships = _add_parties(incident, facts, actor=actor, reason=reason)
    if facts.authority is not None:
        services.add_authority(incident, authority=facts.authority, role="lead", actor=actor, reason=reason)
    services.record_awareness(incident, party=ours, actor=actor, reason=reason, **facts.awareness)
    if facts.notice is not None:
        for relationship in relationships:  # each controller is aware, and its clock runs, from here
            services.record_processor_notice(relationship, actor=actor, reason=reason, **facts.notice)
    if facts.estimate is not None:
        services.record_estimate(incident, actor=actor, reason=reason, **facts.estimate)
    if facts.threat is not None:
        threat = extortion_services.record_threat(incident, actor=actor, reason=reason, **facts.threat)
        if facts.countdown is not None:
            extortion_services.revise_countdown(
                threat, kind=CountdownRevisionKind.SET, actor=actor, reason=reason, **facts.countdown
            )
    return incident


def _show_refusal(form: IntakeForm, error: ValidationError) -> None:
    """Put a service's refusal on the form field the person typed it in."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for name, errors in error.error_dict.items():
        field = SERVICE_FIELDS.get(name, name if name in form.fields else None)
        for item in errors:
            message = item.message % item.params if item.params else item.message
            if field is None:
                form.add_error(None, message)
            else:
                form.add_error(field, f"{form.fields[field].label}: {message}")


@require_http_methods(["GET", "POST"])
@login_required
def new_incident(request):
    organisations = officer_organisations(request.user)
    if not organisations.exists():
        raise PermissionDenied(_("Only a privacy officer can record a new incident."))
    now = timezone.now()
    data = request.POST if request.method == "POST" else None
    form = IntakeForm(data, organisations=organisations, user=request.user, now=now)
    if request.method == "POST":
        if form.is_valid():
            try:
                incident = open_incident(form.facts, actor=request.user, now=now)
            except ValidationError as error:
                _show_refusal(form, error)
            else:
                return redirect("incidents:detail", pk=incident.pk)
        return render(request, "incidents/intake.html", {"form": form}, status=400)
    return render(request, "incidents/intake.html", {"form": form})
