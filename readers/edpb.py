"""A filing in the EDPB's common format: the template's ``field_N`` JSON, and what it leaves empty.

The EDPB's draft template for Art. 33 notifications (v1.0, 8 June 2026) has 100 input fields;
``readers/schemas/edpb-breach-notification.schema.json`` is its JSON Schema (draft 2020-12,
CC BY 4.0, shipped unchanged, credited in its README). ``export`` maps one filing to it.

Only what the filing froze at submission is read: its ``content`` (``readers.filing_content``)
and its own frozen columns (type, phased, filer, reasons). Never the register as it stands
today, nor the authority's report number added later: the export of a past filing never
changes. Pure apart from reading the schema file once.

The schema requires 42 fields and takes one value per enumerated field. Where the register
has no value for a required field, the export carries the template's own "to be determined"
or "unknown" option where it has one, its catch-all option otherwise, an empty text, or 0 for
a count the template marks as not determined; such a field is *not filled*, and ``gaps``
lists it with every other empty field and how binding the template makes it. Where the
register holds several values for a one-value field (several categories of data), the field
takes the most telling one and the free-text description beside it lists them all.
"""

from __future__ import annotations

import functools
import json
import zoneinfo
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from django.utils.translation import gettext_lazy as _
from jsonschema import Draft202012Validator

SCHEMA_FILE = Path(__file__).resolve().parent / "schemas" / "edpb-breach-notification.schema.json"
FORMAT = "edpb-breach-notification/1.0"

MANDATORY = "mandatory"
CONDITIONAL = "conditional"
OPTIONAL = "optional"
OBLIGATION_LABELS = {
    MANDATORY: _("mandatory"),
    CONDITIONAL: _("conditional"),
    OPTIONAL: _("optional"),
}

