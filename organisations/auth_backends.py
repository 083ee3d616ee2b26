"""Authentication backends: throttled logins, and users that know whether they owe a second factor.

* ``ThrottledLoginBackend`` is django-axes' standalone backend: it refuses a locked-out
  username + address before any password is checked. It throttles HTTP logins only: a call
  to ``authenticate()`` without a request (the test client's ``login()``, a shell) has no
  client address to count and nothing to lock, so it passes on to the next backend.
* ``MemberBackend`` is Django's model backend whose ``get_user`` (run once per request by the
  session middleware) annotates the user with ``needs_two_factor`` and
  ``has_two_factor_device`` in the same query, so the two-factor middleware
  (web.two_factor) costs no query of its own.
"""

from __future__ import annotations

from axes.backends import AxesStandaloneBackend
from django.contrib.auth.backends import ModelBackend
from django.db.models import BooleanField, Exists, ExpressionWrapper, OuterRef, Q
from django_otp.plugins.otp_totp.models import TOTPDevice

from organisations.models import Membership, Role, User

# The roles an organisation's "require two-factor" setting applies to: those who write or
# read everything, including history.
TWO_FACTOR_ROLES = (Role.PRIVACY_OFFICER, Role.LEGAL)


class ThrottledLoginBackend(AxesStandaloneBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


def with_two_factor_state(queryset):
    """``queryset`` of users annotated with ``needs_two_factor`` and ``has_two_factor_device``."""
    required = Membership.objects.filter(
        user=OuterRef("pk"), is_active=True, role__in=TWO_FACTOR_ROLES, organisation__requires_two_factor=True
    )
    device = TOTPDevice.objects.filter(user=OuterRef("pk"), confirmed=True)
    return queryset.annotate(
        has_two_factor_device=Exists(device),
        # A user who set up a device confirms every login with it, required or not: a second
        # factor that could be skipped would protect nothing.
        needs_two_factor=ExpressionWrapper(Q(Exists(required)) | Q(Exists(device)), output_field=BooleanField()),
    )


class MemberBackend(ModelBackend):
    def get_user(self, user_id):
        try:
            user = with_two_factor_state(User._default_manager.all()).get(pk=user_id)
        except User.DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None
