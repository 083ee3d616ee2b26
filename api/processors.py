"""Who files with whom, over HTTP: the authorities recorded on an incident, the processing
relationships between its parties and the processor's notices to each controller (Art. 33(2)).

``/api/incidents/{incident_pk}/authorities/``: list, add (``add_authority``; one lead, Art. 56);
``…/processor-relationships/``: list, link a processor to a controller (``link_processor``; the
notice target defaults to the organisation's); ``…/processor-notices/``: list, record
(``record_processor_notice``: the controller's awareness follows from it, linked, and starts its
72-hour clock), ``…/processor-notices/{pk}/``: read with its ETag, correct under If-Match
(``correct_processor_notice``: the derived awareness follows).
"""

from __future__ import annotations

from django.db import transaction
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers

from actions import incidents as services
from api import preconditions
from api.filings import CREATED_RESPONSES, INCIDENT_PK, LOCATION
from api.idempotency import PARAMETER as IDEMPOTENCY_KEY
from api.idempotency import REPLAYED
from api.parts import ETAG, IF_MATCH, PRECONDITION_RESPONSES, REFUSED, etagged
from api.records import IncidentRecordsViewSet
from api.register import IncidentScopedSerializer
from api.serializers import RegisterSerializer
from incidents.choices import AuthorityRole
from incidents.models import Incident, IncidentAuthority, IncidentParty, ProcessingRelationship, ProcessorNotice
from organisations.models import Authority


def created_schema(input_serializer, representation, description: str):
    return extend_schema(
        request=input_serializer,
        parameters=[IDEMPOTENCY_KEY, REPLAYED, LOCATION, ETAG],
        responses={201: representation, **REFUSED, **CREATED_RESPONSES},
        description=description,
    )


def records_schema(representation, input_serializer, description: str, **more):
    """The schema of an ``IncidentRecordsViewSet``: list, retrieve (ETag), create (idempotent)."""
    return extend_schema_view(
        list=extend_schema(responses=representation(many=True)),
        retrieve=extend_schema(parameters=[ETAG], responses=representation),
        create=created_schema(input_serializer, representation, description),
        **more,
    )


# --- Authorities on the incident ---------------------------------------------------------------


class IncidentAuthoritySerializer(RegisterSerializer):
    code = serializers.CharField(source="authority.code", read_only=True)
    name = serializers.CharField(source="authority.name", read_only=True)

    class Meta:
        model = IncidentAuthority
        fields = ["id", "authority", "code", "name", "role"]
        read_only_fields = fields


class IncidentAuthorityInput(IncidentScopedSerializer):
    authority = serializers.PrimaryKeyRelatedField(
        queryset=Authority.objects.all(), help_text=_("A supervisory authority (see /api/authorities/).")
    )

    class Meta:
        model = IncidentAuthority
        fields = ["authority", "role", "reason"]

    def validate_authority(self, authority):
        if IncidentAuthority.objects.filter(incident_id=self.incident.pk, authority=authority).exists():
            raise serializers.ValidationError(_("This authority is already recorded on the incident."))
        return authority

    def validate_role(self, role):
        lead = AuthorityRole.LEAD
        if role == lead and IncidentAuthority.objects.filter(incident_id=self.incident.pk, role=lead).exists():
            raise serializers.ValidationError(_("The incident has a lead authority already."))
        return role


@extend_schema(parameters=[INCIDENT_PK])
@records_schema(
    IncidentAuthoritySerializer,
    IncidentAuthorityInput,
    "Record a supervisory authority on the incident: the lead (Art. 56) or a concerned one. "
    "A filing names one of these.",
)
class IncidentAuthorityViewSet(IncidentRecordsViewSet):
    queryset = IncidentAuthority.objects.none()  # for the schema; rows come from rows()
    serializer_class = IncidentAuthoritySerializer
    representation = IncidentAuthoritySerializer
    input_serializer = IncidentAuthorityInput
    what = "authorities"

    def rows(self):
        return IncidentAuthority.objects.filter(incident=self.incident()).select_related("authority").order_by("pk")

    def write(self, incident, fields, reason):
        return services.add_authority(incident, actor=self.request.user, reason=reason, **fields)


# --- Processing relationships ------------------------------------------------------------------


class RelationshipSerializer(RegisterSerializer):
    class Meta:
        model = ProcessingRelationship
        fields = ["id", "processor", "controller", "notice_target_hours", "agreement_reference"]
        read_only_fields = fields


class RelationshipInput(IncidentScopedSerializer):
    processor = serializers.PrimaryKeyRelatedField(
        queryset=IncidentParty.objects.none(), help_text=_("The party to the incident that processes (its id).")
    )
    controller = serializers.PrimaryKeyRelatedField(
        queryset=IncidentParty.objects.none(), help_text=_("The party to the incident it processes for (its id).")
    )

    class Meta:
        model = ProcessingRelationship
        fields = ["processor", "controller", "notice_target_hours", "agreement_reference", "reason"]
        extra_kwargs = {"notice_target_hours": {"required": False, "allow_null": True}}

    def validate(self, attrs):
        found = ProcessingRelationship.objects.filter(processor=attrs["processor"], controller=attrs["controller"])
        if found.exists():
            raise serializers.ValidationError(
                {"controller": [_("This processor is already linked to this controller.")]}
            )
        return attrs


