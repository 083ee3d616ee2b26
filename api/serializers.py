"""The API's view of the register: raw values (no translated labels, so an ETag is the same in
every language), instants in UTC with the zone they were entered in.

Writes carry a ``reason`` (kept as evidence with the change) and may name only the fields the
service accepts: any other field is refused by name, never silently ignored.
"""

from __future__ import annotations

from datetime import UTC, timedelta

from django.db import models
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _
from django_countries import countries
from django_countries.serializers import CountryFieldMixin
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.exceptions import ErrorDetail

from actions.incidents import EDITABLE_FIELDS
from breachtrack import limits
from incidents.choices import DataCategory, DataSubjectCategory
from incidents.models import AffectedEstimate, AwarenessRecord, Incident, IncidentParty
from notifications.models import Deadline
from rules import clocks, timeinput


class UtcDateTimeField(serializers.DateTimeField):
    """An instant: written with its UTC offset (a wall-clock time alone is ambiguous), read in UTC."""

    default_error_messages = {
        "naive": _("Give the instant with its UTC offset, e.g. 2025-07-03T22:00:00+02:00."),
    }

    def __init__(self, *args, **kwargs):
        kwargs["default_timezone"] = UTC
        super().__init__(*args, **kwargs)

    def to_internal_value(self, value):
        if isinstance(value, str):
            try:
                parsed = parse_datetime(value.strip())
            except ValueError:
                parsed = None  # out of range: DRF's own message below
            if parsed is not None and timezone.is_naive(parsed):
                self.fail("naive")
        return super().to_internal_value(value)


def offset_contradictions(fields, data) -> dict[str, list[ErrorDetail]]:
    """Each ``<stem>_at`` whose explicit offset contradicts the ``<stem>_tz`` sent with it.

    ``2026-03-29T02:30:00+01:00`` with ``Europe/Amsterdam`` names a wall-clock time that zone never
    showed (its clocks jumped from 02:00 to 03:00), and ``16:45-05:00`` is no time Amsterdam ever
    showed at UTC-5: either reading would be a guess, so the pair is refused on ``<stem>_at``
    (``rules.timeinput.check_offset_of_zone``). An instant given in UTC (``Z``, ``+00:00``) is no
    reading of the zone's clock, only the instant (as the API itself writes it back), so any zone
    goes with it. A naive time, an unknown zone or an instant out of range is left to the fields'
    own errors.
    """
    if not hasattr(data, "get"):
        return {}
    found: dict[str, list[ErrorDetail]] = {}
    for name, field in fields.items():
        zone_field = f"{name.removesuffix('_at')}_tz"
        if field.read_only or not isinstance(field, UtcDateTimeField) or zone_field not in fields:
            continue
        raw, zone_name = data.get(name), data.get(zone_field)
        if not isinstance(raw, str) or not isinstance(zone_name, str) or not zone_name.strip():
            continue
        try:
            given = parse_datetime(raw.strip())
        except ValueError:
            continue
        if given is None or given.utcoffset() in (None, timedelta(0)):
            continue
        try:
            timeinput.check_offset_of_zone(given, zone_name.strip())
        except timeinput.OffsetNotOfZone as error:
            message = timeinput.LOCAL_TIME_MESSAGES[error.code] % error.params
            found[name] = [ErrorDetail(str(message), code=error.code)]
        except (timeinput.LocalTimeError, OverflowError):
            continue
    return found


class ZoneOffsetMixin:
    """For serializers that take ``<stem>_at`` + ``<stem>_tz`` pairs: refuse an offset that
    contradicts its zone (``offset_contradictions``), together with the other field errors."""

    def to_internal_value(self, data):
        contradictions = offset_contradictions(self.fields, data)
        try:
            value = super().to_internal_value(data)
        except serializers.ValidationError as refused:
            if contradictions and isinstance(refused.detail, dict):
                for name, errors in contradictions.items():
                    refused.detail.setdefault(name, errors)
            raise
        if contradictions:
            raise serializers.ValidationError(contradictions)
        return value


class TextField(serializers.CharField):
    """Text, and only text: DRF's CharField turns a number into its digits (``0`` → ``"0"``), so
    a client that sent the wrong field or the wrong type would have it stored without a word."""

    default_error_messages = {"invalid": _("Give text (a JSON string).")}

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class JsonBooleanField(serializers.BooleanField):
    """true or false (or null where allowed), not DRF's "yes", "on", 1 or "True"."""

    default_error_messages = {"invalid": _("Give true or false.")}

    def to_internal_value(self, data):
        if not isinstance(data, bool):
            self.fail("invalid")
        return data


class JsonIntegerField(serializers.IntegerField):
    """A JSON number without a fraction, not DRF's "12" or 12.0."""

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return super().to_internal_value(data)


class RegisterSerializer(ZoneOffsetMixin, CountryFieldMixin, serializers.ModelSerializer):
    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.DateTimeField: UtcDateTimeField,
        models.CharField: TextField,
        models.TextField: TextField,
        models.BooleanField: JsonBooleanField,
        models.IntegerField: JsonIntegerField,
        models.PositiveIntegerField: JsonIntegerField,
        models.PositiveBigIntegerField: JsonIntegerField,
        models.BigIntegerField: JsonIntegerField,
    }

    def to_internal_value(self, data):
        if isinstance(data, dict):
            writable = {name for name, field in self.fields.items() if not field.read_only}
            unknown = sorted(set(data) - writable)
            if unknown:
                raise serializers.ValidationError({name: [_("This field cannot be changed here.")] for name in unknown})
        return super().to_internal_value(data)


