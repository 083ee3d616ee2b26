"""Keeping share-link tokens out of log lines.

A share link's token is the whole credential (``/share/<token>/``: no login), so a log line that
carries the path carries the key to an incident's export. Every log line that may name a request
path goes through ``redact_share_tokens``: Django's loggers through ``ShareTokenFilter`` (in
``LOGGING``, breachtrack/settings.py), gunicorn's access log through
``breachtrack.gunicorn_logging.RedactingLogger``.
"""

from __future__ import annotations

import logging
import re

REDACTED = "[redacted]"

# The segment after /share/ up to the next slash, query, fragment, space or quote: a path, a full
# URL (a Referer) or a request line ("GET /share/<token>/ HTTP/1.1") alike. Percent-encoded
# slashes are matched too (a Referer may carry the path encoded).
SHARE_SEGMENT = re.compile(r"(/|%2f)(share)(/|%2f)(?:(?!%2f)[^/?#\s\"'])+", re.IGNORECASE)


def redact_share_tokens(text: str) -> str:
    """``text`` with the token of every ``/share/<token>`` replaced by ``[redacted]``."""
    return SHARE_SEGMENT.sub(lambda match: f"{match[1]}{match[2]}{match[3]}{REDACTED}", text)


def redact_value(value):
    """A string redacted; anything else as it is (a status code, a byte count, a request)."""
    return redact_share_tokens(value) if isinstance(value, str) else value


class ShareTokenFilter(logging.Filter):
    """Rewrites a record's message and its arguments so that no share-link token is logged.

    Attached to a logger (django.request, django.server) it changes the record itself, so every
    handler downstream (the console, a file, Django's mail to admins) sees the redacted text.
    Nothing is dropped: the filter always lets the record through.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact_share_tokens(record.msg)
        if isinstance(record.args, dict):
            record.args = {key: redact_value(value) for key, value in record.args.items()}
        elif isinstance(record.args, tuple):
            record.args = tuple(redact_value(value) for value in record.args)
        return True
