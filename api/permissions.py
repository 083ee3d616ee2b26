"""Roles on the server: every member reads; only a privacy officer writes.

Objects are first looked up through ``scoping.visible``, so another organisation's object is a
404 before any role is considered (a 403 would tell that it exists). The services check the
user's membership again when they write.
"""

from __future__ import annotations

from rest_framework.permissions import SAFE_METHODS, IsAuthenticated

from api.scoping import role_in
from organisations.services import EDIT_ROLES


def may_write_in(request, organisation_id) -> bool:
    return role_in(request, organisation_id) in EDIT_ROLES


class RegisterPermission(IsAuthenticated):
    def has_object_permission(self, request, view, obj):
        if request.method in SAFE_METHODS:
            return True  # found through the scoped queryset: the request may read it
        return may_write_in(request, obj.organisation_id)
