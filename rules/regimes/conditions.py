"""Applicability conditions (of a regime, or of one report) as data, evaluated against facts.

A condition is a tree of combinators (``all``, ``any``, ``not``) over leaves. Every leaf states the
fact it read as a reason in English and Dutch ("940,000 data subjects live in NL (threshold 1)"),
so the officer sees why the engine suggests what it does. A fact not recorded makes its leaf
unknown: the reason starts with "unknown:" and the leaf counts as not met. Unknown is kept apart
from false inside the tree (three-valued logic), so ``not`` over an unknown fact stays unknown
rather than turning into "met". The engine only suggests: the officer decides.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from rules.regimes.text import Text, count

# EU member states and the EEA states that apply EU law on personal data; "EU" in a place or an
# establishment condition means any of them.
EU_EEA = frozenset("AT BE BG CY CZ DE DK EE ES FI FR GR HR HU IE IT LT LU LV MT NL PL PT RO SE SI SK IS LI NO".split())
EU = "EU"

Outcome = tuple[bool | None, tuple[Text, ...]]  # None = unknown


@dataclass(frozen=True)
class Facts:
    """What applicability reads: where data subjects live, how many, who the organisation is."""

    places: Mapping[str, int] = field(default_factory=dict)  # residence -> data subjects ("NL", "US-CA")
    total: int | None = None
    entities: frozenset[str] = frozenset()
    established: str | None = None  # ISO country
    flags: Mapping[str, bool] = field(default_factory=dict)


def _country(place: str) -> str:
    return place.split("-", 1)[0]


def _in_place(resident: str, place: str) -> bool:
    """Whether a residence code lies in ``place``: a country holds its subdivisions; "EU" every member."""
    if place == EU:
        return _country(resident) in EU_EEA
    if "-" in place:
        return resident == place
    return _country(resident) == place


def _unknown(en: str, nl: str) -> Outcome:
    return None, (Text(f"unknown: {en}", f"onbekend: {nl}"),)


@dataclass(frozen=True)
class All:
    items: tuple[Condition, ...]

    def evaluate(self, facts: Facts) -> Outcome:
        results = [item.evaluate(facts) for item in self.items]
        values = [value for value, _ in results]
        value = False if False in values else (None if None in values else True)
        return value, tuple(reason for _, reasons in results for reason in reasons)


@dataclass(frozen=True)
class Any:
    items: tuple[Condition, ...]

    def evaluate(self, facts: Facts) -> Outcome:
        results = [item.evaluate(facts) for item in self.items]
        values = [value for value, _ in results]
        value = True if True in values else (None if None in values else False)
        return value, tuple(reason for _, reasons in results for reason in reasons)


@dataclass(frozen=True)
class Not:
    item: Condition

    def evaluate(self, facts: Facts) -> Outcome:
        value, reasons = self.item.evaluate(facts)
        return (None if value is None else not value), reasons


@dataclass(frozen=True)
class Place:
    place: str
    at_least: int

    def evaluate(self, facts: Facts) -> Outcome:
        if not facts.places:
            return _unknown("where the data subjects live", "waar de betrokkenen wonen")
        n = sum(number for resident, number in facts.places.items() if _in_place(resident, self.place))
        shown, threshold = count(n), count(self.at_least)
        return n >= self.at_least, (
            Text(
                f"{shown.en} data subjects live in {self.place} (threshold {threshold.en})",
                f"{shown.nl} betrokkenen wonen in {self.place} (drempel {threshold.nl})",
            ),
        )


@dataclass(frozen=True)
class AnyPlaceAtLeast:
    at_least: int
    within: str

    def evaluate(self, facts: Facts) -> Outcome:
        if not facts.places:
            return _unknown("where the data subjects live", "waar de betrokkenen wonen")
        inside = {r: n for r, n in facts.places.items() if r != self.within and _in_place(r, self.within)}
        threshold = count(self.at_least)
        if not inside:
            return False, (
                Text(
                    f"no data subjects recorded in a place within {self.within} (threshold {threshold.en} in one place)",
                    f"geen betrokkenen vastgelegd in een gebied binnen {self.within} (drempel {threshold.nl} in één gebied)",
                ),
            )
        place, n = max(inside.items(), key=lambda item: (item[1], item[0]))
        shown = count(n)
        return n >= self.at_least, (
            Text(
                f"at most {shown.en} data subjects in one place within {self.within} ({place}; threshold {threshold.en})",
                f"hoogstens {shown.nl} betrokkenen in één gebied binnen {self.within} ({place}; drempel {threshold.nl})",
            ),
        )


@dataclass(frozen=True)
class TotalAtLeast:
    at_least: int

    def evaluate(self, facts: Facts) -> Outcome:
        if facts.total is None:
            return _unknown("how many data subjects are affected", "hoeveel betrokkenen het treft")
        shown, threshold = count(facts.total), count(self.at_least)
        return facts.total >= self.at_least, (
            Text(
                f"{shown.en} data subjects affected in total (threshold {threshold.en})",
                f"{shown.nl} betrokkenen in totaal (drempel {threshold.nl})",
            ),
        )


@dataclass(frozen=True)
class TotalBelow:
    below: int

    def evaluate(self, facts: Facts) -> Outcome:
        if facts.total is None:
            return _unknown("how many data subjects are affected", "hoeveel betrokkenen het treft")
        shown, threshold = count(facts.total), count(self.below)
        return facts.total < self.below, (
            Text(
                f"{shown.en} data subjects affected in total (below {threshold.en} required)",
                f"{shown.nl} betrokkenen in totaal (minder dan {threshold.nl} vereist)",
            ),
        )


# The entity types the files name, as a sentence says them (a reason reads "the organisation is
# an essential entity (NIS2)", never the tag); a tag not listed here is shown as it is.
ENTITY_WORDS: dict[str, Text] = {
    "controller": Text("a controller (GDPR)", "een verwerkingsverantwoordelijke (AVG)"),
    "processor": Text("a processor (GDPR)", "een verwerker (AVG)"),
    "nis2_essential": Text("an essential entity (NIS2)", "een essentiële entiteit (NIS2)"),
    "nis2_important": Text("an important entity (NIS2)", "een belangrijke entiteit (NIS2)"),
    "trust_service_provider": Text("a trust service provider", "een verlener van vertrouwensdiensten"),
    "financial_entity": Text("a financial entity (DORA)", "een financiële entiteit (DORA)"),
    "manufacturer": Text(
        "a manufacturer of products with digital elements (CRA)",
        "een fabrikant van producten met digitale elementen (CRA)",
    ),
    "telecom_provider": Text(
        "a provider of public electronic communications", "een aanbieder van openbare elektronische communicatie"
    ),
    "covered_entity": Text("a covered entity (HIPAA)", "een covered entity (HIPAA)"),
    "business_associate": Text("a business associate (HIPAA)", "een business associate (HIPAA)"),
    "sec_registrant": Text("an SEC registrant", "een bij de SEC geregistreerde onderneming"),
    "us_bank": Text("a US banking organisation", "een Amerikaanse bankorganisatie"),
    "nydfs_covered": Text("covered by NYDFS Part 500", "een onder NYDFS Part 500 vallende entiteit"),
    "small_agent": Text("a small processing agent (LGPD)", "een kleine verwerker (LGPD)"),
}


@dataclass(frozen=True)
class Entity:
    tag: str

    def evaluate(self, facts: Facts) -> Outcome:
        if not facts.entities:
            return _unknown("the organisation's entity types", "de soorten entiteit van de organisatie")
        words = ENTITY_WORDS.get(self.tag, Text(self.tag, self.tag))
        if self.tag in facts.entities:
            return True, (Text(f"the organisation is {words.en}", f"de organisatie is {words.nl}"),)
        return False, (Text(f"the organisation is not {words.en}", f"de organisatie is niet {words.nl}"),)


@dataclass(frozen=True)
class Established:
    place: str

    def evaluate(self, facts: Facts) -> Outcome:
        if facts.established is None:
            return _unknown("where the organisation is established", "waar de organisatie gevestigd is")
        value = _in_place(facts.established, self.place)
        if value:
            text = Text(
                f"the organisation is established in {facts.established} (required: {self.place})",
                f"de organisatie is gevestigd in {facts.established} (vereist: {self.place})",
            )
        else:
            text = Text(
                f"the organisation is established in {facts.established}, not in {self.place}",
                f"de organisatie is gevestigd in {facts.established}, niet in {self.place}",
            )
        return value, (text,)


@dataclass(frozen=True)
class Flag:
    name: str

    def evaluate(self, facts: Facts) -> Outcome:
        value = facts.flags.get(self.name)
        if value is None:
            return _unknown(f"{self.name} has not been determined", f"{self.name} is niet vastgesteld")
        if value:
            return True, (Text(f"determined: {self.name}", f"vastgesteld: {self.name}"),)
        return False, (Text(f"determined: not {self.name}", f"vastgesteld: niet {self.name}"),)


Condition = All | Any | Not | Place | AnyPlaceAtLeast | TotalAtLeast | TotalBelow | Entity | Established | Flag


def evaluate(condition: Condition | None, facts: Facts) -> tuple[bool, tuple[Text, ...]]:
    """Whether ``condition`` holds for ``facts`` (unknown counts as not met), with its reasons."""
    if condition is None:
        return True, ()
    value, reasons = condition.evaluate(facts)
    return value is True, reasons
