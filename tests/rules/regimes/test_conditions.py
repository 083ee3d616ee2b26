"""Applicability conditions (rules.regimes.conditions): every leaf, the combinators, the reasons."""

from __future__ import annotations

import pytest

from rules.regimes import Facts, Text
from rules.regimes.conditions import (
    All,
    Any,
    AnyPlaceAtLeast,
    Entity,
    Established,
    Flag,
    Not,
    Place,
    TotalAtLeast,
    TotalBelow,
    evaluate,
)

FACTS = Facts(
    places={"NL": 940_000, "BE": 1_200, "US-CA": 600, "US-NY": 80},
    total=941_880,
    entities=frozenset({"controller", "nis2_essential"}),
    established="NL",
    flags={"significant": True, "major": False},
)
NOTHING = Facts()


def texts(reasons: tuple[Text, ...], language: str = "en") -> list[str]:
    return [reason.get(language) for reason in reasons]


def test_a_place_counts_its_residents_with_thousands_separators_in_each_language():
    applies, reasons = evaluate(Place("NL", 1), FACTS)
    assert applies
    assert texts(reasons) == ["940,000 data subjects live in the Netherlands (threshold 1)"]
    assert texts(reasons, "nl") == ["940.000 betrokkenen wonen in Nederland (drempel 1)"]


def test_eu_adds_up_every_member_state_and_a_country_holds_its_subdivisions():
    assert texts(evaluate(Place("EU", 1), FACTS)[1]) == ["941,200 data subjects live in the EU or EEA (threshold 1)"]
    assert texts(evaluate(Place("US", 500), FACTS)[1]) == [
        "680 data subjects live in the United States (threshold 500)"
    ]


def test_a_subdivision_matches_only_itself():
    applies, reasons = evaluate(Place("US-NY", 500), FACTS)
    assert not applies
    assert texts(reasons) == ["80 data subjects live in New York (threshold 500)"]
    assert not evaluate(Place("US-TX", 1), FACTS)[0]


def test_any_place_looks_for_one_place_within_the_country_over_the_threshold():
    applies, reasons = evaluate(AnyPlaceAtLeast(500, "US"), FACTS)
    assert applies
    assert texts(reasons) == ["the most in one state: 600 in California (threshold 500)"]
    assert texts(reasons, "nl") == ["het hoogste aantal in één staat: 600 in Californië (drempel 500)"]
    assert not evaluate(AnyPlaceAtLeast(1_000, "US"), FACTS)[0]
    none_there = evaluate(AnyPlaceAtLeast(1, "BR"), FACTS)
    assert none_there[0] is False
    assert texts(none_there[1]) == ["no data subjects recorded in any region of Brazil (threshold 1 in one region)"]
    assert texts(none_there[1], "nl") == [
        "geen betrokkenen vastgelegd in een regio van Brazilië (drempel 1 in één regio)"
    ]


def test_totals_compare_with_the_threshold():
    assert evaluate(TotalAtLeast(500), FACTS) == (
        True,
        (
            Text(
                "941,880 data subjects affected in total (threshold 500)", "941.880 betrokkenen in totaal (drempel 500)"
            ),
        ),
    )
    assert not evaluate(TotalBelow(500), FACTS)[0]
    assert evaluate(TotalBelow(500), Facts(total=499))[0]
    assert texts(evaluate(TotalBelow(1_000), Facts(total=499))[1]) == [
        "499 data subjects affected in total (required: fewer than 1,000)"
    ]
    assert texts(evaluate(TotalBelow(1_000), Facts(total=1))[1], "nl") == [
        "1 betrokkene in totaal (vereist: minder dan 1.000)"
    ]


def test_entity_establishment_and_flags_read_in_words_not_codes():
    assert evaluate(Entity("nis2_essential"), FACTS) == (
        True,
        (
            Text(
                "the organisation is recorded as an essential entity under NIS2",
                "de organisatie is vastgelegd als een essentiële entiteit onder NIS2",
            ),
        ),
    )
    assert texts(evaluate(Entity("financial_entity"), FACTS)[1]) == [
        "the organisation is not recorded as a financial entity under DORA"
    ]
    assert evaluate(Established("EU"), FACTS) == (
        True,
        (
            Text(
                "the organisation is established in the Netherlands, within the EU or EEA",
                "de organisatie is gevestigd in Nederland, binnen de EU of EER",
            ),
        ),
    )
    assert texts(evaluate(Established("NL"), FACTS)[1]) == ["the organisation is established in the Netherlands"]
    assert texts(evaluate(Established("BR"), FACTS)[1]) == [
        "the organisation is established in the Netherlands, not in Brazil"
    ]
    assert texts(evaluate(Established("BR"), FACTS)[1], "nl") == [
        "de organisatie is gevestigd in Nederland, niet in Brazilië"
    ]
    assert texts(evaluate(Flag("significant"), FACTS)[1]) == ["the incident is significant under NIS2 or eIDAS"]
    assert evaluate(Flag("major"), FACTS) == (
        False,
        (
            Text(
                "the incident is not classified as major under DORA",
                "het incident is onder DORA niet als ernstig geclassificeerd",
            ),
        ),
    )


