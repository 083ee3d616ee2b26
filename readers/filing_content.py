"""What a filing says: the register frozen at submission, and what changed since the last one.

``snapshot`` reads the register (the only function here that touches the ORM)
and returns a flat JSON-ready dict of the Art. 33(3)(a)-(d) facts, keyed as in
``ITEMS``. Everything else is pure: hashing, display values and the
field-by-field diff of two snapshots, so a filing's "what changed" is computed
from the two frozen contents and never from the live register.
"""

from __future__ import annotations

import hashlib
import json
import zoneinfo
from dataclasses import dataclass
from datetime import datetime
from types import SimpleNamespace

from django.utils import formats, translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from communications.choices import CLOSING_EXEMPTIONS, PUBLIC_CHANNELS, AuthorityDecision, Exemption, WaveChannel
from incidents.choices import (
    AvailabilityOutcome,
    Cause,
    ConfidentialityOutcome,
    DataCategory,
    DataSubjectCategory,
    DiscoveryMethod,
    EstimateMeasure,
    IntegrityOutcome,
    PartyRole,
    RiskLevel,
    Severity,
)
from readers.regime_labels import find_report, recipient_label, regime_label, report_label
from readers.regimes import OWN_CLOCKS  # the GDPR: its clocks are the filings themselves, not "another regime"
from readers.wording import count_text, instant_format
from rules.filing_chains import latest_estimates

# 2: the contact point is the controller's (``contact.source`` says whose), no longer always the
# recording organisation's DPO. Contents frozen under 1 stay as they were submitted.
# 3: also the controller's registration number, sector, ownership and size, the previous filing's report number at
# submission, the systems involved and what became of the data in a confidentiality breach, for the
# EDPB export (``readers.edpb``); contents frozen under 1 and 2 lack them.
# 4: also what became of the data in an integrity or availability breach, each party's contact,
# the supervisory authorities on the incident (lead and concerned) and the Art. 34 communication as
# it stood at submission (``communication.*``, from ``communications``). Contents frozen under 1-3
# lack them and export exactly as they did.
# 5: also what the incident had reported under other regimes by the submission (``regimes.reports``:
# regime, report, recipient, when, their reference; from ``filings.RegimeReportFiling``), the latest
# decision on each other regime by then (``regimes.decisions``) and the people affected per place of
# residence as known by then (``places.data_subjects``, from ``incidents.AffectedPlace``), for
# fields 110/111 and 117 of the EDPB export. Contents frozen under 1-4 lack them and export as they did.
SCHEMA_VERSION = 5
CONTACT_FROM_ORGANISATION = "organisation"
CONTACT_FROM_CONTROLLER = "controller"
TIME_STEMS = ("occurred_from", "occurred_until", "detected", "investigation_started", "contained")