# Every template field, in the template's order, labelled in our words (the template's own
# titles are English only and some are long); the number is the template's row number.
FIELD_LABELS: dict[str, object] = {
    "field_3": _("Type of notification"),
    "field_4": _("Sub-type of notification"),
    "field_5": _("Reasons for withdrawing a previous notification"),
    "field_6": _("Authority's ID of the breach notified before"),
    "field_7": _("Controller's internal reference"),
    "field_10": _("Type of organisation identifier"),
    "field_11": _("Organisation identifier"),
    "field_12": _("Name of the organisation"),
    "field_13": _("Contact details of the organisation"),
    "field_14": _("Sector (private or public)"),
    "field_15": _("Type of organisation"),
    "field_16": _("Type of organisation, further description"),
    "field_17": _("Economic activity"),
    "field_18": _("Name of the representative in the EEA"),
    "field_19": _("Contact details of the representative in the EEA"),
    "field_21": _("Name of the reporting person"),
    "field_22": _("Contact details of the reporting person"),
    "field_23": _("Function of the reporting person"),
    "field_24": _("Function of the reporting person, described"),
    "field_25": _("National identification number of the reporting person"),
    "field_26": _("Statement of accuracy and responsibility"),
    "field_29": _("Is a data protection officer designated?"),
    "field_30": _("Name of the data protection officer"),
    "field_31": _("Contact details of the data protection officer"),
    "field_33": _("Who can give more information about the incident"),
    "field_34": _("Name of the contact person"),
    "field_35": _("Function of the contact person"),
    "field_36": _("Contact details of the contact person"),
    "field_38": _("Other parties involved (processors, joint controllers)?"),
    "field_39": _("Role of the other parties involved"),
    "field_40": _("Names of the other parties involved"),
    "field_41": _("Contact details of the other parties involved"),
    "field_44": _("When the breach occurred"),
    "field_45": _("Only estimated dates are possible"),
    "field_46": _("Start of the breach"),
    "field_47": _("End of the breach"),
    "field_48": _("When the controller became aware"),
    "field_49": _("Reasons for notifying late"),
    "field_50": _("How the breach was discovered"),
    "field_51": _("How the breach was discovered, described"),
    "field_52": _("Date another party reported the breach"),
    "field_53": _("Further comments on the timeline"),
    "field_55": _("Nature of the breach (confidentiality, integrity, availability)"),
    "field_56": _("Type of confidentiality breach"),
    "field_57": _("Were the data unintelligible or the people unidentifiable?"),
    "field_58": _("Type of integrity breach"),
    "field_59": _("Type of availability breach"),
    "field_60": _("Type of incident"),
    "field_61": _("Cause (internal or external, malicious or not)"),
    "field_62": _("What happened, described"),
    "field_63": _("Systems, software, services and infrastructure involved, and where"),
    "field_65": _("Categories of data subjects"),
    "field_66": _("Categories of data subjects, described"),
    "field_67": _("Number of data subjects: exact, approximate or unknown"),
    "field_68": _("Number of data subjects"),
    "field_70": _("Categories of personal data"),
    "field_71": _("Categories of personal data, described"),
    "field_72": _("Number of records: exact, approximate or unknown"),
    "field_73": _("Number of records"),
    "field_75": _("Measures in place when the breach occurred"),
    "field_76": _("Measures in place, described"),
    "field_79": _("Likely consequences of the loss of confidentiality"),
    "field_80": _("Other consequences of the loss of confidentiality"),
    "field_81": _("Likely consequences of the loss of integrity"),
    "field_82": _("Other consequences of the loss of integrity"),
    "field_83": _("Likely consequences of the loss of availability"),
    "field_84": _("Other consequences of the loss of availability"),
    "field_85": _("Kind of potential harm to data subjects"),
    "field_86": _("Other harm to data subjects, described"),
    "field_87": _("Severity of the potential harm"),
    "field_89": _("Outcome of the controller's risk assessment"),
    "field_90": _("Risk assessment, described"),
    "field_92": _("Measures taken to address the breach and limit its consequences"),
    "field_94": _("Measures taken to prevent a similar breach"),
    "field_95": _("Lasting measures against a similar breach, described"),
    "field_97": _("Have the data subjects been informed (Art. 34)?"),
    "field_98": _("Date the data subjects were informed"),
    "field_99": _("Date the data subjects will be informed"),
    "field_100": _("Art. 34(3) condition met"),
    "field_101": _("Art. 34(3) condition and measures, described"),
    "field_102": _("Were all data subjects informed?"),
    "field_103": _("Why not all data subjects were informed"),
    "field_104": _("How the data subjects were informed"),
    "field_105": _("Other means of informing, described"),
    "field_106": _("What the data subjects were told"),
    "field_109": _("Reported to the police or judicial authorities?"),
    "field_110": _("Notified to other authorities (e.g. a cyber-security centre)?"),
    "field_111": _("Notifications to other authorities, described"),
    "field_113": _("Cross-border processing by a controller in the EEA?"),
    "field_114": _("Lead supervisory authority"),
    "field_115": _("EEA countries where the controller is established"),
    "field_116": _("EEA countries of the data subjects (cross-border)"),
    "field_117": _("Data subjects per country (cross-border)"),
    "field_118": _("EEA authorities notified (cross-border)"),
    "field_120": _("Processing by a controller outside the EEA?"),
    "field_121": _("EEA countries of the data subjects (controller outside the EEA)"),
    "field_122": _("Data subjects per country (controller outside the EEA)"),
    "field_123": _("EEA authorities notified (controller outside the EEA)"),
    "field_125": _("Attachments to this notification"),
    "field_126": _("Other attachments"),
}

