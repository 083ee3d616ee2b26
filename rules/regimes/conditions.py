"""Applicability conditions (of a regime, or of one report) as data, evaluated against facts.

A condition is a tree of combinators (``all``, ``any``, ``not``) over leaves. Every leaf states the
fact it read as a reason in English and Dutch, in words a person would use ("940,000 data subjects
live in the Netherlands (threshold 1)"; the codes of the file are named by the vocabulary), so the
officer sees why the engine suggests what it does. A fact not recorded makes its leaf unknown: the
reason says "unknown: … has not been recorded" and the leaf counts as not met. Unknown is kept
apart from false inside the tree (three-valued logic), so ``not`` over an unknown fact stays
unknown rather than turning into "met". The engine only suggests: the officer decides.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from rules.regimes import vocabulary
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
    """A fact not recorded: ``en`` and ``nl`` say what is missing, as a whole clause."""
    return None, (Text(f"unknown: {en}", f"onbekend: {nl}"),)


def _where_they_live() -> Outcome:
    return _unknown(
        "where the data subjects live has not been recorded", "waar de betrokkenen wonen, is niet vastgelegd"
    )


def _how_many() -> Outcome:
    return _unknown(
        "how many data subjects are affected has not been recorded", "hoeveel betrokkenen het treft, is niet vastgelegd"
    )


def _live_in(n: int, where: Text) -> Text:
    shown = count(n)
    if n == 0:
        return Text(f"no data subjects live in {where.en}", f"geen betrokkenen wonen in {where.nl}")
    if n == 1:
        return Text(f"1 data subject lives in {where.en}", f"1 betrokkene woont in {where.nl}")
    return Text(f"{shown.en} data subjects live in {where.en}", f"{shown.nl} betrokkenen wonen in {where.nl}")


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
        # When a branch holds, the branches that hold are the reason: a branch that does not hold
        # explains nothing about why the whole holds, and listing it reads as a contradiction.
        shown = [result for result in results if result[0] is True] if value is True else results
        return value, tuple(reason for _, reasons in shown for reason in reasons)


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
            return _where_they_live()
        n = sum(number for resident, number in facts.places.items() if _in_place(resident, self.place))
        lives, threshold = _live_in(n, vocabulary.place(self.place)), count(self.at_least)
        return n >= self.at_least, (
            Text(f"{lives.en} (threshold {threshold.en})", f"{lives.nl} (drempel {threshold.nl})"),
        )


@dataclass(frozen=True)
class AnyPlaceAtLeast:
    at_least: int
    within: str

    def evaluate(self, facts: Facts) -> Outcome:
        if not facts.places:
            return _where_they_live()
        inside = {r: n for r, n in facts.places.items() if r != self.within and _in_place(r, self.within)}
        threshold = count(self.at_least)
        one, country = vocabulary.subdivision(self.within), vocabulary.place(self.within)
        if not inside:
            return False, (
                Text(
                    f"no data subjects recorded in any {one.en} of {country.en} "
                    f"(threshold {threshold.en} in one {one.en})",
                    f"geen betrokkenen vastgelegd in een {one.nl} van {country.nl} "
                    f"(drempel {threshold.nl} in één {one.nl})",
                ),
            )
        place, n = max(inside.items(), key=lambda item: (item[1], item[0]))
        shown, where = count(n), vocabulary.place(place)
        return n >= self.at_least, (
            Text(
                f"the most in one {one.en}: {shown.en} in {where.en} (threshold {threshold.en})",
                f"het hoogste aantal in één {one.nl}: {shown.nl} in {where.nl} (drempel {threshold.nl})",
            ),
        )


def _in_total(n: int) -> Text:
    shown = count(n)
    if n == 1:
        return Text("1 data subject affected in total", "1 betrokkene in totaal")
    return Text(f"{shown.en} data subjects affected in total", f"{shown.nl} betrokkenen in totaal")


@dataclass(frozen=True)
class TotalAtLeast:
    at_least: int

    def evaluate(self, facts: Facts) -> Outcome:
        if facts.total is None:
            return _how_many()
        total, threshold = _in_total(facts.total), count(self.at_least)
        return facts.total >= self.at_least, (
            Text(f"{total.en} (threshold {threshold.en})", f"{total.nl} (drempel {threshold.nl})"),
        )


@dataclass(frozen=True)
class TotalBelow:
    below: int

    def evaluate(self, facts: Facts) -> Outcome:
        if facts.total is None:
            return _how_many()
        total, limit = _in_total(facts.total), count(self.below)
        return facts.total < self.below, (
            Text(f"{total.en} (required: fewer than {limit.en})", f"{total.nl} (vereist: minder dan {limit.nl})"),
        )


@dataclass(frozen=True)
class Entity:
    tag: str

    def evaluate(self, facts: Facts) -> Outcome:
        label = vocabulary.entity(self.tag)
        if not facts.entities:
            return _unknown(
                f"whether the organisation is {label.en} has not been recorded",
                f"of de organisatie {label.nl} is, is niet vastgelegd",
            )
        if self.tag in facts.entities:
            return True, (
                Text(f"the organisation is recorded as {label.en}", f"de organisatie is vastgelegd als {label.nl}"),
            )
        return False, (
            Text(
                f"the organisation is not recorded as {label.en}", f"de organisatie is niet vastgelegd als {label.nl}"
            ),
        )


@dataclass(frozen=True)
class Established:
    place: str

    def evaluate(self, facts: Facts) -> Outcome:
        if facts.established is None:
            return _unknown(
                "where the organisation is established has not been recorded",
                "waar de organisatie gevestigd is, is niet vastgelegd",
            )
        value = _in_place(facts.established, self.place)
        there, required = vocabulary.place(facts.established), vocabulary.place(self.place)
        if value and facts.established == self.place:
            text = Text(f"the organisation is established in {there.en}", f"de organisatie is gevestigd in {there.nl}")
        elif value:
            text = Text(
                f"the organisation is established in {there.en}, within {required.en}",
                f"de organisatie is gevestigd in {there.nl}, binnen {required.nl}",
            )
        else:
            text = Text(
                f"the organisation is established in {there.en}, not in {required.en}",
                f"de organisatie is gevestigd in {there.nl}, niet in {required.nl}",
            )
        return value, (text,)


@dataclass(frozen=True)
class Flag:
    name: str

    def evaluate(self, facts: Facts) -> Outcome:
        words = vocabulary.flag(self.name)
        value = facts.flags.get(self.name)
        if value is None:
            return _unknown(f"{words.whether.en} has not been recorded", f"{words.whether.nl}, is niet vastgelegd")
        return value, (words.yes if value else words.no,)


Condition = All | Any | Not | Place | AnyPlaceAtLeast | TotalAtLeast | TotalBelow | Entity | Established | Flag


def evaluate(condition: Condition | None, facts: Facts) -> tuple[bool, tuple[Text, ...]]:
    """Whether ``condition`` holds for ``facts`` (unknown counts as not met), with its reasons."""
    if condition is None:
        return True, ()
    value, reasons = condition.evaluate(facts)
    return value is True, reasons
