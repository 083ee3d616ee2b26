"""What the endpoints under ``/api/incidents/{incident_pk}/…`` share.

The incident is found through ``scoping.visible`` first, so another organisation's incident
(and anything under it) is a 404 before a role or the input is considered; a write then needs
the privacy officer's role *of this request* (a token's own role, not its user's), checked
before the input is judged.
"""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import serializers, viewsets
from rest_framework.exceptions import PermissionDenied

from access.choices import AccessAction
from access.log import log_view
from api.permissions import may_write_in
from api.scoping import request_token, visible
from api.serializers import TextField, UtcDateTimeField, ZoneOffsetMixin
from breachtrack import limits
from incidents.models import Incident


class StrictSerializer(ZoneOffsetMixin, serializers.Serializer):
    """An input serializer that refuses, by name, any field it does not declare (and an offset that
    contradicts its zone, ``api.serializers.ZoneOffsetMixin``)."""

    def to_internal_value(self, data):
        if isinstance(data, dict) or hasattr(data, "keys"):
            unknown = sorted(set(data.keys()) - {name for name, field in self.fields.items() if not field.read_only})
            if unknown:
                raise serializers.ValidationError({name: [_("This field cannot be set here.")] for name in unknown})
        return super().to_internal_value(data)


def reason_field():
    return TextField(
        max_length=limits.REASON,
        help_text=gettext_lazy("Why you are making this change, kept as evidence with it."),
    )


def instant_field(**kwargs):
    return UtcDateTimeField(**kwargs)


class IncidentChildViewSet(viewsets.GenericViewSet):
    """A viewset whose rows belong to the incident named in the URL."""

    lookup_value_regex = "[0-9]+"

    def incident(self) -> Incident:
        if not hasattr(self, "_incident"):
            incidents = visible(Incident.objects.select_related("organisation"), self.request)
            self._incident = get_object_or_404(incidents, pk=self.kwargs["incident_pk"])
        return self._incident

    def require_writer(self) -> Incident:
        """The incident, if this request may change it: 404 outside, 403 without the role."""
        incident = self.incident()
        if not may_write_in(self.request, incident.organisation_id):
            raise PermissionDenied(_("Your role does not allow this change."))
        return incident

    def log_read(self, action: str, what: str) -> None:
        token = request_token(self.request)
        detail = f"API {what}" + (f", token {token.prefix}" if token else "")
        log_view(self.request, self.incident(), action, detail=detail)

    def log_incident_read(self, what: str) -> None:
        self.log_read(AccessAction.INCIDENT_VIEW, what)


def child_of(incident, queryset, pk):
    """A row of ``incident`` by primary key, or 404 (also for another incident's row)."""
    return get_object_or_404(queryset, incident=incident, pk=pk)
