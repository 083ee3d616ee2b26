"""Where a request came from, as far as we can trust it."""

from __future__ import annotations

import ipaddress

from django.conf import settings


def _valid_ip(value: str | None) -> str | None:
    if not value:
        return None
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError:
        return None


def client_ip(request) -> str | None:
    """The client's IP address.

    ``REMOTE_ADDR`` unless ``settings.BEHIND_TLS_PROXY`` says our own proxy is in front: then
    the *last* ``X-Forwarded-For`` entry, the one that proxy appended (earlier entries are
    whatever the client chose to send). A missing or malformed header falls back to
    ``REMOTE_ADDR``: the log then names the proxy, which is true, rather than a made-up value.
    """
    remote = _valid_ip(request.META.get("REMOTE_ADDR"))
    if not getattr(settings, "BEHIND_TLS_PROXY", False):
        return remote
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    last = forwarded.split(",")[-1] if forwarded else None
    return _valid_ip(last) or remote


def user_agent(request, limit: int) -> str:
    return request.META.get("HTTP_USER_AGENT", "")[:limit]
