"""The vocabulary of the register. Labels cite the article where one applies."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Status(models.TextChoices):
    OPEN = "open", _("Open: being investigated")
    CONTAINED = "contained", _("Contained: follow-up under way")
    CLOSED = "closed", _("Closed: register entry complete (Art. 33(5))")


class Cause(models.TextChoices):
    RANSOMWARE = "ransomware", _("Cyber attack: ransomware or extortion")
    HACKING = "hacking", _("Cyber attack: hacking or intrusion")
    PHISHING = "phishing", _("Phishing")
    MALWARE = "malware", _("Malware")
    LOST_OR_STOLEN = "lost_or_stolen", _("Lost or stolen device or paper")
    MISDIRECTED = "misdirected", _("Personal data sent to the wrong recipient")
    INTERNAL_ACCESS = "internal_access", _("Unauthorised access by staff")
    PUBLICATION_ERROR = "publication_error", _("Personal data published by mistake")
    SYSTEM_ERROR = "system_error", _("Software or configuration error")
    OTHER = "other", _("Other")


class DiscoveryMethod(models.TextChoices):
    OWN_MONITORING = "own_monitoring", _("Own monitoring or staff")
    PROCESSOR_NOTICE = "processor_notice", _("Told by a processor (Art. 33(2))")
    THREAT_ACTOR = "threat_actor", _("Contact or publication by the attacker")
    DATA_SUBJECT = "data_subject", _("Complaint or report by a data subject")
    MEDIA = "media", _("Media or researcher")
    AUTHORITY = "authority", _("Authority or police")
    AUDIT = "audit", _("Audit")
    OTHER = "other", _("Other")


class DataCategory(models.TextChoices):
    IDENTITY = "identity", _("Name, address, date of birth")
    CONTACT = "contact", _("Contact details (e-mail, phone)")
    NATIONAL_ID = "national_id", _("Citizen service number (BSN) or other national identifier (Art. 87)")
    ID_DOCUMENT = "id_document", _("Identity documents")
    FINANCIAL = "financial", _("Financial data")
    CREDENTIALS = "credentials", _("Login credentials")
    LOCATION = "location", _("Location data")
    COMMUNICATIONS = "communications", _("Content of communications")
    HEALTH = "health", _("Health data (Art. 9)")
    GENETIC = "genetic", _("Genetic data (Art. 9)")
    BIOMETRIC = "biometric", _("Biometric data for identification (Art. 9)")
    ETHNIC_ORIGIN = "ethnic_origin", _("Racial or ethnic origin (Art. 9)")
    POLITICAL = "political", _("Political opinions (Art. 9)")
    BELIEFS = "beliefs", _("Religious or philosophical beliefs (Art. 9)")
    TRADE_UNION = "trade_union", _("Trade-union membership (Art. 9)")
    SEX_LIFE = "sex_life", _("Sex life or sexual orientation (Art. 9)")
    CRIMINAL = "criminal", _("Criminal convictions and offences (Art. 10)")
    OTHER = "other", _("Other")


SPECIAL_CATEGORIES = frozenset(
    {
        DataCategory.HEALTH,
        DataCategory.GENETIC,
        DataCategory.BIOMETRIC,
        DataCategory.ETHNIC_ORIGIN,
        DataCategory.POLITICAL,
        DataCategory.BELIEFS,
        DataCategory.TRADE_UNION,
        DataCategory.SEX_LIFE,
    }
)


class DataSubjectCategory(models.TextChoices):
    PATIENTS = "patients", _("Patients or screening participants")
    CUSTOMERS = "customers", _("Customers")
    EMPLOYEES = "employees", _("Employees")
    CHILDREN = "children", _("Children")
    STUDENTS = "students", _("Students")
    CITIZENS = "citizens", _("Citizens")
    MEMBERS = "members", _("Members")
    USERS = "users", _("Users of a service or website")
    OTHER = "other", _("Other")


class ConfidentialityOutcome(models.TextChoices):
    """What became of the data in a confidentiality breach (the EDPB template's type of breach)."""

    DISCLOSED = "disclosed", _("Exfiltrated or disclosed")
    LIKELY_DISCLOSED = "likely_disclosed", _("Likely exfiltrated or disclosed (no evidence)")
    NOT_DISCLOSED = "not_disclosed", _("Not exfiltrated nor disclosed (reasonable evidence)")
    CANNOT_ASSESS = "cannot_assess", _("Not possible to assess")


class Severity(models.TextChoices):
    """The AP's four-level severity scale (chapter 9 of its form)."""

    LOW = "low", _("1 · Low")
    MEDIUM = "medium", _("2 · Medium")
    HIGH = "high", _("3 · High")
    VERY_HIGH = "very_high", _("4 · Very high")


class RiskLevel(models.TextChoices):
    NONE = "none", _("Unlikely to result in a risk: register only (Art. 33(1))")
    RISK = "risk", _("Risk: notify the authority (Art. 33(1))")
    HIGH = "high", _("High risk: also inform data subjects (Art. 34(1))")


class NotificationDecision(models.TextChoices):
    UNDECIDED = "undecided", _("Not decided yet")
    NOTIFY = "notify", _("Notify the supervisory authority (Art. 33(1))")
    NOT_REQUIRED = "not_required", _("Not notified: unlikely to result in a risk (Art. 33(1), 33(5))")


class PartyRole(models.TextChoices):
    CONTROLLER = "controller", _("Controller (Art. 4(7))")
    JOINT_CONTROLLER = "joint_controller", _("Joint controller (Art. 26)")
    PROCESSOR = "processor", _("Processor (Art. 4(8))")
    SUB_PROCESSOR = "sub_processor", _("Sub-processor (Art. 28(4))")


CONTROLLER_ROLES = frozenset({PartyRole.CONTROLLER, PartyRole.JOINT_CONTROLLER})
PROCESSOR_ROLES = frozenset({PartyRole.PROCESSOR, PartyRole.SUB_PROCESSOR})


class AuthorityRole(models.TextChoices):
    LEAD = "lead", _("Lead supervisory authority (Art. 56)")
    CONCERNED = "concerned", _("Concerned supervisory authority (Art. 4(22))")


class AwarenessSource(models.TextChoices):
    OWN_DETECTION = "own_detection", _("Own detection or investigation")
    PROCESSOR_NOTICE = "processor_notice", _("Notice from a processor (Art. 33(2))")
    THREAT_ACTOR = "threat_actor", _("Attacker's contact or leak-site publication")
    THIRD_PARTY = "third_party", _("Third party, researcher or media")
    AUTHORITY = "authority", _("Authority or police")
    DATA_SUBJECT = "data_subject", _("Data subject")
    OTHER = "other", _("Other")


class Channel(models.TextChoices):
    EMAIL = "email", _("E-mail")
    PHONE = "phone", _("Phone")
    LETTER = "letter", _("Letter")
    PORTAL = "portal", _("Portal or ticket")
    MEETING = "meeting", _("Meeting")
    OTHER = "other", _("Other")


class EstimateMeasure(models.TextChoices):
    DATA_SUBJECTS = "data_subjects", _("Data subjects (Art. 33(3)(a))")
    RECORDS = "records", _("Personal-data records (Art. 33(3)(a))")


# --- Extortion (docs/domain.md#extortion): operational facts, never a legal deadline ---------


class ExtortionChannel(models.TextChoices):
    LEAK_SITE = "leak_site", _("Listing on the attackers' leak site")
    RANSOM_NOTE = "ransom_note", _("Ransom note left on our systems")
    EMAIL = "email", _("E-mail")
    CHAT = "chat", _("Negotiation chat or portal")
    PHONE = "phone", _("Phone")
    MEDIA = "media", _("Through journalists or researchers")
    OTHER = "other", _("Other")


class PaymentDecision(models.TextChoices):
    """Police advice (NL): do not pay; if you pay anyway, tell the police. Paying does not
    reduce the risk to people (ICO/NCSC 2022) and moves no GDPR deadline."""

    UNDECIDED = "undecided", _("Not decided yet")
    WILL_NOT_PAY = "will_not_pay", _("Will not pay")
    PAID = "paid", _("Paid (does not reduce the risk nor delay any notification)")


class CountdownRevisionKind(models.TextChoices):
    SET = "set", _("Countdown set")
    EXTENDED = "extended", _("Extended: a later deadline")
    SHORTENED = "shortened", _("Shortened: an earlier deadline")
    RENEWED_AFTER_PAYMENT = "renewed_after_payment", _("Renewed after a payment")
    WITHDRAWN = "withdrawn", _("Withdrawn: no deadline any more")


# --- Other notification regimes (docs/obligations.md): facts the regimes' clocks and conditions read ----


class AnchorKind(models.TextChoices):
    """The moments, besides awareness, that a regime's clock can run from."""

    DETECTION = "detection", _("Detection of the incident")
    CLASSIFICATION = "classification", _("Classification as a major incident (DORA)")
    DETERMINATION = "determination", _("Determination (materiality, notification incident, cybersecurity event)")
    ASSESSMENT = "assessment", _("Assessment that the breach is notifiable completed")
    FIX_AVAILABLE = "fix_available", _("A fix or mitigation became available (CRA)")
    HANDLING_ENDED = "handling_ended", _("Handling of the incident ended (NIS2)")


class DeterminationFlag(models.TextChoices):
    """Yes/no determinations recorded on an incident that regimes' conditions read."""

    PERSONAL_DATA = "personal_data", _("Personal data is affected")
    SIGNIFICANT = "significant", _("Significant incident (NIS2 Art. 23(3))")
    MAJOR = "major", _("Major ICT-related incident (DORA)")
    MATERIAL = "material", _("Material cybersecurity incident (SEC Form 8-K Item 1.05)")
    ACTIVELY_EXPLOITED = "actively_exploited", _("Actively exploited vulnerability (CRA Art. 14(1))")
    SEVERE_INCIDENT = "severe_incident", _("Severe incident affecting the product's security (CRA Art. 14(3))")
    NOTIFICATION_INCIDENT = "notification_incident", _("Notification incident (US banking regulators' rule)")
    HIGH_RISK = "high_risk", _("Likely high risk to people (GDPR Art. 34)")
    NOTIFIABLE = "notifiable", _("Notifiable breach (PDPA, NDB)")
    ONGOING = "ongoing", _("The incident is still ongoing")
