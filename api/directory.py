"""The reference data an incident is filed with: supervisory authorities and the organisation's
directory of parties.

``/api/authorities/``: the supervisory authorities (shared reference data, read-only: an
administrator keeps them). ``/api/parties/``: the organisation's own directory of legal entities
(itself, the controllers it processes for, its processors): list, read (with an ETag), add
(``organisations.services.create_party``, idempotent) and correct (PATCH under If-Match,
``update_party``). A party joins an incident through ``/api/incidents/{id}/parties/``.

A token sees its own organisation's directory only; a session its user's organisations'. Another
organisation's party is a 404; a write needs the privacy officer's role in the party's
organisation (403 otherwise, before the input is judged).
"""

from __future__ import annotations

from django.db import transaction
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from api import idempotency, preconditions
from api.filings import CREATED_RESPONSES, LOCATION
from api.parts import ETAG, IF_MATCH, PRECONDITION_RESPONSES, REFUSED, etagged
from api.permissions import may_write_in, writable_organisation
from api.scoping import member_organisation_ids
from api.serializers import COUNTRY_CODES, JsonIntegerField, ReasonField, RegisterSerializer
from organisations import services as org_services
from organisations.models import Authority, Organisation, Party

# --- Authorities -----------------------------------------------------------------------------


class AuthoritySerializer(RegisterSerializer):
    notification_url = serializers.CharField(
        read_only=True, help_text=gettext_lazy("The authority's online notification form; empty when not known.")
    )

    class Meta:
        model = Authority
        fields = ["id", "code", "name", "country", "notification_url"]
        read_only_fields = fields


