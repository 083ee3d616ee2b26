"""sec_8k.toml: Form 8-K Item 1.05 within four US federal business days of the materiality determination."""

from __future__ import annotations

from rules.regimes import Facts, catalogue
from tests.rules.regimes.support import at, shipped_report, utc

NY = "America/New_York"


def due(determined):
    return shipped_report("sec_8k", "form_8k").due_at({"determination": determined})


def test_four_business_days_across_a_weekend():
    # Thursday 5 March: Fri 6, Mon 9, Tue 10, Wed 11; due at the end of Wednesday (EDT since the 8th).
    assert due(at("2026-03-05 10:00", NY)) == at("2026-03-12 00:00", NY) == utc("2026-03-12 04:00")


def test_a_friday_evening_determination_counts_from_monday():
    assert due(at("2026-03-06 20:00", NY)) == at("2026-03-13 00:00", NY)


def test_thanksgiving_does_not_count_but_the_friday_after_does():
    # Tuesday 24 November: Wed 25, (Thanksgiving 26), Fri 27, Mon 30, Tue 1 December.
    assert due(at("2026-11-24 11:00", NY)) == at("2026-12-02 00:00", NY)


def test_independence_day_observed_on_friday_3_july_does_not_count():
    # Wednesday 1 July: Thu 2, (Fri 3 observed), Mon 6, Tue 7, Wed 8.
    assert due(at("2026-07-01 11:00", NY)) == at("2026-07-09 00:00", NY)


def test_the_day_is_new_york_s_not_utc_s():
    # 23:30 in New York on Thursday is already Friday in UTC: Thursday is still the anchor day.
    assert due(at("2026-03-05 23:30", NY)) == at("2026-03-12 00:00", NY)


def test_suggested_for_a_registrant_that_determined_materiality():
    regime = catalogue()["sec_8k"]
    assert regime.applicability.evaluate(Facts(entities=frozenset({"sec_registrant"}), flags={"material": True}))[0]
    assert not regime.applicability.evaluate(Facts(entities=frozenset({"sec_registrant"})))[0]


def test_the_explanation_names_the_federal_calendar():
    assert shipped_report("sec_8k", "form_8k").explain("en") == (
        "4 business days (United States federal holidays) after determination, ends at local midnight "
        "(America/New_York), the anchor day does not count"
    )
