"""The breach register, split by concern."""

from incidents.models.extortion import ExtortionCountdown, ExtortionThreat, Publication
from incidents.models.facts import AffectedEstimate, AwarenessRecord
from incidents.models.incident import TIME_FACTS, Incident
from incidents.models.notes import IncidentNote
from incidents.models.parties import IncidentAuthority, IncidentParty, ProcessingRelationship, ProcessorNotice
from incidents.models.references import IncidentReferenceCounter
from incidents.models.regimes import AffectedPlace, IncidentAnchor, IncidentDetermination, RegimeDecision

__all__ = [
    "TIME_FACTS",
    "AffectedEstimate",
    "AffectedPlace",
    "AwarenessRecord",
    "ExtortionCountdown",
    "ExtortionThreat",
    "Incident",
    "IncidentAnchor",
    "IncidentAuthority",
    "IncidentDetermination",
    "IncidentNote",
    "IncidentParty",
    "IncidentReferenceCounter",
    "ProcessingRelationship",
    "ProcessorNotice",
    "Publication",
    "RegimeDecision",
]
