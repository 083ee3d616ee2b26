"""The access-log page for legal, the deadlines calendar, and the public share-link URL."""

from __future__ import annotations

import math

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET

from access import throttle
from access.choices import AccessAction, ExportKind, RefusalReason
from access.client import client_ip
from access.log import log_share_access, log_unknown_token, log_view, token_hash
from access.models import AccessLog, ShareLink
from actions.sharing import SHARE_ROLES
from incidents.models import Incident
from organisations.models import Membership
from organisations.services import authorise
from readers import exports
from readers.access_detail import detail_texts
from web.access.forms import AccessLogFilterForm

PAGE_SIZE = 50


def scoped_incident(request, pk: int) -> Incident:
    """Scoped: another organisation's incident is a 404, like every register page."""
    return get_object_or_404(Incident.objects.visible_to(request.user).select_related("organisation"), pk=pk)


@require_GET
@login_required
def deadlines_ics(request, pk: int):
    incident = scoped_incident(request, pk)
    log_view(request, incident, AccessAction.EXPORT_DOWNLOAD, export_kind=ExportKind.DEADLINES_ICS)
    return exports.render(ExportKind.DEADLINES_ICS, incident)


@require_GET
@login_required
def access_log(request, pk: int):
    """Who viewed what, when, from where: newest first, 50 a page.

    For privacy officers and legal. A viewer of the same organisation gets 403, not 404: they
    can already see the incident, so a 404 would hide nothing, and 403 tells them truthfully
    that their role is the reason. Another organisation's incident stays a 404 (``scoped_incident``).
    Looking at the log is itself logged. Filters (who, what, local date range) are GET
    parameters; a value not on offer is a 400. Queries: the incident, the role check, the log
    insert, the organisation's members, the count and one page (users and links joined).
    """
    incident = scoped_incident(request, pk)
    authorise(request.user, incident.organisation, SHARE_ROLES)
    log_view(request, incident, AccessAction.ACCESS_LOG_VIEW)
    form = AccessLogFilterForm(request.GET, members=_members(incident), zone_name=timezone.get_current_timezone_name())
    entries = (
        AccessLog.objects.filter(incident=incident).select_related("user", "share_link").order_by("-accessed_at", "-pk")
    )
    status = 200
    if form.is_valid():
        entries = entries.filter(**form.lookups())
    else:
        entries, status = entries.none(), 400
    page = Paginator(entries, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    details = detail_texts(page.object_list, incident)
    for entry in page.object_list:
        entry.detail_text = details.get(entry.pk, "")
    context = {"incident": incident, "page": page, "form": form, "filter_query": query.urlencode()}
    return render(request, "access/access_log.html", context, status=status)


def _members(incident) -> list[tuple[int, str]]:
    """Everyone who ever was a member of the incident's organisation (one query): a former
    member's views stay in the log and must stay findable."""

    rows = (
        Membership.objects.filter(organisation=incident.organisation).select_related("user").order_by("user__username")
    )
    return list(dict.fromkeys((row.user_id, row.user.get_username()) for row in rows))


def _refuse(request, refusal: str, status: int):
    response = render(request, "access/share_refused.html", {"refusal": RefusalReason(refusal)}, status=status)
    add_never_cache_headers(response)
    return response


def _throttled(request, refusal: str, verdict: throttle.Verdict):
    """429 with Retry-After, and a page that says why and how long (in minutes, rounded up)."""
    minutes = math.ceil(verdict.retry_after_seconds / 60)
    if refusal == RefusalReason.RATE_LIMITED_ADDRESS:
        why = _("Too many attempts with share links that do not work came from your address.")
    else:
        why = _("This link has been downloaded too often in a short time.")
    wait = ngettext("Try again in %(minutes)d minute.", "Try again in %(minutes)d minutes.", minutes) % {
        "minutes": minutes
    }
    response = render(request, "access/share_throttled.html", {"why": why, "wait": wait}, status=429)
    response["Retry-After"] = str(verdict.retry_after_seconds)
    add_never_cache_headers(response)
    return response


def _log_refusal(request, link, token: str, refusal: str) -> None:
    if link is None:
        log_unknown_token(request, token, refusal)
    else:
        log_share_access(request, link, refusal=refusal)


@require_GET
def share(request, token: str, kind: str | None = None):
    """A regulator's link: its one export of its one incident, without login.

    Steps: find the link by the token's SHA-256; if this address has made too many refused
    guesses lately, answer 429 whatever the token (``access.throttle``); an unknown token is
    logged without the token (404); refuse a revoked or expired link (410) or a path naming
    another export (404); answer 429 when the link itself was downloaded too often lately;
    else log the access and serve the export. Every answer is logged before it is returned.
    Nothing in the request but the token (and an optional export name that must match)
    chooses what is served.
    """
    link = ShareLink.objects.select_related("incident__organisation").filter(token_sha256=token_hash(token)).first()
    by_address = throttle.address_verdict(client_ip(request))
    if not by_address.is_allowed:
        _log_refusal(request, link, token, RefusalReason.RATE_LIMITED_ADDRESS)
        return _throttled(request, RefusalReason.RATE_LIMITED_ADDRESS, by_address)
    if link is None:
        log_unknown_token(request, token, RefusalReason.UNKNOWN_TOKEN)
        return _refuse(request, RefusalReason.UNKNOWN_TOKEN, 404)
    refusal = link.refusal_at(timezone.now())
    if refusal:
        log_share_access(request, link, refusal=refusal)
        return _refuse(request, refusal, 410)
    if kind is not None and kind != link.export_kind:
        log_share_access(request, link, refusal=RefusalReason.WRONG_EXPORT)
        return _refuse(request, RefusalReason.WRONG_EXPORT, 404)
    if not exports.is_available(link.export_kind):
        log_share_access(request, link, refusal=RefusalReason.EXPORT_UNAVAILABLE)
        return _refuse(request, RefusalReason.EXPORT_UNAVAILABLE, 404)
    by_link = throttle.link_verdict(link)
    if not by_link.is_allowed:
        log_share_access(request, link, refusal=RefusalReason.RATE_LIMITED_LINK)
        return _throttled(request, RefusalReason.RATE_LIMITED_LINK, by_link)
    log_share_access(request, link)
    response = exports.render(link.export_kind, link.incident)
    add_never_cache_headers(response)
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response
