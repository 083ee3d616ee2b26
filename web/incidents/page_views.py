"""The incident page (GET) and its forms: a filing with the authority, a new estimate (POST).

Scoped like every register page: another organisation's incident is a 404 before any role is
considered. The filing form is for privacy officers: anyone else gets a 403 from the server,
whatever the page showed them. Bad input re-renders the page with the message on its field and
status 400; ``submit_filing`` runs in one transaction and writes nothing when it refuses.
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
from actions.filings import submit_filing
from actions.incidents import record_estimate
from incidents.models import Incident
from organisations.services import authorise
from readers import wording
from readers.incident_page import ROWS_SHOWN, incident_page
from readers.register import register_view
from web.incidents.estimate_form import EstimateForm
from web.incidents.filing_form import FilingForm
from web.incidents.regime_views import regimes_context
from web.templatetags.dashboard_tags import countdown_messages


def _incident(request, pk: int) -> Incident:
    return get_object_or_404(Incident.objects.visible_to(request.user).select_related("organisation"), pk=pk)


def render_page(request, incident, *, form=None, estimate_form=None, status=200):
    # A long table shows its first rows (the counts: the latest); ?all=1 shows every row.
    rows = None if request.GET.get("all") == "1" else ROWS_SHOWN
    page = incident_page(incident, user=request.user, now=timezone.now(), rows=rows)
    if form is None and page.may_write:
        form = FilingForm(register=page.register, user=request.user)
    if estimate_form is None and page.may_write:
        estimate_form = EstimateForm(register=page.register, user=request.user)
    context = {
        "page": page,
        "r": page.register,  # the name the page's older parts (_extortion.html) read
        "filing_form": form if page.may_write else None,
        "estimate_form": estimate_form if page.may_write else None,
        "countdown_messages": countdown_messages(),
        "regimes": regimes_context(
            request,
            incident,
            may_write=page.may_write,
            now=page.now,
            estimates=page.register.estimates.get("data_subjects", []),
        ),
    }
    return render(request, "incidents/incident_detail.html", context, status=status)


@require_GET
@login_required
def incident_detail(request, pk: int):
    incident = _incident(request, pk)
    log_view(request, incident, AccessAction.INCIDENT_VIEW)
    return render_page(request, incident)


def _post_form(request, pk: int, *, form_class, form_key: str, service, done, anchor: str):
    """One form of the incident page, posted: the same steps for each.

    The incident (scoped: 404); the role (403 unless a privacy officer: decided before the input
    is read, so a refused role learns nothing from a 400); the form; the service, whose refusals
    land on the form's fields (400, nothing written); then back to the page at ``anchor``, with
    ``done(record)`` as the message.
    """
    incident = _incident(request, pk)
    authorise(request.user, incident.organisation)
    form = form_class(request.POST, register=register_view(incident, now=timezone.now()), user=request.user)
    if form.is_valid():
        try:
            record = service(incident, actor=request.user, **form.service_arguments())
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, done(record))
            return redirect(reverse("incidents:detail", args=[incident.pk]) + anchor)
    return render_page(request, incident, status=400, **{form_key: form})


@require_POST
@login_required
def file_with_authority(request, pk: int):
    """Record a filing to the authority as submitted, through ``actions.filings.submit_filing``."""
    return _post_form(
        request,
        pk,
        form_class=FilingForm,
        form_key="form",
        service=submit_filing,
        anchor="#filings",
        done=lambda filing: (
            _("Filing recorded: %(type)s to %(authority)s. It is kept as submitted and never changes.")
            % {
                "type": filing.get_filing_type_display(),
                "authority": filing.authority,
            }
        ),
    )


@require_POST
@login_required
def record_affected_estimate(request, pk: int):
    """Record a new estimate of the number affected, through ``actions.incidents.record_estimate``."""
    return _post_form(
        request,
        pk,
        form_class=EstimateForm,
        form_key="estimate_form",
        service=record_estimate,
        anchor="#affected",
        done=lambda estimate: (
            _("Estimate recorded: %(value)s (%(measure)s).")
            % {
                "value": wording.count_text(estimate),
                "measure": estimate.get_measure_display(),
            }
        ),
    )