# (key, label, choices used to display the stored value). The order is the order shown.
ITEMS: tuple[tuple[str, object, object], ...] = (
    ("nature.breach_types", _("Type of breach (Art. 33(3)(a))"), None),
    ("nature.cause", _("Cause (Art. 33(3)(a))"), Cause),
    ("nature.cause_detail", _("Cause, details (Art. 33(3)(a))"), None),
    ("nature.discovery_method", _("How it was discovered (Art. 33(3)(a))"), DiscoveryMethod),
    ("nature.discovery_detail", _("Discovery, details (Art. 33(3)(a))"), None),
    ("nature.description", _("What happened (Art. 33(3)(a))"), None),
    ("nature.systems_involved", _("Systems, software and services involved (Art. 33(3)(a))"), None),
    (
        "nature.confidentiality_outcome",
        _("What became of the data (Art. 33(3)(a))"),
        ConfidentialityOutcome,
    ),
    ("nature.integrity_outcome", _("What became of the data, integrity (Art. 33(3)(a))"), IntegrityOutcome),
    ("nature.availability_outcome", _("How long the data are unavailable (Art. 33(3)(a))"), AvailabilityOutcome),
    ("nature.data_categories", _("Categories of personal data (Art. 33(3)(a))"), DataCategory),
    ("nature.data_subject_categories", _("Categories of data subjects (Art. 33(3)(a))"), DataSubjectCategory),
    ("nature.data_subject_countries", _("Countries of data subjects"), None),
    ("nature.is_data_encrypted", _("Data was encrypted"), None),
    ("nature.is_key_compromised", _("Encryption key compromised"), None),
    ("numbers.data_subjects", _("Approximate number of data subjects (Art. 33(3)(a))"), None),
    ("numbers.records", _("Approximate number of personal-data records (Art. 33(3)(a))"), None),
    ("contact.name", _("DPO or other contact point (Art. 33(3)(b))"), None),
    ("contact.email", _("Contact point e-mail (Art. 33(3)(b))"), None),
    ("contact.phone", _("Contact point phone (Art. 33(3)(b))"), None),
    ("consequences.likely", _("Likely consequences (Art. 33(3)(c))"), None),
    ("consequences.severity", _("Severity (AP scale) (Art. 33(3)(c))"), Severity),
    ("consequences.risk_level", _("Risk level (Art. 33(3)(c))"), RiskLevel),
    ("consequences.risk_reasoning", _("Reasoning for the risk level (Art. 33(3)(c))"), None),
    ("measures.before", _("Measures in place before (Art. 33(3)(d))"), None),
    ("measures.containment", _("Containment measures (Art. 33(3)(d))"), None),
    ("measures.mitigation", _("Mitigation for data subjects (Art. 33(3)(d))"), None),
    ("measures.planned", _("Planned measures (Art. 33(3)(d))"), None),
    ("times.occurred_from", _("Occurred from"), None),
    ("times.occurred_until", _("Occurred until"), None),
    ("times.is_ongoing", _("Still ongoing"), None),
    ("times.detected", _("Detected"), None),
    ("times.investigation_started", _("Investigation started"), None),
    ("times.contained", _("Contained"), None),
    ("times.controller_aware", _("Controller aware (starts the 72 hours)"), None),
    ("parties", _("Parties involved"), None),
    ("authorities.lead", _("Lead supervisory authority (Art. 56)"), None),
    ("authorities.concerned", _("Concerned supervisory authorities (Art. 4(22))"), None),
    ("communication.decision", _("Communication to data subjects: the decision (Art. 34)"), None),
    ("communication.exemption", _("Exemption from communicating (Art. 34(3))"), Exemption),
    ("communication.exemption_reasoning", _("Reasoning for the exemption (Art. 34(3))"), None),
    ("communication.informed_at", _("Data subjects first informed (Art. 34)"), None),
    ("communication.planned_at", _("Data subjects to be informed (Art. 34)"), None),
    ("communication.channels", _("How data subjects were informed (Art. 34)"), WaveChannel),
    ("communication.waves_pending", _("Communication waves still to be sent"), None),
    ("communication.bounced", _("Communications undeliverable"), None),
    ("communication.content", _("What data subjects were told (Art. 34(2))"), None),
    ("regimes.reports", _("Reported under other regimes by then (e.g. NIS2, DORA)"), None),
    ("regimes.decisions", _("Other regimes decided on by then"), None),
    ("places.data_subjects", _("People affected per place of residence, as known by then"), None),
)
# Added in schema 5: a filing frozen before does not show them (it never said anything about them).
SCHEMA_5_KEYS = frozenset({"regimes.reports", "regimes.decisions", "places.data_subjects"})
LABELS = {key: label for key, label, _choices in ITEMS}
COMMUNICATION_DECISIONS = {
    "communicate": _("communicate to the data subjects (Art. 34(1))"),
    "public": _("a public communication instead (Art. 34(3)(c))"),
    "exempt": _("not communicated: an Art. 34(3) condition is met"),
    "no_high_risk": _("not communicated: no high risk (Art. 34(1))"),
}
BREACH_TYPE_LABELS = {
    "confidentiality": _("confidentiality"),
    "integrity": _("integrity"),
    "availability": _("availability"),
}