@extend_schema_view(
    list=extend_schema(description="The supervisory authorities (Art. 51) an incident can name."),
    retrieve=extend_schema(description="One supervisory authority."),
)
class AuthorityViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Shared reference data: every signed-in caller reads it; nobody changes it over the API."""

    permission_classes = [IsAuthenticated]
    serializer_class = AuthoritySerializer
    queryset = Authority.objects.order_by("country", "name", "pk")
    lookup_value_regex = "[0-9]+"


# --- The organisation's directory ------------------------------------------------------------


class DirectoryPartySerializer(RegisterSerializer):
    # Plain strings: each may be empty, which neither an e-mail format nor the country enum admits.
    country = serializers.CharField(
        source="country.code", read_only=True, help_text=gettext_lazy("ISO 3166-1 alpha-2; empty when not known.")
    )
    contact_email = serializers.CharField(read_only=True)

    class Meta:
        model = Party
        fields = [
            "id",
            "owner",
            "name",
            "country",
            "registration_number",
            "contact_name",
            "contact_email",
            "contact_phone",
            "is_self",
        ]
        read_only_fields = fields


@extend_schema_field({"type": "string", "enum": [*COUNTRY_CODES, ""]})
class CountryCodeField(serializers.ChoiceField):
    """An ISO 3166-1 alpha-2 code or nothing: not django-countries' field, which also takes names,
    other codes and objects (``api.serializers.CountryCodesField``)."""


class DirectoryPartyInput(RegisterSerializer):
    """A party's facts: ``name`` is required to add one; a correction names what it changes."""

    organisation = JsonIntegerField(
        required=False,
        write_only=True,
        help_text=gettext_lazy("Needed only when you are a member of several organisations."),
    )
    country = CountryCodeField(
        choices=COUNTRY_CODES,
        required=False,
        allow_blank=True,
        help_text=gettext_lazy("ISO 3166-1 alpha-2 code."),
    )
    reason = ReasonField()

    class Meta:
        model = Party
        fields = [
            "organisation",
            "name",
            "country",
            "registration_number",
            "contact_name",
            "contact_email",
            "contact_phone",
            "reason",
        ]

    def __init__(self, *args, owner_id: int | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.owner_id = owner_id

    def validate_name(self, name):
        # Named on its field; the unique constraint still decides when two requests race.
        others = Party.objects.filter(owner_id=self.owner_id, name__iexact=name.strip())
        if self.instance is not None:
            others = others.exclude(pk=self.instance.pk)
        if self.owner_id is not None and others.exists():
            raise serializers.ValidationError(_("Your directory already has a party of this name."))
        return name.strip()


class DirectoryPartyChangeInput(DirectoryPartyInput):
    class Meta(DirectoryPartyInput.Meta):
        fields = [name for name in DirectoryPartyInput.Meta.fields if name != "organisation"]


@extend_schema_view(
    list=extend_schema(description="Your organisation's directory of parties."),
    retrieve=extend_schema(parameters=[ETAG], description="One party of your directory, with its ETag."),
    create=extend_schema(
        request=DirectoryPartyInput,
        parameters=[idempotency.PARAMETER, idempotency.REPLAYED, LOCATION, ETAG],
        responses={201: DirectoryPartySerializer, **REFUSED, **CREATED_RESPONSES},
        description="Add a legal entity (a controller you process for, a processor) to your directory.",
    ),
    partial_update=extend_schema(
        request=DirectoryPartyChangeInput,
        parameters=[IF_MATCH, ETAG],
        responses={200: DirectoryPartySerializer, **PRECONDITION_RESPONSES},
        description="Correct a party's details; the old values stay in its history.",
    ),
)
class DirectoryPartyViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    permission_classes = [IsAuthenticated]
    serializer_class = DirectoryPartySerializer
    lookup_value_regex = "[0-9]+"
    http_method_names = ["get", "post", "patch", "head"]

    def get_queryset(self):
        return Party.objects.filter(owner_id__in=member_organisation_ids(self.request)).order_by("name", "pk")

    def retrieve(self, request, pk=None):
        return etagged(DirectoryPartySerializer(get_object_or_404(self.get_queryset(), pk=pk)).data)

    def create(self, request):
        if not any(may_write_in(request, organisation) for organisation in member_organisation_ids(request)):
            raise PermissionDenied(_("Your role does not allow this change."))  # before judging the input
        given = request.data.get("organisation") if hasattr(request.data, "get") else None
        owner_id = writable_organisation(
            request,
            given if isinstance(given, int) and not isinstance(given, bool) else None,
            unnamed=_("Name the organisation whose directory the party joins."),
        )

        def add():
            serializer = DirectoryPartyInput(data=request.data, owner_id=owner_id)
            serializer.is_valid(raise_exception=True)
            fields = dict(serializer.validated_data)
            fields.pop("organisation", None)
            reason = fields.pop("reason")
            party = org_services.create_party(
                Organisation.objects.get(pk=owner_id), actor=request.user, reason=reason, **fields
            )
            data = DirectoryPartySerializer(party).data
            location = request.build_absolute_uri(reverse("api:party-detail", kwargs={"pk": party.pk}))
            return Response(
                data,
                status=status.HTTP_201_CREATED,
                headers={"Location": location, "ETag": preconditions.etag_of(data)},
            )

        return idempotency.run(request, organisation_id=owner_id, operation=add)

    def partial_update(self, request, pk=None):
        party = get_object_or_404(self.get_queryset(), pk=pk)
        if not may_write_in(request, party.owner_id):
            raise PermissionDenied(_("Your role does not allow this change."))
        tags = preconditions.require_if_match(request)
        with transaction.atomic():
            locked = Party.objects.select_for_update().get(pk=party.pk)
            preconditions.check_if_match(tags, preconditions.etag_of(DirectoryPartySerializer(locked).data))
            serializer = DirectoryPartyChangeInput(locked, data=request.data, partial=True, owner_id=locked.owner_id)
            serializer.is_valid(raise_exception=True)
            changes = dict(serializer.validated_data)
            if "reason" not in changes:
                raise serializers.ValidationError({"reason": [serializer.fields["reason"].error_messages["required"]]})
            reason = changes.pop("reason")
            if not changes:
                raise serializers.ValidationError({"non_field_errors": [_("Name at least one field to change.")]})
            updated = org_services.update_party(locked, actor=request.user, reason=reason, **changes)
        return etagged(DirectoryPartySerializer(updated).data)
