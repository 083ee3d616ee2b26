"""Timeline, as-of and diff pages, and the timeline exports: JSON, PDF, CSV.

Read-only, for every member of the incident's organisation (officers, legal, viewers): the
incident is fetched through ``visible_to(request.user)``, so another organisation's id is a 404.
The timeline page shows legally privileged notes only to the roles that may read them
(``timeline.Audience.for_reader``); the JSON export never carries them.
A bad ``at`` (unparseable, a local time that does not exist in the reader's zone, one that
happens twice there without saying which, or an instant in the future) is a 400: the picker
again, with a message naming the field (and, for a time that happens twice, the choice).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from access.choices import AccessAction, ExportKind
from access.log import log_view
from breachtrack.memory import cycle_collection_paused
from evidence.chain import export_stamp
from incidents.models import Incident
from incidents.models.incident import earliest_instant, future_limit
from readers import asof, regulator_summary, review, timeline, timeline_csv, timeline_pdf
from rules import timeinput
from web.evidence.forms import TimelineFilterForm

DEFAULT_ZONE = "Europe/Amsterdam"  # the zone a datetime-local value without offset is read in
TIMELINE_PAGE_SIZE = 100  # entries a timeline page renders; the filters run over all of them


class BadInstant(ValueError):
    def __init__(self, message, *, code: str = "invalid"):
        super().__init__(message)
        self.code = code  # "ambiguous": the page asks which of the two instants is meant


def parse_instant(
    value: str | None, *, name: str, now: datetime, zone_name: str = DEFAULT_ZONE, fold: str | None = None
) -> datetime:
    """An ``at`` parameter as a UTC instant: ISO 8601 with an offset, or a datetime-local value
    read in ``zone_name`` (refused when it does not exist there, or when it happens twice and
    ``fold`` -- "earlier" or "later" -- does not say which); never in the future."""
    if not value:
        raise BadInstant(_("Give %(name)s as a date and time.") % {"name": name}, code="required")
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise BadInstant(_("%(name)s: %(value)s is not a date and time.") % {"name": name, "value": value}) from None
    if parsed.tzinfo is None:
        if fold not in (None, "", "earlier", "later"):
            raise BadInstant(_("%(name)s: say earlier or later.") % {"name": name})
        try:
            parsed = timeinput.local_to_utc(parsed, zone_name, fold or None)
        except timeinput.NonExistentLocalTime:
            raise BadInstant(
                _("%(name)s: %(value)s does not exist in %(zone)s (the clocks moved forward).")
                % {"name": name, "value": value, "zone": zone_name},
                code="nonexistent",
            ) from None
        except timeinput.AmbiguousLocalTime:
            raise BadInstant(
                _(
                    "%(name)s: %(value)s happens twice in %(zone)s (the clocks moved back): "
                    "choose the earlier (summer time) or the later (winter time)."
                )
                % {"name": name, "value": value, "zone": zone_name},
                code="ambiguous",
            ) from None
        except timeinput.OutOfRangeLocalTime:
            raise BadInstant(
                _("%(name)s: %(value)s lies outside the dates this register can hold.")
                % {"name": name, "value": value},
                code="out_of_range",
            ) from None
    if parsed < earliest_instant():
        raise BadInstant(
            _("%(name)s lies before %(earliest)s, before anything in this register.")
            % {"name": name, "earliest": earliest_instant().isoformat()},
            code="too_early",
        )
    if parsed > future_limit(now):
        raise BadInstant(_("%(name)s lies in the future.") % {"name": name}, code="future")
    return parsed


def _incident(request, pk: int) -> Incident:
    return get_object_or_404(Incident.objects.visible_to(request.user).select_related("organisation"), pk=pk)


@require_GET
@login_required
def incident_timeline(request, pk: int):
    """The timeline, filtered server-side by the GET parameters, 100 entries a page.

    Queries: the incident, the audience check, the log insert, the timeline's fixed set and the
    incident's parties (one): the filters and the paging run in memory over the built list.
    """
    incident = _incident(request, pk)
    log_view(request, incident, AccessAction.TIMELINE_VIEW)
    audience = timeline.Audience.for_reader(request.user, incident.organisation)
    entries = timeline.incident_timeline(incident, audience=audience)
    form = TimelineFilterForm(
        request.GET,
        parties=_party_choices(incident),
        actors=review.actors_of(entries),
        zone_name=timezone.get_current_timezone_name(),
    )
    status = 200
    if form.is_valid():
        entries = review.filter_entries(entries, form.filters())
    else:
        entries, status = [], 400
    page = Paginator(entries, TIMELINE_PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "incident": incident,
        "page": page,
        "entries": page.object_list,
        "rows": zip(page.object_list, timeline.change_words(list(page.object_list)), strict=True),
        "audience": audience,
        "form": form,
        "filter_query": query.urlencode(),
        "is_filtered": form.is_valid() and form.filters().is_active,
        "kind_labels": review.KIND_LABELS,
        "exports": export_panel(incident),
        "zone": timezone.get_current_timezone_name(),
    }
    return render(request, "evidence/timeline.html", context, status=status)


def _party_choices(incident) -> list[tuple[int, str, str]]:
    """The incident's parties: id, directory name, and the label with the role (one query)."""
    rows = incident.parties.select_related("party").order_by("role", "pk")
    return [(row.pk, str(row.party.name), f"{row.party.name} ({row.get_role_display()})") for row in rows]


