"""Reading an incident's notes: who may read legally privileged ones, and the notes they see."""

from __future__ import annotations

from incidents.models import Incident, IncidentNote
from organisations.models import Membership, Role

PRIVILEGE_READ_ROLES = frozenset({Role.PRIVACY_OFFICER, Role.LEGAL})


def may_read_privileged(user, organisation) -> bool:
    """Whether ``user`` may read the organisation's privileged notes (a superuser may; a system
    actor is no reader). One query."""
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    if user.is_superuser:
        return True
    return Membership.objects.filter(
        user=user, organisation=organisation, role__in=list(PRIVILEGE_READ_ROLES), is_active=True
    ).exists()


def notes_for(incident: Incident, *, may_read_privileged: bool):
    """The incident's notes, oldest first; privileged ones only for a reader who may read them."""
    notes = IncidentNote.objects.filter(incident=incident).select_related("recorded_by").order_by("recorded_at", "pk")
    return notes if may_read_privileged else notes.filter(is_legally_privileged=False)
