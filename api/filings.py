"""Filings to the authority and decisions not to notify, over HTTP (``actions.filings``).

``/api/incidents/{incident_pk}/filings/``: list and submit (initial, follow-up, withdrawal);
``…/filings/{pk}/``: one filing as submitted, with its frozen content; it never changes, so
PUT, PATCH and DELETE are 405; ``…/filings/{pk}/authority-reference/``: add the authority's
report number, once; ``…/filings/{pk}/edpb/``: the filing in the EDPB template with the fields
it leaves empty (``readers.edpb``). ``/api/incidents/{incident_pk}/decisions-not-to-notify/``: list and record.

Reading a filing is logged as the web page logs it (``FILING_VIEW``); the POSTs that create
accept an ``Idempotency-Key`` (``api.idempotency``).
"""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from access.choices import AccessAction
from actions import filings as services
from api import idempotency
from api.nested import IncidentChildViewSet, StrictSerializer, child_of, instant_field, reason_field
from api.serializers import JsonBooleanField, JsonIntegerField, RegisterSerializer, TextField
from breachtrack import limits
from filings.choices import FilingChannel, FilingType, NotNotifiedBasis, ReporterFunction, TemplateAnswer
from filings.models import AuthorityFiling, NotificationDecisionRecord
from incidents.models import IncidentParty
from organisations.models import Authority
from readers import edpb

INCIDENT_PK = OpenApiParameter("incident_pk", OpenApiTypes.INT, OpenApiParameter.PATH, description="The incident's id.")
LOCATION = OpenApiParameter(
    "Location", OpenApiTypes.URI, OpenApiParameter.HEADER, response=[201], description="The URL of what was created."
)
CREATED_RESPONSES = {
    400: OpenApiResponse(description="Invalid input: field errors, nothing written."),
    **idempotency.RESPONSES,
}


# --- Representations -----------------------------------------------------------------------


class FilingSerializer(RegisterSerializer):
    recorded_by = serializers.CharField(source="recorded_by.username", read_only=True)
    # Declared, not generated: DRF drops allow_blank from a generated read-only field, and the
    # schema would then promise one of the choices where an older filing answers "".
    reporter_function = serializers.ChoiceField(
        choices=ReporterFunction.choices,
        allow_blank=True,
        read_only=True,
        help_text=gettext_lazy("The filer's function, as the EDPB template asks it; empty when not given."),
    )
    police_report = serializers.ChoiceField(
        choices=TemplateAnswer.choices,
        allow_blank=True,
        read_only=True,
        help_text=gettext_lazy("Reported to the police (EDPB template); empty when not asked."),
    )
    cross_border = serializers.ChoiceField(
        choices=TemplateAnswer.choices,
        allow_blank=True,
        read_only=True,
        help_text=gettext_lazy("Cross-border processing (EDPB template); empty when not asked."),
    )

    class Meta:
        model = AuthorityFiling
        fields = [
            "id",
            "incident",
            "controller",
            "authority",
            "filing_type",
            "submitted_at",
            "submitted_tz",
            "submitted_by",
            "reporter_function",
            "reporter_function_detail",
            "reporter_contact",
            "channel",
            "police_report",
            "police_reported_on",
            "police_reference",
            "cross_border",
            "establishment_countries",
            "authority_reference",
            "previous",
            "is_phased",
            "delay_reasons",
            "withdrawal_reason",
            "content_sha256",
            "recorded_by",
            "recorded_at",
        ]
        read_only_fields = fields


class FilingDetailSerializer(FilingSerializer):
    content = serializers.JSONField(
        read_only=True, help_text=gettext_lazy("The register as it stood at submission (frozen).")
    )

    class Meta(FilingSerializer.Meta):
        fields = [*FilingSerializer.Meta.fields, "content"]
        read_only_fields = fields


class EdpbGapSerializer(serializers.Serializer):
    field = serializers.CharField(help_text=gettext_lazy("The template's field, e.g. field_21."))
    obligation = serializers.ChoiceField(
        choices=[edpb.MANDATORY, edpb.CONDITIONAL, edpb.OPTIONAL],
        help_text=gettext_lazy("How binding the template makes the field."),
    )
    label = serializers.CharField(help_text=gettext_lazy("The field's name in the request's language."))


