"""Guided pages for the extortion facts of one incident (docs/domain.md#extortion), for privacy officers.

Each page is a GET (the form, with what is already known: the threat, the countdown's chain of
revisions so far) and a POST through one service of ``actions.extortion``. The steps are the same
everywhere (``_guided``):

1. the incident, scoped to the person's organisations — another organisation's is a 404;
2. the role, before any input is read — a legal reviewer or viewer gets a 403 on GET and POST;
3. the threat or publication, only among this incident's — anything else is a 404;
4. the form, then the service in its one transaction: a refusal re-renders the form with the
   message on its field and status 400, and nothing is written;
5. back to the incident page at the extortion section, with a message naming what was recorded
   (times in the reader's zone, with the zone named; numbers in the page's language).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from access.choices import AccessAction
from access.log import log_view
from actions import extortion as services
from incidents.models import ExtortionThreat, Incident, Publication
from organisations.services import authorise
from readers.register import extortion_view
from web.incidents import extortion_forms as forms
from web.templatetags.register import instant_format

ANCHOR = "#extortion-h"


def _when(value) -> str:
    """An instant as the message says it: the reader's local time, with the zone named."""
    local = timezone.localtime(value)
    return f"{date_format(local, instant_format())} {local.tzname()}"


@dataclass(frozen=True)
class Step:
    """One guided page: its words, its form, and how the service is called."""

    title: Any
    intro: Any
    button: Any
    form_class: type[forms.GuidedForm]
    call: Callable[..., Any]  # (incident, target, actor, reason, **form arguments) -> the record
    done: Callable[[Any], str]  # the record -> the success message
    shows_chain: bool = False
    suggest: Callable[[Any], dict] | None = None  # the threat's row (or None) -> initial values


def _incident(request, pk: int) -> Incident:
    return get_object_or_404(Incident.objects.visible_to(request.user).select_related("organisation"), pk=pk)


def _guided(request, pk: int, step: Step, *, target_pk: int | None = None, target_model=None):
    """The five steps of the module docstring."""
    incident = _incident(request, pk)
    authorise(request.user, incident.organisation)
    target = None
    if target_model is not None:
        target = get_object_or_404(target_model.objects.visible_to(request.user), incident=incident, pk=target_pk)
    extortion = extortion_view(incident, now=timezone.now())
    form_options: dict[str, Any] = {"user": request.user}
    if step.form_class is forms.PublicationForm:
        form_options["threats"] = [row.threat for row in extortion.threats]
    if request.method == "GET":
        log_view(request, incident, AccessAction.INCIDENT_VIEW, detail="extortion")
        if hasattr(step.form_class, "initial_for") and target is not None:
            initial, instants = step.form_class.initial_for(target)
            form_options.update(initial=initial, initial_instants=instants)
        elif step.suggest is not None:
            form_options["initial"] = step.suggest(_row(extortion, target))
        return _render(request, incident, step, step.form_class(**form_options), target, extortion)
    form = step.form_class(request.POST, **form_options)
    if form.is_valid():
        try:
            record = step.call(
                incident, target, actor=request.user, reason=form.cleaned_data["reason"], **form.service_arguments()
            )
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, step.done(record))
            return redirect(reverse("incidents:detail", args=[incident.pk]) + ANCHOR)
    return _render(request, incident, step, form, target, extortion, status=400)


def _row(extortion, target):
    """The threat's row of the extortion view (its chain of revisions), or None."""
    return next((row for row in extortion.threats if row.threat == target), None)


def _next_revision(row) -> dict:
    """What the threat actor most likely did next: set a countdown if none runs, else extend it."""
    running = row is not None and row.current is not None and not row.current.is_withdrawal
    return {"kind": "extended" if running else "set"}


def _render(request, incident, step: Step, form, target, extortion, *, status=200):
    threat = target if isinstance(target, ExtortionThreat) else None
    row = _row(extortion, threat) if threat is not None else None
    context = {
        "incident": incident,
        "step": step,
        "form": form,
        "threat": threat,
        "publication": target if isinstance(target, Publication) else None,
        "row": row,
        "shows_chain": step.shows_chain,
    }
    return render(request, "incidents/extortion_step.html", context, status=status)


# --- The steps ----------------------------------------------------------------------------------

