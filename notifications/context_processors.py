"""The unread badge in the navigation: one COUNT query per page, only when a template shows it."""

from __future__ import annotations

from functools import cached_property

from notifications.models import Notification


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
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"unread_notifications": 0}
    return {"unread_notifications": UnreadCount(user)}