class EdpbExportSerializer(serializers.Serializer):
    format = serializers.CharField()
    filing = serializers.IntegerField()
    filing_type = serializers.ChoiceField(choices=FilingType.choices)
    submitted_at = serializers.DateTimeField()
    content_sha256 = serializers.CharField()
    notification = serializers.JSONField(
        help_text=gettext_lazy(
            "The filing in the EDPB notification template (draft 2020-12 JSON Schema, template v1.0), "
            "built from the content frozen at submission: it never changes."
        )
    )
    not_filled = EdpbGapSerializer(many=True, help_text=gettext_lazy("The template fields the register left empty."))


class DecisionSerializer(RegisterSerializer):
    recorded_by = serializers.CharField(source="recorded_by.username", read_only=True)

    class Meta:
        model = NotificationDecisionRecord
        fields = [
            "id",
            "incident",
            "controller",
            "decided_at",
            "decided_tz",
            "decided_by",
            "risk_basis",
            "reasoning",
            "recorded_by",
            "recorded_at",
        ]
        read_only_fields = fields


# --- Input -----------------------------------------------------------------------------------


class FilingInput(StrictSerializer):
    controller = JsonIntegerField(help_text=gettext_lazy("The id of the incident's controller that files."))
    authority = JsonIntegerField(help_text=gettext_lazy("The id of a supervisory authority recorded on the incident."))
    filing_type = serializers.ChoiceField(choices=FilingType.choices)
    submitted_at = instant_field(help_text=gettext_lazy("When it was actually submitted to the authority."))
    submitted_tz = TextField(required=False, allow_blank=True, max_length=64)
    submitted_by = TextField(required=False, allow_blank=True, max_length=limits.NAME)
    reporter_function = serializers.ChoiceField(
        choices=ReporterFunction.choices,
        required=False,
        allow_blank=True,
        help_text=gettext_lazy("The filer's function, as the EDPB template asks it."),
    )
    reporter_function_detail = TextField(required=False, allow_blank=True, max_length=200)
    reporter_contact = TextField(required=False, allow_blank=True, max_length=200)
    channel = serializers.ChoiceField(choices=FilingChannel.choices)
    police_report = serializers.ChoiceField(choices=TemplateAnswer.choices, required=False, allow_blank=True)
    police_reported_on = serializers.DateField(required=False, allow_null=True)
    police_reference = TextField(required=False, allow_blank=True, max_length=limits.REFERENCE)
    cross_border = serializers.ChoiceField(choices=TemplateAnswer.choices, required=False, allow_blank=True)
    establishment_countries = TextField(
        required=False,
        allow_blank=True,
        max_length=200,
        help_text=gettext_lazy("EEA country codes, comma-separated, e.g. NL, BE."),
    )
    authority_reference = TextField(required=False, allow_blank=True, max_length=limits.REFERENCE)
    is_phased = JsonBooleanField(required=False, default=False)
    delay_reasons = TextField(required=False, allow_blank=True, max_length=limits.TEXT)
    withdrawal_reason = TextField(required=False, allow_blank=True, max_length=limits.REASON)
    reason = reason_field()


class AuthorityReferenceInput(StrictSerializer):
    authority_reference = TextField(max_length=limits.REFERENCE)
    reason = reason_field()


class DecisionInput(StrictSerializer):
    controller = JsonIntegerField(help_text=gettext_lazy("The id of the incident's controller that decided."))
    decided_at = instant_field()
    decided_tz = TextField(required=False, allow_blank=True, max_length=64)
    decided_by = TextField(required=False, allow_blank=True, max_length=limits.NAME)
    risk_basis = serializers.ChoiceField(choices=NotNotifiedBasis.choices)
    reasoning = TextField(max_length=limits.TEXT)
    reason = reason_field()


def _controller(incident, pk: int) -> IncidentParty:
    found = IncidentParty.objects.filter(incident=incident, pk=pk).first()
    if found is None:  # another incident's party or none: the same answer
        raise serializers.ValidationError({"controller": [_("Unknown party.")]})
    return found


# --- Views -------------------------------------------------------------------------------------


