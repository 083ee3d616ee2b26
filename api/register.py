"""Writes on the register's parts: adding a party, recording and correcting awareness,
recording estimates, and changing an incident's status.

Every write calls the service the web and the admin use (``actions.incidents``) with the
request's user as actor and the body's ``reason``; the services validate the whole row (an
awareness before the breach started or in the future is refused on ``aware_at``) inside one
transaction, so a refused write leaves nothing behind. Records that the services let change
(awareness: correct, withdraw; the incident's status) need If-Match.

Estimates are never edited: numbers in a breach grow (485,000 → 715,000 → 941,000), and each
new figure is a new estimate with the moment it became known, so the register shows what was
known when.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action

from actions import incidents as services
from api import idempotency
from api.parts import (
    ETAG,
    IF_MATCH,
    PRECONDITION_RESPONSES,
    REFUSED,
    IncidentPartsViewSet,
    ScopedRecordViewSet,
    change_if_match,
    correct_if_match,
    etagged,
    log_read,
)
from api.serializers import (
    AwarenessSerializer,
    EstimateSerializer,
    IncidentSerializer,
    PartySerializer,
    ReasonField,
    RegisterSerializer,
    TextField,
)
from breachtrack import limits
from incidents.choices import Status
from incidents.models import AffectedEstimate, AwarenessRecord, Incident, IncidentParty
from organisations.models import Party


class IncidentScopedSerializer(RegisterSerializer):
    """A write on one incident: its id fields accept only that incident's rows (parties,
    relationships, threats) or its organisation's (directory parties), so an id from elsewhere
    reads as one that does not exist."""

    reason = ReasonField()

    def __init__(self, *args, incident: Incident | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.incident = incident
        if incident is None:
            return  # the schema generator's instance: it only reads the fields
        for field in self.fields.values():
            if isinstance(field, serializers.PrimaryKeyRelatedField):
                model = field.queryset.model
                if model is Party:
                    field.queryset = Party.objects.filter(owner_id=incident.organisation_id)
                elif any(f.name == "incident" for f in model._meta.get_fields()):
                    # a party, relationship or threat of this incident
                    field.queryset = model.objects.filter(incident_id=incident.pk)

    def write_arguments(self) -> tuple[dict, str]:
        fields = dict(self.validated_data)
        if "reason" not in fields:  # a partial change (PATCH) skips missing fields, but never the reason
            field = self.fields["reason"]
            raise serializers.ValidationError({"reason": [field.error_messages["required"]]}, code="required")
        return fields, fields.pop("reason")


class PartyCreateSerializer(IncidentScopedSerializer):
    party = serializers.PrimaryKeyRelatedField(
        queryset=Party.objects.none(), help_text=_("A party from your organisation's directory.")
    )

    class Meta:
        model = IncidentParty
        fields = ["party", "role", "notes", "reason"]

    def validate_party(self, party):
        # Named on its field; the unique constraint still decides when two requests race.
        if IncidentParty.objects.filter(incident_id=self.incident.pk, party=party).exists():
            raise serializers.ValidationError(_("This party is already a party to the incident."))
        return party


class AwarenessWriteSerializer(IncidentScopedSerializer):
    party = serializers.PrimaryKeyRelatedField(
        queryset=IncidentParty.objects.none(),
        help_text=_("The party to the incident (a controller) that became aware."),
    )

    class Meta:
        model = AwarenessRecord
        fields = ["party", *sorted(services.AWARENESS_FIELDS), "reason"]
        extra_kwargs = {"aware_tz": {"required": False}}


class AwarenessCorrectionSerializer(AwarenessWriteSerializer):
    class Meta(AwarenessWriteSerializer.Meta):
        fields = [*sorted(services.AWARENESS_FIELDS), "reason"]


class AwarenessWithdrawalSerializer(serializers.Serializer):
    withdrawal_reason = TextField(max_length=limits.REASON, help_text=_("Why the record turned out wrong."))
    reason = ReasonField()


class EstimateCreateSerializer(IncidentScopedSerializer):
    party = serializers.PrimaryKeyRelatedField(
        queryset=IncidentParty.objects.none(),
        required=False,
        allow_null=True,
        help_text=_("The controller the figure is for; leave out for the whole incident."),
    )

    class Meta:
        model = AffectedEstimate
        fields = [*sorted(services.ESTIMATE_FIELDS), "reason"]
        extra_kwargs = {"known_tz": {"required": False}}


class StatusChangeSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=Status.choices)
    reason = ReasonField()


def create_part(view, request, serializer_class, write, representation):
    """POST on a part of an incident: find it (404) and check the role (403) before the input;
    executed once per Idempotency-Key (``api.idempotency``), so a retry never records twice."""
    incident = view.get_object()

    def create():
        serializer = serializer_class(data=request.data, incident=incident)
        serializer.is_valid(raise_exception=True)
        fields, reason = serializer.write_arguments()
        row = write(incident, actor=request.user, reason=reason, **fields)
        return etagged(representation(row).data, status=status.HTTP_201_CREATED)

    return idempotency.run(request, organisation_id=incident.organisation_id, operation=create)


def add_party(view, request):
    return create_part(view, request, PartyCreateSerializer, services.add_party, PartySerializer)


def record_awareness(view, request):
    return create_part(view, request, AwarenessWriteSerializer, services.record_awareness, AwarenessSerializer)


def record_estimate(view, request):
    return create_part(view, request, EstimateCreateSerializer, services.record_estimate, EstimateSerializer)


# What the POST half of IncidentViewSet's parts actions documents.
PARTY_CREATE_SCHEMA = extend_schema(
    methods=["POST"],
    request=PartyCreateSerializer,
    responses={201: PartySerializer, **REFUSED, **idempotency.RESPONSES},
    parameters=[ETAG, idempotency.PARAMETER, idempotency.REPLAYED],
)
AWARENESS_CREATE_SCHEMA = extend_schema(
    methods=["POST"],
    request=AwarenessWriteSerializer,
    responses={201: AwarenessSerializer, **REFUSED, **idempotency.RESPONSES},
    parameters=[ETAG, idempotency.PARAMETER, idempotency.REPLAYED],
    description="Record that a party became aware (starts that controller's 72-hour clock, Art. 33(1)). "
    "Refused (400, on aware_at) before the breach started or in the future.",
)
ESTIMATE_CREATE_SCHEMA = extend_schema(
    methods=["POST"],
    request=EstimateCreateSerializer,
    responses={201: EstimateSerializer, **REFUSED, **idempotency.RESPONSES},
    parameters=[ETAG, idempotency.PARAMETER, idempotency.REPLAYED],
    description="Add what is now known about the number affected; earlier figures stay on record.",
)


class IncidentStatusViewSet(IncidentPartsViewSet):
    @extend_schema(
        request=StatusChangeSerializer,
        parameters=[IF_MATCH, ETAG],
        responses={200: IncidentSerializer, **PRECONDITION_RESPONSES},
        description="Move the incident to open, contained or closed. Closing needs a register entry complete "
        "enough for Art. 33(5): the gaps come back as field errors.",
    )
    @action(detail=True, methods=["post"], url_path="status", url_name="status")
    def change_status(self, request, pk=None):
        incident = self.get_object()

        def write(locked):
            serializer = StatusChangeSerializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            data = serializer.validated_data
            return services.change_status(locked, data["status"], actor=request.user, reason=data["reason"])

        return change_if_match(request, incident, lambda row: IncidentSerializer(row).data, write)


class AwarenessRecordViewSet(ScopedRecordViewSet):
    """One awareness record: read it (with its ETag), correct it, withdraw it."""

    model = AwarenessRecord
    related = ("incident", "recorded_by")
    serializer_class = AwarenessSerializer

    @extend_schema(parameters=[ETAG], responses={200: AwarenessSerializer})
    def retrieve(self, request, pk=None):
        """One awareness record, with its ETag."""
        record = self.get_object()
        log_read(request, record.incident, f"awareness record {record.pk}")
        return etagged(AwarenessSerializer(record).data)

    @extend_schema(
        request=AwarenessCorrectionSerializer,
        parameters=[IF_MATCH, ETAG],
        responses={200: AwarenessSerializer, **PRECONDITION_RESPONSES},
        description="Correct the record; the old value stays in its history. A record derived from a "
        "processor notice changes only with its notice.",
    )
    def partial_update(self, request, pk=None):
        record = self.get_object()

        return correct_if_match(
            request,
            record,
            change_serializer=AwarenessCorrectionSerializer,
            representation=AwarenessSerializer,
            service=services.correct_awareness,
        )

    @extend_schema(
        request=AwarenessWithdrawalSerializer,
        parameters=[IF_MATCH, ETAG],
        responses={200: AwarenessSerializer, **PRECONDITION_RESPONSES},
        description="Withdraw a record that turned out wrong: it is kept, marked, never deleted.",
    )
    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None):
        record = self.get_object()

        def write(locked):
            serializer = AwarenessWithdrawalSerializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            return services.withdraw_awareness(locked, actor=request.user, **serializer.validated_data)

        return change_if_match(request, record, lambda row: AwarenessSerializer(row).data, write)
