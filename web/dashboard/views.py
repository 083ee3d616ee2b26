"""The page a logged-in person lands on: their open incidents, most urgent first, clocks ticking.

With htmx (django-htmx ships it; see base.html) the page keeps itself current without a reload:
a filter change swaps the filters and the list (``#dashboard``), paging and the minute's refresh
swap the list alone (``#board``), so a menu the user has open is never replaced under them. The
same URL answers a full page to a browser without JavaScript, so every view stays a plain link.
"""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.shortcuts import render
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET
from django_htmx.http import HttpResponseClientRedirect

from readers.dashboard import dashboard, member_organisations
from web.dashboard.forms import RISK_BADGES, STATUS_BADGES, DashboardFilterForm

REFRESH_SECONDS = 60  # how often an open dashboard fetches its list again


def login_required_htmx(view):
    """``login_required``, but an htmx request whose session ended is sent to the login page as
    a whole page (HX-Redirect), instead of having the login form swapped into the list."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if request.user.is_authenticated:
            return view(request, *args, **kwargs)
        # After logging in, back to the page the user was on, not to the fragment's URL.
        next_path = (request.htmx.current_url_abs_path if request.htmx else None) or request.get_full_path()
        login = redirect_to_login(next_path)
        return HttpResponseClientRedirect(login.url) if request.htmx else login

    return wrapper


def _template(request) -> str:
    if request.htmx and not request.htmx.boosted:
        return "dashboard/_board.html" if request.htmx.target == "board" else "dashboard/_dashboard.html"
    return "dashboard/home.html"


@require_GET
@login_required_htmx
def home(request):
    """The dashboard; a filter value it does not know is a 400 naming the field, not a wider list."""
    organisations = member_organisations(request.user)
    form = DashboardFilterForm(request.GET, organisations=organisations)
    if not form.is_valid():
        response = render(request, _template(request), {"form": form, "board": None}, status=400)
        patch_vary_headers(response, ("HX-Request", "HX-Target"))
        return response
    board = dashboard(
        request.user,
        form.filters(),
        organisations=organisations,
        page_number=request.GET.get("page"),
        now=timezone.now(),
    )
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": form,
        "board": board,
        "filter_query": query.urlencode(),
        "page_query": request.GET.urlencode(),
        "refresh_seconds": REFRESH_SECONDS,
        "risk_badges": RISK_BADGES,
        "status_badges": STATUS_BADGES,
        "is_multi_organisation": len(board.organisations) > 1,
    }
    response = render(request, _template(request), context)
    # One URL, three bodies: no cache may hand a fragment to a full-page load (or the reverse).
    patch_vary_headers(response, ("HX-Request", "HX-Target"))
    return response
