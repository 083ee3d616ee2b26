"""Template context for every page: whether deadline alerts are being checked (notifications.health)."""

from __future__ import annotations

from django.utils.functional import SimpleLazyObject

from notifications.health import sweep_health as read_sweep_health

_CACHE_ATTR = "_breachtrack_sweep_health"


def _cached(request):
    # One query per request at most, however many templates a page renders with a RequestContext.
    if not hasattr(request, _CACHE_ATTR):
        setattr(request, _CACHE_ATTR, read_sweep_health())
    return getattr(request, _CACHE_ATTR)


def sweep_health(request):
    """``sweep_health`` for logged-in people (the banner is theirs); nothing, and no query, otherwise.

    Lazy: a page that never shows the banner never reads the heartbeat.
    """
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"sweep_health": SimpleLazyObject(lambda: _cached(request))}
