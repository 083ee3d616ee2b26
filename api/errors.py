"""API errors: a service's refusal becomes a 400 with field errors, and the two preconditions.

The services raise Django's ``ValidationError`` (with per-field messages) and ``PermissionDenied``;
DRF knows the second, not the first. ``exception_handler`` turns the first into DRF's own, so a
refused write reads exactly like a serializer error: ``{"field": ["message", ...]}``.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, serializers, status
from rest_framework.views import exception_handler as drf_exception_handler


class PreconditionRequired(exceptions.APIException):
    status_code = status.HTTP_428_PRECONDITION_REQUIRED
    default_detail = _("Send If-Match with the ETag of the version you read: a change must name what it changes.")
    default_code = "precondition_required"


class PreconditionFailed(exceptions.APIException):
    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_detail = _("Someone changed this since you read it: read it again and re-apply your change.")
    default_code = "stale"


def exception_handler(exc, context):
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(serializers.as_serializer_error(exc))
    return drf_exception_handler(exc, context)