@extend_schema(parameters=[INCIDENT_PK])
@records_schema(
    RelationshipSerializer,
    RelationshipInput,
    "Link a processor to a controller it processes for, with the notice target of their agreement "
    "(without one: your organisation's default).",
)
class RelationshipViewSet(IncidentRecordsViewSet):
    queryset = ProcessingRelationship.objects.none()
    serializer_class = RelationshipSerializer
    representation = RelationshipSerializer
    input_serializer = RelationshipInput
    what = "processor relationships"

    def rows(self):
        return ProcessingRelationship.objects.filter(incident=self.incident()).order_by("pk")

    def write(self, incident, fields, reason):
        return services.link_processor(incident, actor=self.request.user, reason=reason, **fields)


# --- Processor notices -------------------------------------------------------------------------


class NoticeSerializer(RegisterSerializer):
    controller = serializers.IntegerField(
        source="relationship.controller_id", read_only=True, help_text=_("The controller informed.")
    )
    recorded_by = serializers.CharField(source="recorded_by.username", read_only=True)

    class Meta:
        model = ProcessorNotice
        fields = [
            "id",
            "relationship",
            "controller",
            *sorted(services.NOTICE_FIELDS),
            "recorded_by",
            "recorded_at",
        ]
        read_only_fields = fields


class NoticeInput(IncidentScopedSerializer):
    relationship = serializers.PrimaryKeyRelatedField(
        queryset=ProcessingRelationship.objects.none(),
        help_text=_("The processing relationship (processor → controller) the notice was given in."),
    )

    class Meta:
        model = ProcessorNotice
        fields = ["relationship", *sorted(services.NOTICE_FIELDS), "reason"]
        extra_kwargs = {"informed_tz": {"required": False}}


class NoticeCorrectionInput(NoticeInput):
    class Meta(NoticeInput.Meta):
        fields = [*sorted(services.NOTICE_FIELDS), "reason"]


@extend_schema(parameters=[INCIDENT_PK])
@records_schema(
    NoticeSerializer,
    NoticeInput,
    "Record that the processor informed a controller (Art. 33(2)). The controller's awareness follows "
    "from it (recorded, linked to the notice) and starts that controller's 72-hour clock. Refused (400, "
    "on informed_at) before the breach started, before the processor was aware itself, or in the future.",
    partial_update=extend_schema(
        request=NoticeCorrectionInput,
        parameters=[IF_MATCH, ETAG],
        responses={200: NoticeSerializer, **PRECONDITION_RESPONSES},
        description="Correct the notice; the controller's awareness derived from it follows. The old values "
        "stay in the history.",
    ),
)
class NoticeViewSet(IncidentRecordsViewSet):
    queryset = ProcessorNotice.objects.none()
    serializer_class = NoticeSerializer
    representation = NoticeSerializer
    input_serializer = NoticeInput
    what = "processor notices"
    http_method_names = ["get", "post", "patch", "head"]

    def rows(self):
        return (
            ProcessorNotice.objects.filter(relationship__incident=self.incident())
            .select_related("relationship", "recorded_by")
            .order_by("informed_at", "pk")
        )

    def write(self, incident, fields, reason):
        relationship = fields.pop("relationship")
        return services.record_processor_notice(relationship, actor=self.request.user, reason=reason, **fields)

    def partial_update(self, request, *args, pk=None, **kwargs):
        """Correct a notice, only if the client read its current version.

        Steps: find it (404) and check the role (403); require If-Match (428); in one transaction,
        lock the incident then the notice (the order the action locks in), compare the ETag (412),
        validate the input (400) and call ``correct_processor_notice``.
        """
        incident = self.require_writer()
        notice = get_object_or_404(self.rows(), pk=pk)
        tags = preconditions.require_if_match(request)
        with transaction.atomic():
            Incident.objects.select_for_update().get(pk=incident.pk)
            locked = self.rows().select_for_update(of=("self",)).get(pk=notice.pk)
            preconditions.check_if_match(tags, preconditions.etag_of(NoticeSerializer(locked).data))
            serializer = NoticeCorrectionInput(data=request.data, partial=True, incident=incident)
            serializer.is_valid(raise_exception=True)
            changes, reason = serializer.write_arguments()
            if not changes:
                raise serializers.ValidationError({"non_field_errors": [_("Name at least one field to change.")]})
            updated = services.correct_processor_notice(locked, actor=request.user, reason=reason, **changes)
        return etagged(NoticeSerializer(updated).data)
