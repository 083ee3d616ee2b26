"""The read-only page of one filing: what the authority was told, and what changed since the last time.

Scoped like the register pages: another organisation's incident or filing is a 404.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from access.choices import AccessAction
from access.log import log_view
from filings.models import AuthorityFiling
from readers.filing_content import diff, rows
from rules.completeness import missing_items


@require_GET
@login_required
def filing_detail(request, incident_pk: int, pk: int):
    filings = AuthorityFiling.objects.visible_to(request.user).select_related(
        "incident__organisation", "controller__party", "authority", "previous", "recorded_by"
    )
    filing = get_object_or_404(filings, incident_id=incident_pk, pk=pk)
    log_view(request, filing.incident, AccessAction.FILING_VIEW, detail=f"filing {filing.pk}")
    previous = filing.previous
    context = {
        "filing": filing,
        "incident": filing.incident,
        "rows": rows(filing.content),
        "changes": diff(previous.content if previous else None, filing.content),
        "missing": missing_items(filing.content) if not filing.is_withdrawal else [],
        "next_filing": filing.next_filings.first(),
        # The filing's history in the product: the timeline's changes to filings (not the admin).
        "history_query": str(AuthorityFiling._meta.verbose_name),
    }
    return render(request, "filings/filing_detail.html", context)
