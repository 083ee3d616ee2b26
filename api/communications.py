"""Art. 34 communication over HTTP: waves, recipient imports and the call-centre lookup.

``/api/incidents/{incident_pk}/waves/``: list and plan (``plan_wave``, idempotent);
``…/waves/{pk}/``: read (with an ETag) and PATCH (``update_wave``, If-Match required);
``…/waves/{pk}/sent/``: ``mark_wave_sent``; ``…/waves/{pk}/counts/``: ``record_wave_counts``
(If-Match); ``…/waves/{pk}/imports/``: upload a recipient CSV (multipart, idempotent), answered
202 with the queued import job and its ``Location``; ``…/waves/{wave_pk}/imports/{pk}/``: the
job's progress. ``/api/lookup/``: was this person informed? (``actions.ledger.lookup``,
which logs every lookup; the identifier travels in the body, never in a URL, and is never
echoed.)

Reads of waves are logged like the API's other parts of an incident; polling an import job is
not (the web page that shows it is not logged either, and a poll every few seconds would drown
the access log).
"""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import exceptions, serializers, status
from rest_framework.decorators import action
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from actions import communications as services
from actions import ledger
from actions import recipient_imports as jobs
from api import idempotency, preconditions
from api.filings import CREATED_RESPONSES, INCIDENT_PK, LOCATION
from api.nested import IncidentChildViewSet, StrictSerializer, child_of, instant_field, reason_field
from api.scoping import request_token
from api.serializers import JsonIntegerField, RegisterSerializer, TextField
from api.views import ETAG, IF_MATCH, PRECONDITION_RESPONSES
from breachtrack import limits
from breachtrack.uploads import takes_uploads
from communications.choices import IdentifierKind, WaveChannel
from communications.models import CommunicationWave, ContentVersion, ImportJob
from incidents.models import IncidentParty
from organisations.models import Organisation
from organisations.services import READ_ROLES
from organisations.tenancy import active_memberships

# --- Representations -----------------------------------------------------------------------


class WaveSerializer(RegisterSerializer):
    recorded_by = serializers.CharField(source="recorded_by.username", read_only=True)

    class Meta:
        model = CommunicationWave
        fields = [
            "id",
            "incident",
            "controller",
            "cohort_label",
            "channel",
            "content_version",
            "planned_at",
            "planned_tz",
            "sent_at",
            "sent_tz",
            "planned_count",
            "recipient_count",
            "sent_count",
            "bounced_count",
            "has_ledger",
            "recorded_by",
            "recorded_at",
        ]
        read_only_fields = fields


class BatchSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    file_sha256 = serializers.CharField()
    rows_read = serializers.IntegerField()
    rows_added = serializers.IntegerField()
    rows_already_present = serializers.IntegerField()


class ImportJobSerializer(serializers.ModelSerializer):
    requested_by = serializers.CharField(source="requested_by.username", read_only=True)
    rows_written = serializers.SerializerMethodField()
    batch = BatchSerializer(read_only=True, allow_null=True)

    class Meta:
        model = ImportJob
        fields = [
            "id",
            "wave",
            "state",
            "file_name",
            "requested_by",
            "requested_at",
            "rows_checked",
            "rows_written",
            "messages",
            "batch",
            "finished_at",
        ]
        read_only_fields = fields

    def get_rows_written(self, job) -> int:
        # While writing, the count lives outside the import's transaction (jobs.ProgressChannel).
        return jobs.rows_written(job) if job.state == ImportJob.State.WRITING else job.rows_written


# --- Input -----------------------------------------------------------------------------------


def _count_field():
    return JsonIntegerField(required=False, min_value=0)


class WaveInput(StrictSerializer):
    controller = JsonIntegerField(
        help_text=gettext_lazy("The id of the controller whose data subjects this wave reaches.")
    )
    content_version = JsonIntegerField(help_text=gettext_lazy("The id of the content version sent."))
    cohort_label = TextField(max_length=200)
    channel = serializers.ChoiceField(choices=WaveChannel.choices)
    planned_at = instant_field()
    planned_tz = TextField(required=False, allow_blank=True, max_length=64)
    planned_count = _count_field()
    reason = reason_field()


