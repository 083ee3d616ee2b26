"""Roles on the server: every member reads; only a privacy officer writes.

Objects are first looked up through ``scoping.visible``, so another organisation's object is a
404 before any role is considered (a 403 would tell that it exists). The services check the
user's membership again when they write.
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from rest_framework import serializers
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import SAFE_METHODS, IsAuthenticated

from api.scoping import member_organisation_ids, role_in
from organisations.services import EDIT_ROLES


def may_write_in(request, organisation_id) -> bool:
    return role_in(request, organisation_id) in EDIT_ROLES


class RegisterPermission(IsAuthenticated):
    def has_object_permission(self, request, view, obj):
        if request.method in SAFE_METHODS:
            return True  # found through the scoped queryset: the request may read it
        return may_write_in(request, obj.organisation_id)


def writable_organisation(request, given: int | None, *, unnamed: str = "") -> int:
    """Where a new row of a tenant goes: the named organisation, or the request's only one
    (``unnamed``: what to say when it must be named).

    400 on ``organisation`` when it must be named or is not one of the request's (the same answer
    for an organisation that does not exist and one of someone else); 403 without the role there.
    """
    candidates = member_organisation_ids(request)
    if given is None:
        if len(candidates) != 1:
            message = unnamed or _("Name the organisation the incident belongs to.")
            raise serializers.ValidationError({"organisation": [message]})
        given = candidates[0]
    elif given not in candidates:
        raise serializers.ValidationError({"organisation": [_("Unknown organisation.")]})
    if not may_write_in(request, given):
        raise PermissionDenied(_("Your role does not allow this change."))
    return given
