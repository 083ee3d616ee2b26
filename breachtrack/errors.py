"""Field-level validation errors that keep their code.

``ValidationError({"field": "message"}, code=...)`` silently drops the code
(Django ignores ``code`` for dicts); clients and tests rely on codes.
"""

from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _


def field_error(field: str, message, code: str) -> ValidationError:
    return ValidationError({field: ValidationError(message, code=code)})


def field_errors(fields, message, code: str) -> ValidationError:
    return ValidationError({field: ValidationError(message, code=code) for field in fields})


def check_expiry(expires_at: datetime, now: datetime, *, longest: timedelta, too_long_message) -> None:
    """An expiry given with its zone, in the future and at most ``longest`` ahead (share links,
    API tokens); ``too_long_message`` names what expires and takes ``%(days)d``."""
    if timezone.is_naive(expires_at):
        raise field_error("expires_at", _("Give the expiry with its time zone."), "naive")
    if expires_at <= now:
        raise field_error("expires_at", _("The expiry must be in the future."), "in_past")
    if expires_at - now > longest:
        raise field_error("expires_at", too_long_message % {"days": longest.days}, "too_long")
