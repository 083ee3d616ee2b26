"""Timeline, as-of and diff pages, and the JSON timeline export (issue 5 items 4-6).

Read-only, for every member of the incident's organisation (officers, legal, viewers): the
incident is fetched through ``visible_to(request.user)``, so another organisation's id is a 404.
The timeline page shows legally privileged notes only to the roles that may read them
(``timeline.Audience.for_reader``); the JSON export never carries them.
A bad ``at`` (unparseable, a local time that does not exist or happens twice in the reader's
zone, or an instant in the future) is a 400 that says what is wrong.
"""

from __future__ import annotations

from datetime import datetime

from django.contrib.auth.decorators import login_required
from django.http import HttpResponseBadRequest, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from access.choices import AccessAction, ExportKind
from access.log import log_view
from evidence import asof, timeline
from incidents import timeinput
from incidents.models import Incident
from incidents.models.incident import future_limit

DEFAULT_ZONE = "Europe/Amsterdam"  # the zone a datetime-local value without offset is read in


class BadInstant(ValueError):
    pass


def parse_instant(value: str | None, *, name: str, now: datetime, zone_name: str = DEFAULT_ZONE) -> datetime:
    """An ``at`` parameter as a UTC instant: ISO 8601 with an offset, or a datetime-local value
    read in ``zone_name`` (refused when it does not exist or is ambiguous there); never in the future."""
    if not value:
        raise BadInstant(_("Give %(name)s as a date and time.") % {"name": name})
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise BadInstant(_("%(name)s: %(value)s is not a date and time.") % {"name": name, "value": value}) from None
    if parsed.tzinfo is None:
        try:
            parsed = timeinput.local_to_utc(parsed, zone_name)
        except timeinput.NonExistentLocalTime:
            raise BadInstant(_("%(name)s: %(value)s does not exist in %(zone)s (the clocks moved forward).")
                             % {"name": name, "value": value, "zone": zone_name}) from None
        except timeinput.AmbiguousLocalTime:
            raise BadInstant(_("%(name)s: %(value)s happens twice in %(zone)s (the clocks moved back): "
                               "give it with its UTC offset.") % {"name": name, "value": value, "zone": zone_name}) from None
    if parsed > future_limit(now):
        raise BadInstant(_("%(name)s lies in the future.") % {"name": name})
    return parsed


def _bad_request(error: BadInstant) -> HttpResponseBadRequest:
    # Plain text: the message quotes the value the reader typed, which must never be read as HTML.
    return HttpResponseBadRequest(str(error), content_type="text/plain; charset=utf-8")


def _incident(request, pk: int) -> Incident:
    return get_object_or_404(Incident.objects.visible_to(request.user).select_related("organisation"), pk=pk)


@require_GET
@login_required
def incident_timeline(request, pk: int):
    incident = _incident(request, pk)
    log_view(request, incident, AccessAction.TIMELINE_VIEW)
    audience = timeline.Audience.for_reader(request.user, incident.organisation)
    entries = timeline.incident_timeline(incident, audience=audience)
    return render(request, "evidence/timeline.html", {"incident": incident, "entries": entries, "audience": audience})


@require_GET
@login_required
def incident_timeline_json(request, pk: int):
    incident = _incident(request, pk)
    log_view(request, incident, AccessAction.EXPORT_DOWNLOAD, export_kind=ExportKind.TIMELINE_JSON)
    return render_timeline_json(incident)


def render_timeline_json(incident) -> JsonResponse:
    """The timeline export, as the page's download and a regulator's share link both serve it.

    Regulator-facing whoever downloads it (legal included): no legally privileged note, none of
    its history. Other exports of the timeline build from the same call.
    """
    entries = timeline.incident_timeline(incident, audience=timeline.Audience.REGULATOR)
    body = timeline.as_json(incident, entries, now=timezone.now())
    # Compact: indenting switches json to its pure-Python encoder, several times slower on large exports.
    return JsonResponse(body, json_dumps_params={"ensure_ascii": False, "separators": (",", ":")})


@require_GET
@login_required
def register_as_of(request, pk: int):
    incident = _incident(request, pk)
    try:
        at = parse_instant(request.GET.get("at"), name="at", now=timezone.now())
    except BadInstant as error:
        return _bad_request(error)
    log_view(request, incident, AccessAction.TIMELINE_VIEW, detail=f"as of {at.isoformat()}")
    register = asof.register_as_of(incident, at)
    return render(request, "evidence/as_of.html", {"incident": incident, "r": register})


@require_GET
@login_required
def register_diff(request, pk: int):
    incident = _incident(request, pk)
    now = timezone.now()
    try:
        t1 = parse_instant(request.GET.get("from"), name="from", now=now)
        t2 = parse_instant(request.GET.get("to"), name="to", now=now)
    except BadInstant as error:
        return _bad_request(error)
    log_view(request, incident, AccessAction.TIMELINE_VIEW, detail=f"diff {t1.isoformat()} .. {t2.isoformat()}")
    diffs = asof.diff_as_of(incident, t1, t2)
    return render(request, "evidence/diff.html", {"incident": incident, "diffs": diffs, "t1": min(t1, t2), "t2": max(t1, t2)})