# --- Reading the register ----------------------------------------------------------


def _instant(value: datetime | None, zone: str) -> dict | None:
    if value is None:
        return None
    return {"at": value.astimezone(zoneinfo.ZoneInfo("UTC")).isoformat(), "tz": zone or "UTC"}


def _estimate(estimate) -> dict | None:
    if estimate is None:
        return None
    return {
        "low": estimate.low,
        "high": estimate.high,
        "is_approximate": estimate.is_approximate,
        "is_at_least": estimate.is_at_least,
        "display": estimate.display_value,
        "known_at": _instant(estimate.known_at, estimate.known_tz),
        "source": estimate.source,
    }


def contact_point(organisation, controller) -> dict:
    """The Art. 33(3)(b) contact point of a filing: the contact of the controller it is filed for.

    A processor's organisation that records the filing of one of its controllers gives that
    controller's contact (its entry in the directory of parties), never its own DPO. The
    organisation's own DPO is the contact only when the organisation itself is the controller
    (its own party, ``is_self``), or for a preview with no controller chosen yet.
    ``contact.source`` says which of the two it is, so the completeness check
    (``rules.completeness``) can name the field that fills it.
    """
    if controller is None or controller.party.is_self:
        return {
            "contact.source": CONTACT_FROM_ORGANISATION,
            "contact.name": organisation.dpo_name,
            "contact.email": organisation.dpo_email,
            "contact.phone": organisation.dpo_phone,
        }
    party = controller.party
    return {
        "contact.source": CONTACT_FROM_CONTROLLER,
        "contact.name": party.contact_name,
        "contact.email": party.contact_email,
        "contact.phone": party.contact_phone,
    }


def _party_contact(party) -> str:
    """A party's contact as the EDPB template asks it of the other parties: name, e-mail, phone."""
    return ", ".join(v for v in (party.contact_name, party.contact_email, party.contact_phone) if v)


def _authorities(incident) -> dict:
    rows = sorted(incident.authorities.select_related("authority"), key=lambda r: r.authority.name)
    named = [{"name": r.authority.name, "country": str(r.authority.country)} for r in rows]
    return {
        "authorities.lead": next((n for n, r in zip(named, rows, strict=True) if r.role == "lead"), None),
        "authorities.concerned": [n for n, r in zip(named, rows, strict=True) if r.role != "lead"],
    }


def _decision(assessment) -> str:
    """The Art. 34 assessment in one word: what the filing tells the authority about data subjects."""
    if assessment is None:
        return ""
    if assessment.authority_decision == AuthorityDecision.ORDERED:
        return "communicate"
    if (
        assessment.exemption in CLOSING_EXEMPTIONS
        or assessment.authority_decision == AuthorityDecision.EXEMPTION_APPLIES
    ):
        return "exempt"
    if not assessment.is_high_risk:
        return "no_high_risk"
    return "public" if assessment.exemption == Exemption.DISPROPORTIONATE_EFFORT else "communicate"


def communication(incident, controller, known_by: datetime | None) -> dict:
    """The Art. 34 communication of ``controller``'s data subjects as it stood at ``known_by``.

    Steps: the latest assessment decided by then (``decision``, the exemption and its reasoning);
    the waves sent by then (the first one's instant and text, the channels, the undeliverable);
    the waves planned but not sent by then (how many, the earliest planned instant). None for
    ``controller``: a preview, with no controller's communication to show.
    """
    if controller is None:
        return {"communication.decision": ""}
    assessments = [
        a
        for a in incident.communication_assessments.all()
        if a.controller_id == controller.pk and (known_by is None or a.decided_at <= known_by)
    ]
    assessment = max(assessments, key=lambda a: a.pk, default=None)
    waves = sorted(
        (w for w in incident.communication_waves.select_related("content_version") if w.controller_id == controller.pk),
        key=lambda w: (w.sent_at or w.planned_at, w.pk),
    )
    sent = [w for w in waves if w.sent_at is not None and (known_by is None or w.sent_at <= known_by)]
    pending = [w for w in waves if w not in sent]
    first = sent[0] if sent else None
    return {
        "communication.decision": _decision(assessment),
        "communication.exemption": assessment.exemption
        if assessment and assessment.exemption != Exemption.NONE
        else "",
        "communication.exemption_reasoning": assessment.exemption_reasoning if assessment else "",
        "communication.informed_at": _instant(first.sent_at, first.sent_tz) if first else None,
        "communication.planned_at": _instant(min(w.planned_at for w in pending), pending[0].planned_tz)
        if pending
        else None,
        "communication.channels": sorted({w.channel for w in sent}),
        "communication.is_public": bool(sent) and all(w.channel in PUBLIC_CHANNELS for w in sent),
        "communication.waves_pending": len(pending),
        "communication.bounced": sum(w.bounced_count for w in sent),
        "communication.content": _text_sent(first.content_version) if first else "",
    }


