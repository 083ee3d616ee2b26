"""Guided pages for the register work of one incident, in the product rather than the admin.

Facts (Art. 33(5)), parties and authorities, a decision not to notify, and close/reopen. Each
page is scoped to one incident: another organisation's incident is a 404 before anything else;
then only a privacy officer of its organisation may open or post it (403 for legal and viewers,
on GET as on POST). A refused form answers 400 with its messages and nothing written (each
service runs in one transaction); a write returns to the incident page with a message in the
person's language, its times in their zone.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.text import get_text_list
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from actions import incidents as services
from actions import parties as party_services
from actions.filings import record_decision_not_to_notify
from incidents.choices import Status
from incidents.models import Incident
from organisations import services as org_services
from organisations.models import Party
from organisations.services import authorise
from web.register.forms import (
    AddAuthorityForm,
    AddPartyForm,
    CorrectAuthorityForm,
    CorrectPartyForm,
    DecisionForm,
    FactsForm,
    LinkProcessorForm,
    RemoveForm,
    StatusForm,
)
from web.templatetags.register import instant_format

GET_POST = require_http_methods(["GET", "POST"])


def _incident(request, pk: int) -> Incident:
    """The incident, if visible to this person (else 404), and only for its privacy officers (else 403)."""
    incident = get_object_or_404(Incident.objects.visible_to(request.user).select_related("organisation"), pk=pk)
    authorise(request.user, incident.organisation)
    return incident


def _data(request):
    """The posted data, or None for a GET (an empty POST is still a bound, refused form)."""
    return request.POST if request.method == "POST" else None


def _back(request, incident: Incident, message: str, anchor: str = ""):
    messages.success(request, message)
    return redirect(reverse("incidents:detail", args=[incident.pk]) + anchor)


def lower_first(text: str) -> str:
    """A label in the middle of a sentence ("What happened" → "what happened")."""
    return text[:1].lower() + text[1:]


def _local(value) -> str:
    """An instant in the reader's zone, the zone named (never raw UTC in a message)."""
    local = timezone.localtime(value)
    return f"{date_format(local, instant_format())} {local.tzname()}"


def _save(form, write) -> bool:
    """Run ``write()`` if the form is valid; a refusal lands on the form. True when written."""
    if not form.is_valid():
        return False
    try:
        write()
    except ValidationError as error:
        form.add_service_errors(error)
        return False
    return True


# --- 1. Facts ------------------------------------------------------------------------------------


@GET_POST
@login_required
def edit_facts(request, pk: int):
    incident = _incident(request, pk)
    # The form validates a copy: the service re-reads and locks the row itself.
    form = FactsForm(_data(request), instance=Incident.objects.get(pk=incident.pk), user=request.user)
    if request.method == "POST":
        written = {}

        def write():
            changes = form.changes()
            if not changes:
                raise ValidationError(_("Nothing was changed: there is nothing to record."), code="unchanged")
            services.update_incident(incident, actor=request.user, reason=form.cleaned_data["reason"], **changes)
            written["labels"] = [
                lower_first(str(form.fields[name].label)) for name in form.changed_data if name in changes
            ]

        if _save(form, write):
            return _back(
                request,
                incident,
                _("Register facts saved: %(fields)s.") % {"fields": get_text_list(written["labels"], _("and"))},
            )
    context = {"incident": incident, "form": form, "is_closed": incident.is_closed}
    return render(request, "register/facts.html", context, status=400 if request.method == "POST" else 200)


# --- 2. Parties and authorities -----------------------------------------------------------------


def _parties_page(request, incident, status=200, **forms):
    context = {
        "incident": incident,
        "parties": incident.parties.select_related("party").order_by("role", "party__name"),
        "authorities": incident.authorities.select_related("authority").order_by("role", "authority__name"),
        "links": incident.processing_relationships.select_related("processor__party", "controller__party"),
        "party_form": forms.get("party_form") or AddPartyForm(incident=incident),
        "authority_form": forms.get("authority_form") or AddAuthorityForm(incident=incident),
        "link_form": forms.get("link_form") or LinkProcessorForm(incident=incident),
        "is_closed": incident.is_closed,
    }
    return render(request, "register/parties.html", context, status=status)