class ReasonField(TextField):
    def __init__(self, **kwargs):
        super().__init__(
            write_only=True,
            max_length=limits.REASON,
            help_text=_(
                "Why you are making this change, kept as evidence with it (e.g. 'processor's e-mail of 4 July, 09:12')."
            ),
            **kwargs,
        )


@extend_schema_field({"type": "array", "items": {"type": "string", "enum": DataCategory.values}})
class DataCategoriesField(serializers.ListField):
    child = serializers.ChoiceField(choices=DataCategory.choices)


@extend_schema_field({"type": "array", "items": {"type": "string", "enum": DataSubjectCategory.values}})
class DataSubjectCategoriesField(serializers.ListField):
    child = serializers.ChoiceField(choices=DataSubjectCategory.choices)


COUNTRY_CODES = [code for code, _name in countries]


@extend_schema_field({"type": "array", "items": {"type": "string", "enum": COUNTRY_CODES}})
class CountryCodesField(serializers.ListField):
    """ISO 3166-1 alpha-2 codes, and nothing else: django-countries' own field also takes names,
    alpha-3 and numeric codes, an object with a code (``{}`` became an empty country) and ""."""

    child = serializers.ChoiceField(choices=COUNTRY_CODES)


class IncidentSerializer(RegisterSerializer):
    reason = ReasonField()
    data_categories = DataCategoriesField(required=False)
    data_subject_categories = DataSubjectCategoriesField(required=False)
    data_subject_countries = CountryCodesField(required=False)

    class Meta:
        model = Incident
        fields = [
            "id",
            "organisation",
            "reference",
            "status",
            *sorted(EDITABLE_FIELDS),
            "created_at",
            "updated_at",
            "reason",
        ]
        read_only_fields = ["organisation", "status"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance is not None and not self.partial:
            # PUT replaces the whole editable state: every field must be named (null where empty).
            for field in self.fields.values():
                if not field.read_only:
                    field.required = True


class IncidentCreateSerializer(IncidentSerializer):
    organisation = JsonIntegerField(
        required=False, help_text=_("Needed only when you are a member of several organisations.")
    )

    class Meta(IncidentSerializer.Meta):
        read_only_fields = ["status"]


class PartySerializer(RegisterSerializer):
    name = serializers.CharField(source="party.name", read_only=True)
    country = serializers.CharField(source="party.country.code", read_only=True)
    is_self = serializers.BooleanField(source="party.is_self", read_only=True)

    class Meta:
        model = IncidentParty
        fields = ["id", "party", "name", "country", "is_self", "role", "notes"]
        read_only_fields = fields


class AwarenessSerializer(RegisterSerializer):
    recorded_by = serializers.CharField(source="recorded_by.username", read_only=True)

    class Meta:
        model = AwarenessRecord
        fields = [
            "id",
            "party",
            "aware_at",
            "aware_tz",
            "source",
            "source_detail",
            "asserted_by",
            "evidence",
            "rationale",
            "processor_notice",
            "is_withdrawn",
            "withdrawal_reason",
            "recorded_by",
            "recorded_at",
        ]
        read_only_fields = fields


class EstimateSerializer(RegisterSerializer):
    recorded_by = serializers.CharField(source="recorded_by.username", read_only=True)

    class Meta:
        model = AffectedEstimate
        fields = [
            "id",
            "measure",
            "low",
            "high",
            "is_approximate",
            "is_at_least",
            "party",
            "known_at",
            "known_tz",
            "source",
            "note",
            "recorded_by",
            "recorded_at",
        ]
        read_only_fields = fields


class DeadlineSerializer(RegisterSerializer):
    state = serializers.SerializerMethodField(help_text=_("Where the deadline stands now."))
    outer_bound_at = serializers.SerializerMethodField(
        help_text=_(
            "The outer bound of the 72 hours of Art. 33(1) if Regulation 1182/71 governs them (the hour of "
            "awareness not counted): information only, alerts run on due_at. Null for every other kind."
        )
    )

    class Meta:
        model = Deadline
        fields = [
            "id",
            "kind",
            "party",
            "relationship",
            "extortion_threat",
            "started_at",
            "due_at",
            "outer_bound_at",
            "met_at",
            "is_legal_deadline",
            "is_active",
            "state",
        ]
        read_only_fields = fields

    @extend_schema_field(UtcDateTimeField(allow_null=True, read_only=True))
    def get_outer_bound_at(self, deadline) -> str | None:
        bound = clocks.outer_bound_at(deadline.kind, deadline.started_at)
        return None if bound is None else UtcDateTimeField().to_representation(bound)

    @extend_schema_field(serializers.ChoiceField(choices=[state.value for state in clocks.DeadlineState]))
    def get_state(self, deadline) -> str:
        now = self.context.get("now") or timezone.now()
        return clocks.evaluate(deadline.due_at, deadline.met_at, now).state.value
