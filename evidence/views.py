"""Timeline, as-of and diff pages, and the timeline exports: JSON, PDF, CSV (issue 5 items 4-6).

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
from django.http import HttpResponse, HttpResponseBadRequest, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from access.choices import AccessAction, ExportKind
from access.log import log_view
from evidence import asof, timeline, timeline_csv, timeline_pdf
from evidence.chain import export_stamp
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


def _export_download(request, pk: int, kind: str):
    """Every member may download a timeline export, as they may read the page; each download is
    logged (fail closed, see access.log) before the renderer runs."""
    incident = _incident(request, pk)
    log_view(request, incident, AccessAction.EXPORT_DOWNLOAD, export_kind=kind)
    return incident


@require_GET
@login_required
def incident_timeline_json(request, pk: int):
    return render_timeline_json(_export_download(request, pk, ExportKind.TIMELINE_JSON))


@require_GET
@login_required
def incident_timeline_pdf(request, pk: int):
    return render_timeline_pdf(_export_download(request, pk, ExportKind.TIMELINE_PDF))


@require_GET
@login_required
def incident_timeline_csv(request, pk: int):
    return render_timeline_csv(_export_download(request, pk, ExportKind.TIMELINE_CSV))


def export_entries(incident) -> list[timeline.Entry]:
    """The entries every timeline export carries (JSON, PDF, CSV; page downloads and share links
    alike): regulator-facing whoever downloads it (legal included), so no legally privileged note
    and none of its history. The one place that chooses what an export may carry."""
    return timeline.incident_timeline(incident, audience=timeline.Audience.REGULATOR)


def render_timeline_json(incident) -> JsonResponse:
    """The timeline export, as the page's download and a regulator's share link both serve it."""
    body = timeline.as_json(incident, export_entries(incident), now=timezone.now())
    # Compact: indenting switches json to its pure-Python encoder, several times slower on large exports.
    return JsonResponse(body, json_dumps_params={"ensure_ascii": False, "separators": (",", ":")})


def _attachment(response: HttpResponse, incident, extension: str, stamp: dict) -> HttpResponse:
    response["Content-Disposition"] = f'attachment; filename="{incident.reference}-timeline.{extension}"'
    # The chain head the file carries, for a reader of the response who does not open the file.
    response["X-BreachTrack-Chain"] = f"{stamp['chain']}; seq={stamp['seq']}; sha256={stamp['sha256']}"
    return response


def render_timeline_pdf(incident) -> HttpResponse:
    """The timeline as printable A4 PDF, in the request's language, times in the default zone."""
    stamp = export_stamp(incident.organisation_id)
    body = timeline_pdf.render(
        incident, export_entries(incident), stamp=stamp, now=timezone.now(), zone=timezone.get_default_timezone()
    )
    return _attachment(HttpResponse(body, content_type="application/pdf"), incident, "pdf", stamp)


def render_timeline_csv(incident) -> HttpResponse:
    """The timeline as CSV (format breachtrack.timeline-csv/1, see evidence.timeline_csv)."""
    stamp = export_stamp(incident.organisation_id)
    body = timeline_csv.render(incident, export_entries(incident), stamp=stamp, now=timezone.now())
    response = HttpResponse(body.encode("utf-8"), content_type="text/csv; charset=utf-8")
    return _attachment(response, incident, "csv", stamp)


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
