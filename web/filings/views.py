"""The read-only page of one filing: what the authority was told, and what changed since the last time.

Also the filing in the EDPB's template (``readers.edpb``): a JSON download, and on the page the
template fields it leaves empty. Scoped like the register pages: another organisation's
incident or filing is a 404.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from access.choices import AccessAction, ExportKind
from access.log import log_view
from filings.models import AuthorityFiling
from readers import edpb
from readers.filing_content import diff, rows
from rules.completeness import missing_items


def _filing(request, incident_pk: int, pk: int) -> AuthorityFiling:
    filings = AuthorityFiling.objects.visible_to(request.user).select_related(
        "incident__organisation", "controller__party", "authority", "previous", "recorded_by"
    )
    return get_object_or_404(filings, incident_id=incident_pk, pk=pk)


@require_GET
@login_required
def filing_detail(request, incident_pk: int, pk: int):
    filing = _filing(request, incident_pk, pk)
    log_view(request, filing.incident, AccessAction.FILING_VIEW, detail=f"filing {filing.pk}")
    previous = filing.previous
    context = {
        "filing": filing,
        "incident": filing.incident,
        "rows": rows(filing.content),
        "changes": diff(previous.content if previous else None, filing.content),
        "missing": missing_items(filing.content) if not filing.is_withdrawal else [],
        "next_filing": filing.next_filings.first(),
        "edpb": edpb.completeness(edpb.export(filing)),
        # The filing's history in the product: the timeline's changes to filings (not the admin).
        "history_query": str(AuthorityFiling._meta.verbose_name),
    }
    return render(request, "filings/filing_detail.html", context)


def _json(body: dict, filename: str) -> JsonResponse:
    response = JsonResponse(body, json_dumps_params={"ensure_ascii": False, "indent": 2})
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@require_GET
@login_required
def filing_edpb_json(request, incident_pk: int, pk: int):
    """The filing in the EDPB template, built from what it froze at submission."""
    filing = _filing(request, incident_pk, pk)
    log_view(
        request,
        filing.incident,
        AccessAction.EXPORT_DOWNLOAD,
        export_kind=ExportKind.EDPB_JSON,
        detail=f"filing {filing.pk}",
    )
    return _json(edpb.document(filing), f"{filing.incident.reference}-filing-{filing.pk}-edpb.json")


def render_edpb_json(incident) -> JsonResponse:
    """Every filing of the incident in the EDPB template, as a share link serves it."""
    filings = AuthorityFiling.objects.filter(incident=incident).order_by("submitted_at", "pk")
    return _json(edpb.incident_document(incident, filings), f"{incident.reference}-filings-edpb.json")
