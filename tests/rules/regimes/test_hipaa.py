"""HIPAA Breach Notification Rule (45 CFR 164.400-414): pinned cases from the rule's text.

Discovery (164.404(a)(2)) is the awareness anchor. Calendar days end at midnight in Washington,
D.C. (America/New_York); the day of discovery does not count.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rules.regimes import report_applies
from tests.rules.regimes.pinning import (
    applies,
    assert_bilingual,
    due,
    facts,
    local,
    reasons_en,
    reasons_nl,
    regime,
    report,
    suggestions,
)

NY = "America/New_York"
ON = date(2026, 12, 5)
COVERED = ("covered_entity",)


def test_the_file_says_what_it_is():
    hipaa = regime("hipaa")
    assert hipaa.jurisdiction == "US"
    assert hipaa.certainty == "firm"
    assert "164.404" in hipaa.source.en and "164.408" in hipaa.source.en and "164.410" in hipaa.source.en
    assert [v.enabled for v in hipaa.versions] == [True]
    assert_bilingual(hipaa)
    codes = [r.code for r in hipaa.versions[0].reports]
    assert codes == ["individuals", "media", "hhs", "hhs_annual", "covered_entity"]
    assert all(r.legal for r in hipaa.versions[0].reports)


@pytest.mark.parametrize("code", ["individuals", "media", "hhs", "covered_entity"])
def test_sixty_calendar_days_after_discovery_end_at_new_york_midnight(code):
    # Discovered Tue 10 March 2026, 09:30 EDT: day 1 is 11 March, day 60 is Sat 9 May.
    discovered = local(NY, 2026, 3, 10, 9, 30)
    assert due(report("hipaa", code), awareness=discovered) == local(NY, 2026, 5, 10, 0, 0)


def test_the_local_date_of_discovery_counts_not_the_utc_date():
    # 02:00 UTC on 11 March is still 10 March, 22:00, in New York: the same day 60 as above.
    discovered = datetime(2026, 3, 11, 2, 0, tzinfo=UTC)
    assert due(report("hipaa", "individuals"), awareness=discovered) == datetime(2026, 5, 10, 4, 0, tzinfo=UTC)


def test_a_weekend_or_holiday_end_is_not_moved():
    # Calendar days: day 60 on Sat 9 May 2026 stays there (no roll to Monday).
    due_at = due(report("hipaa", "individuals"), awareness=local(NY, 2026, 3, 10, 9, 30))
    assert due_at == local(NY, 2026, 5, 10, 0, 0)  # 24:00 of Sat 9 May, not Monday 11 May


def test_small_breach_is_logged_to_hhs_sixty_days_after_the_year_ends():
    """A breach of fewer than 500 people discovered 10 March 2026 goes to HHS by the end of 1 March 2027.

    164.408(c): "not later than 60 days after the end of each calendar year". The year ends at 24:00
    on 31 December, so 1 January is day 1 and day 60 is 1 March 2027 (31 + 28 + 1); HHS publishes the
    same reading (2024's small breaches: by 1 March 2025; 2023's: by 29 February 2024, a leap year).
    The anchor `year_end:awareness` is that 24:00 of 31 December (= 00:00 on 1 January).
    """
    hhs_annual = report("hipaa", "hhs_annual")
    discovered = local(NY, 2026, 3, 10, 9, 30)
    assert due(hhs_annual, awareness=discovered) == local(NY, 2027, 3, 2, 0, 0)  # end of Mon 1 March
    assert due(hhs_annual, awareness=local(NY, 2026, 12, 31, 23, 59)) == local(NY, 2027, 3, 2, 0, 0)


def test_the_year_of_discovery_is_new_yorks_not_utcs():
    # 03:00 UTC on 1 January 2027 is still 31 December 2026 in New York: the 2026 batch, due 1 March 2027.
    due_at = due(report("hipaa", "hhs_annual"), awareness=datetime(2027, 1, 1, 3, 0, tzinfo=UTC))
    assert due_at == local(NY, 2027, 3, 2, 0, 0)


def test_the_year_end_batch_meets_leap_years_as_hhs_does():
    # Discovered in 2027: 60 days after 31 December 2027 is Tue 29 February 2028.
    due_at = due(report("hipaa", "hhs_annual"), awareness=local(NY, 2027, 5, 1, 12, 0))
    assert due_at == local(NY, 2028, 3, 1, 0, 0)


def test_a_breach_discovered_on_new_years_day_waits_for_the_next_year_end():
    # 00:30 on 1 January 2027 belongs to 2027: its batch is due at the end of 29 February 2028.
    due_at = due(report("hipaa", "hhs_annual"), awareness=local(NY, 2027, 1, 1, 0, 30))
    assert due_at == local(NY, 2028, 3, 1, 0, 0)


def test_without_discovery_there_is_no_due_moment():
    assert report("hipaa", "individuals").due_at({}) is None
    assert report("hipaa", "hhs_annual").due_at({}) is None


@pytest.mark.parametrize(("total", "to_hhs_now", "to_hhs_yearly"), [(499, False, True), (500, True, False)])
def test_hhs_threshold_is_500_or_more_in_total(total, to_hhs_now, to_hhs_yearly):
    given_facts = facts({"US-TX": total}, entities=COVERED)
    assert applies(report("hipaa", "hhs"), given_facts) is to_hhs_now
    assert applies(report("hipaa", "hhs_annual"), given_facts) is to_hhs_yearly


@pytest.mark.parametrize(("in_one_state", "media"), [(500, False), (501, True)])
def test_media_need_more_than_500_residents_of_one_state(in_one_state, media):
    # 164.406(a): "more than 500 residents of a State or jurisdiction".
    given_facts = facts({"US-NY": in_one_state, "US-NJ": 400}, entities=COVERED)
    assert applies(report("hipaa", "media"), given_facts) is media
    assert applies(report("hipaa", "hhs"), given_facts)  # 900 or more in total either way


def test_media_count_residents_per_state_not_the_total():
    # 1,200 people over three states, none with more than 500: HHS now, no media notice.
    given_facts = facts({"US-NY": 400, "US-NJ": 400, "US-CT": 400}, entities=COVERED)
    assert not applies(report("hipaa", "media"), given_facts)
    assert applies(report("hipaa", "hhs"), given_facts)


def test_media_need_residents_of_a_us_state_not_of_another_country():
    given_facts = facts({"NL": 5000, "US-NY": 20}, entities=COVERED)
    assert not applies(report("hipaa", "media"), given_facts)


def test_a_business_associate_notifies_its_covered_entity_and_nobody_else():
    given_facts = facts({"US-CA": 600}, entities=("business_associate",))
    assert applies(report("hipaa", "covered_entity"), given_facts)
    for code in ("individuals", "media", "hhs", "hhs_annual"):
        assert not applies(report("hipaa", code), given_facts), code
    covered = facts({"US-CA": 600}, entities=COVERED)
    assert not applies(report("hipaa", "covered_entity"), covered)


def test_600_californians_suggest_hipaa_media_only_for_a_covered_entity():
    covered = facts({"US-CA": 600}, entities=COVERED)
    found = suggestions(covered, ON)
    assert found["hipaa"].applies and found["california"].applies
    ok, why = report_applies(report("hipaa", "media"), covered)
    assert ok and "600" in reasons_en(why) and "600" in reasons_nl(why)

    other = facts({"US-CA": 600}, entities=("controller",))
    found = suggestions(other, ON)
    assert not found["hipaa"].applies
    assert reasons_en(found["hipaa"]) == (
        "the organisation is not recorded as a covered entity under HIPAA | "
        "the organisation is not recorded as a business associate under HIPAA"
    )
    assert found["california"].applies
    assert not applies(report("hipaa", "media"), other)


@settings(max_examples=60, deadline=None)
@given(st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2030, 12, 31)))
def test_individuals_are_due_at_new_york_midnight_61_local_days_after_the_discovery_date(naive):
    discovered = naive.replace(tzinfo=UTC)
    due_at = due(report("hipaa", "individuals"), awareness=discovered)
    ny = local(NY, 2026, 1, 1).tzinfo
    assert due_at.astimezone(ny).time().isoformat() == "00:00:00"
    assert (due_at.astimezone(ny).date() - discovered.astimezone(ny).date()).days == 61


def test_the_media_reasons_read_as_sentences_in_both_languages():
    ok, why = report_applies(report("hipaa", "media"), facts({"US-CA": 600, "US-NV": 30}, entities=COVERED))
    assert ok
    assert reasons_en(why) == (
        "the organisation is recorded as a covered entity under HIPAA | "
        "the most in one state: 600 in California (threshold 501)"
    )
    assert reasons_nl(why) == (
        "de organisatie is vastgelegd als een covered entity onder HIPAA | "
        "het hoogste aantal in één staat: 600 in Californië (drempel 501)"
    )
    ok, why = report_applies(report("hipaa", "media"), facts({"US-TX": 1_250, "NL": 940_000}, entities=COVERED))
    assert ok and reasons_en(why).endswith("the most in one state: 1,250 in Texas (threshold 501)")
    assert reasons_nl(why).endswith("het hoogste aantal in één staat: 1.250 in Texas (drempel 501)")
    ok, why = report_applies(report("hipaa", "media"), facts({"NL": 940_000}, entities=COVERED))
    assert not ok
    assert reasons_en(why).endswith(
        "no data subjects recorded in any state of the United States (threshold 501 in one state)"
    )
    assert reasons_nl(why).endswith(
        "geen betrokkenen vastgelegd in een staat van de Verenigde Staten (drempel 501 in één staat)"
    )
    ok, why = report_applies(report("hipaa", "media"), facts())
    assert not ok
    assert reasons_en(why) == (
        "unknown: whether the organisation is a covered entity under HIPAA has not been recorded | "
        "unknown: where the data subjects live has not been recorded"
    )
    assert reasons_nl(why) == (
        "onbekend: of de organisatie een covered entity onder HIPAA is, is niet vastgelegd | "
        "onbekend: waar de betrokkenen wonen, is niet vastgelegd"
    )
