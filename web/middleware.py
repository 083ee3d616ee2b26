"""Per-request context: the user's display time zone and a default change reason."""

from __future__ import annotations

import zoneinfo

from django.utils import timezone

from breachtrack.history import acting_as


class UserTimezoneMiddleware:
    """Show times in the user's zone; storage stays UTC."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        zone = getattr(user, "time_zone", None) if user is not None and user.is_authenticated else None
        if zone:
            try:
                timezone.activate(zoneinfo.ZoneInfo(zone))
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                timezone.deactivate()
        else:
            timezone.deactivate()
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()


class HistoryReasonMiddleware:
    """A default change reason naming the request, for records no form gave a reason.

    The actor itself comes from simple-history's HistoryRequestMiddleware (the
    logged-in user); views and admin forms set an explicit reason where a
    person gives one.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        actor = user if user is not None and user.is_authenticated else None
        with acting_as(actor, f"{request.method} {request.path}"):
            return self.get_response(request)
