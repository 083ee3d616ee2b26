"""Other notification regimes (NIS2, DORA, ...) of one incident over HTTP (``actions.regimes``).

``/api/incidents/{incident_pk}/regimes/``: GET, the incident page's "Regimes" section as data
(``readers.regimes``): per regime suggested or decided, the engine's suggestion with its reasons,
the latest decision, and for a confirmed regime each report with what it counts from, its period
in words, its due moment, its state and its rule version; and the facts the regimes read.

POSTs under it (a privacy officer of the incident's organisation; 403 before the input is judged;
400 with the field named and nothing written when the action refuses; an ``Idempotency-Key`` is
honoured): ``decisions/`` (confirm or reject a regime, the reasoning required), ``anchors/``
(a moment a clock runs from: a second one of a kind revises it), ``determinations/``,
``places/`` (people affected per place of residence) and ``filings/`` (a report submitted).
"""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from actions import regimes as services
from api import idempotency
from api.filings import CREATED_RESPONSES, INCIDENT_PK
from api.idempotency import PARAMETER as IDEMPOTENCY_KEY
from api.idempotency import REPLAYED
from api.nested import IncidentChildViewSet, StrictSerializer, instant_field, reason_field
from api.parts import REFUSED
from api.schema import ErrorDocumentingAutoSchema
from api.serializers import JsonBooleanField, JsonIntegerField, TextField, UtcDateTimeField
from breachtrack import limits
from incidents.choices import AnchorKind, DeterminationFlag
from incidents.fields import validate_zone_name
from incidents.models import IncidentAnchor
from readers.regimes import regimes_section

# --- What GET answers ---------------------------------------------------------------------------


class FilingOut(serializers.Serializer):
    id = serializers.IntegerField()
    submitted_at = UtcDateTimeField()
    submitted_tz = serializers.CharField()
    reference = serializers.CharField(allow_blank=True)
    recipient = serializers.CharField()
    rule_version = serializers.CharField()


class ReportOut(serializers.Serializer):
    report = serializers.CharField(source="code", help_text=_("The report's code in the regime's file."))
    title = serializers.CharField()
    recipient = serializers.CharField(help_text=_("Who receives it, in words."))
    anchor = serializers.CharField(help_text=_("What its clock counts from, in words."))
    period = serializers.CharField(help_text=_("How the period counts, in words."))
    is_legal_deadline = serializers.BooleanField(source="is_legal")
    basis = serializers.CharField()
    rule_version = serializers.CharField(source="version")
    state = serializers.ChoiceField(
        choices=["waiting", "not_required", "on_track", "under_24h", "under_6h", "overdue", "met", "met_late"],
        help_text=_("waiting: its anchor is not known yet; not_required: its condition does not hold."),
    )
    state_text = serializers.CharField()
    due_at = UtcDateTimeField(allow_null=True)
    reasons = serializers.ListField(child=serializers.CharField())
    filings = FilingOut(many=True)


class DecisionOut(serializers.Serializer):
    applies = serializers.BooleanField()
    reasoning = serializers.CharField()
    decided_at = UtcDateTimeField()
    decided_by = serializers.CharField(source="recorded_by.username")


class RegimeOut(serializers.Serializer):
    regime = serializers.CharField(source="code")
    name = serializers.CharField()
    title = serializers.CharField()
    jurisdiction = serializers.CharField()
    source = serializers.CharField(help_text=_("The legal citation, in the request's language."))
    certainty = serializers.CharField()
    is_suggested = serializers.BooleanField()
    reasons = serializers.ListField(child=serializers.CharField(), help_text=_("The engine's reasons, in words."))
    decision = DecisionOut(allow_null=True, help_text=_("The latest decision; null while none was made."))
    rule_version = serializers.CharField(source="version")
    reports = ReportOut(many=True, help_text=_("The reports of a confirmed regime (empty otherwise)."))


