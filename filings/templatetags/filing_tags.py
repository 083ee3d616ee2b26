"""The filings of an incident, for the register page (which loads the incident already scoped)."""

from __future__ import annotations

from dataclasses import dataclass

from django import template

from filings.models import AuthorityFiling, NotificationDecisionRecord

register = template.Library()


@dataclass(frozen=True)
class IncidentFilings:
    filings: list
    decisions: list


@register.simple_tag
def incident_filings(incident) -> IncidentFilings:
    """Every filing and decision not to notify of ``incident``, oldest first (two queries)."""
    filings = AuthorityFiling.objects.filter(incident=incident).select_related("controller__party", "authority")
    decisions = NotificationDecisionRecord.objects.filter(incident=incident).select_related("controller__party")
    return IncidentFilings(list(filings.order_by("submitted_at", "pk")), list(decisions.order_by("decided_at", "pk")))