def other_regimes(incident, known_by: datetime | None) -> dict:
    """What the incident had reported under regimes other than the GDPR by ``known_by`` (schema 5).

    Steps: the reports filed by then (``filings.RegimeReportFiling``), each with its codes, its
    titles in English (the export's language; the page reads the catalogue in the reader's), its
    instant and the recipient's reference as recorded when the filing is made; the latest decision
    on each other regime taken by then. None for ``known_by``: everything (a preview).
    """
    reports = []
    with translation.override("en"):
        for row in incident.regime_report_filings.order_by("submitted_at", "pk"):
            if row.regime in OWN_CLOCKS or (known_by is not None and row.submitted_at > known_by):
                continue
            reports.append(
                {
                    "regime": row.regime,
                    "report": row.report,
                    "recipient": row.recipient,
                    "rule_version": row.rule_version,
                    "title": report_label(row.regime, row.rule_version, row.report),
                    "recipient_title": recipient_label(row.regime, row.rule_version, row.report),
                    "submitted_at": _instant(row.submitted_at, row.submitted_tz),
                    "reference": row.reference,
                }
            )
    latest: dict[str, bool] = {}
    for decision in incident.regime_decisions.order_by("decided_at", "pk"):
        if decision.regime not in OWN_CLOCKS and (known_by is None or decision.decided_at <= known_by):
            latest[decision.regime] = decision.applies
    return {
        "regimes.reports": reports,
        "regimes.decisions": [{"regime": code, "applies": applies} for code, applies in sorted(latest.items())],
    }


def places(incident, known_by: datetime | None) -> dict:
    """The people affected per place of residence as known by ``known_by`` (schema 5): for each
    place, the latest count whose ``as_of`` is not after it, read from the place's history (a count
    learnt after the submission replaced the row, not what the filing said). None: the current rows."""
    if known_by is None:
        latest = {row.place: row.count for row in incident.affected_places.all()}
    else:
        versions = (
            incident.affected_places.model.history.filter(incident_id=incident.pk, as_of__lte=known_by)
            .exclude(history_type="-")
            .order_by("as_of", "history_id")
            .values_list("place", "count")
        )
        latest = dict(versions)  # the last version of each place wins
    return {"places.data_subjects": [{"place": place, "count": latest[place]} for place in sorted(latest)]}


def _text_sent(version) -> str:
    return f"{version.title}\n\n{version.text}".strip()


