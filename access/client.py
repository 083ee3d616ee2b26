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

    ``REMOTE_ADDR`` unless ``settings.BEHIND_TLS_PROXY`` says our own proxies are in front: then
    the ``X-Forwarded-For`` entry ``settings.BEHIND_TLS_PROXY_COUNT`` places from the right. Each
    of our proxies appends the address it saw, so with one proxy (the default) the last entry is
    the client's; with two (a load balancer, then a TLS proxy), the second from the right. Entries
    further left are whatever the client chose to send, and are never read. A header with fewer
    entries than that, or a malformed entry, falls back to ``REMOTE_ADDR``: the log then names the
    proxy, which is true, rather than an address the client chose.
    """
    remote = _valid_ip(request.META.get("REMOTE_ADDR"))
    if not getattr(settings, "BEHIND_TLS_PROXY", False):
        return remote
    hops = getattr(settings, "BEHIND_TLS_PROXY_COUNT", 1)
    header = request.META.get("HTTP_X_FORWARDED_FOR", "")
    entries = header.split(",") if header else []
    if hops < 1 or len(entries) < hops:
        return remote
    return _valid_ip(entries[-hops]) or remote


def user_agent(request, limit: int) -> str:
    return request.META.get("HTTP_USER_AGENT", "")[:limit]