# Why a field stays empty when the reason is the template's own, in plain words (the completeness view).
GAP_NOTES: dict[str, object] = {
    "field_118": _(
        "The template offers one single option here, a list of every EEA supervisory authority at "
        "once, so choosing it cannot say which authorities were told. The export leaves it empty: name "
        "the authorities notified in the authority's own form."
    ),
    "field_123": _(
        "The template offers one single option here, a list of every EEA supervisory authority at "
        "once, so choosing it cannot say which authorities were told. The export leaves it empty: name "
        "the authorities notified in the authority's own form."
    ),
    "field_117": _(
        "One number for all countries: the people affected living in the countries listed in field "
        "116, added up. Filled only when the register knows how many live in each of them."
    ),
    "field_122": _(
        "Only for a controller established outside the EEA. A filing that answers the cross-border "
        "question says the controller is established in the EEA, so this stays empty."
    ),
    "field_110": _(
        "Filled from the reports under other regimes (NIS2, DORA, …) recorded by the submission: yes "
        "when one was filed, no only when every other regime decided on was found not to apply."
    ),
}

# --- The register's vocabularies in the template's options ----------------------------------------

DISCOVERY = {  # incidents.choices.DiscoveryMethod → field_50
    "own_monitoring": "a",
    "audit": "a",
    "processor_notice": "b",
    "data_subject": "c",
    "threat_actor": "d",
    "authority": "d",
    "media": "e",
    "other": "f",
}
INCIDENT_TYPE = {  # incidents.choices.Cause → field_60
    "ransomware": "b",
    "hacking": "c",
    "malware": "c",
    "phishing": "d",
    "lost_or_stolen": "i",
    "misdirected": "r",
    "internal_access": "a",
    "publication_error": "v",
    "system_error": "m",
    "other": "y",
}
CAUSE_ORIGIN = {  # the causes whose origin and intent are plain → field_61
    "ransomware": "d",
    "hacking": "d",
    "malware": "d",
    "phishing": "d",
    "internal_access": "b",
    "misdirected": "a",
    "publication_error": "a",
    "system_error": "a",
}
SUBJECTS = {  # incidents.choices.DataSubjectCategory → field_65
    "customers": "a",
    "employees": "b",
    "children": "d",
    "patients": "e",
    "students": "f",
    "users": "h",
    "citizens": "j",
    "members": "j",
    "other": "j",
}
# The most telling category first when the template takes only one.
SUBJECTS_ORDER = ("children", "patients", "students", "employees", "customers", "users", "citizens", "members", "other")
DATA = {  # incidents.choices.DataCategory → field_70
    "identity": "a",
    "contact": "b",
    "biometric": "c",
    "criminal": "d",
    "political": "e",
    "ethnic_origin": "f",
    "beliefs": "g",
    "sex_life": "h",
    "trade_union": "i",
    "genetic": "j",
    "health": "k",
    "financial": "l",
    "national_id": "n",
    "location": "o",
    "id_document": "p",
    "credentials": "s",
    "communications": "u",
    "other": "u",
}
# Art. 9 and 10 data first, then what identifies or costs most.
DATA_ORDER = (
    "health",
    "genetic",
    "biometric",
    "ethnic_origin",
    "political",
    "beliefs",
    "trade_union",
    "sex_life",
    "criminal",
    "national_id",
    "financial",
    "credentials",
    "id_document",
    "location",
    "communications",
    "contact",
    "identity",
    "other",
)
OWNERSHIP = {"private": "a", "public": "b"}  # organisations.models.Ownership → field_14
SIZE = {"micro": "a", "sme": "b", "large": "c", "other": "d"}  # organisations.models.OrganisationSize → field_15
CONFIDENTIALITY = {  # incidents.choices.ConfidentialityOutcome → field_56
    "disclosed": "a",
    "likely_disclosed": "b",
    "not_disclosed": "c",
    "cannot_assess": "d",
}
INTEGRITY = {  # incidents.choices.IntegrityOutcome → field_58
    "altered": "a",
    "misused_reversible": "b",
    "misused_irreversible": "c",
}
AVAILABILITY = {"temporary": "a", "permanent": "b", "not_determined": "c"}  # AvailabilityOutcome → field_59
EXEMPTION = {  # communications.choices.Exemption → field_100
    "unintelligible": "a",
    "subsequent_measures": "b",
    "disproportionate_effort": "c",
}
ANSWER = {"yes": "a", "no": "b", "unknown": "c"}  # filings.choices.TemplateAnswer → fields 109, 113
INDIVIDUAL_CHANNELS = frozenset({"letter", "email", "sms", "phone"})  # the rest are public (field_104)
REPORTER_FUNCTION = {"dpo": "a", "legal_representative": "b", "other": "c"}  # filings.choices → field_23
SEVERITY = {"low": "a", "medium": "b", "high": "c", "very_high": "c"}  # the AP's scale → field_87
RISK = {"high": "a", "risk": "b", "none": "c"}  # incidents.choices.RiskLevel → field_89
BREACH_TYPE = {"confidentiality": "a", "integrity": "b", "availability": "c"}  # → field_55
# In the export (language-independent, English like the template) the register's values read:
ROLE_NAMES = {
    "controller": "controller",
    "joint_controller": "joint controller (Art. 26)",
    "processor": "processor (Art. 28)",
    "sub_processor": "sub-processor (Art. 28(4))",
}


