"""What the endpoints over one incident's parts share: finding the incident (scoped, 404 for
another organisation's), logging reads as the web pages do, and changing a record only when the
client read its current version (If-Match, checked on the locked rows).
"""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework import serializers, viewsets
from rest_framework.permissions import SAFE_METHODS, IsAuthenticated
from rest_framework.response import Response

from access.choices import AccessAction
from access.log import log_view
from api import preconditions
from api.permissions import RegisterPermission, may_write_in
from api.scoping import request_token, visible
from incidents.models import Incident

# The same header as the incident's (api.views.IF_MATCH, which imports this module): documented
# with the pattern require_if_match enforces, so an empty or unquoted value is invalid input (428).
IF_MATCH = OpenApiParameter(
    "If-Match",
    {"type": "string", "pattern": preconditions.IF_MATCH_PATTERN},
    OpenApiParameter.HEADER,
    required=True,
    description="The ETag of the version you read (from GET). Without it (or with no entity tag): 428; when stale: 412.",
)
ETAG = OpenApiParameter(
    "ETag",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    response=[200, 201],
    description="The version of the record in this response: send it back as If-Match to change it.",
)
REFUSED = {
    400: OpenApiResponse(description="Invalid input: field errors (the field is named), nothing written."),
    403: OpenApiResponse(description="Your role does not allow this change."),
    404: OpenApiResponse(description="No such incident or record in your organisation."),
}
PRECONDITION_RESPONSES = {
    **REFUSED,
    412: OpenApiResponse(description="Stale: someone changed it since you read it."),
    428: OpenApiResponse(description="If-Match missing."),
}


def log_read(request, incident, what: str, action: str = AccessAction.INCIDENT_VIEW, export_kind: str = "") -> None:
    """One access-log row per API read, as the web page writes one (fail closed: access.log)."""
    token = request_token(request)
    detail = f"API {what}" + (f", token {token.prefix}" if token else "")
    log_view(request, incident, action, export_kind=export_kind, detail=detail)


class IncidentPartsViewSet(viewsets.GenericViewSet):
    """Detail actions on ``/api/incidents/{id}/…``: ``get_object`` is the scoped incident."""

    permission_classes = [RegisterPermission]
    lookup_value_regex = "[0-9]+"

    def get_queryset(self):
        return visible(Incident.objects.all(), self.request).select_related("organisation")


class RecordPermission(IsAuthenticated):
    """RegisterPermission for a record of an incident: the incident's organisation decides."""

    def has_object_permission(self, request, view, obj):
        return request.method in SAFE_METHODS or may_write_in(request, obj.incident.organisation_id)


class ScopedRecordViewSet(viewsets.GenericViewSet):
    """``/api/<records>/{id}/``: one record of an incident, found through its tenant manager."""

    permission_classes = [RecordPermission]
    lookup_value_regex = "[0-9]+"
    model = None  # set by each subclass
    related = ("incident",)

    def get_queryset(self):
        return visible(self.model.objects.all(), self.request).select_related(*self.related)


def etagged(data, status: int = 200) -> Response:
    return Response(data, status=status, headers={"ETag": preconditions.etag_of(data)})


def change_if_match(request, record, representation, write) -> Response:
    """Apply ``write(locked_record)`` only if the client read the record's current version.

    Steps: require If-Match (428); in one transaction, lock the incident, then the record (the
    order the services lock in, so two writers cannot deadlock); compare the ETag of the locked
    record's representation (412); call ``write`` (whose service validates: 400, nothing
    written). ``representation(record)`` is the serializer data the ETag is taken of.
    """
    tags = preconditions.require_if_match(request)
    with transaction.atomic():
        incident_id = record.pk if isinstance(record, Incident) else record.incident_id
        Incident.objects.select_for_update().get(pk=incident_id)
        locked = type(record).objects.select_for_update().get(pk=record.pk)
        preconditions.check_if_match(tags, preconditions.etag_of(representation(locked)))
        updated = write(locked)
    return etagged(representation(updated))


def correct_if_match(request, record, *, change_serializer, representation, service) -> Response:
    """A PATCH that corrects ``record`` through ``service``, under If-Match (``change_if_match``).

    ``change_serializer`` validates the body against the locked record's incident and gives
    ``(changes, reason)``; a body that names no field to change is a 400.
    """

    def write(locked):
        serializer = change_serializer(data=request.data, partial=True, incident=locked.incident)
        serializer.is_valid(raise_exception=True)
        changes, reason = serializer.write_arguments()
        if not changes:
            raise serializers.ValidationError({"non_field_errors": [_("Name at least one field to change.")]})
        return service(locked, actor=request.user, reason=reason, **changes)

    return change_if_match(request, record, lambda row: representation(row).data, write)
