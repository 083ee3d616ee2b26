"""The timeline and the exports over the API.

``/timeline/`` is the timeline page as JSON, for the reader it is: legally privileged notes are
in it (flagged) only when the *request's* role may read them. That is the token's role for a
token, so an officer's read-only (viewer) token never sees a privileged note, whatever its
user could see in the browser.

The downloads (timeline JSON, PDF, CSV; deadlines iCalendar) are the very files the web page and
a regulator's share link serve (``readers.exports.render``, whose timeline renderers all take
their entries from ``web.evidence.views.export_entries``: regulator audience, no privileged note for
anyone). Every read and download is logged in the access log before it is served.
"""

from __future__ import annotations

from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.response import Response

from access.choices import AccessAction, ExportKind
from api.parts import IncidentPartsViewSet, log_read
from api.scoping import role_in
from readers import exports, timeline
from readers.answer_sheet import UnknownFiling, controllers_of, default_controller, sheet_for
from readers.notes import PRIVILEGE_READ_ROLES, may_read_privileged
from readers.register import register_view
from rules.awareness import earliest_awareness

NOT_FOUND = {404: OpenApiResponse(description="No such incident in your organisation.")}


def audience_for(request, incident) -> timeline.Audience:
    """INTERNAL only when both the request's role and the user may read privileged notes."""
    if role_in(request, incident.organisation_id) in PRIVILEGE_READ_ROLES and may_read_privileged(
        request.user, incident.organisation
    ):
        return timeline.Audience.INTERNAL
    return timeline.Audience.INTERNAL_UNPRIVILEGED


class ChangeSerializer(serializers.Serializer):
    field = serializers.CharField()
    old = serializers.JSONField(allow_null=True)
    new = serializers.JSONField(allow_null=True)


class ObjectSerializer(serializers.Serializer):
    model = serializers.CharField()
    id = serializers.IntegerField()


class TimelineEntrySerializer(serializers.Serializer):
    """Documents ``readers.timeline.entry_json`` (plus the privileged flag); never used to render."""

    event_at = serializers.DateTimeField()
    recorded_at = serializers.DateTimeField()
    kind = serializers.CharField()
    summary = serializers.CharField()
    actor = serializers.CharField()
    reason = serializers.CharField()
    object = ObjectSerializer()
    changes = ChangeSerializer(many=True)
    is_privileged = serializers.BooleanField(
        help_text="A legally privileged note or its history (officers and legal only)."
    )


class TimelineSerializer(serializers.Serializer):
    incident = serializers.IntegerField()
    audience = serializers.ChoiceField(
        choices=[a.value for a in (timeline.Audience.INTERNAL, timeline.Audience.INTERNAL_UNPRIVILEGED)]
    )
    entries = TimelineEntrySerializer(many=True)


def _file_renderer(media_type: str, name: str, file_format: str):
    """Lets a client ask for the file's type in Accept (instead of a 406); the file itself is a
    Django response and bypasses it."""
    return type(
        name,
        (BaseRenderer,),
        {"media_type": media_type, "format": file_format, "render": lambda self, data, *a, **k: data},
    )


PdfRenderer = _file_renderer("application/pdf", "PdfRenderer", "pdf")
CsvRenderer = _file_renderer("text/csv", "CsvRenderer", "csv")
CalendarRenderer = _file_renderer("text/calendar", "CalendarRenderer", "ics")

DOWNLOADS = {
    ExportKind.TIMELINE_JSON: ("application/json", OpenApiTypes.OBJECT),
    ExportKind.TIMELINE_PDF: ("application/pdf", OpenApiTypes.BINARY),
    ExportKind.TIMELINE_CSV: ("text/csv", OpenApiTypes.STR),
    ExportKind.DEADLINES_ICS: ("text/calendar", OpenApiTypes.STR),
    ExportKind.AP_ANSWER_SHEET_JSON: ("application/json", OpenApiTypes.OBJECT),
    ExportKind.EDPB_JSON: ("application/json", OpenApiTypes.OBJECT),
}
SHEET_PARAMETERS = [
    OpenApiParameter(
        "party",
        OpenApiTypes.INT,
        OpenApiParameter.QUERY,
        description="The id of the incident's controller whose filing it is; left out: your organisation's own party.",
    ),
    OpenApiParameter(
        "filing",
        OpenApiTypes.INT,
        OpenApiParameter.QUERY,
        description="A filing already recorded (of that party): the sheet as it stood then, judged at its submission.",
    ),
]


def _download_schema(kind: str, description: str):
    media_type, body = DOWNLOADS[kind]
    return extend_schema(
        description=description,
        responses={(200, media_type): OpenApiResponse(response=body, description=description), **NOT_FOUND},
    )


class StrictFormatNegotiation(DefaultContentNegotiation):
    """``?format=`` names a format or is left out: an empty one is refused like an unknown one (404).

    DRF ignores an empty ``format`` and answers by the Accept header; the schema documents the
    parameter as one of the formats (an enum), so an empty value is invalid input, not "any".
    """

    def select_renderer(self, request, renderers, format_suffix=None):
        param = self.settings.URL_FORMAT_OVERRIDE
        if not format_suffix and param and param in request.query_params and not request.query_params[param]:
            raise Http404
        return super().select_renderer(request, renderers, format_suffix)