@extend_schema(parameters=[INCIDENT_PK])
@extend_schema_view(
    list=extend_schema(responses=FilingSerializer(many=True)),
    retrieve=extend_schema(responses=FilingDetailSerializer),
    create=extend_schema(
        request=FilingInput,
        parameters=[idempotency.PARAMETER, idempotency.REPLAYED, LOCATION],
        responses={201: FilingDetailSerializer, **CREATED_RESPONSES},
    ),
    edpb=extend_schema(
        responses={200: EdpbExportSerializer},
        description="The filing in the EDPB notification template, and the template fields it leaves empty.",
    ),
    authority_reference=extend_schema(
        request=AuthorityReferenceInput,
        responses={200: FilingDetailSerializer, 400: CREATED_RESPONSES[400]},
    ),
)
class FilingViewSet(IncidentChildViewSet):
    """Filings are evidence: submitted once, never changed; a correction is a follow-up."""

    queryset = AuthorityFiling.objects.none()  # for the schema; rows come from rows()
    serializer_class = FilingSerializer

    def rows(self):
        return (
            AuthorityFiling.objects.filter(incident=self.incident())
            .select_related("recorded_by")
            .order_by("submitted_at", "pk")
        )

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.rows())
        self.log_read(AccessAction.FILING_VIEW, "filings")
        return self.get_paginated_response(FilingSerializer(page, many=True).data)

    def retrieve(self, request, *args, pk=None, **kwargs):
        filing = child_of(self.incident(), self.rows(), pk)
        self.log_read(AccessAction.FILING_VIEW, f"filing {filing.pk}")
        return Response(FilingDetailSerializer(filing).data)

    def create(self, request, *args, **kwargs):
        incident = self.require_writer()

        def submit():
            facts = self._valid(FilingInput)
            reason = facts.pop("reason")
            controller = _controller(incident, facts.pop("controller"))
            authority = Authority.objects.filter(pk=facts.pop("authority")).first()
            filing = services.submit_filing(
                incident, controller=controller, authority=authority, actor=request.user, reason=reason, **facts
            )
            location = reverse("api:incident-filing-detail", kwargs={"incident_pk": incident.pk, "pk": filing.pk})
            return Response(
                FilingDetailSerializer(filing).data, status=status.HTTP_201_CREATED, headers={"Location": location}
            )

        return idempotency.run(request, organisation_id=incident.organisation_id, operation=submit)

    def _valid(self, serializer_class) -> dict:
        serializer = serializer_class(data=self.request.data)
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)

    @action(detail=True, methods=["get"], url_path="edpb", url_name="edpb")
    def edpb(self, request, *args, pk=None, **kwargs):
        filing = child_of(self.incident(), self.rows(), pk)
        self.log_read(AccessAction.FILING_VIEW, f"filing {filing.pk} (EDPB)")
        return Response(edpb.document(filing))

    @action(detail=True, methods=["post"], url_path="authority-reference", url_name="authority-reference")
    def authority_reference(self, request, *args, pk=None, **kwargs):
        incident = self.require_writer()
        filing = child_of(incident, AuthorityFiling.objects.select_related("incident__organisation"), pk)
        facts = self._valid(AuthorityReferenceInput)
        filing = services.add_authority_reference(
            filing, authority_reference=facts["authority_reference"], actor=request.user, reason=facts["reason"]
        )
        return Response(FilingDetailSerializer(filing).data)


@extend_schema(parameters=[INCIDENT_PK])
@extend_schema_view(
    list=extend_schema(responses=DecisionSerializer(many=True)),
    create=extend_schema(
        request=DecisionInput,
        parameters=[idempotency.PARAMETER, idempotency.REPLAYED],
        responses={201: DecisionSerializer, **CREATED_RESPONSES},
    ),
)
class DecisionViewSet(IncidentChildViewSet):
    """ "Not notified, because …" (Art. 33(5)): recorded once per decision, never changed."""

    queryset = NotificationDecisionRecord.objects.none()  # for the schema
    serializer_class = DecisionSerializer

    def list(self, request, *args, **kwargs):
        rows = NotificationDecisionRecord.objects.filter(incident=self.incident()).select_related("recorded_by")
        page = self.paginate_queryset(rows.order_by("decided_at", "pk"))
        self.log_incident_read("decisions not to notify")
        return self.get_paginated_response(DecisionSerializer(page, many=True).data)

    def create(self, request, *args, **kwargs):
        incident = self.require_writer()

        def record():
            serializer = DecisionInput(data=request.data)
            serializer.is_valid(raise_exception=True)
            facts = dict(serializer.validated_data)
            reason = facts.pop("reason")
            controller = _controller(incident, facts.pop("controller"))
            decision = services.record_decision_not_to_notify(
                incident, controller=controller, actor=request.user, reason=reason, **facts
            )
            return Response(DecisionSerializer(decision).data, status=status.HTTP_201_CREATED)

        return idempotency.run(request, organisation_id=incident.organisation_id, operation=record)
