"""Response headers every page, API answer and export carries: caching and browser features.

* ``Cache-Control: private, no-store`` on every answer to an authenticated request (a session or
  an API token) and on the share-link URL, unless the view chose its own Cache-Control (the
  share-link view and the login pages send Django's never-cache set): a register page, an API
  answer or an export must not be kept by a shared proxy or left in the browser's disk cache of a
  shared computer. Anonymous answers (the login page, static files) keep their own caching.
* ``Permissions-Policy`` on every answer: BreachTrack uses no camera, microphone, location,
  payment, USB or other device feature, so no page of it (nor anything injected into one) may ask.
"""

from __future__ import annotations

PRIVATE = "private, no-store"

# Browser features no page of BreachTrack uses: each is denied to the page and to any frame.
DENIED_FEATURES = (
    "accelerometer",
    "autoplay",
    "bluetooth",
    "browsing-topics",
    "camera",
    "display-capture",
    "geolocation",
    "gyroscope",
    "hid",
    "idle-detection",
    "interest-cohort",
    "magnetometer",
    "microphone",
    "midi",
    "payment",
    "screen-wake-lock",
    "serial",
    "usb",
    "xr-spatial-tracking",
)
PERMISSIONS_POLICY = ", ".join(f"{feature}=()" for feature in DENIED_FEATURES)

SHARE_VIEWS = frozenset({"access:share", "access:share_kind"})


def is_authenticated_request(request) -> bool:
    """A request that carried credentials: an API token, or a session of a logged-in person.

    ``request.user`` is the token's user too once the API has authenticated it (DRF sets it on the
    request); an ``Authorization`` header counts even when the token was refused.
    """
    if request.META.get("HTTP_AUTHORIZATION"):
        return True
    user = getattr(request, "user", None)
    return bool(user is not None and user.is_authenticated)


def is_share_request(request) -> bool:
    match = getattr(request, "resolver_match", None)
    return match is not None and match.view_name in SHARE_VIEWS


class SecurityHeadersMiddleware:
    """Sets the headers of this module's docstring on every response."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        if "Cache-Control" not in response and (is_authenticated_request(request) or is_share_request(request)):
            response["Cache-Control"] = PRIVATE
        return response
