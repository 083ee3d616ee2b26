"""Tenancy and roles for API requests.

A session sees what its user sees (``visible_to``); a token sees its own organisation only,
with the token's role, even when its user is a member of several organisations.
"""

from __future__ import annotations

from api.models import ApiToken
from organisations.models import Role
from organisations.tenancy import active_memberships


def request_token(request) -> ApiToken | None:
    return request.auth if isinstance(request.auth, ApiToken) else None


def visible(queryset, request):
    """The rows of ``queryset`` (a tenant queryset) this request may read."""
    queryset = queryset.visible_to(request.user)
    token = request_token(request)
    if token is not None:
        queryset = queryset.filter(**{queryset.tenant_lookup: token.organisation_id})
    return queryset


def role_in(request, organisation_id) -> str | None:
    """The role this request acts with in that organisation (None: none at all)."""
    token = request_token(request)
    if token is not None:
        return token.role if token.organisation_id == organisation_id else None
    if request.user.is_superuser:
        return Role.PRIVACY_OFFICER  # as in the admin: an administrator may correct anything
    membership = active_memberships(request.user).filter(organisation_id=organisation_id).first()
    return membership.role if membership else None


def member_organisation_ids(request) -> list[int]:
    """The organisations this request acts in (for a token: its own; roles are checked apart)."""
    token = request_token(request)
    if token is not None:
        return [token.organisation_id]
    return list(active_memberships(request.user).values_list("organisation_id", flat=True))
