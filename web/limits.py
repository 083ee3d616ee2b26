"""Request bodies are measured before they are read, on every route.

A body's size is known from its ``Content-Length`` before a byte of it is read. A route that takes
a file upload (a view marked with ``breachtrack.uploads.accepts_uploads``) may receive up to
``BREACHTRACK_UPLOAD_MAX_BYTES``; every other route up to ``DATA_UPLOAD_MAX_MEMORY_SIZE``. A larger
body is answered 413 at once, so no worker spends its time reading and dropping it (a body sent
without a length is read as empty by Django and needs no check).

A form body (``application/x-www-form-urlencoded``) must decode as UTF-8: Django would replace an
invalid byte with U+FFFD and store the changed text; it is refused with 400 instead.

Runs as a view middleware before the CSRF check, which is the first to read a body. Under
``/api/`` the answer is the API's JSON error body; elsewhere a page.
"""

from __future__ import annotations

from urllib.parse import parse_qsl

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from breachtrack.uploads import accepts_uploads, too_large_message

FORM_CONTENT_TYPE = "application/x-www-form-urlencoded"


def declared_length(request: HttpRequest) -> int:
    """The body's declared size; Django reads a missing or malformed length as an empty body."""
    try:
        return max(int(request.META.get("CONTENT_LENGTH") or 0), 0)
    except ValueError:
        return 0


def body_limit(view_func) -> int:
    if accepts_uploads(view_func):
        return settings.BREACHTRACK_UPLOAD_MAX_BYTES
    return settings.DATA_UPLOAD_MAX_MEMORY_SIZE


def is_valid_form_encoding(body: bytes) -> bool:
    try:
        parse_qsl(body.decode("ascii"), keep_blank_values=True, encoding="utf-8", errors="strict")
    except (UnicodeDecodeError, ValueError):
        return False
    return True


def refusal(request: HttpRequest, status: int, code: str, message: str) -> HttpResponse:
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": message, "code": code}, status=status)
    return render(request, "request_refused.html", {"message": message}, status=status)


class RequestBodyLimitMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view_func, view_args, view_kwargs) -> HttpResponse | None:
        size = declared_length(request)
        limit = body_limit(view_func)
        if size > limit:
            return refusal(request, 413, "too_large", too_large_message(size, limit))
        if request.content_type == FORM_CONTENT_TYPE and size and not is_valid_form_encoding(request.body):
            message = _("The form was not sent as valid UTF-8 text. Send it again from the page.")
            return refusal(request, 400, "invalid_encoding", message)
        return None