@functools.cache
def template_schema() -> dict:
    return json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))


@functools.cache
def validator() -> Draft202012Validator:
    return Draft202012Validator(template_schema())


def obligation(field: str) -> str:
    """How binding the template makes a field: required, required under a condition, or not."""
    schema = template_schema()
    if field in schema["required"]:
        return MANDATORY
    if "x-required-if" in schema["properties"][field]:
        return CONDITIONAL
    return OPTIONAL


def validation_errors(payload: dict) -> list[str]:
    """Every way ``payload`` breaks the schema (draft 2020-12), as ``path: message``; empty when valid."""
    return [
        f"{'/'.join(map(str, error.absolute_path)) or '(root)'}: {error.message}"
        for error in sorted(validator().iter_errors(payload), key=lambda e: list(map(str, e.absolute_path)))
    ]


# --- The mapping ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Export:
    payload: dict  # the template's JSON
    filled: frozenset[str]  # the fields that carry a fact of the register (not a placeholder)


@dataclass(frozen=True)
class Gap:
    field: str
    number: int
    label: str
    obligation: str
    obligation_label: str
    note: str = ""  # why the template's own shape leaves it empty (GAP_NOTES), in plain words


def _text(*parts) -> str:
    return "\n\n".join(str(p).strip() for p in parts if p and str(p).strip())


def _contact(content: dict) -> str:
    return "; ".join(v for v in (content.get("contact.email"), content.get("contact.phone")) if v)


def _at(value) -> str:
    return value["at"] if isinstance(value, dict) and value.get("at") else ""


def _count(estimate) -> tuple[str, int | None]:
    """An estimate as the template's (kind, number): exact ``a`` or approximate ``b``."""
    number = estimate.get("high") if estimate.get("high") is not None else estimate.get("low")
    if number is None:
        return "", None
    exact = estimate.get("low") == estimate.get("high") and not (
        estimate.get("is_approximate") or estimate.get("is_at_least")
    )
    return ("a" if exact else "b"), int(number)


class Builder:
    """Collects the payload and which fields hold a fact (``put``) or a placeholder (``hold``)."""

    def __init__(self):
        self.payload: dict = {}
        self.filled: set[str] = set()

    def put(self, field: str, value) -> None:
        if value is None or value == "":
            return
        self.payload[field] = value
        self.filled.add(field)

    def hold(self, field: str, placeholder) -> None:
        """A required field the register does not fill: the template's least-committal value."""
        if field not in self.payload:
            self.payload[field] = placeholder


