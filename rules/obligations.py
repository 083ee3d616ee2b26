"""The clocks of other notification regimes (NIS2, DORA, ...), derived from an incident's facts.

``rules.deadlines.recompute_deadlines`` calls :func:`regime_obligations` and keeps one
``Deadline`` row of kind ``regime_report`` per (regime, report, recipient) it returns; the
arithmetic is the regimes engine's (``rules.regimes``), this module only reads facts.

The rules (docs/obligations.md#obligations):

* A regime runs clocks only once an officer **confirmed** it (the latest ``RegimeDecision`` for
  it says it applies). The GDPR's own clocks are the existing kinds, per controller
  (``rules.deadlines``), so a decision about the GDPR adds no rows here (``BUILT_IN``).
* **The rule version** is the one in force on the date (UTC) of the earliest known moment any
  report of the regime runs from, and it is **kept**: once a row of the regime exists, its
  ``rule_version`` is reused (for that row, and for the regime's new rows), so a later version of
  the regime's file never rewrites a past deadline.
* **A report** is owed when its condition holds on the facts (``rules.regimes.report_applies``;
  an unknown fact counts as not met). Its due moment is ``Report.due_at`` of the anchors; a report
  whose anchor is unknown gets no row ("waiting for ..." in :func:`report_plans`).
* **Anchors**: the moments recorded on the incident (``IncidentAnchor``, not withdrawn; detection
  falls back to the incident's ``detected_at``); ``awareness`` is the reporting organisation's
  own (the earliest awareness of the incident's party that is the organisation itself);
  ``report:<code>`` the earliest submission of that report of the regime.
* **Met** by the report's first ``RegimeReportFiling``.

Queries: a constant number per incident (one for the decisions; seven more when a regime is
confirmed), however many regimes and reports there are.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from filings.models import RegimeReportFiling
from incidents.choices import AnchorKind, DeterminationFlag, EstimateMeasure
from incidents.models import AwarenessRecord, Incident, RegimeDecision
from notifications.models import Deadline, RegimeDeadlineKind
from organisations.models import Organisation
from rules.awareness import earliest_awareness
from rules.regimes import Facts, Regime, Report, RuleVersion, Suggestion, catalogue, report_applies, suggest

# Regimes whose clocks rules.deadlines derives as their own kinds (per controller).
BUILT_IN = frozenset({"gdpr"})
ZERO_PERIOD_LEAD = timedelta(seconds=1)
REPORT_PREFIX = "report:"
YEAR_END_PREFIX = "year_end:"


def regime_codes() -> frozenset[str]:
    """The codes an officer may decide on: every regime of the catalogue."""
    return frozenset(catalogue())


@dataclass(frozen=True)
class Obligation:
    """What the facts say one regime report's deadline row should hold."""

    regime: str
    report: str
    recipient: str
    rule_version: str
    started_at: datetime
    due_at: datetime
    met_at: datetime | None
    is_legal: bool

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.regime, self.report, self.recipient)


@dataclass(frozen=True)
class ReportPlan:
    """One report of a confirmed regime, as the incident's facts stand: for pages and the derivation.

    ``applies`` and ``reasons``: its condition on the facts. ``due_at`` is None while an anchor it
    needs is unknown; ``waiting_for`` then names the anchors (``awareness``, ``report:initial``).
    """

    regime: Regime
    version: RuleVersion
    report: Report
    applies: bool
    reasons: tuple
    started_at: datetime | None
    due_at: datetime | None
    met_at: datetime | None
    waiting_for: tuple[str, ...]


@dataclass(frozen=True)
class RegimeFacts:
    """Everything the regimes' derivation reads of one incident."""

    facts: Facts
    anchors: Mapping[str, datetime]  # fact anchors only
    filings: tuple[RegimeReportFiling, ...]  # in submission order


# --- Reading the facts ---------------------------------------------------------------------------


def latest_decisions(incident: Incident) -> dict[str, RegimeDecision]:
    """The latest decision per regime (one query)."""
    latest: dict[str, RegimeDecision] = {}
    for decision in RegimeDecision.objects.filter(incident=incident).order_by("decided_at", "pk"):
        latest[decision.regime] = decision
    return latest


def confirmed_regimes(incident: Incident) -> list[Regime]:
    """The catalogue's regimes whose latest decision confirms them, GDPR excluded (one query)."""
    regimes = catalogue()
    return [
        regimes[code]
        for code, decision in sorted(latest_decisions(incident).items())
        if decision.applies and code in regimes and code not in BUILT_IN
    ]


