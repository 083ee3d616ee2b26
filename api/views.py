"""The register over HTTP: incidents (list, read, create, change) and, read-only, each incident's
deadlines, parties, awareness records and estimates.

Every read goes through ``scoping.visible``; every write through the same service function the
web and the admin use (``actions.incidents``), with the request's user as actor and the
``reason`` from the request body. Reading an incident (or part of it) is logged in the access
log, as the web page is.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from access.choices import AccessAction
from access.log import log_view
from actions import incidents as services
from api import idempotency, preconditions, register
from api.permissions import RegisterPermission, may_write_in, writable_organisation
from api.scoping import member_organisation_ids, request_token, visible
from api.serializers import (
    AwarenessSerializer,
    DeadlineSerializer,
    EstimateSerializer,
    IncidentCreateSerializer,
    IncidentSerializer,
    PartySerializer,
)
from incidents.models import Incident
from notifications.models import Deadline
from organisations.models import Organisation

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
    description="The version of the incident in this response: send it back as If-Match to change it.",
)
PRECONDITION_RESPONSES = {
    400: OpenApiResponse(description="Invalid input: field errors, nothing written."),
    412: OpenApiResponse(description="Stale: someone changed the incident since you read it."),
    428: OpenApiResponse(description="If-Match missing."),
}


@extend_schema_view(
    retrieve=extend_schema(parameters=[ETAG]),
    update=extend_schema(parameters=[IF_MATCH, ETAG], responses={200: IncidentSerializer, **PRECONDITION_RESPONSES}),
    partial_update=extend_schema(
        parameters=[IF_MATCH, ETAG], responses={200: IncidentSerializer, **PRECONDITION_RESPONSES}
    ),
    create=extend_schema(
        parameters=[ETAG, idempotency.PARAMETER, idempotency.REPLAYED],
        request=IncidentCreateSerializer,
        responses={201: IncidentSerializer, 400: OpenApiResponse(), **idempotency.RESPONSES},
    ),
)
class IncidentViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = IncidentSerializer
    permission_classes = [RegisterPermission]
    lookup_value_regex = "[0-9]+"

    def get_queryset(self):
        return visible(Incident.objects.all(), self.request).order_by("-created_at", "-pk")

    def _log_read(self, incident, what: str) -> None:
        token = request_token(self.request)
        detail = f"API {what}" + (f", token {token.prefix}" if token else "")
        log_view(self.request, incident, AccessAction.INCIDENT_VIEW, detail=detail)

    def retrieve(self, request, *args, **kwargs):
        incident = self.get_object()
        self._log_read(incident, "incident")
        data = self.get_serializer(incident).data
        return Response(data, headers={"ETag": preconditions.etag_of(data)})

    # --- Writes ------------------------------------------------------------------------------
    def create(self, request, *args, **kwargs):
        if not any(may_write_in(request, organisation) for organisation in member_organisation_ids(request)):
            raise PermissionDenied(_("Your role does not allow this change."))  # before judging the input
        serializer = IncidentCreateSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        fields = dict(serializer.validated_data)
        reason = fields.pop("reason")
        organisation_id = writable_organisation(request, fields.pop("organisation", None))

        def create():
            # Executed once per Idempotency-Key (api.idempotency): a retry never opens a second incident.
            organisation = Organisation.objects.get(pk=organisation_id)
            incident = services.create_incident(organisation=organisation, actor=request.user, reason=reason, **fields)
            data = self.get_serializer(incident).data
            return Response(data, status=status.HTTP_201_CREATED, headers={"ETag": preconditions.etag_of(data)})

        return idempotency.run(request, organisation_id=organisation_id, operation=create)

    def update(self, request, *args, partial=False, **kwargs):
        """Change an incident, only if the client read its current version.

        Steps: find it (404) and check the role (403); require If-Match (428); in one
        transaction, lock the row, compare the ETag of its current representation (412), validate
        the input (400) and call ``update_incident``. A refusal at any step writes nothing.
        """
        incident = self.get_object()
        tags = preconditions.require_if_match(request)
        with transaction.atomic():
            locked = Incident.objects.select_for_update().get(pk=incident.pk)
            preconditions.check_if_match(tags, preconditions.etag_of(self.get_serializer(locked).data))
            serializer = self.get_serializer(locked, data=request.data, partial=partial)
            serializer.is_valid(raise_exception=True)
            changes = dict(serializer.validated_data)
            reason = changes.pop("reason", "")
            if not changes:
                raise serializers.ValidationError({"non_field_errors": [_("Name at least one field to change.")]})
            updated = services.update_incident(locked, actor=request.user, reason=reason, **changes)
        data = self.get_serializer(updated).data
        return Response(data, headers={"ETag": preconditions.etag_of(data)})

    def partial_update(self, request, *args, **kwargs):
        return self.update(request, *args, partial=True, **kwargs)

    # --- Read-only parts of one incident ---------------------------------------------------------
    def _read_part(self, what: str) -> Incident:
        incident = self.get_object()
        self._log_read(incident, what)
        return incident

    @extend_schema(responses=DeadlineSerializer(many=True))
    @action(detail=True, methods=["get"], serializer_class=DeadlineSerializer, pagination_class=None)
    def deadlines(self, request, pk=None):
        rows = Deadline.objects.filter(incident=self._read_part("deadlines")).order_by("due_at", "pk")
        return Response(DeadlineSerializer(rows, many=True, context={"now": timezone.now()}).data)

    @extend_schema(methods=["GET"], responses=PartySerializer(many=True))
    @register.PARTY_CREATE_SCHEMA
    @action(detail=True, methods=["get", "post"], pagination_class=None, serializer_class=PartySerializer)
    def parties(self, request, pk=None):
        if request.method == "POST":
            return register.add_party(self, request)
        rows = self._read_part("parties").parties.select_related("party").order_by("pk")
        return Response(PartySerializer(rows, many=True).data)

    @extend_schema(methods=["GET"], responses=AwarenessSerializer(many=True))
    @register.AWARENESS_CREATE_SCHEMA
    @action(detail=True, methods=["get", "post"], pagination_class=None, serializer_class=AwarenessSerializer)
    def awareness(self, request, pk=None):
        if request.method == "POST":
            return register.record_awareness(self, request)
        rows = self._read_part("awareness").awareness_records.select_related("recorded_by").order_by("aware_at", "pk")
        return Response(AwarenessSerializer(rows, many=True).data)

    @extend_schema(methods=["GET"], responses=EstimateSerializer(many=True))
    @register.ESTIMATE_CREATE_SCHEMA
    @action(detail=True, methods=["get", "post"], pagination_class=None, serializer_class=EstimateSerializer)
    def estimates(self, request, pk=None):
        if request.method == "POST":
            return register.record_estimate(self, request)
        rows = self._read_part("estimates").estimates.select_related("recorded_by").order_by("known_at", "pk")
        return Response(EstimateSerializer(rows, many=True).data)