def export(filing) -> Export:
    """The EDPB template's JSON of one filing, from what it froze at submission only."""
    content = filing.content or {}
    phased = bool(filing.is_phased)
    b = Builder()

    # 1.1 The notification and the organisation
    b.put("field_3", "a" if filing.filing_type == "initial" else "b")
    b.put("field_4", "c" if filing.filing_type == "withdrawal" else ("b" if phased else "a"))
    if filing.filing_type == "withdrawal":
        b.put("field_5", filing.withdrawal_reason)
    b.put("field_6", content.get("previous.authority_reference"))
    b.put("field_7", content.get("incident.reference"))
    if content.get("controller.registration_number"):
        b.put("field_10", "b")  # organisation number (e.g. the Dutch KvK number)
        b.put("field_11", content["controller.registration_number"])
    b.put("field_12", content.get("controller.name"))
    b.put("field_13", _contact(content))
    b.put("field_14", OWNERSHIP.get(content.get("controller.ownership") or ""))
    if content.get("controller.ownership") == "private":
        b.put("field_15", SIZE.get(content.get("controller.size") or ""))
    b.put("field_17", content.get("controller.sector"))
    b.hold("field_12", "")
    b.hold("field_13", "")

    # 2.2 The reporting person: the filer the filing names, with the function and contact asked
    # in the filing form (frozen columns; empty on filings recorded before they were asked)
    b.put("field_21", filing.submitted_by)
    b.hold("field_21", "")
    from_dpo = content.get("contact.source") == "organisation"
    function = REPORTER_FUNCTION.get(filing.reporter_function or "")
    b.put("field_22", filing.reporter_contact)
    if function:
        b.put("field_23", function)
        if function == "c":
            b.put("field_24", filing.reporter_function_detail)
    elif from_dpo and filing.submitted_by and filing.submitted_by == content.get("contact.name"):
        b.put("field_23", "a")  # the organisation's DPO filed
        b.put("field_22", _contact(content))
    b.hold("field_22", "")
    b.hold("field_23", "c")

    # 2.3 The DPO or contact point (Art. 33(3)(b))
    if from_dpo:
        b.put("field_30", content.get("contact.name"))
        b.put("field_31", _contact(content) if content.get("contact.name") else "")
        if content.get("contact.name"):
            b.put("field_33", "a")
    else:
        b.put("field_34", content.get("contact.name"))
        b.put("field_36", _contact(content) if content.get("contact.name") else "")
        if content.get("contact.name"):
            b.put("field_33", "c")
    if from_dpo and content.get("contact.name") and content.get("schema", 0) >= 5:
        # The contact frozen from the organisation's own record is its DPO (fields 30, 31 and 33
        # say so since schema 1): "is a DPO designated?" is then yes. Only from schema 5, so that an
        # older filing exports as it did; never for a controller that is not the organisation
        # itself, whose directory entry names a contact, not whether it designated a DPO.
        b.put("field_29", "Yes")
    for field in ("field_29", "field_30", "field_31"):
        b.hold(field, "")

    # 2.3 Other parties
    others = [p for p in content.get("parties") or [] if p.get("name") != content.get("controller.name")]
    b.put("field_38", "a" if others else "b")
    if others:
        b.put("field_39", "; ".join(ROLE_NAMES.get(p["role"], p["role"]) for p in others))
        b.put("field_40", "; ".join(p["name"] for p in others))
        # Frozen since content version 4; older contents hold no contact of a party.
        contacts = [f"{p['name']}: {p['contact']}" for p in others if p.get("contact")]
        b.put("field_41", "; ".join(contacts))
    b.hold("field_39", "")
    b.hold("field_40", "")
    b.hold("field_41", "")

    # 3.1 Timeline
    start, end = _at(content.get("times.occurred_from")), _at(content.get("times.occurred_until"))
    if start and content.get("times.is_ongoing"):
        b.put("field_44", "c")
    elif start and end:
        b.put("field_44", "a" if start[:10] == end[:10] else "b")
    elif start:
        b.put("field_44", "a")
    b.put("field_46", start)
    b.put("field_47", end if not content.get("times.is_ongoing") else "")
    b.hold("field_44", "e" if phased else "d")
    b.put("field_48", _at(content.get("times.controller_aware")))
    b.hold("field_48", "")
    if filing.filing_type == "initial":
        b.put("field_49", filing.delay_reasons)
    b.put("field_50", DISCOVERY.get(content.get("nature.discovery_method") or ""))
    b.hold("field_50", "f")
    b.put("field_51", content.get("nature.discovery_detail"))
    b.hold("field_51", "")

    # 3.2 Nature
    types = content.get("nature.breach_types") or []
    b.put("field_55", BREACH_TYPE[types[0]] if types else "")
    b.hold("field_55", "a")
    if "confidentiality" in types:
        b.put("field_56", CONFIDENTIALITY.get(content.get("nature.confidentiality_outcome") or ""))
    if "confidentiality" in types and content.get("nature.is_data_encrypted") is not None:
        if not content["nature.is_data_encrypted"]:
            b.put("field_57", "c")
        elif content.get("nature.is_key_compromised") is True:
            b.put("field_57", "b")
        elif content.get("nature.is_key_compromised") is False:
            b.put("field_57", "a")
    if "integrity" in types:
        b.put("field_58", INTEGRITY.get(content.get("nature.integrity_outcome") or ""))
    if "availability" in types:
        b.put("field_59", AVAILABILITY.get(content.get("nature.availability_outcome") or ""))
    cause = content.get("nature.cause") or ""
    b.put("field_60", INCIDENT_TYPE.get(cause))
    b.hold("field_60", "x")
    b.put("field_61", CAUSE_ORIGIN.get(cause))
    b.hold("field_61", "e" if phased else "f")
    b.put("field_62", _text(content.get("nature.description"), content.get("nature.cause_detail")))
    b.hold("field_62", "")
    b.put("field_63", content.get("nature.systems_involved"))
    b.hold("field_63", "")

    # 3.3 Data subjects, 3.4 data and records
    subjects = content.get("nature.data_subject_categories") or []
    first = next((s for s in SUBJECTS_ORDER if s in subjects), None)
    b.put("field_65", SUBJECTS.get(first or ""))
    b.hold("field_65", "k")
    b.put("field_66", "; ".join(subjects))
    b.hold("field_66", "")
    for kind, number, key in (
        ("field_67", "field_68", "numbers.data_subjects"),
        ("field_72", "field_73", "numbers.records"),
    ):
        estimate = content.get(key)
        if estimate:
            letter, count = _count(estimate)
            b.put(kind, letter)
            if count is not None:
                b.put(number, count)
        b.hold(kind, "d" if phased else "c")
    b.hold("field_73", 0)  # required as a number; field_72 says it is not determined
    data = content.get("nature.data_categories") or []
    first = next((d for d in DATA_ORDER if d in data), None)
    b.put("field_70", DATA.get(first or ""))
    b.hold("field_70", "t")
    b.put("field_71", "; ".join(data))
    b.hold("field_71", "")

    # 3.5 Measures in place
    if content.get("nature.is_data_encrypted"):
        b.put("field_75", "c")
    elif content.get("measures.before"):
        b.put("field_75", "l")
    b.hold("field_75", "l")
    b.put("field_76", content.get("measures.before"))
    b.hold("field_76", "")

    # 4 Consequences, risk, measures, Art. 34
    if content.get("consequences.likely"):
        b.put("field_85", "n")
        b.put("field_86", content["consequences.likely"])
    b.hold("field_85", "o")
    b.put("field_87", SEVERITY.get(content.get("consequences.severity") or ""))
    b.hold("field_87", "d")
    risk = content.get("consequences.risk_level") or ""
    b.put("field_89", RISK.get(risk))
    b.hold("field_89", "c")
    b.put("field_90", content.get("consequences.risk_reasoning"))
    b.hold("field_90", "")
    b.put("field_92", _text(content.get("measures.containment"), content.get("measures.mitigation")))
    b.hold("field_92", "")
    if content.get("measures.planned"):
        b.put("field_94", "o")
        b.put("field_95", content["measures.planned"])
    b.hold("field_94", "o")
    b.hold("field_95", "")
    if content.get("communication.decision"):
        _communication(b, content)
    elif risk in ("none", "risk"):
        b.put("field_97", "d")  # not communicated: no high risk (Art. 34(1))
    b.hold("field_97", "c")

    # 6 Other authorities, cross-border
    police = _police(b, filing)
    regimes = _other_regimes(b, content)
    b.put("field_111", " ".join(part for part in (police, regimes) if part))
    _cross_border(b, filing, content)
    return Export(payload=dict(sorted(b.payload.items(), key=lambda kv: int(kv[0][6:]))), filled=frozenset(b.filled))


