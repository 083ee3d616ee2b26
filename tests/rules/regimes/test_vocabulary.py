"""The vocabulary (rules.regimes.vocabulary) and what it guarantees: no reason shows a code.

Every shipped regime file is walked: every leaf of its applicability and of its reports' conditions
is evaluated so that it holds, fails and is unknown, and every reason in English and Dutch must read
as words (no "_" inside a word, no place code, no time-zone name). Every explanation likewise.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from rules.regimes import Facts, Regime, RegimeFileError, Report, Text, catalogue, load_file, vocabulary
from rules.regimes import conditions as c
from rules.regimes.model import FACT_ANCHOR_CODES, REPORT_PREFIX, YEAR_END_PREFIX
from tests.rules.regimes.test_loader import BASE

SLUG_WORD = re.compile(r"\w*[A-Za-z0-9]_[A-Za-z0-9]\w*")
PLACE_CODE = re.compile(r"\b(?:[A-Z]{2}-[A-Z0-9]{1,3})\b")
ZONE_NAME = re.compile(r"\b[A-Z][a-z]+/[A-Z][A-Za-z_]+")


def leaves(condition: c.Condition | None) -> Iterator[c.Condition]:
    if condition is None:
        return
    if isinstance(condition, c.All | c.Any):
        for item in condition.items:
            yield from leaves(item)
    elif isinstance(condition, c.Not):
        yield from leaves(condition.item)
    else:
        yield condition


def conditions_of(regime: Regime) -> Iterator[c.Condition | None]:
    yield regime.applicability
    for version in regime.versions:
        for report in version.reports:
            yield report.condition


def reports_of(regime: Regime) -> Iterator[Report]:
    for version in regime.versions:
        yield from version.reports


def _inside(place: str) -> str:
    """A residence code that lies in ``place`` and that the vocabulary names."""
    if place == c.EU:
        return "NL"
    return place


def _outside(place: str) -> str:
    """A named country that does not lie in ``place``."""
    return next(code for code in ("BR", "NL", "US") if not c._in_place(code, place))


def _subdivision_of(country: str) -> str:
    return next(code for code in vocabulary.vocabulary().places if code.startswith(f"{country}-"))


def cases(leaf: c.Condition) -> list[tuple[bool | None, Facts]]:
    """Facts that make ``leaf`` hold, fail and be unknown."""
    unknown = (None, Facts())
    if isinstance(leaf, c.Place):
        failing = {_inside(leaf.place): leaf.at_least - 1} if leaf.at_least > 1 else {_outside(leaf.place): 7}
        return [(True, Facts(places={_inside(leaf.place): leaf.at_least})), (False, Facts(places=failing)), unknown]
    if isinstance(leaf, c.AnyPlaceAtLeast):
        state = _subdivision_of(leaf.within)
        return [
            (True, Facts(places={state: leaf.at_least})),
            (False, Facts(places={state: leaf.at_least - 1})),
            (False, Facts(places={_outside(leaf.within): 7})),
            unknown,
        ]
    if isinstance(leaf, c.TotalAtLeast):
        return [(True, Facts(total=leaf.at_least)), (False, Facts(total=leaf.at_least - 1)), unknown]
    if isinstance(leaf, c.TotalBelow):
        return [(True, Facts(total=leaf.below - 1)), (False, Facts(total=leaf.below)), unknown]
    if isinstance(leaf, c.Entity):
        other = "processor" if leaf.tag == "controller" else "controller"
        return [(True, Facts(entities=frozenset({leaf.tag}))), (False, Facts(entities=frozenset({other}))), unknown]
    if isinstance(leaf, c.Established):
        return [
            (True, Facts(established=_inside(leaf.place))),
            (False, Facts(established=_outside(leaf.place))),
            unknown,
        ]
    if isinstance(leaf, c.Flag):
        return [(True, Facts(flags={leaf.name: True})), (False, Facts(flags={leaf.name: False})), unknown]
    raise AssertionError(f"a leaf this test does not know: {leaf!r}")


def assert_words(text: Text, context: object) -> None:
    for language, sentence in (("en", text.en), ("nl", text.nl)):
        assert not SLUG_WORD.search(sentence), (context, language, sentence)
        assert not PLACE_CODE.search(sentence), (context, language, sentence)
        assert not ZONE_NAME.search(sentence), (context, language, sentence)
    assert text.en != text.nl, (context, text.en)


SHIPPED = sorted(catalogue())


@pytest.mark.parametrize("code", SHIPPED)
def test_every_reason_a_regime_can_give_reads_as_words_in_both_languages(code):
    regime = catalogue()[code]
    seen = 0
    for condition in conditions_of(regime):
        for leaf in leaves(condition):
            for expected, facts in cases(leaf):
                value, reasons = leaf.evaluate(facts)
                assert value is expected, (code, leaf, facts)
                assert len(reasons) == 1, (code, leaf)
                assert_words(reasons[0], (code, leaf, expected))
                if expected is None:
                    assert reasons[0].en.startswith("unknown: ") and reasons[0].en.endswith(" has not been recorded")
                    assert reasons[0].nl.startswith("onbekend: ") and reasons[0].nl.endswith(" is niet vastgelegd")
                seen += 1
    assert seen or regime.applicability is None


@pytest.mark.parametrize("code", SHIPPED)
def test_every_explanation_reads_as_words_in_both_languages(code):
    for report in reports_of(catalogue()[code]):
        text = Text(report.explain("en"), report.explain("nl"))
        assert_words(text, (code, report.code))


def test_the_leaf_cases_cover_every_kind_of_leaf_the_catalogue_uses():
    kinds = {type(leaf) for regime in catalogue().values() for cond in conditions_of(regime) for leaf in leaves(cond)}
    assert kinds == {c.Place, c.AnyPlaceAtLeast, c.TotalAtLeast, c.TotalBelow, c.Entity, c.Established, c.Flag}


def test_the_slug_check_catches_codes():
    for sentence in ("the organisation is a nis2_essential", "600 in US-CA", "ends at midnight (America/New_York)"):
        with pytest.raises(AssertionError):
            assert_words(Text(sentence, sentence + " (nl)"), "check")
    assert_words(Text("the most in one state: 600 in California", "het hoogste aantal: 600 in Californië"), "check")


# --- The vocabulary covers what the files use ------------------------------------------------


def test_every_code_the_regime_files_use_has_words():
    words = vocabulary.vocabulary()
    for regime in catalogue().values():
        assert regime.jurisdiction in words.places, regime.code
        for condition in conditions_of(regime):
            for leaf in leaves(condition):
                if isinstance(leaf, c.Entity):
                    assert leaf.tag in words.entities, (regime.code, leaf)
                elif isinstance(leaf, c.Flag):
                    assert leaf.name in words.flags, (regime.code, leaf)
                elif isinstance(leaf, c.Place | c.Established):
                    assert leaf.place in words.places, (regime.code, leaf)
                elif isinstance(leaf, c.AnyPlaceAtLeast):
                    assert leaf.within in words.subdivisions, (regime.code, leaf)
        for report in reports_of(regime):
            assert report.recipient in words.recipients, (regime.code, report.code)
            for anchor in [report.anchor] + ([report.latest.anchor] if report.latest else []):
                if not anchor.startswith(REPORT_PREFIX):
                    assert anchor.removeprefix(YEAR_END_PREFIX) in words.anchors, (regime.code, anchor)
            for period in [report.period] + ([report.latest.period] if report.latest else []):
                if period.zone is not None:
                    assert period.zone in words.zones, (regime.code, report.code, period.zone)


def test_the_vocabulary_names_exactly_the_fact_anchors_and_every_eu_eea_state():
    words = vocabulary.vocabulary()
    assert set(words.anchors) == set(FACT_ANCHOR_CODES)
    assert c.EU_EEA <= set(words.places)


def test_words_in_both_languages():
    words = vocabulary.vocabulary()
    assert vocabulary.entity("nis2_essential") == Text(
        "an essential entity under NIS2", "een essentiële entiteit onder NIS2"
    )
    assert vocabulary.place("US-CA") == Text("California", "Californië")
    assert vocabulary.place("NL") == Text("the Netherlands", "Nederland")
    assert vocabulary.subdivision("US") == Text("state", "staat")
    assert vocabulary.flag("significant").whether.en == "whether the incident is significant under NIS2 or eIDAS"
    assert vocabulary.recipient("csirt").nl == "het CSIRT of de bevoegde autoriteit"
    assert vocabulary.zone("America/New_York") == Text("New York time", "tijd in New York")
    assert vocabulary.zone("America/Mexico_City") == Text("Mexico City time", "tijd in Mexico City")
    assert vocabulary.place("MX") == Text("MX", "MX")  # a place recorded on an incident the vocabulary lacks
    for section in (words.entities, words.anchors, words.recipients, words.places, words.zones):
        for text in section.values():
            assert text.en.strip() and text.nl.strip()
            assert "_" not in text.en + text.nl


# --- Refusals -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            'applicability = { place = "NL", at_least = 1 }',
            'applicability = { entity = "nis2_essentail" }',
            "demo.toml: applicability.entity: 'nis2_essentail' has no words in vocabulary.toml [entities]",
        ),
        (
            'applicability = { place = "NL", at_least = 1 }',
            'applicability = { all = [ { flag = "major" }, { flag = "majr" } ] }',
            "demo.toml: applicability.all[1].flag: 'majr' has no words in vocabulary.toml [flags]",
        ),
        (
            'applicability = { place = "NL", at_least = 1 }',
            'applicability = { place = "XK", at_least = 1 }',
            "demo.toml: applicability.place: 'XK' has no name in vocabulary.toml [places]",
        ),
        (
            'applicability = { place = "NL", at_least = 1 }',
            'applicability = { established = "MX" }',
            "demo.toml: applicability.established: 'MX' has no name in vocabulary.toml [places]",
        ),
        (
            'applicability = { place = "NL", at_least = 1 }',
            'applicability = { any_place_at_least = 500, within = "MX" }',
            "demo.toml: applicability.within: 'MX' has no name in vocabulary.toml [places]",
        ),
        ('jurisdiction = "NL"', 'jurisdiction = "MX"', "demo.toml: jurisdiction: 'MX' has no name in vocabulary.toml"),
    ],
)
def test_the_loader_refuses_a_code_without_words(tmp_path: Path, old, new, message):
    path = tmp_path / "demo.toml"
    path.write_text(BASE.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(RegimeFileError) as error:
        load_file(path)
    assert str(error.value).startswith(message)


GOOD = {
    "entities": {"controller": {"en": "a controller", "nl": "een verwerkingsverantwoordelijke"}},
    "flags": {
        "ongoing": {
            "yes": {"en": "it runs", "nl": "het loopt"},
            "no": {"en": "it stopped", "nl": "het is gestopt"},
            "whether": {"en": "whether it runs", "nl": "of het loopt"},
        }
    },
    "anchors": {"awareness": {"en": "awareness", "nl": "bewustwording"}},
    "recipients": {"csirt": {"en": "the CSIRT", "nl": "het CSIRT"}},
    "places": {
        "US": {"en": "the United States", "nl": "de Verenigde Staten", "subdivision": {"en": "state", "nl": "staat"}}
    },
    "zones": {"Europe/Amsterdam": {"en": "Amsterdam time", "nl": "tijd in Amsterdam"}},
}


def with_change(section: str, value: object) -> dict:
    return {**GOOD, section: value}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({**GOOD, "colours": {}}, "vocabulary.toml: colours: unknown section"),
        (with_change("entities", {}), "vocabulary.toml: entities: must be a non-empty table"),
        (with_change("entities", {"Controller": {"en": "a", "nl": "een"}}), "vocabulary.toml: entities.Controller: "),
        (
            with_change("entities", {"controller": {"en": "a controller"}}),
            "vocabulary.toml: entities.controller: must be a table with exactly the keys en and nl",
        ),
        (
            with_change("entities", {"controller": {"en": "a controller", "nl": " "}}),
            "vocabulary.toml: entities.controller.nl: must be a non-empty string",
        ),
        (
            with_change("flags", {"ongoing": {"yes": {"en": "a", "nl": "b"}, "no": {"en": "a", "nl": "b"}}}),
            "vocabulary.toml: flags.ongoing: must have exactly the forms yes, no and whether",
        ),
        (
            with_change("places", {"USA": {"en": "the United States", "nl": "de Verenigde Staten"}}),
            "vocabulary.toml: places.USA: ",
        ),
        (
            with_change("places", {"US": {"en": "the US", "nl": "de VS", "subdivision": {"en": "state"}}}),
            "vocabulary.toml: places.US.subdivision: must be a table",
        ),
        (with_change("zones", {"Amsterdam": {"en": "a", "nl": "b"}}), "vocabulary.toml: zones.Amsterdam: "),
    ],
)
def test_a_malformed_vocabulary_is_refused_with_the_path(data, message):
    with pytest.raises(vocabulary.VocabularyError) as error:
        vocabulary.parse(data)
    assert str(error.value).startswith(message)


def test_a_good_vocabulary_parses_into_words():
    words = vocabulary.parse(GOOD)
    assert words.flags["ongoing"].whether == Text("whether it runs", "of het loopt")
    assert words.subdivisions["US"] == Text("state", "staat")
    assert words.places["US"] == Text("the United States", "de Verenigde Staten")
