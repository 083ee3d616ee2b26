"""What the collections of one incident's records share: ``/api/incidents/{incident_pk}/<records>/``
lists them and adds one, ``…/<records>/{pk}/`` reads one with its ETag.

The incident is found first (``IncidentChildViewSet``: 404 for another organisation's), a write
needs the privacy officer's role of the request (403, before the input is judged); the input is
an ``IncidentScopedSerializer`` (an id from another incident is refused on its field, 400), the
write is one action of ``actions/`` with the request's user as actor and the body's ``reason``,
and a creating POST takes an ``Idempotency-Key``. Reads are logged in the access log.
"""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from django.urls import reverse
from rest_framework import status
from rest_framework.response import Response

from api import idempotency, preconditions
from api.nested import IncidentChildViewSet
from api.parts import etagged


class IncidentRecordsViewSet(IncidentChildViewSet):
    """Subclasses set ``representation`` (the read serializer), ``input_serializer``, ``what``
    (the words of the access log) and implement ``rows`` and ``write``."""

    pagination_class = None  # the parts of one incident, as its parties and awareness records
    representation: type | None = None
    input_serializer: type | None = None
    what = ""

    def rows(self):
        raise NotImplementedError

    def write(self, incident, fields: dict, reason: str):
        raise NotImplementedError

    def location_kwargs(self, row) -> dict:
        return {**self.kwargs, "pk": row.pk}

    def list(self, request, *args, **kwargs):
        rows = self.rows()
        self.log_incident_read(self.what)
        return Response(self.representation(rows, many=True).data)

    def retrieve(self, request, *args, pk=None, **kwargs):
        row = get_object_or_404(self.rows(), pk=pk)
        self.log_incident_read(f"{self.what} {row.pk}")
        return etagged(self.representation(row).data)

    def create(self, request, *args, **kwargs):
        incident = self.require_writer()

        def add():
            serializer = self.input_serializer(data=request.data, incident=incident)
            serializer.is_valid(raise_exception=True)
            fields, reason = serializer.write_arguments()
            row = self.write(incident, fields, reason)
            data = self.representation(row).data
            location = request.build_absolute_uri(
                reverse(f"api:{self.basename}-detail", kwargs=self.location_kwargs(row))
            )
            return Response(
                data,
                status=status.HTTP_201_CREATED,
                headers={"Location": location, "ETag": preconditions.etag_of(data)},
            )

        return idempotency.run(request, organisation_id=incident.organisation_id, operation=add)