def _date(instant) -> str:
    """The local calendar date of a frozen instant, as the template's date fields take it."""
    at = datetime.fromisoformat(instant["at"])
    try:
        return at.astimezone(zoneinfo.ZoneInfo(instant.get("tz") or "UTC")).date().isoformat()
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return at.date().isoformat()


def _communication(b: Builder, content: dict) -> None:
    """4.4: the Art. 34 communication as frozen at submission (content version 4 on)."""
    decision = content["communication.decision"]
    informed, planned = content.get("communication.informed_at"), content.get("communication.planned_at")
    if informed:
        b.put("field_97", "a")
        b.put("field_98", _date(informed))
        pending, bounced = content.get("communication.waves_pending") or 0, content.get("communication.bounced") or 0
        b.put("field_102", "b" if pending or bounced else "a")
        reasons = []
        if pending:
            reasons.append(f"{pending} communication wave(s) still to be sent")
        if bounced:
            reasons.append(f"{bounced} communication(s) undeliverable")
        b.put("field_103", "; ".join(reasons))
        channels = set(content.get("communication.channels") or [])
        b.put("field_104", "a" if channels & INDIVIDUAL_CHANNELS else ("b" if channels else ""))
        b.put("field_106", content.get("communication.content"))
    elif decision in ("exempt", "public"):
        b.put("field_97", "e")
        b.put("field_100", EXEMPTION.get(content.get("communication.exemption") or ""))
        b.put("field_101", content.get("communication.exemption_reasoning"))
    elif decision == "communicate":
        b.put("field_97", "b")
        b.put("field_99", _date(planned) if planned else "")
    elif decision == "no_high_risk":
        b.put("field_97", "d")


