"""Scoping: every query a person makes is limited to their organisations.

Each tenant-owned model's manager knows the lookup from the model to its owning
organisation (``tenant_lookup``), so ``Model.objects.visible_to(user)`` is the
one way views, the admin and services fetch rows on a person's behalf.
"""

from __future__ import annotations

from django.apps import apps
from django.db import models

from breachtrack.history import HistoriedQuerySet


def active_memberships(user):
    """The user's active memberships. The model comes from Django's app registry, since the models
    module imports this one (its querysets are scoped here)."""
    Membership = apps.get_model("organisations", "Membership")
    return Membership.objects.filter(user=user, is_active=True, user__is_active=True)


def organisation_ids(user, roles=None):
    """A subquery of the ids of the organisations ``user`` may see (with ``roles``)."""
    memberships = active_memberships(user)
    if roles is not None:
        memberships = memberships.filter(role__in=list(roles))
    return memberships.values("organisation_id")


class VisibleToMixin:
    """The tenancy rule, for any queryset: ``visible_to(user, roles)`` keeps the rows of the
    organisations the user is an active member of (with one of ``roles``), via ``tenant_lookup``."""

    tenant_lookup = "organisation"

    def visible_to(self, user, roles=None):
        if user is None or not user.is_authenticated or not user.is_active:
            return self.none()
        if user.is_superuser and roles is None:
            return self
        return self.filter(**{f"{self.tenant_lookup}__in": organisation_ids(user, roles)})


class TenantQuerySet(VisibleToMixin, HistoriedQuerySet):
    """Historied, tenant-owned rows: scoped reads, and no write that would bypass history."""


class ScopedQuerySet(VisibleToMixin, models.QuerySet):
    """Tenant-owned rows that keep no history (derived state, work rows, insert-only logs):
    scoped reads like TenantQuerySet, with the plain queryset's set-based writes."""


def tenant_manager(lookup: str):
    """A manager whose querysets scope by ``lookup`` (e.g. ``"incident__organisation"``)."""
    queryset_class = type(f"TenantQuerySet_{lookup}", (TenantQuerySet,), {"tenant_lookup": lookup})
    return queryset_class.as_manager()


def scoped_manager(lookup: str, base: type = ScopedQuerySet):
    """The same for rows without history (``base``: a ScopedQuerySet subclass with more methods)."""
    return type(f"{base.__name__}_{lookup}", (base,), {"tenant_lookup": lookup}).as_manager()
