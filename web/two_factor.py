"""Two-factor authentication (TOTP, django-otp): who owes a code, and what they may reach meanwhile.

A user owes a second factor when an organisation that requires it
(``Organisation.requires_two_factor``) counts them as privacy officer or legal, or when they
set up an authenticator app themselves (organisations.auth_backends). Until the session is
verified (``django_otp.login``):

* web pages redirect to the code step (a confirmed device) or to enrolment (none yet);
  only the login, logout, two-factor and language pages answer;
* API requests authenticated by the session are refused with 403 and a message that says
  why (``VerifiedSessionAuthentication``). API tokens are unaffected: a token is a separate
  secret, issued by a verified user, and never reaches the session.

Devices are created only here (``enrol_device``), with the acting user and a reason in the log.
"""

from __future__ import annotations

import logging
from base64 import b32encode
from urllib.parse import quote, urlencode

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from drf_spectacular.authentication import SessionScheme
from rest_framework.authentication import SessionAuthentication
from rest_framework.exceptions import PermissionDenied

from organisations.services import require_reason

log = logging.getLogger(__name__)

# URL names a user who owes a second factor can still reach.
OPEN_URL_NAMES = frozenset(
    {"accounts:login", "accounts:logout", "accounts:two_factor_verify", "accounts:two_factor_enrol", "set_language"}
)


def owes_second_factor(user) -> bool:
    """An authenticated user whose session still lacks the second factor they owe."""
    if user is None or not user.is_authenticated or not getattr(user, "needs_two_factor", False):
        return False
    is_verified = getattr(user, "is_verified", None)
    return not (is_verified and is_verified())


def next_step_url(user, next_url: str = "") -> str:
    name = (
        "accounts:two_factor_verify" if getattr(user, "has_two_factor_device", False) else "accounts:two_factor_enrol"
    )
    url = reverse(name)
    return f"{url}?{urlencode({'next': next_url})}" if next_url else url


class TwoFactorRequiredMiddleware:
    """Send a user who owes a second factor to give it; nothing else answers until they do."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if owes_second_factor(request.user) and not self._is_open(request):
            return redirect(next_step_url(request.user, request.get_full_path()))
        return self.get_response(request)

    @staticmethod
    def _is_open(request) -> bool:
        path = request.path_info
        if path.startswith("/" + settings.STATIC_URL.lstrip("/")) or path.startswith("/api/"):
            return True  # the API answers for itself (VerifiedSessionAuthentication)
        match = getattr(request, "resolver_match", None)
        if match is None:
            from django.urls import Resolver404, resolve

            try:
                match = resolve(path)
            except Resolver404:
                return False
        return match.view_name in OPEN_URL_NAMES


class VerifiedSessionAuthentication(SessionAuthentication):
    """DRF's session authentication, refusing (403) a session that owes its second factor."""

    def authenticate(self, request):
        result = super().authenticate(request)
        if result is not None and owes_second_factor(request._request.user):
            raise PermissionDenied(
                _(
                    "Two-factor authentication is required for your account: confirm your login with a code "
                    "from your authenticator app in the browser, or use an API token."
                )
            )
        return result


# --- enrolment ------------------------------------------------------------------------


def new_secret() -> str:
    """A fresh TOTP key (hex, 20 bytes), kept in the session until the user confirms a code."""
    from django_otp.util import random_hex

    return random_hex(20)


def provisioning_uri(user, key_hex: str) -> str:
    """The otpauth:// URI an authenticator app reads from the QR code."""
    secret = b32encode(bytes.fromhex(key_hex)).decode("ascii").rstrip("=")
    issuer = getattr(settings, "OTP_TOTP_ISSUER", "BreachTrack")
    label = quote(f"{issuer}:{user.get_username()}")
    return f"otpauth://totp/{label}?{urlencode({'secret': secret, 'issuer': issuer, 'digits': 6, 'period': 30})}"


def readable_secret(key_hex: str) -> str:
    """The same secret as the QR code, for typing in by hand: base32 in groups of four."""
    secret = b32encode(bytes.fromhex(key_hex)).decode("ascii").rstrip("=")
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def code_matches(key_hex: str, code: str) -> bool:
    """Whether ``code`` is the current TOTP of ``key_hex`` (one step of clock drift either way)."""
    code = "".join(code.split())
    if not code.isdigit() or len(code) != 6:
        return False
    totp = TOTP(bytes.fromhex(key_hex), step=30, t0=0, digits=6, drift=0)
    return totp.verify(int(code), tolerance=1)


@transaction.atomic
def enrol_device(user, key_hex: str, code: str, *, actor, reason: str) -> TOTPDevice:
    """Steps: 1. refuse a code that does not match the key; 2. remove the user's earlier
    devices (one authenticator per person); 3. store the key as a confirmed device."""
    reason = require_reason(reason)
    if actor is None or actor.pk != user.pk:
        raise ValidationError(_("Only the user themselves can set up their authenticator app."))
    if not code_matches(key_hex, code):
        raise ValidationError(
            {"code": _("That code does not match. Check the time on your phone and try the newest code.")}
        )
    TOTPDevice.objects.filter(user=user).delete()
    device = TOTPDevice.objects.create(user=user, key=key_hex, name=_("Authenticator app"), confirmed=True)
    log.info("two-factor device %s set up for user %s by %s: %s", device.pk, user.pk, actor.pk, reason)
    return device


class VerifiedSessionScheme(SessionScheme):
    """The API schema describes the session authentication as drf-spectacular's cookie scheme."""

    target_class = "web.two_factor.VerifiedSessionAuthentication"
