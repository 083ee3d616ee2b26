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
    assert texts(reasons) == ["940,000 data subjects live in NL (threshold 1)"]
    assert texts(reasons, "nl") == ["940.000 betrokkenen wonen in NL (drempel 1)"]


def test_eu_adds_up_every_member_state_and_a_country_holds_its_subdivisions():
    assert texts(evaluate(Place("EU", 1), FACTS)[1]) == ["941,200 data subjects live in EU (threshold 1)"]
    assert texts(evaluate(Place("US", 500), FACTS)[1]) == ["680 data subjects live in US (threshold 500)"]


def test_a_subdivision_matches_only_itself():
    applies, reasons = evaluate(Place("US-NY", 500), FACTS)
    assert not applies
    assert texts(reasons) == ["80 data subjects live in US-NY (threshold 500)"]
    assert not evaluate(Place("US-TX", 1), FACTS)[0]


def test_any_place_looks_for_one_place_within_the_country_over_the_threshold():
    applies, reasons = evaluate(AnyPlaceAtLeast(500, "US"), FACTS)
    assert applies
    assert texts(reasons) == ["at most 600 data subjects in one place within US (US-CA; threshold 500)"]
    assert not evaluate(AnyPlaceAtLeast(1_000, "US"), FACTS)[0]
    none_there = evaluate(AnyPlaceAtLeast(1, "BR"), FACTS)
    assert none_there[0] is False
    assert texts(none_there[1]) == ["no data subjects recorded in a place within BR (threshold 1 in one place)"]


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
        "499 data subjects affected in total (below 1,000 required)"
    ]


def test_entity_establishment_and_flags():
    assert evaluate(Entity("nis2_essential"), FACTS) == (
        True,
        (Text("the organisation is an essential entity (NIS2)", "de organisatie is een essentiële entiteit (NIS2)"),),
    )
    assert texts(evaluate(Entity("financial_entity"), FACTS)[1]) == [
        "the organisation is not a financial entity (DORA)"
    ]
    assert evaluate(Established("EU"), FACTS)[0]
    assert texts(evaluate(Established("BR"), FACTS)[1]) == ["the organisation is established in NL, not in BR"]
    assert texts(evaluate(Flag("significant"), FACTS)[1]) == ["determined: significant"]
    assert evaluate(Flag("major"), FACTS) == (False, (Text("determined: not major", "vastgesteld: niet major"),))


@pytest.mark.parametrize(
    ("condition", "reason"),
    [
        (Place("NL", 1), "unknown: where the data subjects live"),
        (AnyPlaceAtLeast(500, "US"), "unknown: where the data subjects live"),
        (TotalAtLeast(500), "unknown: how many data subjects are affected"),
        (TotalBelow(500), "unknown: how many data subjects are affected"),
        (Entity("controller"), "unknown: the organisation's entity types"),
        (Established("EU"), "unknown: where the organisation is established"),
        (Flag("material"), "unknown: material has not been determined"),
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


def test_not_inverts_a_known_fact_but_an_unknown_fact_stays_unknown():
    assert evaluate(Not(Flag("major")), FACTS)[0]
    assert not evaluate(Not(Flag("significant")), FACTS)[0]
    applies, reasons = evaluate(Not(Flag("ongoing")), FACTS)
    assert applies is False
    assert texts(reasons) == ["unknown: ongoing has not been determined"]


def test_unknown_inside_any_does_not_hide_a_met_item_and_inside_all_does_not_hide_a_failed_one():
    assert evaluate(Any((Flag("ongoing"), Flag("significant"))), FACTS)[0]
    assert evaluate(All((Flag("ongoing"), Flag("major"))), FACTS)[0] is False
    assert evaluate(Not(All((Flag("ongoing"), Flag("major")))), FACTS)[0]  # known False inside: not is True


def test_no_condition_always_applies_without_reasons():
    assert evaluate(None, NOTHING) == (True, ())
