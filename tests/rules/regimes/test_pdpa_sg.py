"""Singapore PDPA s. 26D: the PDPC no later than 3 calendar days after the assessment that a breach
is notifiable (significant harm, or 500 or more individuals)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from tests.rules.regimes.pinning import applies, assert_bilingual, due, facts, local, regime, report, suggestions

SG = "Asia/Singapore"


def test_the_file_says_what_it_is():
    pdpa = regime("pdpa_sg")
    assert (pdpa.jurisdiction, pdpa.certainty) == ("SG", "firm")
    assert "26D" in pdpa.source.en
    assert_bilingual(pdpa)
    assert report("pdpa_sg", "pdpc").legal and not report("pdpa_sg", "individuals").legal


def test_three_calendar_days_over_a_weekend_and_national_day():
    # Assessed Fri 7 August 2026, 18:00 SGT: Sat 8, Sun 9 (National Day), Mon 10 all count.
    assert due(report("pdpa_sg", "pdpc"), assessment=local(SG, 2026, 8, 7, 18, 0)) == local(SG, 2026, 8, 11, 0, 0)


def test_the_singapore_date_of_the_assessment_counts():
    # 17:30 UTC on 7 August is 01:30 on 8 August in Singapore: day 3 is Tue 11 August.
    assessed = datetime(2026, 8, 7, 17, 30, tzinfo=UTC)
    assert due(report("pdpa_sg", "pdpc"), assessment=assessed) == datetime(2026, 8, 11, 16, 0, tzinfo=UTC)


def test_discovery_alone_does_not_start_the_clock():
    assert due(report("pdpa_sg", "pdpc"), awareness=local(SG, 2026, 8, 7, 18, 0)) is None


@pytest.mark.parametrize(
    ("total", "flags", "to_pdpc"), [(499, {}, False), (500, {}, True), (20, {"notifiable": True}, True)]
)
def test_the_pdpc_for_significant_harm_or_500_people(total, flags, to_pdpc):
    assert applies(report("pdpa_sg", "pdpc"), facts({"SG": total}, flags=flags)) is to_pdpc


def test_suggested_for_singapore_residents_or_a_singapore_organisation():
    on = date(2026, 12, 5)
    assert suggestions(facts({"SG": 3}), on)["pdpa_sg"].applies
    assert suggestions(facts({"NL": 3}, established="SG"), on)["pdpa_sg"].applies
    assert not suggestions(facts({"NL": 3}, established="NL"), on)["pdpa_sg"].applies
