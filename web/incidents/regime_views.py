"""The "Regimes" section of the incident page, its own page, and its forms (POST).

Scoped like every register page: another organisation's incident is a 404 before any role is
considered; only a privacy officer may post (legal and viewer get a 403, decided before the input
is read). Bad input re-renders the regimes page with the message on its field and status 400;
the action runs in one transaction and writes nothing when it refuses. On success the person is
back on the incident page at the section, with a message in their language.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from access.choices import AccessAction
from access.log import log_view
from actions import regimes as services
from incidents.models import Incident, IncidentAnchor
from organisations.services import authorise
from readers.incident_page import reader_role
from readers.regime_labels import report_label
from readers.regimes import regimes_section
from web.incidents.awareness_views import local_moment
from web.incidents.quantities import show_count
from web.incidents.regime_forms import FORMS

ANCHOR = "#regimes"


def _incident(request, pk: int) -> Incident:
    return get_object_or_404(Incident.objects.visible_to(request.user).select_related("organisation"), pk=pk)


def regimes_context(request, incident, *, may_write: bool, now=None, bound=None, estimates=None) -> dict:
    """What ``incidents/_regimes.html`` reads: the section and, for an officer, its forms
    (``bound``: the one form that was posted, with its errors; ``estimates``: the data-subject
    estimates when the page has read them)."""
    section = regimes_section(incident, now=now or timezone.now(), estimates=estimates)
    context = {"section": section, "may_write": may_write, "incident": incident}
    if may_write:
        for key, form_class in FORMS.items():
            context[key] = form_class(section=section, user=request.user)
        if bound is not None:
            context[bound[0]] = bound[1]
    return context


def _page(request, incident, *, status=200, bound=None):
    role = reader_role(request.user, incident)
    may_write = role == "privacy_officer"
    context = {
        "incident": incident,
        "regimes": regimes_context(request, incident, may_write=may_write, bound=bound),
    }
    return render(request, "incidents/regimes.html", context, status=status)


@require_GET
@login_required
def regimes_page(request, pk: int):
    """The regimes section on a page of its own (where a refused form is shown again)."""
    incident = _incident(request, pk)
    log_view(request, incident, AccessAction.INCIDENT_VIEW)
    return _page(request, incident)


def _post(request, pk: int, key: str, write, done):
    incident = _incident(request, pk)
    authorise(request.user, incident.organisation)
    section = regimes_section(incident, now=timezone.now())
    form = FORMS[key](request.POST, section=section, user=request.user)
    if form.is_valid():
        try:
            row = write(incident, **form.service_arguments())
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, done(row))
            return redirect(reverse("incidents:detail", args=[incident.pk]) + ANCHOR)
    return _page(request, incident, status=400, bound=(key, form))


@require_POST
@login_required
def decide(request, pk: int):
    def write(incident, *, regime, applies, reasoning):
        return services.decide_regime(
            incident, regime=regime, applies=applies, reasoning=reasoning, actor=request.user, reason=reasoning
        )

    def done(decision):
        words = _("applies") if decision.applies else _("does not apply")
        return _("Decision recorded: %(regime)s %(words)s.") % {"regime": decision.regime.upper(), "words": words}

    return _post(request, pk, "decision_form", write, done)


@require_POST
@login_required
def record_anchor(request, pk: int):
    def write(incident, *, kind, occurred_at, reason, **facts):
        # One current moment per kind: a second one of a kind revises it (the first stays in its history).
        held = IncidentAnchor.objects.filter(incident=incident, kind=kind, is_withdrawn=False).first()
        if held is not None:
            return services.revise_anchor(held, occurred_at=occurred_at, actor=request.user, reason=reason, **facts)
        return services.record_anchor(
            incident, kind=kind, occurred_at=occurred_at, actor=request.user, reason=reason, **facts
        )

    def done(anchor):
        return _("Recorded: %(kind)s at %(at)s.") % {
            "kind": anchor.get_kind_display(),
            "at": local_moment(anchor.occurred_at),
        }

    return _post(request, pk, "anchor_form", write, done)


@require_POST
@login_required
def record_determination(request, pk: int):
    def write(incident, **arguments):
        return services.set_determination(incident, actor=request.user, **arguments)

    def done(row):
        return _("Recorded: %(name)s — %(value)s.") % {
            "name": row.get_name_display(),
            "value": _("yes") if row.value else _("no"),
        }

    return _post(request, pk, "determination_form", write, done)


@require_POST
@login_required
def record_place(request, pk: int):
    def write(incident, *, place, count, **arguments):
        return services.record_places(incident, counts={place: count}, actor=request.user, **arguments)[0]

    def done(row):
        return _("Recorded: %(count)s people affected living in %(place)s.") % {
            "count": show_count(row.count),
            "place": row.place,
        }

    return _post(request, pk, "place_form", write, done)


@require_POST
@login_required
def file_report(request, pk: int):
    def write(incident, **arguments):
        return services.record_regime_report_filing(incident, actor=request.user, **arguments)

    def done(filing):
        return _("Filing recorded: %(report)s, submitted at %(at)s.") % {
            "report": report_label(filing.regime, filing.rule_version, filing.report),
            "at": local_moment(filing.submitted_at),
        }

    return _post(request, pk, "regime_filing_form", write, done)