class AnchorOut(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=AnchorKind.choices)
    occurred_at = UtcDateTimeField()
    occurred_tz = serializers.CharField()
    asserted_by = serializers.CharField(allow_blank=True)
    rationale = serializers.CharField(allow_blank=True)
    is_withdrawn = serializers.BooleanField()


class DeterminationOut(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.ChoiceField(choices=DeterminationFlag.choices)
    value = serializers.BooleanField()
    rationale = serializers.CharField(allow_blank=True)


class PlaceOut(serializers.Serializer):
    id = serializers.IntegerField()
    place = serializers.CharField()
    count = serializers.IntegerField()
    as_of = UtcDateTimeField()
    as_of_tz = serializers.CharField()
    source = serializers.CharField(allow_blank=True)


class RegimeFactsOut(serializers.Serializer):
    entity_tags = serializers.ListField(child=serializers.CharField())
    established = serializers.CharField(allow_null=True)
    anchors = AnchorOut(many=True)
    determinations = DeterminationOut(many=True)
    places = PlaceOut(many=True)


class RegimesOut(serializers.Serializer):
    regimes = RegimeOut(many=True)
    facts = RegimeFactsOut()


def _section_data(section) -> dict:
    loaded = section.facts
    facts = {
        "entity_tags": sorted(loaded.facts.entities),
        "established": loaded.facts.established,
        "anchors": loaded.anchors,
        "determinations": loaded.determinations,
        "places": loaded.places,
    }
    return RegimesOut({"regimes": section.rows, "facts": facts}).data


# --- What the POSTs take ------------------------------------------------------------------------


def _zone_field():
    return TextField(
        max_length=64,
        required=False,
        validators=[validate_zone_name],
        help_text=_("The IANA zone the moment was read in (kept with it); your own zone if left out."),
    )


class DecisionIn(StrictSerializer):
    regime = serializers.CharField(max_length=32, help_text=_("A regime's code, e.g. nis2."))
    applies = JsonBooleanField(help_text=_("true: confirm the regime applies; false: reject it."))
    reasoning = TextField(max_length=limits.TEXT, help_text=_("Why it applies, or does not (required)."))
    reason = reason_field()


class AnchorIn(StrictSerializer):
    kind = serializers.ChoiceField(choices=AnchorKind.choices)
    occurred_at = instant_field()
    occurred_tz = _zone_field()
    asserted_by = TextField(max_length=limits.NAME, required=False, allow_blank=True)
    rationale = TextField(max_length=limits.TEXT, required=False, allow_blank=True)
    reason = reason_field()


class DeterminationIn(StrictSerializer):
    name = serializers.ChoiceField(choices=DeterminationFlag.choices)
    value = JsonBooleanField()
    rationale = TextField(max_length=limits.TEXT, required=False, allow_blank=True)
    reason = reason_field()


class PlacesIn(StrictSerializer):
    counts = serializers.DictField(
        child=JsonIntegerField(min_value=0),
        allow_empty=False,
        help_text=_('People affected per place of residence: {"NL": 850000, "US-CA": 600}.'),
    )
    as_of = instant_field()
    as_of_tz = _zone_field()
    source = TextField(max_length=limits.LABEL, required=False, allow_blank=True)
    reason = reason_field()


class FilingIn(StrictSerializer):
    regime = serializers.CharField(max_length=32)
    report = serializers.CharField(max_length=64, help_text=_("The report's code in the regime's file."))
    submitted_at = instant_field()
    submitted_tz = _zone_field()
    reference = TextField(max_length=limits.REFERENCE, required=False, allow_blank=True)
    summary = TextField(max_length=limits.TEXT, required=False, allow_blank=True)
    reason = reason_field()


def _post_schema(request, response, description):
    return extend_schema(
        request=request,
        parameters=[INCIDENT_PK, IDEMPOTENCY_KEY, REPLAYED],
        responses={201: response, **REFUSED, **CREATED_RESPONSES},
        description=description,
    )


class DecisionCreated(DecisionOut):
    id = serializers.IntegerField()
    regime = serializers.CharField()


class FilingCreated(FilingOut):
    regime = serializers.CharField()
    report = serializers.CharField()
    summary = serializers.CharField(allow_blank=True)


class PlacesCreated(serializers.Serializer):
    places = PlaceOut(many=True)


class SectionSchema(ErrorDocumentingAutoSchema):
    """GET answers one object (the section), not a list: drf-spectacular takes a ``list`` action for an array."""

    def _is_list_view(self, serializer=None) -> bool:
        return False


class RegimesViewSet(IncidentChildViewSet):
    pagination_class = None
    serializer_class = RegimesOut
    schema = SectionSchema()

    @extend_schema(
        parameters=[INCIDENT_PK],
        responses={200: RegimesOut, 404: OpenApiResponse(description="No such incident in your organisation.")},
        description=_(
            "The regimes suggested or decided, their reports and where each stands, and the facts they read."
        ),
    )
    def list(self, request, *args, **kwargs):
        incident = self.incident()
        section = regimes_section(incident, now=timezone.now())
        self.log_incident_read("regimes")
        return Response(_section_data(section))

    def _create(self, request, input_serializer, write, representation):
        incident = self.require_writer()

        def add():
            serializer = input_serializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            fields = dict(serializer.validated_data)
            reason = fields.pop("reason")
            row = write(incident, fields, reason)
            return Response(representation(row).data, status=status.HTTP_201_CREATED)

        return idempotency.run(request, organisation_id=incident.organisation_id, operation=add)

    @_post_schema(DecisionIn, DecisionCreated, _("Confirm or reject a regime for the incident, with the reasoning."))
    @action(detail=False, methods=["post"])
    def decisions(self, request, *args, **kwargs):
        def write(incident, fields, reason):
            return services.decide_regime(incident, actor=request.user, reason=reason, **fields)

        return self._create(request, DecisionIn, write, DecisionCreated)

    @_post_schema(
        AnchorIn, AnchorOut, _("Record a moment a regime's clock runs from; a second one of a kind revises it.")
    )
    @action(detail=False, methods=["post"])
    def anchors(self, request, *args, **kwargs):
        def write(incident, fields, reason):
            kind, occurred_at = fields.pop("kind"), fields.pop("occurred_at")
            held = IncidentAnchor.objects.filter(incident=incident, kind=kind, is_withdrawn=False).first()
            if held is not None:
                return services.revise_anchor(
                    held, occurred_at=occurred_at, actor=request.user, reason=reason, **fields
                )
            return services.record_anchor(
                incident, kind=kind, occurred_at=occurred_at, actor=request.user, reason=reason, **fields
            )

        return self._create(request, AnchorIn, write, AnchorOut)

    @_post_schema(DeterminationIn, DeterminationOut, _("Record a yes/no determination (significant, major, ...)."))
    @action(detail=False, methods=["post"])
    def determinations(self, request, *args, **kwargs):
        def write(incident, fields, reason):
            return services.set_determination(incident, actor=request.user, reason=reason, **fields)

        return self._create(request, DeterminationIn, write, DeterminationOut)

    @_post_schema(PlacesIn, PlacesCreated, _("Record how many of the people affected live in each place."))
    @action(detail=False, methods=["post"])
    def places(self, request, *args, **kwargs):
        def write(incident, fields, reason):
            rows = services.record_places(incident, actor=request.user, reason=reason, **fields)
            return {"places": rows}

        return self._create(request, PlacesIn, write, PlacesCreated)

    @_post_schema(FilingIn, FilingCreated, _("Record that a report of a confirmed regime was submitted."))
    @action(detail=False, methods=["post"])
    def filings(self, request, *args, **kwargs):
        def write(incident, fields, reason):
            return services.record_regime_report_filing(incident, actor=request.user, reason=reason, **fields)

        return self._create(request, FilingIn, write, FilingCreated)