def _police(b: Builder, filing) -> str:
    """6.1: the police report, as asked in the filing form (empty on filings recorded before); the
    sentence field_111 gives it."""
    answer = getattr(filing, "police_report", "") or ""
    b.put("field_109", ANSWER.get(answer))
    if answer != "yes":
        return ""
    on, number = getattr(filing, "police_reported_on", None), getattr(filing, "police_reference", "")
    return (
        "Reported to the police"
        + (f" on {on.isoformat()}" if on else "")
        + (f", report number {number}" if number else "")
        + "."
    )


def _other_regimes(b: Builder, content: dict) -> str:
    """6.1: the reports made under other regimes (NIS2, DORA, ...) by the submission (schema 5 on);
    the sentence field_111 gives them.

    field_110 is yes (``a``) when any was filed; no (``b``) only when the officer had decided on at
    least one other regime and every latest decision said it does not apply, so no report was due;
    otherwise it stays empty (optional in the template): with no decision the register does not
    know, and a confirmed regime whose report was not filed yet is "not yet", which a plain "no"
    would misstate as "no other regime applies".
    """
    if content.get("schema", 0) < 5:
        return ""
    reports = content.get("regimes.reports") or []
    decisions = content.get("regimes.decisions") or []
    if not reports:
        if decisions and not any(d.get("applies") for d in decisions):
            b.put("field_110", "b")
        return ""
    b.put("field_110", "a")
    said = []
    for report in reports:
        words = f"{report.get('title') or report['report']}, to {report.get('recipient_title') or report['recipient']}"
        words += f", submitted on {_date(report['submitted_at'])}" if report.get("submitted_at") else ""
        words += f", their reference {report['reference']}" if report.get("reference") else ""
        said.append(words)
    return "Notified under other legislation: " + "; ".join(said) + "."