@require_http_methods(["GET"])
@login_required
def parties(request, pk: int):
    return _parties_page(request, _incident(request, pk))


def _directory_party(incident, name: str, *, actor, reason: str) -> Party:
    """The party of that name in the organisation's directory, added to it when new."""
    party = Party.objects.filter(owner=incident.organisation, name__iexact=name).first()
    if party is None:
        return org_services.create_party(incident.organisation, name=name, actor=actor, reason=reason)
    if incident.parties.filter(party=party).exists():
        raise ValidationError({"new_party_name": _("%(name)s is already on this incident.") % {"name": party.name}})
    return party


@require_POST
@login_required
def add_party(request, pk: int):
    incident = _incident(request, pk)
    form = AddPartyForm(request.POST, incident=incident)
    added = {}

    @transaction.atomic  # a new directory entry goes with the party, or not at all
    def write():
        data = form.cleaned_data
        party = form.directory.get(data["party"]) if data["party"] is not None else None
        if party is None:
            party = _directory_party(incident, data["new_party_name"], actor=request.user, reason=data["reason"])
        added["row"] = services.add_party(
            incident,
            party=party,
            role=data["role"],
            notes=data["notes"].strip(),
            actor=request.user,
            reason=data["reason"],
        )

    if _save(form, write):
        row = added["row"]
        return _back(
            request,
            incident,
            _("%(party)s added as %(role)s.") % {"party": row.party, "role": row.get_role_display()},
            "#parties",
        )
    return _parties_page(request, incident, status=400, party_form=form)


@require_POST
@login_required
def add_authority(request, pk: int):
    incident = _incident(request, pk)
    form = AddAuthorityForm(request.POST, incident=incident)
    added = {}

    def write():
        data = form.cleaned_data
        added["row"] = services.add_authority(
            incident, authority=data["authority"], role=data["role"], actor=request.user, reason=data["reason"]
        )

    if _save(form, write):
        row = added["row"]
        return _back(
            request,
            incident,
            _("%(authority)s added: %(role)s.") % {"authority": row.authority, "role": row.get_role_display()},
            "#parties",
        )
    return _parties_page(request, incident, status=400, authority_form=form)


@require_POST
@login_required
def link_processor(request, pk: int):
    incident = _incident(request, pk)
    form = LinkProcessorForm(request.POST, incident=incident)
    added = {}

    def write():
        added["row"] = services.link_processor(
            incident, actor=request.user, reason=form.cleaned_data["reason"], **form.service_arguments()
        )

    if _save(form, write):
        return _back(request, incident, _("Processing link recorded: %(link)s.") % {"link": added["row"]}, "#parties")
    return _parties_page(request, incident, status=400, link_form=form)


def _one_form_page(request, incident, form, *, template: str, row, written: str, write):
    """GET shows the form; POST writes through ``write(data)`` and returns to the incident page."""
    if request.method == "POST" and _save(form, lambda: write(form.cleaned_data)):
        return _back(request, incident, written, "#parties")
    context = {"incident": incident, "form": form, "row": row, "is_closed": incident.is_closed}
    return render(request, template, context, status=400 if request.method == "POST" else 200)


@GET_POST
@login_required
def correct_party(request, pk: int, party_pk: int):
    incident = _incident(request, pk)
    row = get_object_or_404(incident.parties.select_related("party"), pk=party_pk)
    form = CorrectPartyForm(_data(request), initial={"role": row.role, "notes": row.notes})
    return _one_form_page(
        request,
        incident,
        form,
        template="register/party_correct.html",
        row=row,
        written=_("%(party)s corrected.") % {"party": row.party},
        write=lambda data: party_services.correct_party(
            row, role=data["role"], notes=data["notes"].strip(), actor=request.user, reason=data["reason"]
        ),
    )


