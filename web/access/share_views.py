"""The share-links page of an incident: list, create, revoke.

Members of the incident's organisation read the list; privacy officers and legal create and
revoke (``actions.sharing`` checks the role again on the server: a viewer's POST is a 403).
Another organisation's incident or link is a 404. The secret URL is shown once: the POST that
made the link redirects, and the next GET takes the URL out of the session as it shows it
(never cached: every answer of this page is ``no-store``). Only the token's hash is stored.
"""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Max, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from access.choices import AccessOutcome, RefusalReason
from access.models import ShareLink
from actions import sharing as services
from organisations.tenancy import organisation_ids
from web.access.forms import RevokeForm, ShareLinkForm
from web.access.views import scoped_incident

LINKS_PAGE_SIZE = 50
CREATED_KEY = "access.share_link_created"


def _pop_created(request, incident) -> dict | None:
    """The link just made and its secret URL, once: removed from the session as it is read."""
    created = request.session.pop(CREATED_KEY, None)
    if not created:
        return None
    link = ShareLink.objects.filter(incident=incident, pk=created["link"]).first()
    return {"link": link, "url": created["url"]} if link is not None else None


def _may_share(request, incident) -> bool:
    """For showing the forms only: the services check the role again."""
    return request.user.is_superuser or incident.organisation_id in {
        row["organisation_id"] for row in organisation_ids(request.user, services.SHARE_ROLES)
    }


def _links(incident, page_number):
    """One page of the incident's links with their use counts: a count and one page query."""
    links = (
        ShareLink.objects.filter(incident=incident)
        .select_related("created_by", "revoked_by")
        .annotate(
            uses=Count("accesses", filter=Q(accesses__outcome=AccessOutcome.ALLOWED)),
            last_used_at=Max("accesses__accessed_at", filter=Q(accesses__outcome=AccessOutcome.ALLOWED)),
        )
        .order_by("-created_at", "-pk")
    )
    page = Paginator(links, LINKS_PAGE_SIZE).get_page(page_number)
    now = timezone.now()
    for link in page.object_list:
        refusal = link.refusal_at(now)
        link.state = {RefusalReason.REVOKED: "revoked", RefusalReason.EXPIRED: "expired"}.get(refusal, "active")
    return page


def _page(request, incident, *, form=None, created=None, revoke_errors=(), status=200):
    zone = timezone.get_current_timezone_name()
    may_share = _may_share(request, incident)
    if form is None and may_share:
        form = ShareLinkForm(zone_name=zone, initial={"expires": _default_expiry(zone)})
    context = {
        "incident": incident,
        "page": _links(incident, request.GET.get("page")),
        "form": form,
        "may_share": may_share,
        "created": created,
        "revoke_errors": revoke_errors,
        "zone": zone,
    }
    response = render(request, "access/share_links.html", context, status=status)
    add_never_cache_headers(response)  # the page may carry a secret URL
    return response


def _default_expiry(zone: str):
    """Fourteen days from now (or the longest a link may live, if shorter), on the minute, as a
    wall-clock time in the reader's zone."""
    days = min(14, settings.BREACHTRACK_SHARE_LINK_MAX_DAYS)
    return (
        (timezone.now() + timedelta(days=days)).astimezone(ZoneInfo(zone)).replace(second=0, microsecond=0, tzinfo=None)
    )


def _add_errors(form, error: ValidationError) -> None:
    mapping = {"expires_at": "expires", "purpose": "reason"}
    for field, found in getattr(error, "message_dict", {"__all__": error.messages}).items():
        field = mapping.get(field, field)
        form.add_error(field if field in form.fields else None, found)


@require_http_methods(["GET", "POST"])
@login_required
def share_links(request, pk: int):
    incident = scoped_incident(request, pk)
    if request.method == "GET":
        return _page(request, incident, created=_pop_created(request, incident))
    form = ShareLinkForm(request.POST, zone_name=timezone.get_current_timezone_name())
    if not _may_share(request, incident):
        raise PermissionDenied(_("Your role does not allow making share links."))
    if not form.is_valid():
        return _page(request, incident, form=form, status=400)
    data = form.cleaned_data
    try:
        made = services.create_share_link(
            incident,
            export_kind=data["export_kind"],
            recipient=data["recipient"],
            expires_at=data["expires_at"],
            expires_tz=form.zone_name,
            actor=request.user,
            reason=data["reason"],
        )
    except ValidationError as error:
        _add_errors(form, error)
        return _page(request, incident, form=form, status=400)
    url = request.build_absolute_uri(reverse("access:share", args=[made.token]))
    # Post/redirect/get, so a reload makes no second link; the URL waits in the session for
    # the one GET that shows it, and is gone from there as soon as it is shown.
    request.session[CREATED_KEY] = {"link": made.link.pk, "url": url}
    return redirect("access:share_links", pk=incident.pk)


@require_POST
@login_required
def revoke_share_link(request, pk: int, link_pk: int):
    """Revoke with a reason; a missing reason or a link already revoked is a 400 with the message."""
    incident = scoped_incident(request, pk)
    link = get_object_or_404(ShareLink.objects.filter(incident=incident), pk=link_pk)
    form = RevokeForm(request.POST)
    if not _may_share(request, incident):
        raise PermissionDenied(_("Your role does not allow revoking share links."))
    if form.is_valid():
        try:
            services.revoke_share_link(link, actor=request.user, reason=form.cleaned_data["reason"])
        except ValidationError as error:
            return _page(request, incident, revoke_errors=error.messages, status=400)
        messages.success(request, _("The link for %(recipient)s is revoked.") % {"recipient": link.recipient})
        return redirect("access:share_links", pk=incident.pk)
    errors = (
        [_("Say why the link is revoked.")] if "reason" in form.errors else [str(m) for m in form.non_field_errors()]
    )
    return _page(request, incident, revoke_errors=errors, status=400)
