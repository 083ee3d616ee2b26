"""The extortion facts of an incident over HTTP (``actions.extortion``, docs/domain.md#extortion).

``/api/incidents/{incident_pk}/threats/``: list, record a threat actor's demand
(``record_threat``); ``…/threats/{threat_pk}/countdown-revisions/``: the countdown as the threat
actor set, extended, shortened, renewed or withdrew it, in the order it was made: list, add one
(``revise_countdown``; kind ``withdrawn``: ``withdraw_countdown``); the latest deadline drives the
operational countdown clock, never a legal one. ``…/publications/``: list, record a leak
(``record_publication``: raises the Art. 34 reassessment flag).
"""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers

from actions import extortion as services
from api.filings import INCIDENT_PK
from api.processors import records_schema
from api.records import IncidentRecordsViewSet
from api.register import IncidentScopedSerializer
from api.serializers import RegisterSerializer
from incidents.choices import CountdownRevisionKind
from incidents.models import ExtortionCountdown, ExtortionThreat, Publication

THREAT_PK = OpenApiParameter("threat_pk", OpenApiTypes.INT, OpenApiParameter.PATH, description="The threat's id.")

# --- Threats -----------------------------------------------------------------------------------


class ThreatSerializer(RegisterSerializer):
    recorded_by = serializers.CharField(source="recorded_by.username", read_only=True)

    class Meta:
        model = ExtortionThreat
        fields = [
            "id",
            "incident",
            *sorted(services.THREAT_FIELDS),
            *sorted(services.PAYMENT_FIELDS),
            *sorted(services.POLICE_FIELDS),
            "recorded_by",
            "recorded_at",
        ]
        read_only_fields = fields


class ThreatInput(IncidentScopedSerializer):
    class Meta:
        model = ExtortionThreat
        fields = [*sorted(services.THREAT_FIELDS), "reason"]
        extra_kwargs = {"first_contact_tz": {"required": False}}


@extend_schema(parameters=[INCIDENT_PK])
@records_schema(
    ThreatSerializer,
    ThreatInput,
    "Record a threat actor's demand: who, first contact (not before the breach started), channel, amount.",
)
class ThreatViewSet(IncidentRecordsViewSet):
    queryset = ExtortionThreat.objects.none()  # for the schema; rows come from rows()
    serializer_class = ThreatSerializer
    representation = ThreatSerializer
    input_serializer = ThreatInput
    what = "extortion threats"

    def rows(self):
        return ExtortionThreat.objects.filter(incident=self.incident()).select_related("recorded_by")

    def write(self, incident, fields, reason):
        return services.record_threat(incident, actor=self.request.user, reason=reason, **fields)


# --- The countdown -----------------------------------------------------------------------------


class RevisionSerializer(RegisterSerializer):
    recorded_by = serializers.CharField(source="recorded_by.username", read_only=True)
    starts_clock = serializers.BooleanField(
        read_only=True, help_text=_("Its deadline had not passed when it was recorded: it drives the countdown clock.")
    )

    class Meta:
        model = ExtortionCountdown
        fields = [
            "id",
            "threat",
            "kind",
            *sorted(services.REVISION_FIELDS),
            "starts_clock",
            "recorded_by",
            "recorded_at",
        ]
        read_only_fields = fields


class RevisionInput(IncidentScopedSerializer):
    class Meta:
        model = ExtortionCountdown
        fields = ["kind", *sorted(services.REVISION_FIELDS), "reason"]
        extra_kwargs = {
            "announced_tz": {"required": False},
            "deadline_tz": {"required": False},
            "deadline_at": {
                "required": False,
                "allow_null": True,
                "help_text": _("The threat actor's new deadline; leave out (or null) for a withdrawal."),
            },
        }


@extend_schema(parameters=[INCIDENT_PK, THREAT_PK])
@records_schema(
    RevisionSerializer,
    RevisionInput,
    "Record the countdown being set, extended, shortened, renewed after a payment or withdrawn "
    "(kind), in the order the threat actor made the revisions. A deadline that already passed is "
    "kept as history and starts no clock.",
)
class CountdownRevisionViewSet(IncidentRecordsViewSet):
    queryset = ExtortionCountdown.objects.none()
    serializer_class = RevisionSerializer
    representation = RevisionSerializer
    input_serializer = RevisionInput
    what = "countdown revisions"

    def threat(self) -> ExtortionThreat:
        threats = ExtortionThreat.objects.filter(incident=self.incident()).select_related("incident__organisation")
        return get_object_or_404(threats, pk=self.kwargs["threat_pk"])

    def rows(self):
        return ExtortionCountdown.objects.filter(threat=self.threat()).select_related("recorded_by")

    def write(self, incident, fields, reason):
        threat, kind = self.threat(), fields.pop("kind")
        if kind == CountdownRevisionKind.WITHDRAWN:
            return services.withdraw_countdown(threat, actor=self.request.user, reason=reason, **fields)
        return services.revise_countdown(threat, kind=kind, actor=self.request.user, reason=reason, **fields)

    def create(self, request, *args, **kwargs):
        self.require_writer()
        self.threat()  # another incident's threat: 404 before the input is judged
        return super().create(request, *args, **kwargs)


# --- Publications ------------------------------------------------------------------------------


class PublicationSerializer(RegisterSerializer):
    recorded_by = serializers.CharField(source="recorded_by.username", read_only=True)
    needs_risk_reassessment = serializers.BooleanField(
        read_only=True, help_text=_("The Art. 34 risk has not been reassessed since this publication.")
    )

    class Meta:
        model = Publication
        fields = [
            "id",
            "incident",
            "threat",
            *sorted(services.PUBLICATION_FIELDS),
            "needs_risk_reassessment",
            "risk_reassessed_at",
            "risk_reassessment_note",
            "recorded_by",
            "recorded_at",
        ]
        read_only_fields = fields


class PublicationInput(IncidentScopedSerializer):
    threat = serializers.PrimaryKeyRelatedField(
        queryset=ExtortionThreat.objects.none(),
        required=False,
        allow_null=True,
        help_text=_("The threat (of this incident) whose actor published, if known."),
    )

    class Meta:
        model = Publication
        fields = ["threat", *sorted(services.PUBLICATION_FIELDS), "reason"]
        extra_kwargs = {"published_tz": {"required": False}}


@extend_schema(parameters=[INCIDENT_PK])
@records_schema(
    PublicationSerializer,
    PublicationInput,
    "Record a leak: when (not before the breach started, nor before its threat actor's first contact), "
    "where, how much. It flags the Art. 34 risk for reassessment.",
)
class PublicationViewSet(IncidentRecordsViewSet):
    queryset = Publication.objects.none()
    serializer_class = PublicationSerializer
    representation = PublicationSerializer
    input_serializer = PublicationInput
    what = "publications"

    def rows(self):
        return Publication.objects.filter(incident=self.incident()).select_related("recorded_by")

    def write(self, incident, fields, reason):
        return services.record_publication(incident, actor=self.request.user, reason=reason, **fields)