@GET_POST
@login_required
def remove_party(request, pk: int, party_pk: int):
    incident = _incident(request, pk)
    row = get_object_or_404(incident.parties.select_related("party"), pk=party_pk)
    return _one_form_page(
        request,
        incident,
        RemoveForm(_data(request)),
        template="register/remove.html",
        row=row,
        written=_("%(party)s removed from this incident.") % {"party": row.party},
        write=lambda data: party_services.remove_party(row, actor=request.user, reason=data["reason"]),
    )


@GET_POST
@login_required
def correct_authority(request, pk: int, authority_pk: int):
    incident = _incident(request, pk)
    row = get_object_or_404(incident.authorities.select_related("authority"), pk=authority_pk)
    return _one_form_page(
        request,
        incident,
        CorrectAuthorityForm(_data(request), initial={"role": row.role}),
        template="register/authority_correct.html",
        row=row,
        written=_("%(authority)s corrected.") % {"authority": row.authority},
        write=lambda data: party_services.correct_authority(
            row, role=data["role"], actor=request.user, reason=data["reason"]
        ),
    )


@GET_POST
@login_required
def remove_authority(request, pk: int, authority_pk: int):
    incident = _incident(request, pk)
    row = get_object_or_404(incident.authorities.select_related("authority"), pk=authority_pk)
    return _one_form_page(
        request,
        incident,
        RemoveForm(_data(request)),
        template="register/remove.html",
        row=row,
        written=_("%(authority)s removed from this incident.") % {"authority": row.authority},
        write=lambda data: party_services.remove_authority(row, actor=request.user, reason=data["reason"]),
    )


@GET_POST
@login_required
def remove_link(request, pk: int, link_pk: int):
    incident = _incident(request, pk)
    row = get_object_or_404(
        incident.processing_relationships.select_related("processor__party", "controller__party"), pk=link_pk
    )
    return _one_form_page(
        request,
        incident,
        RemoveForm(_data(request)),
        template="register/remove.html",
        row=row,
        written=_("Processing link removed: %(link)s.") % {"link": row},
        write=lambda data: party_services.remove_processing_link(row, actor=request.user, reason=data["reason"]),
    )


# --- 3. A decision not to notify -----------------------------------------------------------------


@GET_POST
@login_required
def decision_not_to_notify(request, pk: int):
    incident = _incident(request, pk)
    now = timezone.now()
    form = DecisionForm(_data(request), incident=incident, user=request.user, now=now)
    recorded = {}

    def write():
        recorded["row"] = record_decision_not_to_notify(
            incident, actor=request.user, now=now, **form.service_arguments()
        )

    if request.method == "POST" and _save(form, write):
        decision = recorded["row"]
        return _back(
            request,
            incident,
            _("Decision recorded: %(controller)s does not notify the authority (decided %(at)s).")
            % {"controller": decision.controller.party, "at": _local(decision.decided_at)},
            "#parties",
        )
    context = {"incident": incident, "form": form, "is_closed": incident.is_closed}
    return render(request, "register/decision.html", context, status=400 if request.method == "POST" else 200)


# --- 4. Close and reopen -------------------------------------------------------------------------


@GET_POST
@login_required
def change_status(request, pk: int):
    incident = _incident(request, pk)
    form = StatusForm(_data(request), incident=incident)

    def write():
        data = form.cleaned_data
        services.change_status(incident, data["status"], actor=request.user, reason=data["reason"])

    if request.method == "POST" and _save(form, write):
        changed = Incident.objects.get(pk=incident.pk)
        if incident.status == Status.CLOSED:
            message = _("Incident reopened (%(status)s) at %(at)s.")
        elif changed.status == Status.CLOSED:
            message = _("Incident closed at %(at)s: the register entry is complete.")
        else:
            message = _("Status changed to %(status)s at %(at)s.")
        return _back(
            request, incident, message % {"status": changed.get_status_display(), "at": _local(changed.updated_at)}
        )
    context = {"incident": incident, "form": form, "gaps": incident.register_gaps(), "is_closed": incident.is_closed}
    return render(request, "register/status.html", context, status=400 if request.method == "POST" else 200)
