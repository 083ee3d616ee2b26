"""Art. 34 over the API: assessments (append-only, the latest per controller is current) and the
numbered content versions of the text sent to data subjects (correctable until a sent wave
froze them; then a correction is a new version). Writes go through ``actions.communications``.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.response import Response

from actions import communications as services
from api import idempotency
from api.parts import (
    ETAG,
    IF_MATCH,
    PRECONDITION_RESPONSES,
    REFUSED,
    IncidentPartsViewSet,
    ScopedRecordViewSet,
    correct_if_match,
    etagged,
    log_read,
)
from api.register import IncidentScopedSerializer, create_part
from api.serializers import RegisterSerializer
from communications.models import CommunicationAssessment, ContentVersion
from incidents.models import IncidentParty


class AssessmentSerializer(RegisterSerializer):
    recorded_by = serializers.CharField(source="recorded_by.username", read_only=True)
    is_current = serializers.SerializerMethodField(help_text=_("The latest assessment recorded for its controller."))

    class Meta:
        model = CommunicationAssessment
        fields = ["id", "controller", *sorted(services.ASSESSMENT_FIELDS), "recorded_by", "recorded_at", "is_current"]
        read_only_fields = fields

    def get_is_current(self, assessment) -> bool:
        current = self.context.get("current_ids")
        return True if current is None else assessment.pk in current


class AssessmentWriteSerializer(IncidentScopedSerializer):
    controller = serializers.PrimaryKeyRelatedField(
        queryset=IncidentParty.objects.none(), help_text=_("The controller (a party to the incident) deciding.")
    )

    class Meta:
        model = CommunicationAssessment
        fields = ["controller", *sorted(services.ASSESSMENT_FIELDS), "reason"]
        extra_kwargs = {"decided_tz": {"required": False}, "authority_decided_tz": {"required": False}}


class ContentVersionSerializer(RegisterSerializer):
    recorded_by = serializers.CharField(source="recorded_by.username", read_only=True)

    class Meta:
        model = ContentVersion
        fields = [
            "id",
            "incident",
            "language",
            "version",
            *sorted(services.CONTENT_FIELDS - {"language"}),
            "is_frozen",
            "recorded_by",
            "recorded_at",
        ]
        read_only_fields = fields


class ContentVersionWriteSerializer(IncidentScopedSerializer):
    class Meta:
        model = ContentVersion
        fields = [*sorted(services.CONTENT_FIELDS), "reason"]


class ContentVersionChangeSerializer(IncidentScopedSerializer):
    class Meta:
        model = ContentVersion
        fields = [*sorted(services.CONTENT_FIELDS - {"language"}), "reason"]


class IncidentCommunicationViewSet(IncidentPartsViewSet):
    @extend_schema(methods=["GET"], responses={200: AssessmentSerializer(many=True)})
    @extend_schema(
        methods=["POST"],
        request=AssessmentWriteSerializer,
        responses={201: AssessmentSerializer, **REFUSED, **idempotency.RESPONSES},
        parameters=[ETAG, idempotency.PARAMETER, idempotency.REPLAYED],
        description="Record a controller's Art. 34 decision; it supersedes the previous one.",
    )
    @action(detail=True, methods=["get", "post"], pagination_class=None)
    def assessments(self, request, pk=None):
        """Every Art. 34 assessment of the incident; the latest per controller is current."""
        if request.method == "POST":
            return create_part(
                self, request, AssessmentWriteSerializer, services.record_assessment, AssessmentSerializer
            )
        incident = self.get_object()
        log_read(request, incident, "assessments")
        rows = list(incident.communication_assessments.select_related("recorded_by").order_by("controller_id", "-pk"))
        current = {}
        for row in rows:
            current.setdefault(row.controller_id, row.pk)  # newest first within each controller
        return Response(AssessmentSerializer(rows, many=True, context={"current_ids": set(current.values())}).data)

    @extend_schema(methods=["GET"], responses={200: ContentVersionSerializer(many=True)})
    @extend_schema(
        methods=["POST"],
        request=ContentVersionWriteSerializer,
        responses={201: ContentVersionSerializer, **REFUSED, **idempotency.RESPONSES},
        parameters=[ETAG, idempotency.PARAMETER, idempotency.REPLAYED],
        description="Add a version of the text; it gets the next number for its language.",
    )
    @action(
        detail=True,
        methods=["get", "post"],
        url_path="content-versions",
        url_name="content-versions",
        pagination_class=None,
    )
    def content_versions(self, request, pk=None):
        """The numbered versions of the text for data subjects, per language, newest first."""
        if request.method == "POST":
            return create_part(
                self, request, ContentVersionWriteSerializer, services.create_content_version, ContentVersionSerializer
            )
        incident = self.get_object()
        log_read(request, incident, "content versions")
        rows = incident.content_versions.select_related("recorded_by").order_by("language", "-version")
        return Response(ContentVersionSerializer(rows, many=True).data)


class ContentVersionViewSet(ScopedRecordViewSet):
    model = ContentVersion
    related = ("incident", "recorded_by")
    serializer_class = ContentVersionSerializer

    @extend_schema(parameters=[ETAG], responses={200: ContentVersionSerializer})
    def retrieve(self, request, pk=None):
        """One content version, with its ETag."""
        content = self.get_object()
        log_read(request, content.incident, f"content version {content.pk}")
        return etagged(ContentVersionSerializer(content).data)

    @extend_schema(
        request=ContentVersionChangeSerializer,
        parameters=[IF_MATCH, ETAG],
        responses={200: ContentVersionSerializer, **PRECONDITION_RESPONSES},
        description="Correct a version no sent wave used; a frozen one needs a new version.",
    )
    def partial_update(self, request, pk=None):
        content = self.get_object()

        return correct_if_match(
            request,
            content,
            change_serializer=ContentVersionChangeSerializer,
            representation=ContentVersionSerializer,
            service=services.update_content_version,
        )
