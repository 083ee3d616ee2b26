"""The metrics page, its CSV and its drill-down: for the privacy officers and lawyers of an organisation.

Every figure links to the drill-down (``metrics:incidents``), which lists the incidents that figure
counts with the very condition that counted them (``readers.metrics.counted_incidents``).
"""

from __future__ import annotations

import functools

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from readers.metrics import readable_organisations
from readers.metrics_regimes import GDPR, counted, is_bucket, reading, regime_title
from readers.metrics_report import bucket_label, csv_text, sections
from readers.wording import instant_text
from web.metrics.forms import MetricsFilterForm

DRILL_DOWN_PAGE_SIZE = 50


class NotAMetricsReader(Exception):
    """The user is privacy officer or legal in no organisation: the metrics are not theirs to read."""


def _form(request) -> MetricsFilterForm:
    organisations = list(readable_organisations(request.user))
    if not organisations:
        raise NotAMetricsReader
    return MetricsFilterForm(request.GET, organisations=organisations, zone=request.user.time_zone)


def refused_to_non_readers(view):
    """A user who may not read metrics gets a 403 page that says why, in their language.

    Django's bare default 403 says only "Forbidden" in English; a viewer who followed a link
    deserves to learn that only privacy officers and legal read the metrics.
    """

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except NotAMetricsReader:
            return render(request, "metrics/refused.html", status=403)

    return wrapper


def _links(request):
    query = request.GET.copy()
    for name in ("bucket", "page"):
        query.pop(name, None)

    def link(bucket: str) -> str:
        params = query.copy()
        params["bucket"] = bucket
        return f"{reverse('metrics:incidents')}?{params.urlencode()}"

    def incident_link(pk: int) -> str:
        return reverse("incidents:detail", args=[pk])

    return link, incident_link, query.urlencode()


@require_GET
@login_required
@refused_to_non_readers
def page(request):
    form = _form(request)
    if not form.is_valid():
        return render(request, "metrics/metrics.html", {"form": form, "sections": None}, status=400)
    now = timezone.now()
    filters = form.filters()
    link, incident_link, query = _links(request)
    context = {
        "form": form,
        "read_at": instant_text(now),
        "regime": filters.regime,
        "regime_name": regime_title(filters.regime),
        "is_gdpr": filters.regime == GDPR,
        "sections": sections(reading(filters, now=now), link, incident_link),
        "query": query,
        "is_multi_organisation": len(form.organisations) > 1,
    }
    return render(request, "metrics/metrics.html", context)


@require_GET
@login_required
@refused_to_non_readers
def csv_export(request):
    form = _form(request)
    if not form.is_valid():
        return render(request, "metrics/metrics.html", {"form": form, "sections": None}, status=400)
    link, incident_link, _query = _links(request)
    body = csv_text(reading(form.filters(), now=timezone.now()), link, incident_link)
    response = HttpResponse("\ufeff" + body, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="breachtrack-metrics.csv"'
    return response


@require_GET
@login_required
@refused_to_non_readers
def incidents(request):
    form = _form(request)
    bucket = request.GET.get("bucket", "")
    now = timezone.now()
    if form.is_valid() and not is_bucket(form.filters(), bucket, now=now):
        form.add_error(None, _("Unknown figure: choose one from the metrics page."))
    if not form.is_valid():
        return render(request, "metrics/incidents.html", {"form": form, "page": None}, status=400)
    filters = form.filters()
    found = counted(filters, bucket, now=now)
    page_obj = Paginator(found, DRILL_DOWN_PAGE_SIZE).get_page(request.GET.get("page"))
    _link, _incident_link, query = _links(request)
    context = {
        "form": form,
        "page": page_obj,
        "figure": bucket_label(bucket, filters.regime),
        "query": query,
        "bucket": bucket,
    }
    return render(request, "metrics/incidents.html", context)
