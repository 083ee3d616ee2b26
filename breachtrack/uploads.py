"""Refuse an oversized upload before a byte of its file is stored.

Django's own handlers write an upload to memory or a temporary file while the request is
parsed, which happens before any view runs (the CSRF check already reads the form). This
handler comes first in FILE_UPLOAD_HANDLERS: when the request body is larger than
BREACHTRACK_UPLOAD_MAX_BYTES it stops the upload at the first file, so the form fields
before it (the CSRF token) are read, the file is skipped unread and unwritten, and
``request.upload_refused_bytes`` tells the view to answer 413 (``refuse_oversized_upload``).
"""

from __future__ import annotations

from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.shortcuts import render
from django.utils.formats import number_format
from django.utils.translation import gettext as _


class SizeLimitedUploadHandler(FileUploadHandler):
    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):
        self.body_length = content_length

    def new_file(self, *args, **kwargs):
        if self.body_length and self.body_length > settings.BREACHTRACK_UPLOAD_MAX_BYTES:
            if self.request is not None:
                self.request.upload_refused_bytes = self.body_length
            raise StopUpload(connection_reset=False)  # the rest of the body is read and dropped
        super().new_file(*args, **kwargs)

    def receive_data_chunk(self, raw_data, start):
        return raw_data  # the next handler stores it

    def file_complete(self, file_size):
        return None


def accepts_uploads(view_func):
    """Mark a view (a function, or a DRF action's method) as one that takes a file upload.

    Called with a view function returned by URL resolution, it answers whether that view was
    marked: a DRF view carries its viewset class and the method's action name.
    """
    view_class = getattr(view_func, "cls", None)
    actions = getattr(view_func, "actions", None) or {}
    if view_class is not None:
        return any(getattr(getattr(view_class, name, None), "takes_uploads", False) for name in actions.values())
    return getattr(view_func, "takes_uploads", False)


def takes_uploads(view_func):
    """Decorator: this view accepts a body up to BREACHTRACK_UPLOAD_MAX_BYTES (see web.limits)."""
    view_func.takes_uploads = True
    return view_func


def too_large_message(size: int, limit: int) -> str:
    return _("The file is %(size)s bytes; the limit is %(limit)s bytes. Split it into several files.") % {
        "size": number_format(size, force_grouping=True),  # the reader's grouping: 2.048 in Dutch
        "limit": number_format(limit, force_grouping=True),
    }


def refuse_oversized_upload(request, template_name: str, context: dict, form):
    """The 413 answer to a request whose file the handler refused, or None when it took it."""
    size = getattr(request, "upload_refused_bytes", None)
    if size is None:
        return None
    form.errors.clear()  # the fields after the file were never read: only the size matters
    form.add_error("file", too_large_message(size, settings.BREACHTRACK_UPLOAD_MAX_BYTES))
    return render(request, template_name, {**context, "form": form}, status=413)