class WaveChangeInput(StrictSerializer):
    content_version = JsonIntegerField(required=False)
    cohort_label = TextField(required=False, max_length=200)
    channel = serializers.ChoiceField(required=False, choices=WaveChannel.choices)
    planned_at = instant_field(required=False)
    planned_tz = TextField(required=False, allow_blank=True, max_length=64)
    planned_count = _count_field()
    reason = reason_field()


class SentInput(StrictSerializer):
    sent_at = instant_field()
    sent_tz = TextField(required=False, allow_blank=True, max_length=64)
    reason = reason_field()


class CountsInput(StrictSerializer):
    planned_count = _count_field()
    sent_count = _count_field()
    bounced_count = _count_field()
    reason = reason_field()


class ImportInput(StrictSerializer):
    file = serializers.FileField(
        help_text=gettext_lazy("UTF-8 CSV with the header 'kind,identifier'; kind is 'bsn' or 'email'.")
    )
    reason = reason_field()


class LookupInput(StrictSerializer):
    organisation = JsonIntegerField(
        required=False, help_text=gettext_lazy("Needed only when you are a member of several organisations.")
    )
    kind = serializers.ChoiceField(choices=IdentifierKind.choices)
    identifier = TextField(max_length=limits.EMAIL, write_only=True)


class ContactSerializer(serializers.Serializer):
    incident = serializers.IntegerField(source="wave.incident.pk")
    incident_reference = serializers.CharField(source="wave.incident.reference")
    wave = serializers.IntegerField(source="wave.pk")
    cohort_label = serializers.CharField(source="wave.cohort_label")
    channel = serializers.CharField(source="wave.channel")
    status = serializers.CharField()
    sent_at = serializers.DateTimeField(allow_null=True)


class LookupResultSerializer(serializers.Serializer):
    contacts = ContactSerializer(many=True)


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "too_large"


def _valid(serializer_class, data) -> dict:
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


def _changes_named(facts: dict) -> None:
    if not facts:
        raise serializers.ValidationError({"non_field_errors": [_("Name at least one field to change.")]})


def _too_large(size: int) -> PayloadTooLarge:
    limit = settings.BREACHTRACK_LEDGER_MAX_BYTES
    return PayloadTooLarge(
        {
            "file": [
                _("The file is %(size)s bytes; the limit is %(limit)s bytes. Split it into several files.")
                % {"size": number_format(size, force_grouping=True), "limit": number_format(limit, force_grouping=True)}
            ]
        }
    )


# A multipart body carries the file plus boundaries and the other fields: allow that much more.
MULTIPART_OVERHEAD = 64 * 1024


# --- Views -------------------------------------------------------------------------------------


