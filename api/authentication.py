"""``Authorization: Bearer btk_…``: an integration authenticates with an API token.

The browser uses Django's session instead (DRF's SessionAuthentication, which enforces CSRF on
every unsafe method); both are configured in settings.REST_FRAMEWORK.
"""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.exceptions import AuthenticationFailed

from api.tokens import usable_token

KEYWORD = b"bearer"


class ApiTokenAuthentication(BaseAuthentication):
    """``request.user`` becomes the token's user and ``request.auth`` the ``ApiToken``."""

    def authenticate(self, request):
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != KEYWORD:
            return None  # not ours: the session may still authenticate the request
        if len(parts) != 2:
            raise AuthenticationFailed(_("Give exactly one token after 'Bearer'."))
        try:
            secret = parts[1].decode("ascii")
        except UnicodeDecodeError:
            raise AuthenticationFailed(_("Unknown, expired or revoked token.")) from None
        token = usable_token(secret, now=timezone.now())
        if token is None:
            # One answer for all three: the caller learns nothing about which tokens exist.
            raise AuthenticationFailed(_("Unknown, expired or revoked token."))
        return token.user, token

    def authenticate_header(self, request):
        return 'Bearer realm="api"'
