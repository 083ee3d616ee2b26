"""The page a logged-in person lands on: their open incidents, most urgent first, clocks ticking."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from dashboard.forms import RISK_BADGES, STATUS_BADGES, DashboardFilterForm
from dashboard.selectors import dashboard, member_organisations


@require_GET
@login_required
def home(request):
    """The dashboard; a filter value it does not know is a 400 naming the field, not a wider list."""
    organisations = member_organisations(request.user)
    form = DashboardFilterForm(request.GET, organisations=organisations)
    if not form.is_valid():
        return render(request, "dashboard/home.html", {"form": form, "board": None}, status=400)
    board = dashboard(
        request.user, form.filters(), organisations=organisations, page_number=request.GET.get("page"), now=timezone.now()
    )
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": form,
        "board": board,
        "filter_query": query.urlencode(),
        "risk_badges": RISK_BADGES,
        "status_badges": STATUS_BADGES,
        "is_multi_organisation": len(board.organisations) > 1,
    }
    return render(request, "dashboard/home.html", context)
