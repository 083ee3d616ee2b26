"""Share links over the API: list an incident's links, create one, revoke one.

Who may: as on the admin (``web.admin.access``), privacy officers *and legal* create and revoke
(``actions.sharing.SHARE_ROLES``); every member reads the list. A token acts with its own role,
so a legal user's viewer token cannot share. The link's secret is in the creation response and
nowhere else: only its SHA-256 is stored.
"""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.permissions import SAFE_METHODS, IsAuthenticated
from rest_framework.response import Response

from access.choices import ExportKind
from access.models import ShareLink
from actions import sharing as services
from api.parts import REFUSED, IncidentPartsViewSet, ScopedRecordViewSet, log_read
from api.scoping import role_in
from api.serializers import ReasonField, RegisterSerializer, TextField, UtcDateTimeField, ZoneOffsetMixin
from breachtrack import limits


class SharePermission(IsAuthenticated):
    """Every member reads; privacy officers and legal of the object's organisation share and revoke."""

    def has_object_permission(self, request, view, obj):
        if request.method in SAFE_METHODS:
            return True
        return role_in(request, obj.organisation_id) in services.SHARE_ROLES


class ShareLinkSerializer(RegisterSerializer):
    created_by = serializers.CharField(source="created_by.username", read_only=True)
    revoked_by = serializers.CharField(source="revoked_by.username", read_only=True, allow_null=True)

    class Meta:
        model = ShareLink
        fields = [
            "id",
            "incident",
            "export_kind",
            "recipient",
            "purpose",
            "created_by",
            "created_at",
            "expires_at",
            "expires_tz",
            "revoked_at",
            "revoked_by",
            "revocation_reason",
        ]
        read_only_fields = fields


class ShareLinkCreateSerializer(ZoneOffsetMixin, serializers.Serializer):
    export_kind = serializers.ChoiceField(choices=ExportKind.choices)
    recipient = TextField(
        max_length=limits.NAME, help_text=_("Who the link is for, e.g. the authority's case handler.")
    )
    expires_at = UtcDateTimeField()
    expires_tz = TextField(max_length=64, required=False, help_text=_("The zone you think in (display only)."))
    reason = ReasonField()


class CreatedShareLinkSerializer(ShareLinkSerializer):
    token = serializers.CharField(read_only=True, help_text=_("The secret: shown in this response only, never again."))
    url = serializers.CharField(read_only=True, help_text=_("The link to send (it contains the secret)."))

    class Meta(ShareLinkSerializer.Meta):
        fields = [*ShareLinkSerializer.Meta.fields, "token", "url"]
        read_only_fields = fields


class RevocationSerializer(serializers.Serializer):
    reason = ReasonField()


class IncidentShareLinksViewSet(IncidentPartsViewSet):
    permission_classes = [SharePermission]

    @extend_schema(methods=["GET"], responses={200: ShareLinkSerializer(many=True), **REFUSED})
    @extend_schema(
        methods=["POST"],
        request=ShareLinkCreateSerializer,
        responses={201: CreatedShareLinkSerializer, **REFUSED},
        description="Privacy officers and legal. The token is in this response only: send the url now.",
    )
    @action(detail=True, methods=["get", "post"], url_path="share-links", url_name="share-links", pagination_class=None)
    def share_links(self, request, pk=None):
        """The incident's share links (never their secrets); officers and legal create one."""
        incident = self.get_object()
        if request.method == "POST":
            return self._create(request, incident)
        log_read(request, incident, "share links")
        rows = (
            ShareLink.objects.filter(incident=incident)
            .select_related("created_by", "revoked_by")
            .order_by("-created_at", "-pk")
        )
        return Response(ShareLinkSerializer(rows, many=True).data)

    def _create(self, request, incident):
        serializer = ShareLinkCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        created = services.create_share_link(incident, actor=request.user, **data)
        url = request.build_absolute_uri(reverse("access:share", args=[created.token]))
        body = {**ShareLinkSerializer(created.link).data, "token": created.token, "url": url}
        response = Response(body, status=status.HTTP_201_CREATED)
        response["Cache-Control"] = "no-store"  # the secret must not sit in a cache
        return response


class ShareLinkViewSet(ScopedRecordViewSet):
    model = ShareLink
    related = ("incident", "created_by", "revoked_by")
    permission_classes = [SharePermission]
    serializer_class = ShareLinkSerializer

    @extend_schema(
        responses={200: ShareLinkSerializer, 404: OpenApiResponse(description="No such link in your organisation.")}
    )
    def retrieve(self, request, pk=None):
        """One share link, without its secret."""
        link = self.get_object()
        log_read(request, link.incident, f"share link {link.pk}")
        return Response(ShareLinkSerializer(link).data)

    @extend_schema(
        request=RevocationSerializer,
        responses={200: ShareLinkSerializer, **REFUSED},
        description="Revoke at once (privacy officers and legal); a revoked link is never revived.",
    )
    @action(detail=True, methods=["post"])
    def revoke(self, request, pk=None):
        link = self.get_object()
        serializer = RevocationSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        link = services.revoke_share_link(link, actor=request.user, reason=serializer.validated_data["reason"])
        return Response(ShareLinkSerializer(link).data)