RECORD_THREAT = Step(
    title=gettext_lazy("Record an extortion threat"),
    intro=gettext_lazy(
        "Who is demanding money or threatening to publish, how they made contact and what they ask. "
        "Record the countdown next, on its own page."
    ),
    button=gettext_lazy("Record the threat"),
    form_class=forms.ThreatForm,
    call=lambda incident, _target, **kwargs: services.record_threat(incident, **kwargs),
    done=lambda threat: (
        _("Extortion threat recorded: %(actor)s, first contact %(at)s.")
        % {"actor": threat.actor_name, "at": _when(threat.first_contact_at)}
    ),
)
UPDATE_THREAT = Step(
    title=gettext_lazy("Correct the extortion threat"),
    intro=gettext_lazy("What you change here replaces what was recorded; the earlier values stay in its history."),
    button=gettext_lazy("Save the correction"),
    form_class=forms.ThreatForm,
    call=lambda _incident, threat, **kwargs: services.update_threat(threat, **kwargs),
    done=lambda threat: _("Extortion threat corrected: %(actor)s.") % {"actor": threat.actor_name},
)
PAYMENT = Step(
    title=gettext_lazy("Record the payment decision"),
    intro=gettext_lazy(
        "Police advice: do not pay; if you pay anyway, tell the police. Paying does not reduce the risk to "
        "the people affected and delays no notification."
    ),
    button=gettext_lazy("Record the decision"),
    form_class=forms.PaymentForm,
    call=lambda _incident, threat, **kwargs: services.record_payment_decision(threat, **kwargs),
    done=lambda threat: (
        _("Payment decision recorded: %(decision)s.") % {"decision": threat.get_payment_decision_display()}
    ),
)
POLICE = Step(
    title=gettext_lazy("Record the police report"),
    intro=gettext_lazy("When the police were told, their reference, and which other agencies know."),
    button=gettext_lazy("Record the police report"),
    form_class=forms.PoliceForm,
    call=lambda _incident, threat, **kwargs: services.record_police_report(threat, **kwargs),
    done=lambda threat: (
        _("Police report recorded: %(at)s.") % {"at": _when(threat.police_reported_at)}
        if threat.police_reported_at
        else _("Police report details saved.")
    ),
)
REVISE = Step(
    title=gettext_lazy("Revise the countdown"),
    intro=gettext_lazy(
        "Each change the threat actor makes is its own revision, recorded in the order they made it. "
        "The countdown is operational: it never delays or extends the 72 hours (Art. 33(1))."
    ),
    button=gettext_lazy("Record the revision"),
    form_class=forms.RevisionForm,
    call=lambda _incident, threat, **kwargs: services.revise_countdown(threat, **kwargs),
    done=lambda revision: (
        _("Countdown revision recorded (%(kind)s): the deadline is now %(at)s.")
        % {"kind": revision.get_kind_display(), "at": _when(revision.deadline_at)}
    ),
    shows_chain=True,
    suggest=_next_revision,
)
WITHDRAW = Step(
    title=gettext_lazy("Record that the countdown was withdrawn"),
    intro=gettext_lazy("The threat actor dropped the deadline: the countdown stops alerting and stays in the chain."),
    button=gettext_lazy("Record the withdrawal"),
    form_class=forms.WithdrawalForm,
    call=lambda _incident, threat, **kwargs: services.withdraw_countdown(threat, **kwargs),
    done=lambda revision: _("Countdown withdrawn, as announced %(at)s.") % {"at": _when(revision.announced_at)},
    shows_chain=True,
)
PUBLICATION = Step(
    title=gettext_lazy("Record a publication"),
    intro=gettext_lazy(
        "Data the threat actor published: when, where and how much. Each publication raises the risk to the "
        "people affected: reassess it afterwards (Art. 34)."
    ),
    button=gettext_lazy("Record the publication"),
    form_class=forms.PublicationForm,
    call=lambda incident, _target, **kwargs: services.record_publication(incident, **kwargs),
    done=lambda publication: (
        _("Publication recorded: %(at)s, %(amounts)s. Reassess the risk (Art. 34).")
        % {"at": _when(publication.published_at), "amounts": forms.PublicationForm.amounts(publication) or "—"}
    ),
)
REASSESS = Step(
    title=gettext_lazy("Record the Art. 34 risk reassessment"),
    intro=gettext_lazy(
        "After a publication, say what the risk to the people affected is now, and whether they must be told."
    ),
    button=gettext_lazy("Record the reassessment"),
    form_class=forms.ReassessmentForm,
    call=lambda _incident, publication, **kwargs: services.record_risk_reassessment(
        publication, now=timezone.now(), **kwargs
    ),
    done=lambda publication: (
        _("Art. 34 risk reassessment recorded for the publication of %(at)s.") % {"at": _when(publication.published_at)}
    ),
)


# --- The views ----------------------------------------------------------------------------------

METHODS = require_http_methods(["GET", "POST"])


@METHODS
@login_required
def record_threat(request, pk: int):
    return _guided(request, pk, RECORD_THREAT)


@METHODS
@login_required
def update_threat(request, pk: int, threat_pk: int):
    return _guided(request, pk, UPDATE_THREAT, target_pk=threat_pk, target_model=ExtortionThreat)


@METHODS
@login_required
def payment_decision(request, pk: int, threat_pk: int):
    return _guided(request, pk, PAYMENT, target_pk=threat_pk, target_model=ExtortionThreat)


@METHODS
@login_required
def police_report(request, pk: int, threat_pk: int):
    return _guided(request, pk, POLICE, target_pk=threat_pk, target_model=ExtortionThreat)


@METHODS
@login_required
def revise_countdown(request, pk: int, threat_pk: int):
    return _guided(request, pk, REVISE, target_pk=threat_pk, target_model=ExtortionThreat)


@METHODS
@login_required
def withdraw_countdown(request, pk: int, threat_pk: int):
    return _guided(request, pk, WITHDRAW, target_pk=threat_pk, target_model=ExtortionThreat)


@METHODS
@login_required
def record_publication(request, pk: int):
    return _guided(request, pk, PUBLICATION)


@METHODS
@login_required
def reassess_risk(request, pk: int, publication_pk: int):
    return _guided(request, pk, REASSESS, target_pk=publication_pk, target_model=Publication)


__all__ = [
    "payment_decision",
    "police_report",
    "reassess_risk",
    "record_publication",
    "record_threat",
    "revise_countdown",
    "update_threat",
    "withdraw_countdown",
]
