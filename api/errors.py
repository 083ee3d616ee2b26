"""API errors: one body shape for every refusal, with a stable machine-readable code.

Every error the API sends is JSON with ``detail`` (a sentence for a person, translated) and
``code`` (a stable word for a program, never translated)::

    {"detail": "Not found.", "code": "not_found"}

A validation error (400) also keeps the field errors, and their codes in the same shape::

    {"detail": "Invalid input: see the errors by field.", "code": "invalid",
     "fields": {"title": ["This field may not be blank."]},
     "field_codes": {"title": ["blank"]}}

A list field names its bad element: ``{"data_categories": {"1": ["… not a valid choice."]}}``;
an error about the whole input sits under ``non_field_errors``.

The services raise Django's ``ValidationError`` (with per-field messages) and ``PermissionDenied``;
DRF knows the second, not the first. ``exception_handler`` turns the first into DRF's own, so a
refused write reads exactly like a serializer error. ``api.schema`` documents these bodies on
every operation (``ErrorSerializer``, ``ValidationErrorSerializer``).
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, JsonResponse
from django.utils.translation import gettext_lazy as _
from django.views.defaults import page_not_found
from django.views.defaults import server_error as django_server_error
from rest_framework import exceptions, serializers, status
from rest_framework.views import exception_handler as drf_exception_handler

INVALID = "invalid"


class PreconditionRequired(exceptions.APIException):
    status_code = status.HTTP_428_PRECONDITION_REQUIRED
    default_detail = _("Send If-Match with the ETag of the version you read: a change must name what it changes.")
    default_code = "precondition_required"


class PreconditionFailed(exceptions.APIException):
    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_detail = _("Someone changed this since you read it: read it again and re-apply your change.")
    default_code = "precondition_failed"


class Conflict(exceptions.APIException):
    """The request is well formed but clashes with the current state (e.g. it was already done).

    A view that raises it declares it, so the schema documents it:
    ``extend_schema(responses={409: OpenApiResponse(description=…)})``.
    """

    status_code = status.HTTP_409_CONFLICT
    default_detail = _("This clashes with the current state of the record.")
    default_code = "conflict"


def exception_handler(exc, context):
    # DRF's handler converts Django's 404 and 403 only for its own response: convert them here,
    # so error_body sees DRF's exceptions (with their codes) whatever was raised.
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(serializers.as_serializer_error(exc))
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound(*exc.args)
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(*exc.args)
    response = drf_exception_handler(exc, context)
    if response is not None:
        response.data = error_body(exc)
    return response


def error_body(exc: exceptions.APIException) -> dict:
    if isinstance(exc, exceptions.ValidationError):
        return _validation_body(exc)
    detail, codes = exc.detail, exc.get_codes()
    if isinstance(detail, list | dict):  # an APIException raised with a structure of its own
        return {"detail": str(_first_message(detail)), "code": exc.default_code}
    return {"detail": str(detail), "code": codes if isinstance(codes, str) else exc.default_code}


def _validation_body(exc: exceptions.ValidationError) -> dict:
    messages, codes = exc.detail, exc.get_codes()
    if not isinstance(messages, dict):  # raised with a message or a list: about the input as a whole
        messages, codes = {"non_field_errors": _as_list(messages)}, {"non_field_errors": _as_list(codes)}
    return {
        "detail": str(_("Invalid input: see the errors by field.")),
        "code": INVALID,
        "fields": _plain(messages),
        "field_codes": _plain(codes),
    }


def _as_list(value):
    return value if isinstance(value, list) else [value]


def _plain(value):
    """ErrorDetail strings and nested lists/dicts as plain JSON values (keys as strings)."""
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return str(value) if value is not None else INVALID


def _first_message(value):
    while isinstance(value, list | dict) and value:
        value = next(iter(value.values())) if isinstance(value, dict) else value[0]
    return value


def not_found(request, exception=None):
    """Django's 404 page (settings.ROOT_URLCONF's handler404), as an API error body under /api/.

    A URL the router does not match (``/api/incidents/abc/``) never reaches a DRF view, so
    without this an API client would get the site's HTML page for it.
    """
    if not request.path.startswith("/api/"):
        return page_not_found(request, exception)
    body = error_body(exceptions.NotFound())
    return JsonResponse(body, status=status.HTTP_404_NOT_FOUND)


class ServerError(exceptions.APIException):
    default_code = "server_error"


def server_error(request):
    """Django's 500 page (handler500), as an API error body under /api/: a client that asked for
    JSON never has to parse the site's HTML, even when the server failed (the failure is logged)."""
    if not request.path.startswith("/api/"):
        return django_server_error(request)
    body = error_body(ServerError(_("The server failed on this request; it was logged. Try again later.")))
    return JsonResponse(body, status=status.HTTP_500_INTERNAL_SERVER_ERROR)