def snapshot(
    incident,
    controller,
    aware_at: datetime | None,
    aware_tz: str = "",
    *,
    known_by: datetime | None = None,
    previous_reference: str = "",
) -> dict:
    """The register as it stands, for ``controller``: what a filing freezes as its content.

    ``controller`` may be None for a preview (the whole incident's counts only). ``known_by``: the
    filing's submission; only the counts known by then (``known_at`` ≤ it) are what it said, so a
    filing recorded afterwards does not claim a count learnt later. None: every count (a preview).
    ``previous_reference``: the authority's report number of the filing this one follows, as known
    at submission (the EDPB template asks for it on a follow-up).
    """
    organisation = incident.organisation
    estimates = [e for e in incident.estimates.all() if known_by is None or e.known_at <= known_by]
    numbers = latest_estimates(estimates, controller.pk if controller else None)
    # The organisation's sector, ownership and size are its own: they describe the controller only
    # when that is the organisation itself (or for a preview).
    own = controller is None or controller.party.is_self
    parties = sorted(
        (
            {"name": p.party.name, "role": p.role, "contact": _party_contact(p.party)}
            for p in incident.parties.select_related("party")
        ),
        key=lambda p: (p["role"], p["name"]),
    )
    content = {
        "schema": SCHEMA_VERSION,
        "incident.reference": incident.reference,
        "incident.title": incident.title,
        "controller.name": controller.party.name if controller else "",
        "controller.role": controller.role if controller else "",
        "controller.registration_number": controller.party.registration_number if controller else "",
        "controller.sector": organisation.sector if own else "",
        "controller.ownership": organisation.ownership if own else "",
        "controller.size": organisation.size if own else "",
        "previous.authority_reference": previous_reference,
        "nature.breach_types": [
            name for name in ("confidentiality", "integrity", "availability") if getattr(incident, f"is_{name}_breach")
        ],
        "nature.cause": incident.cause,
        "nature.cause_detail": incident.cause_detail,
        "nature.discovery_method": incident.discovery_method,
        "nature.discovery_detail": incident.discovery_detail,
        "nature.description": incident.description,
        "nature.systems_involved": incident.systems_involved,
        "nature.confidentiality_outcome": incident.confidentiality_outcome,
        "nature.integrity_outcome": incident.integrity_outcome,
        "nature.availability_outcome": incident.availability_outcome,
        "nature.data_categories": sorted(incident.data_categories or []),
        "nature.data_subject_categories": sorted(incident.data_subject_categories or []),
        "nature.data_subject_countries": sorted(str(c) for c in incident.data_subject_countries or []),
        "nature.is_data_encrypted": incident.is_data_encrypted,
        "nature.is_key_compromised": incident.is_key_compromised,
        "numbers.data_subjects": _estimate(numbers.get(EstimateMeasure.DATA_SUBJECTS)),
        "numbers.records": _estimate(numbers.get(EstimateMeasure.RECORDS)),
        **contact_point(organisation, controller),
        "consequences.likely": incident.likely_consequences,
        "consequences.severity": incident.severity,
        "consequences.risk_level": incident.risk_level,
        "consequences.risk_reasoning": incident.risk_reasoning,
        "measures.before": incident.measures_before,
        "measures.containment": incident.measures_containment,
        "measures.mitigation": incident.measures_mitigation,
        "measures.planned": incident.measures_planned,
        "times.is_ongoing": incident.is_ongoing,
        "times.controller_aware": _instant(aware_at, aware_tz),
        "parties": parties,
        **_authorities(incident),
        **communication(incident, controller, known_by),
        **other_regimes(incident, known_by),
        **places(incident, known_by),
        # Not shown: which estimates existed, so "a count recorded after this filing" is exact
        # even when several rows share a timestamp.
        "register.last_estimate_id": max((e.pk for e in estimates), default=0),
    }
    for stem in TIME_STEMS:
        content[f"times.{stem}"] = _instant(getattr(incident, f"{stem}_at"), getattr(incident, f"{stem}_tz"))
    return content


# --- Pure: hashing, display, diff ----------------------------------------------------------


def canonical_json(content: dict) -> str:
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def content_sha256(content: dict) -> str:
    return hashlib.sha256(canonical_json(content).encode("utf-8")).hexdigest()


def _display_instant(value: dict) -> str:
    at = datetime.fromisoformat(value["at"])
    try:
        local = at.astimezone(zoneinfo.ZoneInfo(value.get("tz") or "UTC"))
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        local = at
    # The reader's INSTANT_FORMAT, as every other page writes an instant ("do 3 jul 2025" in Dutch,
    # not "do 3 Jul 2025").
    return f"{formats.date_format(local, instant_format())} {local.tzname()}"


