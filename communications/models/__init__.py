"""Communication to data subjects (GDPR Art. 34), split by concern."""

from communications.models.assessment import CommunicationAssessment
from communications.models.ledger import ImportBatch, ImportJob, LedgerLookup, LedgerSalt, Recipient
from communications.models.waves import CommunicationWave, ContentVersion

__all__ = [
    "CommunicationAssessment",
    "CommunicationWave",
    "ContentVersion",
    "ImportBatch",
    "ImportJob",
    "LedgerLookup",
    "LedgerSalt",
    "Recipient",
]