def export_panel(incident) -> list[dict]:
    """The exports of an incident, each with its URL and what it carries (for the exports panel)."""
    from django.urls import reverse

    return [
        {
            "name": _("PDF"),
            "url": reverse("evidence:timeline_pdf", args=[incident.pk]),
            "kind": "pdf",
            "contains": _(
                "The whole timeline on A4 pages for reading and printing: both instants of every entry, "
                "who recorded it and why, each change as old → new, the evidence-chain head in every footer."
            ),
        },
        {
            "name": _("CSV"),
            "url": reverse("evidence:timeline_csv", args=[incident.pk]),
            "kind": "csv",
            "contains": _(
                "The same entries for a spreadsheet (UTF-8, one row per changed field), headed by the "
                "organisation, the incident and the evidence-chain head."
            ),
        },
        {
            "name": _("JSON"),
            "url": reverse("evidence:timeline_json", args=[incident.pk]),
            "kind": "json",
            "contains": _(
                "The same entries for software (schema breachtrack.timeline/2), instants in UTC, "
                "with the evidence-chain head and its latest time-stamp anchor, and each deadline with "
                "its outer bound under Reg. 1182/71."
            ),
        },
        {
            "name": _("iCalendar"),
            "url": reverse("access:deadlines_ics", args=[incident.pk]),
            "kind": "ics",
            "contains": _(
                "The incident's legal deadlines (Art. 33 and 34) as calendar events, for a calendar program."
            ),
        },
    ]


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


def export_entries(incident, rows: dict | None = None) -> list[timeline.Entry]:
    """The entries every timeline export carries (JSON, PDF, CSV; page downloads and share links
    alike): regulator-facing whoever downloads it (legal included), so no legally privileged note
    and none of its history. The one place that chooses what an export may carry. ``rows``: the
    history already read (``timeline.load_rows``), shared with the export's regulator's summary."""
    return timeline.incident_timeline(incident, audience=timeline.Audience.REGULATOR, rows=rows)


def _export_summary(incident, now, rows: dict):
    """The regulator's summary of an export, from the history rows its timeline reads (the
    history is read once per export, not once for the entries and again for the summary)."""
    return regulator_summary.regulator_summary(incident, now, rows=rows)


@cycle_collection_paused()
def render_timeline_json(incident) -> HttpResponse:
    """The timeline export, as the page's download and a regulator's share link both serve it."""
    now = timezone.now()
    rows = timeline.load_rows(incident)
    # The regulator's summary: who knew when, when each 72 h ended, what was filed when.
    summary = regulator_summary.summary_json(_export_summary(incident, now, rows))
    # Compact (indenting switches json to its pure-Python encoder, several times slower on large
    # exports), and written a few hundred entries at a time (timeline.json_text).
    body = timeline.json_text(incident, export_entries(incident, rows), now=now, summary=summary)
    return HttpResponse(body.encode("utf-8"), content_type="application/json")


def _attachment(response: HttpResponse, incident, extension: str, stamp: dict) -> HttpResponse:
    response["Content-Disposition"] = f'attachment; filename="{incident.reference}-timeline.{extension}"'
    # The chain head the file carries, for a reader of the response who does not open the file.
    response["X-BreachTrack-Chain"] = f"{stamp['chain']}; seq={stamp['seq']}; sha256={stamp['sha256']}"
    return response


@cycle_collection_paused()
def render_timeline_pdf(incident) -> HttpResponse:
    """The timeline as printable A4 PDF, in the request's language, times in the default zone."""
    stamp = export_stamp(incident.organisation_id)
    now, zone = timezone.now(), timezone.get_default_timezone()
    rows = timeline.load_rows(incident)
    with timezone.override(zone):  # the summaries' times in the zone the PDF prints
        summary = regulator_summary.summary_lines(_export_summary(incident, now, rows))
        entries = export_entries(incident, rows)
    body = timeline_pdf.render(incident, entries, stamp=stamp, now=now, zone=zone, summary=summary)
    return _attachment(HttpResponse(body, content_type="application/pdf"), incident, "pdf", stamp)