def display_value(key: str, value) -> str:
    """A stored content value as a person reads it (choice labels, ≈/≥/ranges, local times)."""
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, bool):
        return gettext("yes") if value else gettext("no")
    if key == "nature.breach_types":
        return ", ".join(str(BREACH_TYPE_LABELS.get(v, v)) for v in value)
    if key == "communication.decision":
        return str(COMMUNICATION_DECISIONS.get(value, value))
    if key == "authorities.lead":
        return f"{value['name']} ({value['country']})"
    if key == "authorities.concerned":
        return "; ".join(f"{a['name']} ({a['country']})" for a in value)
    if key == "regimes.reports":
        return "\n".join(_display_report(report) for report in value)
    if key == "regimes.decisions":
        return "; ".join(
            f"{regime_label(d['regime'])}: {gettext('applies') if d['applies'] else gettext('does not apply')}"
            for d in value
        )
    if key == "places.data_subjects":
        return "; ".join(f"{p['place']}: {formats.number_format(p['count'], force_grouping=True)}" for p in value)
    if key == "parties":
        roles = dict(PartyRole.choices)
        return "; ".join(f"{p['name']} ({roles.get(p['role'], p['role'])})" for p in value)
    if key.startswith("numbers."):
        # The frozen "display" has English grouping: the figures are written in the reader's language.
        if {"low", "high", "is_approximate", "is_at_least"} <= value.keys():
            return count_text(SimpleNamespace(**value))
        return value["display"]
    if isinstance(value, dict) and "at" in value:
        return _display_instant(value)
    choices = next((c for k, _l, c in ITEMS if k == key), None)
    if choices is not None:
        labels = dict(choices.choices)
        if isinstance(value, list):
            return "; ".join(str(labels.get(v, v)) for v in value)
        return str(labels.get(value, value))
    if isinstance(value, list):
        return ", ".join(map(str, value))
    return str(value)


def _display_report(report: dict) -> str:
    """One frozen regime report as a person reads it: the catalogue's words in the reader's language
    (the frozen English ones when the catalogue no longer has the report), recipient, time, reference."""
    _regime, known = find_report(report["regime"], report["rule_version"], report["report"])
    if known is not None:
        title = report_label(report["regime"], report["rule_version"], report["report"])
        recipient = recipient_label(report["regime"], report["rule_version"], report["report"])
    else:
        title, recipient = report.get("title") or report["report"], report.get("recipient_title") or report["recipient"]
    parts = [title, gettext("to %(recipient)s") % {"recipient": recipient}, _display_instant(report["submitted_at"])]
    if report.get("reference"):
        parts.append(gettext("reference %(reference)s") % {"reference": report["reference"]})
    return ", ".join(parts)


@dataclass(frozen=True)
class Row:
    key: str
    label: str
    value: str


@dataclass(frozen=True)
class Change:
    key: str
    label: str
    before: str
    after: str


def rows(content: dict) -> list[Row]:
    """Every labelled item of a content, for display."""
    return [
        Row(key, str(label), display_value(key, content.get(key)))
        for key, label, _c in ITEMS
        if key in content or key not in SCHEMA_5_KEYS
    ]


def _comparable(key: str, value):
    if value == "" or value == []:
        return None  # "not recorded" however it was stored
    if key.startswith("numbers.") and value is not None:
        # A number changes when its value changes, not when only its source note does.
        return {name: value.get(name) for name in ("low", "high", "is_approximate", "is_at_least")}
    return value


def diff(previous: dict | None, current: dict) -> list[Change]:
    """What changed between two frozen contents, item by item, with human-readable labels.

    Without a previous filing every item that has a value counts as new.
    """
    previous = previous or {}
    changes = []
    for key, label, _c in ITEMS:
        before, after = previous.get(key), current.get(key)
        if _comparable(key, before) != _comparable(key, after):
            changes.append(Change(key, str(label), display_value(key, before), display_value(key, after)))
    return changes