def test_one_data_subject_is_singular_and_none_is_none():
    assert evaluate(Place("US-WA", 1), Facts(places={"US-CA": 3})) == (
        False,
        (
            Text(
                "no data subjects live in Washington State (threshold 1)",
                "geen betrokkenen wonen in de staat Washington (drempel 1)",
            ),
        ),
    )
    assert texts(evaluate(Place("US-CA", 1), Facts(places={"US-CA": 1}))[1], "nl") == [
        "1 betrokkene woont in Californië (drempel 1)"
    ]
    assert texts(evaluate(TotalAtLeast(1), Facts(total=1))[1]) == ["1 data subject affected in total (threshold 1)"]


def test_a_place_the_vocabulary_does_not_name_is_shown_as_its_code():
    assert texts(evaluate(Place("US", 1), Facts(places={"US-ZZ": 3}))[1]) == [
        "3 data subjects live in the United States (threshold 1)"
    ]
    assert texts(evaluate(Established("EU"), Facts(established="MX"))[1]) == [
        "the organisation is established in MX, not in the EU or EEA"
    ]


@pytest.mark.parametrize(
    ("condition", "reason"),
    [
        (Place("NL", 1), "unknown: where the data subjects live has not been recorded"),
        (AnyPlaceAtLeast(500, "US"), "unknown: where the data subjects live has not been recorded"),
        (TotalAtLeast(500), "unknown: how many data subjects are affected has not been recorded"),
        (TotalBelow(500), "unknown: how many data subjects are affected has not been recorded"),
        (Entity("controller"), "unknown: whether the organisation is a controller has not been recorded"),
        (Established("EU"), "unknown: where the organisation is established has not been recorded"),
        (Flag("material"), "unknown: whether the incident is material to investors (SEC) has not been recorded"),
    ],
)
def test_an_unknown_fact_makes_its_leaf_not_met_and_says_so(condition, reason):
    applies, reasons = evaluate(condition, NOTHING)
    assert applies is False
    assert texts(reasons) == [reason]
    assert texts(reasons, "nl")[0].startswith("onbekend: ")


def test_all_needs_every_item_and_keeps_every_reason():
    applies, reasons = evaluate(All((Place("NL", 1), Flag("significant"))), FACTS)
    assert applies
    assert len(reasons) == 2
    assert not evaluate(All((Place("NL", 1), Flag("major"))), FACTS)[0]


def test_any_needs_one_item():
    assert evaluate(Any((Flag("major"), Entity("nis2_essential"))), FACTS)[0]
    assert not evaluate(Any((Flag("major"), Entity("financial_entity"))), FACTS)[0]


def test_any_that_holds_gives_only_the_branches_that_hold_as_its_reasons():
    applies, reasons = evaluate(Any((Flag("major"), Entity("nis2_essential"), Flag("ongoing"))), FACTS)
    assert applies is True
    assert texts(reasons) == ["the organisation is recorded as an essential entity under NIS2"]
    # Not holding: every branch says why not (the unknown one included).
    applies, reasons = evaluate(Any((Flag("major"), Entity("financial_entity"))), FACTS)
    assert applies is False
    assert len(reasons) == 2
    applies, reasons = evaluate(Any((Flag("major"), Flag("ongoing"))), FACTS)
    assert applies is False
    assert texts(reasons)[1] == "unknown: whether the incident is still ongoing has not been recorded"


def test_not_inverts_a_known_fact_but_an_unknown_fact_stays_unknown():
    assert evaluate(Not(Flag("major")), FACTS)[0]
    assert not evaluate(Not(Flag("significant")), FACTS)[0]
    applies, reasons = evaluate(Not(Flag("ongoing")), FACTS)
    assert applies is False
    assert texts(reasons) == ["unknown: whether the incident is still ongoing has not been recorded"]
    assert texts(reasons, "nl") == ["onbekend: of het incident nog loopt, is niet vastgelegd"]


def test_unknown_inside_any_does_not_hide_a_met_item_and_inside_all_does_not_hide_a_failed_one():
    assert evaluate(Any((Flag("ongoing"), Flag("significant"))), FACTS)[0]
    assert evaluate(All((Flag("ongoing"), Flag("major"))), FACTS)[0] is False
    assert evaluate(Not(All((Flag("ongoing"), Flag("major")))), FACTS)[0]  # known False inside: not is True


def test_no_condition_always_applies_without_reasons():
    assert evaluate(None, NOTHING) == (True, ())