@cycle_collection_paused()
def render_timeline_csv(incident) -> HttpResponse:
    """The timeline as CSV (format breachtrack.timeline-csv/1, see readers.timeline_csv)."""
    stamp = export_stamp(incident.organisation_id)
    now = timezone.now()
    rows = timeline.load_rows(incident)
    summary = regulator_summary.summary_lines(_export_summary(incident, now, rows))
    body = timeline_csv.render(incident, export_entries(incident, rows), stamp=stamp, now=now, summary=summary)
    response = HttpResponse(body.encode("utf-8"), content_type="text/csv; charset=utf-8")
    return _attachment(response, incident, "csv", stamp)


NOW_WORDS = ("now", "nu")  # typed or sent as a value: this moment


def _instant_param(request, name: str, *, now: datetime, default: datetime | None = None) -> datetime:
    """The instant a picker sends: absent -> ``default`` (if any), "now" -> ``now``, else parsed.

    A datetime-local value has minutes only: the current minute, typed as "now", is read as
    ``now`` rather than refused as a few seconds in the future.
    """
    value = request.GET.get(name)
    if value is None and default is not None:
        return default
    if value is not None and value.strip().casefold() in NOW_WORDS:
        return now
    found = parse_instant(
        value,
        name=name,
        now=now,
        zone_name=timezone.get_current_timezone_name(),
        fold=request.GET.get(f"{name}_fold"),
    )
    return min(found, now) if now < found < now + timedelta(minutes=1) else found


def _local_value(instant: datetime) -> str:
    """An instant as the value of a datetime-local input in the reader's zone (minutes)."""
    return f"{timezone.localtime(instant):%Y-%m-%dT%H:%M}"


def _picker_values(request, **defaults: datetime) -> dict:
    """The pickers' values: what the reader sent, else the defaults as local times."""
    values = {name: _local_value(instant) for name, instant in defaults.items()}
    values.update({key: value for key, value in request.GET.items()})
    return values


def _basis(request) -> str:
    basis = request.GET.get("basis") or asof.RECORDED
    if basis not in asof.BASES:
        raise BadInstant(_("Choose when it happened or when it was written down."), code="basis")
    return basis


def _picker_error(request, incident, template: str, error: BadInstant, field: str, context: dict, values=None):
    """The picker again, with the message (escaped by the template) and, for a time that happens
    twice, the choice between the two: 400, nothing else shown."""
    context.update(
        {
            "incident": incident,
            "error": str(error),
            "error_field": field,
            "ask_fold": error.code == "ambiguous",
            "zone": timezone.get_current_timezone_name(),
            "values": request.GET if values is None else values,
        }
    )
    return render(request, template, context, status=400)


@require_GET
@login_required
def register_as_of(request, pk: int):
    """The register at ``at`` (a local time in the reader's zone, ISO 8601 with an offset, or
    "now", the default): as written down by then (``basis=recorded``, the default), or what had
    happened by then as known today (``basis=occurred``)."""
    incident = _incident(request, pk)
    now = timezone.now()
    values = _picker_values(request, at=now)
    try:
        at = _instant_param(request, "at", now=now, default=now)
        basis = _basis(request)
    except BadInstant as error:
        field = "basis" if error.code == "basis" else "at"
        return _picker_error(request, incident, "evidence/as_of.html", error, field, {"r": None}, values)
    log_view(request, incident, AccessAction.TIMELINE_VIEW, detail=f"as of {at.isoformat()} ({basis})")
    register = asof.register_as_of(incident, at, basis=basis)
    context = {
        "incident": incident,
        "r": register,
        "basis": basis,
        "zone": timezone.get_current_timezone_name(),
        "values": values,
    }
    return render(request, "evidence/as_of.html", context)


DIFF_DEFAULT_SPAN = timedelta(days=1)  # with no "from", the diff shows the last day


@require_GET
@login_required
def register_diff(request, pk: int):
    """What changed between ``from`` and ``to`` (defaults: a day ago, and now): one row per
    field, with who, when and why; an added or removed record shows what it held."""
    incident = _incident(request, pk)
    now = timezone.now()
    since = max(now - DIFF_DEFAULT_SPAN, min(incident.created_at, now))
    values = _picker_values(request, **{"from": since, "to": now})
    field = "from"
    try:
        t1 = _instant_param(request, "from", now=now, default=since)
        field = "to"
        t2 = _instant_param(request, "to", now=now, default=now)
    except BadInstant as error:
        return _picker_error(request, incident, "evidence/diff.html", error, field, {"rows": None}, values)
    log_view(request, incident, AccessAction.TIMELINE_VIEW, detail=f"diff {t1.isoformat()} .. {t2.isoformat()}")
    rows = review.diff_rows(asof.diff_as_of(incident, t1, t2))
    context = {
        "incident": incident,
        "rows": rows,
        "t1": min(t1, t2),
        "t2": max(t1, t2),
        "zone": timezone.get_current_timezone_name(),
        "values": values,
    }
    return render(request, "evidence/diff.html", context)
