"""The exports a share link can name, each a renderer ``(incident) -> HttpResponse``.

The same renderers serve the logged-in URLs and the share links, so a regulator gets exactly
what an officer downloads. A new export (e.g. the timeline) adds its ExportKind value and one
line in ``RENDERERS`` with the dotted path of its renderer; until then the kind cannot be
shared (``is_available``).
"""

from __future__ import annotations

from django.http import HttpResponse
from django.utils import timezone
from django.utils.module_loading import import_string

from access.choices import ExportKind
from evidence.chain import export_stamp
from readers.ics import calendar_for, deadlines_of


def render_deadlines_ics(incident) -> HttpResponse:
    body = calendar_for(
        incident, deadlines_of(incident), stamp=export_stamp(incident.organisation_id), now=timezone.now()
    )
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{incident.reference}-deadlines.ics"'
    return response


RENDERERS: dict[str, str] = {
    ExportKind.DEADLINES_ICS: "readers.exports.render_deadlines_ics",
    ExportKind.AP_ANSWER_SHEET_JSON: "web.incidents.views.render_answer_sheet_json",
    ExportKind.TIMELINE_JSON: "web.evidence.views.render_timeline_json",
    ExportKind.TIMELINE_PDF: "web.evidence.views.render_timeline_pdf",
    ExportKind.TIMELINE_CSV: "web.evidence.views.render_timeline_csv",
    ExportKind.EDPB_JSON: "web.filings.views.render_edpb_json",
}


def is_available(kind: str) -> bool:
    return kind in RENDERERS


def render(kind: str, incident) -> HttpResponse:
    return import_string(RENDERERS[kind])(incident)
