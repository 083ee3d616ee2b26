"""The words of a regime's obligation wherever a deadline row is shown: "NIS2 · Early warning to the CSIRT".

A ``regime_report`` deadline row names its regime, report and rule version by code; the titles
come from the regime catalogue (``rules.regimes``, read once and cached), so a label costs no
query. A GDPR row keeps its kind's label. Used by the dashboard, the incident page, the
iCalendar file, the timeline exports and the API, so every place says the same words.
"""

from __future__ import annotations

import functools

from django.utils.translation import get_language

from notifications.models import Deadline
from organisations.models import EntityType
from rules import regimes
from rules.regimes.model import anchor_label as engine_anchor_label

REGIME_REPORT = "regime_report"  # notifications.DeadlineKind.REGIME_REPORT


def language() -> str:
    """The active language as the catalogue's texts know it ("en" or "nl")."""
    return (get_language() or "en")[:2].lower()


def text(value) -> str:
    """A catalogue ``Text`` in the active language."""
    return value.get(language())


def regime_name(regime) -> str:
    """A regime's short name for a label, from its title in the reader's language: the name after
    the jurisdiction ("EU: NIS2 (Directive 2022/2555, Art. 23)" → "NIS2"; "EU: AVG (...)" → "AVG"),
    or the jurisdiction with it when the name is a description ("California: data breach notification")."""
    head = text(regime.title).split(" (")[0]
    _jurisdiction, separator, name = head.partition(": ")
    return name if separator and name[:1].isupper() else head


def find_report(regime_code: str, version: str, report_code: str):
    """``(regime, report)`` from the catalogue, or ``(regime or None, None)`` when a file no longer has it."""
    regime = regimes.catalogue().get(regime_code)
    if regime is None:
        return None, None
    try:
        return regime, regime.version(version).report(report_code)
    except (KeyError, LookupError, ValueError):
        return regime, None


def regime_label(regime_code: str) -> str:
    """A regime's short name from its code, in the reader's language ("NIS2"; the GDPR is "AVG" in
    Dutch); the code in capitals when the catalogue no longer knows it."""
    regime = regimes.catalogue().get(regime_code)
    return regime_name(regime) if regime is not None else regime_code.upper()


def report_label(regime_code: str, version: str, report_code: str) -> str:
    """ "NIS2 · Early warning to the CSIRT"; the codes when the catalogue no longer knows them."""
    _regime, report = find_report(regime_code, version, report_code)
    return f"{regime_label(regime_code)} · {text(report.title) if report is not None else report_code}"


def anchor_label(anchor: str, regime_code: str = "", version: str = "") -> str:
    """What a clock counts from, in words: a fact ("detection"), a previous report's submission
    ("the submission of “Incident notification”") or the end of a year (the engine's words)."""
    regime = regimes.catalogue().get(regime_code)
    titles = {}
    if regime is not None:
        try:
            titles = {report.code: report.title for report in regime.version(version).reports}
        except KeyError:
            pass
    try:
        return text(engine_anchor_label(anchor, titles))
    except KeyError:
        return anchor


def recipient_label(regime_code: str, version: str, report_code: str) -> str:
    _regime, report = find_report(regime_code, version, report_code)
    return text(report.recipient_title) if report is not None else ""


@functools.cache
def kind_labels() -> dict:
    """Each deadline kind's label (lazy: translated when shown), built once: what
    ``get_kind_display()`` reads, without building the choices' dict again for every row."""
    return dict(Deadline._meta.get_field("kind").flatchoices)


def deadline_label(deadline) -> str:
    """The label of any deadline row: a regime report's titles, else the kind's label."""
    if deadline.kind == REGIME_REPORT:
        return report_label(deadline.regime, deadline.rule_version, deadline.report)
    return str(kind_labels().get(deadline.kind, deadline.kind))


def deadline_basis(deadline) -> str:
    """A regime report's legal basis in one sentence ("" for other rows or an unknown report)."""
    if deadline.kind != REGIME_REPORT:
        return ""
    _regime, report = find_report(deadline.regime, deadline.rule_version, deadline.report)
    return text(report.basis) if report is not None else ""


def entity_label(tag: str) -> str:
    """An entity type in words ("Essential entity (NIS2 Art. 3(1))")."""
    try:
        return str(EntityType(tag).label)
    except ValueError:
        return tag


def regime_keys(deadline) -> dict:
    """A regime report row's codes for a machine export (nothing for the GDPR's own rows)."""
    if deadline.kind != REGIME_REPORT:
        return {}
    return {
        "regime": deadline.regime,
        "report": deadline.report,
        "recipient": deadline.recipient,
        "rule_version": deadline.rule_version,
    }