def _cross_border(b: Builder, filing, content: dict) -> None:
    """6.2/6.3: cross-border processing, as asked in the filing form; before it was asked, a guess
    from the data subjects' countries (several countries: yes)."""
    answer = getattr(filing, "cross_border", "") or ""
    countries = content.get("nature.data_subject_countries") or []
    if not answer:
        if len(countries) > 1:
            b.put("field_113", "a")
            b.put("field_116", ", ".join(countries))
    else:
        b.put("field_113", ANSWER[answer])
        # Answering section 6.2 says the controller is established in the EEA: section 6.3 (a
        # controller outside it) is then a plain no.
        b.put("field_120", "b")
    if answer == "yes":
        lead = content.get("authorities.lead")
        b.put("field_114", f"{lead['name']} ({lead['country']})" if lead else "")
        b.put("field_115", getattr(filing, "establishment_countries", ""))
        b.put("field_116", ", ".join(countries))
    if "field_116" in b.filled and content.get("schema", 0) >= 5:
        b.put("field_117", people_in(countries, content.get("places.data_subjects") or []))
    b.hold("field_113", "c")
    b.hold("field_120", "c")


def people_in(countries: list[str], places: list[dict]) -> int | None:
    """field_117, one integer for "approximate number of data subjects per country": the people
    affected living in the countries field_116 lists, added up (schema 5's ``places.data_subjects``).

    A country counts its own row, else the sum of its subdivisions' rows (US-CA, US-NY); None
    (not filled) unless every listed country has a count, so the figure is never a partial sum.
    """
    counts: dict[str, int] = {}
    for place in places:
        country, _dash, subdivision = place["place"].partition("-")
        if subdivision:
            counts.setdefault(f"{country}-*", 0)
            counts[f"{country}-*"] += place["count"]
        else:
            counts[country] = place["count"]
    per_country = [counts.get(country, counts.get(f"{country}-*")) for country in countries]
    if not per_country or any(count is None for count in per_country):
        return None
    return sum(count for count in per_country if count is not None)


def gaps(result: Export) -> list[Gap]:
    """Every template field the filing leaves empty (or holds with a placeholder), in template order."""
    return [
        Gap(
            field=field,
            number=int(field.removeprefix("field_")),
            label=str(label),
            obligation=obligation(field),
            obligation_label=str(OBLIGATION_LABELS[obligation(field)]),
            note=str(GAP_NOTES.get(field, "")),
        )
        for field, label in FIELD_LABELS.items()
        if field not in result.filled
    ]


@dataclass(frozen=True)
class Completeness:
    filled: int
    total: int
    gaps: list[Gap]

    @property
    def mandatory_gaps(self) -> list[Gap]:
        return [g for g in self.gaps if g.obligation == MANDATORY]


def completeness(result: Export) -> Completeness:
    return Completeness(filled=len(result.filled), total=len(FIELD_LABELS), gaps=gaps(result))


def document(filing) -> dict:
    """The download: the template's JSON under ``notification``, with what identifies the filing.

    ``notification`` alone is what validates against the schema (its root allows no other keys);
    ``not_filled`` lists the gaps, labelled in the active language.
    """
    result = export(filing)
    return {
        "format": FORMAT,
        "filing": filing.pk,
        "filing_type": filing.filing_type,
        "submitted_at": filing.submitted_at.isoformat(),
        "content_sha256": filing.content_sha256,
        "notification": result.payload,
        "not_filled": [
            {"field": g.field, "obligation": g.obligation, "label": g.label, **({"note": g.note} if g.note else {})}
            for g in completeness(result).gaps
        ],
    }


def incident_document(incident, filings) -> dict:
    """Every filing of an incident, each as ``document`` (the share link's export)."""
    return {
        "format": FORMAT,
        "incident": incident.reference,
        "filings": [document(filing) for filing in filings],
    }