def applicability_facts(incident: Incident, organisation: Organisation | None = None) -> Facts:
    """What the regimes' conditions read of an incident (four queries; three with ``organisation``).

    * ``places``: the current count per place of residence (``AffectedPlace``);
    * ``total``: the number of data subjects of the latest whole-incident estimate (its lower
      bound: what is known at least), None without one;
    * ``entities`` and ``established``: the organisation's entity tags and country;
    * ``flags``: the determinations recorded; ``ongoing`` falls back to the incident's own
      "still ongoing" when it was not determined.
    """
    organisation = organisation or Organisation.objects.get(pk=incident.organisation_id)
    places = dict(incident.affected_places.values_list("place", "count"))
    estimate = (
        incident.estimates.filter(measure=EstimateMeasure.DATA_SUBJECTS, party__isnull=True)
        .order_by("-known_at", "-pk")
        .values_list("low", flat=True)
        .first()
    )
    flags: dict[str, bool] = {DeterminationFlag.ONGOING: bool(incident.is_ongoing)}
    flags.update(dict(incident.determinations.values_list("name", "value")))
    return Facts(
        places=places,
        total=estimate,
        entities=frozenset(organisation.entity_tags or ()),
        established=str(organisation.country) or None,
        flags=flags,
    )


def suggestions(incident: Incident, on: date) -> list[Suggestion]:
    """The engine's suggestion for every regime in force on ``on``, from the incident's facts (for pages)."""
    return suggest(applicability_facts(incident), on)


def fact_anchors(incident: Incident, awareness: Iterable[AwarenessRecord] | None = None) -> dict[str, datetime]:
    """The moments recorded on the incident, by anchor name (two queries, three without ``awareness``).

    ``awareness``: the incident's awareness records, if the caller has them already.
    """
    anchors: dict[str, datetime] = {}
    if incident.detected_at is not None:
        anchors[AnchorKind.DETECTION] = incident.detected_at
    for kind, moment in incident.anchors.filter(is_withdrawn=False).values_list("kind", "occurred_at"):
        anchors[kind] = moment
    own = incident.parties.filter(party__is_self=True).values_list("pk", flat=True).first()
    records = list(awareness) if awareness is not None else list(incident.awareness_records.all())
    record = earliest_awareness(records).get(own) if own is not None else None
    if record is not None:
        anchors["awareness"] = record.aware_at
    return anchors


def regime_facts(incident: Incident, awareness: Iterable[AwarenessRecord] | None = None) -> RegimeFacts:
    """Every fact the regimes' derivation reads (seven queries, eight without ``awareness``)."""
    filings = RegimeReportFiling.objects.filter(incident=incident).order_by("submitted_at", "pk")
    return RegimeFacts(applicability_facts(incident), fact_anchors(incident, awareness), tuple(filings))


# --- Deriving ------------------------------------------------------------------------------------


def _base_anchor(anchor: str) -> str:
    return anchor.removeprefix(YEAR_END_PREFIX)


def _anchor_names(report: Report) -> list[str]:
    names = [report.anchor] + ([report.latest.anchor] if report.latest is not None else [])
    return [_base_anchor(name) for name in names]


def version_date(regime: Regime, anchors: Mapping[str, datetime]) -> date | None:
    """The UTC date of the earliest known fact anchor any report of the regime runs from."""
    names = {name for version in regime.versions for report in version.reports for name in _anchor_names(report)}
    known = [anchors[name] for name in names if name in anchors]
    return min(known).astimezone(UTC).date() if known else None


def regime_version(regime: Regime, anchors: Mapping[str, datetime], kept: str | None) -> RuleVersion | None:
    """The version the regime's clocks run on: the one kept by its rows, else the one in force then."""
    if kept:
        try:
            return regime.version(kept)
        except KeyError:
            pass  # a data file may not drop a version (its tests hold that); if one did, derive anew
    day = version_date(regime, anchors)
    return regime.version_on(day) if day is not None else None


def _chained(regime: str, filings: Iterable[RegimeReportFiling]) -> dict[str, datetime]:
    """``report:<code>`` -> the earliest submission of that report of the regime."""
    chained: dict[str, datetime] = {}
    for filing in filings:  # in submission order
        if filing.regime == regime:
            chained.setdefault(f"{REPORT_PREFIX}{filing.report}", filing.submitted_at)
    return chained


