"""Template context for every page: whether deadline alerts are being checked, and the unread badge.

Both are lazy and cost at most one query each, and only when a template shows them.
"""

from __future__ import annotations

from functools import cached_property

from django.utils.functional import SimpleLazyObject

from notifications.health import sweep_health as read_sweep_health
from notifications.models import Notification

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


class UnreadCount:
    """Counts on first use, then answers from memory: the badge and the page share one query."""

    def __init__(self, user):
        self.user = user

    @cached_property
    def value(self) -> int:
        return Notification.objects.for_user(self.user).unread().count()

    def __int__(self):
        return self.value

    def __bool__(self):
        return self.value > 0

    def __str__(self):
        return str(self.value)


def unread_notifications(request):
    """The unread badge in the navigation: one COUNT query per page, only when a template shows it."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"unread_notifications": 0}
    return {"unread_notifications": UnreadCount(user)}