@extend_schema(parameters=[INCIDENT_PK])
@extend_schema_view(
    list=extend_schema(responses=WaveSerializer(many=True)),
    retrieve=extend_schema(parameters=[ETAG], responses=WaveSerializer),
    create=extend_schema(
        request=WaveInput,
        parameters=[idempotency.PARAMETER, idempotency.REPLAYED, LOCATION, ETAG],
        responses={201: WaveSerializer, **CREATED_RESPONSES},
    ),
    partial_update=extend_schema(
        request=WaveChangeInput,
        parameters=[IF_MATCH, ETAG],
        responses={200: WaveSerializer, **PRECONDITION_RESPONSES},
    ),
    sent=extend_schema(
        request=SentInput, parameters=[ETAG], responses={200: WaveSerializer, 400: PRECONDITION_RESPONSES[400]}
    ),
    counts=extend_schema(
        request=CountsInput,
        parameters=[IF_MATCH, ETAG],
        responses={200: WaveSerializer, **PRECONDITION_RESPONSES},
    ),
    imports=extend_schema(
        request={"multipart/form-data": ImportInput},
        parameters=[idempotency.PARAMETER, idempotency.REPLAYED, LOCATION],
        responses={
            202: ImportJobSerializer,
            **CREATED_RESPONSES,
            413: OpenApiResponse(description="The file is larger than BREACHTRACK_LEDGER_MAX_BYTES: nothing queued."),
        },
    ),
)
class WaveViewSet(IncidentChildViewSet):
    queryset = CommunicationWave.objects.none()  # for the schema; rows come from rows()
    serializer_class = WaveSerializer
    http_method_names = ["get", "post", "patch", "head"]  # PUT: a wave is changed field by field

    def rows(self):
        return CommunicationWave.objects.filter(incident=self.incident()).select_related("recorded_by")

    def _wave(self, pk) -> CommunicationWave:
        return child_of(self.incident(), self.rows().select_related("incident__organisation"), pk)

    @staticmethod
    def _answer(wave, code=status.HTTP_200_OK, headers=None) -> Response:
        data = WaveSerializer(wave).data
        return Response(data, status=code, headers={"ETag": preconditions.etag_of(data), **(headers or {})})

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.rows().order_by("planned_at", "pk"))
        self.log_incident_read("waves")
        return self.get_paginated_response(WaveSerializer(page, many=True).data)

    def retrieve(self, request, *args, pk=None, **kwargs):
        wave = self._wave(pk)
        self.log_incident_read(f"wave {wave.pk}")
        return self._answer(wave)

    def _content_version(self, incident, pk) -> ContentVersion:
        found = ContentVersion.objects.filter(incident=incident, pk=pk).first()
        if found is None:
            raise serializers.ValidationError({"content_version": [_("Unknown content version.")]})
        return found

    def create(self, request, *args, **kwargs):
        incident = self.require_writer()

        def plan():
            facts = _valid(WaveInput, request.data)
            reason = facts.pop("reason")
            controller = IncidentParty.objects.filter(incident=incident, pk=facts.pop("controller")).first()
            if controller is None:
                raise serializers.ValidationError({"controller": [_("Unknown party.")]})
            facts["content_version"] = self._content_version(incident, facts["content_version"])
            wave = services.plan_wave(incident, controller=controller, actor=request.user, reason=reason, **facts)
            location = reverse("api:incident-wave-detail", kwargs={"incident_pk": incident.pk, "pk": wave.pk})
            return self._answer(
                CommunicationWave.objects.select_related("recorded_by").get(pk=wave.pk),
                status.HTTP_201_CREATED,
                {"Location": location},
            )

        return idempotency.run(request, organisation_id=incident.organisation_id, operation=plan)

    def _change(self, pk, serializer_class, change) -> Response:
        """Find (404), check the role (403) and If-Match (428); lock, compare (412), validate (400), change."""
        incident = self.require_writer()
        wave = self._wave(pk)
        tags = preconditions.require_if_match(self.request)
        with transaction.atomic():
            locked = self.rows().select_for_update(of=("self",)).get(pk=wave.pk)
            preconditions.check_if_match(tags, preconditions.etag_of(WaveSerializer(locked).data))
            facts = _valid(serializer_class, self.request.data)
            reason = facts.pop("reason")
            _changes_named(facts)
            locked.incident = incident
            change(locked, reason, facts)
        return self._answer(self.rows().get(pk=wave.pk))

    def partial_update(self, request, *args, pk=None, **kwargs):
        def update(wave, reason, facts):
            if "content_version" in facts:
                facts["content_version"] = self._content_version(wave.incident, facts["content_version"])
            services.update_wave(wave, actor=request.user, reason=reason, **facts)

        return self._change(pk, WaveChangeInput, update)

    @action(detail=True, methods=["post"])
    def counts(self, request, *args, pk=None, **kwargs):
        return self._change(
            pk,
            CountsInput,
            lambda wave, reason, facts: services.record_wave_counts(wave, actor=request.user, reason=reason, **facts),
        )

    @action(detail=True, methods=["post"])
    def sent(self, request, *args, pk=None, **kwargs):
        """Record that the wave went out (a second time is refused by the service: no If-Match needed)."""
        self.require_writer()
        wave = self._wave(pk)
        facts = _valid(SentInput, request.data)
        services.mark_wave_sent(wave, actor=request.user, **facts)
        return self._answer(self.rows().get(pk=wave.pk))

    @action(detail=True, methods=["post"], parser_classes=[MultiPartParser])
    @takes_uploads
    def imports(self, request, *args, pk=None, **kwargs):
        """Queue a recipient CSV for import: 202 with the job; poll its Location."""
        incident = self.require_writer()
        wave = self._wave(pk)
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
        if declared > settings.BREACHTRACK_LEDGER_MAX_BYTES + MULTIPART_OVERHEAD:
            raise _too_large(declared)  # refused before the body is read

        def queue():
            facts = _valid(ImportInput, request.data)
            if facts["file"].size > settings.BREACHTRACK_LEDGER_MAX_BYTES:
                raise _too_large(facts["file"].size)
            job = jobs.queue_import(wave, facts["file"], actor=request.user, reason=facts["reason"])
            location = reverse(
                "api:incident-wave-import-detail", kwargs={"incident_pk": incident.pk, "wave_pk": wave.pk, "pk": job.pk}
            )
            job = ImportJob.objects.select_related("requested_by", "batch").get(pk=job.pk)
            return Response(
                ImportJobSerializer(job).data, status=status.HTTP_202_ACCEPTED, headers={"Location": location}
            )

        return idempotency.run(request, organisation_id=incident.organisation_id, operation=queue)


