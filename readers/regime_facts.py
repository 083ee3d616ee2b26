"""What the regimes section reads of an incident, in a fixed number of queries, and the engine's ``Facts``.

Queries: the regime decisions, the anchors, the determinations, the places, the latest count of
data subjects, the regime report filings and the ``regime_report`` deadline rows: seven, whatever
their number. The organisation's
entity types and establishment come with the incident (``select_related("organisation")``).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from django_countries import countries

from filings.models import RegimeReportFiling
from incidents.choices import DeterminationFlag, EstimateMeasure
from incidents.models import AffectedEstimate, AffectedPlace, IncidentAnchor, IncidentDetermination, RegimeDecision
from notifications.models import Deadline, RegimeDeadlineKind
from readers.regime_labels import entity_label
from rules import regimes


@dataclass
class LoadedFacts:
    facts: regimes.Facts
    decisions: dict[str, object] = field(default_factory=dict)  # regime → its latest RegimeDecision
    history: list = field(default_factory=list)  # every decision, oldest first
    anchors: list = field(default_factory=list)  # the current IncidentAnchors (withdrawn ones included)
    determinations: list = field(default_factory=list)
    places: list = field(default_factory=list)
    filings: dict[tuple[str, str], list] = field(default_factory=dict)  # (regime, report) → filings
    all_filings: list = field(default_factory=list)
    deadlines: dict[str, list] = field(default_factory=dict)  # regime → its active regime_report rows

    @property
    def entity_labels(self) -> list[str]:
        return sorted(entity_label(tag) for tag in self.facts.entities)

    @property
    def establishment_label(self) -> str:
        code = self.facts.established
        return str(countries.name(code) or code) if code else ""


def organisation_entities(organisation) -> frozenset[str]:
    return frozenset(organisation.entity_tags or ())


def organisation_establishment(organisation) -> str | None:
    """Where it is established: the organisation's country (the regimes' ``established`` condition)."""
    return str(organisation.country or "") or None


def latest_total(estimates) -> int | None:
    """The lower bound of the latest whole-incident count of data subjects, from loaded estimates."""
    whole = [e for e in estimates if e.measure == EstimateMeasure.DATA_SUBJECTS and e.party_id is None]
    return max(whole, key=lambda e: (e.known_at, e.pk)).low if whole else None


def load(incident, *, estimates=None) -> LoadedFacts:
    """``estimates``: the incident's data-subject estimates when the caller has them (the incident
    page's register view), saving a query. Without any regime decision there can be no regime
    filing and no regime deadline row, so those two queries are skipped then."""
    decisions = list(
        RegimeDecision.objects.filter(incident=incident).select_related("recorded_by").order_by("decided_at", "pk")
    )
    anchors = list(IncidentAnchor.objects.filter(incident=incident).order_by("occurred_at", "pk"))
    determinations = list(IncidentDetermination.objects.filter(incident=incident).order_by("name"))
    places = list(AffectedPlace.objects.filter(incident=incident).order_by("-count", "place"))
    filings, rows = [], []
    if decisions:
        filings = list(
            RegimeReportFiling.objects.filter(incident=incident)
            .select_related("recorded_by")
            .order_by("submitted_at", "pk")
        )
        rows = list(
            Deadline.objects.filter(incident=incident, kind=RegimeDeadlineKind.REGIME_REPORT, is_active=True).order_by(
                "due_at", "pk"
            )
        )
    # As rules.obligations.applicability_facts reads them (a test holds the two equal): the total
    # is the latest whole-incident count of data subjects (its lower bound), "ongoing" falls back
    # to the incident's own "still ongoing".
    if estimates is not None:
        total = latest_total(estimates)
    else:
        total = (
            AffectedEstimate.objects.filter(
                incident=incident, measure=EstimateMeasure.DATA_SUBJECTS, party__isnull=True
            )
            .order_by("-known_at", "-pk")
            .values_list("low", flat=True)
            .first()
        )
    flags = {DeterminationFlag.ONGOING.value: bool(incident.is_ongoing)}
    flags.update({row.name: row.value for row in determinations})
    loaded = LoadedFacts(
        facts=regimes.Facts(
            places={place.place: place.count for place in places},
            total=total,
            entities=organisation_entities(incident.organisation),
            established=organisation_establishment(incident.organisation),
            flags=flags,
        ),
        history=decisions,
        anchors=anchors,
        determinations=determinations,
        places=places,
        all_filings=filings,
    )
    for decision in decisions:  # oldest first: the latest one per regime stays
        loaded.decisions[decision.regime] = decision
    by_report = defaultdict(list)
    for filing in filings:
        by_report[(filing.regime, filing.report)].append(filing)
    loaded.filings = dict(by_report)
    by_regime = defaultdict(list)
    for row in rows:
        by_regime[row.regime].append(row)
    loaded.deadlines = dict(by_regime)
    return loaded