def _plan(regime: Regime, version: RuleVersion, report: Report, facts: RegimeFacts) -> ReportPlan:
    applies, reasons = report_applies(report, facts.facts)
    anchors = {**facts.anchors, **_chained(regime.code, facts.filings)}
    names = [report.anchor] + ([report.latest.anchor] if report.latest is not None else [])
    known = [anchors[_base_anchor(name)] for name in names if _base_anchor(name) in anchors]
    due = report.due_at(anchors)
    waiting = () if due is not None else tuple(names)
    met = next(
        (
            f.submitted_at
            for f in facts.filings
            if (f.regime, f.report, f.recipient) == (regime.code, report.code, report.recipient)
        ),
        None,
    )
    started = min(known) if known else None
    return ReportPlan(regime, version, report, applies, reasons, started, due, met, waiting)


def report_plans(
    incident: Incident,
    *,
    kept_versions: Mapping[str, str] | None = None,
    awareness: Iterable[AwarenessRecord] | None = None,
    regimes: list[Regime] | None = None,
) -> list[ReportPlan]:
    """Every report of every confirmed regime, with its condition, due moment or what it waits for.

    ``kept_versions``: regime -> the rule version its existing rows keep (None: read them).
    Constant queries per incident.
    """
    regimes = confirmed_regimes(incident) if regimes is None else regimes
    if not regimes:
        return []
    if kept_versions is None:
        kept_versions = kept_rule_versions(incident)
    facts = regime_facts(incident, awareness)
    plans: list[ReportPlan] = []
    for regime in regimes:
        version = regime_version(regime, facts.anchors, kept_versions.get(regime.code))
        if version is None:
            continue
        plans.extend(_plan(regime, version, report, facts) for report in version.reports)
    return plans


def kept_rule_versions(incident: Incident) -> dict[str, str]:
    """regime -> the rule version of its first deadline row (one query)."""
    kept: dict[str, str] = {}
    rows = Deadline.objects.filter(incident=incident, kind=RegimeDeadlineKind.REGIME_REPORT).order_by("pk")
    for regime, version in rows.values_list("regime", "rule_version"):
        kept.setdefault(regime, version)
    return kept


def regime_obligations(
    incident: Incident,
    *,
    kept_versions: Mapping[str, str],
    awareness: Iterable[AwarenessRecord] | None = None,
) -> list[Obligation]:
    """The deadline rows the confirmed regimes ask for: one per owed report whose anchors are known.

    ``kept_versions``: regime -> the rule version of its existing rows (reused, see the module).
    """
    obligations = []
    for plan in report_plans(incident, kept_versions=kept_versions, awareness=awareness):
        if not plan.applies or plan.due_at is None or plan.started_at is None:
            continue
        # The sweep's ladder needs a positive duration (due_at - started_at). A period ends after
        # its anchor, except one of zero hours ("at the latest when ... itself"): that row starts
        # a second before it is due.
        started = min(plan.started_at, plan.due_at - ZERO_PERIOD_LEAD)
        obligations.append(
            Obligation(
                regime=plan.regime.code,
                report=plan.report.code,
                recipient=plan.report.recipient,
                rule_version=plan.version.version,
                started_at=started,
                due_at=plan.due_at,
                met_at=plan.met_at,
                is_legal=plan.report.legal,
            )
        )
    return obligations


def version_for_filing(incident: Incident, regime: str) -> RuleVersion | None:
    """The rule version a new report of ``regime`` is made under; None when it is not confirmed.

    The version its rows keep, else the one in force on its earliest anchor's date, else (no
    anchor known yet) the latest enabled version.
    """
    regimes = {found.code: found for found in confirmed_regimes(incident)}
    if regime not in regimes:
        return None
    found = regimes[regime]
    version = regime_version(found, fact_anchors(incident), kept_rule_versions(incident).get(regime))
    if version is None:
        enabled = [candidate for candidate in found.versions if candidate.enabled]
        version = enabled[-1] if enabled else None
    return version


def report_of_row(regime: str, rule_version: str, report: str) -> Report | None:
    """The report a regime row names by its columns, from the catalogue; None when it no longer has it.

    A dictionary look-up and a walk over one version's few reports: no query, no file read (the
    catalogue is loaded once per process). A regime, version or report removed from the data
    leaves its old rows without one (their alerts fall back to the standard ladder).
    """
    found = catalogue().get(regime)
    if found is None:
        return None
    try:
        return found.version(rule_version).report(report)
    except KeyError:
        return None