class IncidentEvidenceViewSet(IncidentPartsViewSet):
    content_negotiation_class = StrictFormatNegotiation

    def finalize_response(self, request, response, *args, **kwargs):
        # Errors are always JSON, even when the client accepted only the file's type.
        if isinstance(response, Response):
            request.accepted_renderer, request.accepted_media_type = JSONRenderer(), JSONRenderer.media_type
        return super().finalize_response(request, response, *args, **kwargs)

    @extend_schema(responses={200: TimelineSerializer, **NOT_FOUND})
    @action(detail=True, methods=["get"])
    def timeline(self, request, pk=None):
        """The incident's timeline; legally privileged notes only for officers and legal (flagged)."""
        incident = self.get_object()
        log_read(request, incident, "timeline", AccessAction.TIMELINE_VIEW)
        audience = audience_for(request, incident)
        entries = timeline.incident_timeline(incident, audience=audience)
        return Response(
            {
                "incident": incident.pk,
                "audience": audience.value,
                "entries": [{**timeline.entry_json(entry), "is_privileged": entry.is_privileged} for entry in entries],
            }
        )

    def _download(self, request, kind: str):
        incident = self.get_object()
        log_read(request, incident, f"download {kind}", AccessAction.EXPORT_DOWNLOAD, export_kind=kind)
        return exports.render(kind, incident)

    @_download_schema(
        ExportKind.TIMELINE_JSON, "The timeline export (breachtrack.timeline/2), as a share link serves it."
    )
    @action(detail=True, methods=["get"], url_path="exports/timeline-json", url_name="timeline-json")
    def timeline_json(self, request, pk=None):
        return self._download(request, ExportKind.TIMELINE_JSON)

    @_download_schema(
        ExportKind.EDPB_JSON,
        "Every filing of the incident in the EDPB notification template (edpb-breach-notification/1.0), with the "
        "template fields each leaves empty, as a share link serves it.",
    )
    @action(detail=True, methods=["get"], url_path="exports/edpb-json", url_name="edpb-json")
    def edpb_json(self, request, pk=None):
        return self._download(request, ExportKind.EDPB_JSON)

    @_download_schema(ExportKind.TIMELINE_PDF, "The timeline as printable A4 PDF.")
    @action(
        detail=True,
        methods=["get"],
        url_path="exports/timeline-pdf",
        url_name="timeline-pdf",
        renderer_classes=[JSONRenderer, PdfRenderer],
    )
    def timeline_pdf(self, request, pk=None):
        return self._download(request, ExportKind.TIMELINE_PDF)

    @_download_schema(ExportKind.TIMELINE_CSV, "The timeline as CSV (breachtrack.timeline-csv/1).")
    @action(
        detail=True,
        methods=["get"],
        url_path="exports/timeline-csv",
        url_name="timeline-csv",
        renderer_classes=[JSONRenderer, CsvRenderer],
    )
    def timeline_csv(self, request, pk=None):
        return self._download(request, ExportKind.TIMELINE_CSV)

    @_download_schema(ExportKind.DEADLINES_ICS, "The incident's deadlines as an iCalendar file.")
    @action(
        detail=True,
        methods=["get"],
        url_path="exports/deadlines-ics",
        url_name="deadlines-ics",
        renderer_classes=[JSONRenderer, CalendarRenderer],
    )
    def deadlines_ics(self, request, pk=None):
        return self._download(request, ExportKind.DEADLINES_ICS)

    @_download_schema(
        ExportKind.AP_ANSWER_SHEET_JSON,
        "The AP notification form answered from the register (breachtrack.ap-answer-sheet), for one controller's "
        "next filing or a filing recorded; its due_at is that controller's 72-hour deadline (Art. 33(1)).",
    )
    @extend_schema(parameters=SHEET_PARAMETERS)
    @action(detail=True, methods=["get"], url_path="exports/answer-sheet-json", url_name="answer-sheet-json")
    def answer_sheet_json(self, request, pk=None):
        incident = self.get_object()
        now = timezone.now()
        register = register_view(incident, now=now)
        if request.query_params.get("party"):
            # A controller of this incident: the sheet is a controller's filing (never a processor's).
            party = next(
                (p for p in controllers_of(register.parties) if str(p.pk) == request.query_params["party"]), None
            )
            if party is None:
                raise NotFound(_("No such controller on this incident."))
        else:
            # As on the page: the controller being filed for, never the processor's own clock.
            party = default_controller(register.parties, earliest_awareness(register.awareness))
        try:
            sheet = sheet_for(register, party, filing_pk=request.query_params.get("filing"), now=now)
        except UnknownFiling:
            raise NotFound(_("No such filing of this party.")) from None
        log_read(
            request,
            incident,
            f"download {ExportKind.AP_ANSWER_SHEET_JSON} {request.query_params.urlencode()}".strip(),
            AccessAction.EXPORT_DOWNLOAD,
            export_kind=ExportKind.AP_ANSWER_SHEET_JSON,
        )
        return Response(sheet.as_json())