@extend_schema(parameters=[INCIDENT_PK, OpenApiParameter("wave_pk", OpenApiTypes.INT, OpenApiParameter.PATH)])
class ImportJobViewSet(IncidentChildViewSet):
    """The progress of a queued recipient import (poll until ``state`` is done, rejected or failed)."""

    queryset = ImportJob.objects.none()  # for the schema
    serializer_class = ImportJobSerializer

    def retrieve(self, request, *args, pk=None, wave_pk=None, **kwargs):
        wave = child_of(self.incident(), CommunicationWave.objects.all(), wave_pk)
        job = ImportJob.objects.select_related("requested_by", "batch").filter(wave=wave, pk=pk).first()
        if job is None:
            raise exceptions.NotFound()
        return Response(ImportJobSerializer(job).data)


class LookupView(APIView):
    """Was this person informed, when and how? Every lookup is logged (who, when, how many found)."""

    @extend_schema(
        request=LookupInput,
        responses={200: LookupResultSerializer, 400: OpenApiResponse(description="Invalid input.")},
    )
    def post(self, request):
        facts = _valid(LookupInput, request.data)
        organisation = self._organisation(facts.get("organisation"))
        contacts = ledger.lookup(organisation, kind=facts["kind"], identifier=facts["identifier"], actor=request.user)
        return Response(LookupResultSerializer({"contacts": contacts}).data)

    def _organisation(self, given: int | None) -> Organisation:
        """The organisation to look in, among those the request reads (no query for a token: the
        authentication loaded its organisation; one for a session)."""
        token = request_token(self.request)
        if token is not None:
            readable = {token.organisation_id: token.organisation} if token.role in READ_ROLES else {}
        else:
            memberships = active_memberships(self.request.user).select_related("organisation")
            if not self.request.user.is_superuser:  # an administrator reads wherever a member
                memberships = memberships.filter(role__in=list(READ_ROLES))
            readable = {membership.organisation_id: membership.organisation for membership in memberships}
        if given is None:
            if len(readable) != 1:
                raise serializers.ValidationError({"organisation": [_("Name the organisation to look in.")]})
            return next(iter(readable.values()))
        if given not in readable:
            raise serializers.ValidationError({"organisation": [_("Unknown organisation.")]})
        return readable[given]
