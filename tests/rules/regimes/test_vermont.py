"""Vermont 9 V.S.A. § 2435: consumers within 45 days of discovery; a preliminary notice to the
Attorney General within 14 business days of discovery, or when consumers are told if that is sooner.

Business days are those of the holidays package's calendar for US-VT (0.108): the federal holidays
plus Town Meeting Day (first Tuesday of March) and Bennington Battle Day (16 August); Thanksgiving
is a holiday, the Friday after it is not.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rules.regimes import DATA_DIR, RegimeFileError, calendars, load_file
from tests.rules.regimes.pinning import applies, assert_bilingual, due, facts, local, regime, report

NY = "America/New_York"


def test_the_file_says_what_it_is():
    vermont = regime("vermont")
    assert (vermont.jurisdiction, vermont.certainty) == ("US-VT", "likely")
    assert "2435" in vermont.source.en
    assert_bilingual(vermont)


def test_the_vermont_calendar_of_the_holidays_package():
    assert not calendars.is_business_day("US-VT", date(2026, 3, 3))  # Town Meeting Day
    assert not calendars.is_business_day("US-VT", date(2026, 11, 26))  # Thanksgiving
    assert calendars.is_business_day("US-VT", date(2026, 11, 27))  # the day after is a working day
    assert not calendars.is_business_day("US-VT", date(2026, 8, 17))  # Bennington Battle Day, observed
    assert calendars.is_business_day("US-NY", date(2026, 3, 3))  # Town Meeting Day is Vermont's own


def test_consumers_within_45_days():
    # Discovered Fri 20 November 2026, 10:00 EST: day 45 is Mon 4 January 2027.
    assert due(report("vermont", "residents"), awareness=local(NY, 2026, 11, 20, 10, 0)) == local(NY, 2027, 1, 5, 0, 0)


def test_attorney_general_over_thanksgiving_counts_one_day_more():
    # Discovered Fri 20 November 2026. Business days: 23, 24, 25, (26 Thanksgiving), 27, 30 Nov,
    # 1-4 Dec, 7-11 Dec: the 14th is Fri 11 December (Thu 10 December without the holiday).
    assert due(report("vermont", "attorney_general"), awareness=local(NY, 2026, 11, 20, 10, 0)) == local(
        NY, 2026, 12, 12, 0, 0
    )


def test_attorney_general_over_presidents_day_and_town_meeting_day():
    # Discovered Fri 13 February 2026. Mon 16 Feb (Presidents' Day) and Tue 3 March (Town Meeting
    # Day) do not count: the 14th business day is Mon 9 March, after the switch to EDT (04:00 UTC).
    due_at = due(report("vermont", "attorney_general"), awareness=local(NY, 2026, 2, 13, 10, 0))
    assert due_at == datetime(2026, 3, 10, 4, 0, tzinfo=UTC)


def test_attorney_general_discovered_on_a_weekend():
    # Discovered Sat 2 May 2026: day 1 is Mon 4 May, day 14 is Thu 21 May, as for Friday 1 May.
    on_saturday = due(report("vermont", "attorney_general"), awareness=local(NY, 2026, 5, 2, 10, 0))
    on_friday = due(report("vermont", "attorney_general"), awareness=local(NY, 2026, 5, 1, 10, 0))
    assert on_saturday == on_friday == local(NY, 2026, 5, 22, 0, 0)


def test_attorney_general_no_later_than_the_consumer_notice():
    # Consumers told Wed 25 November 2026, 15:00 EST: the preliminary notice is due then, not on 11 December.
    told = local(NY, 2026, 11, 25, 15, 0)
    due_at = due(
        report("vermont", "attorney_general"), awareness=local(NY, 2026, 11, 20, 10, 0), report__residents=told
    )
    assert due_at == told


def test_a_consumer_notice_after_14_business_days_does_not_extend_it():
    told = local(NY, 2026, 12, 20, 9, 0)
    due_at = due(
        report("vermont", "attorney_general"), awareness=local(NY, 2026, 11, 20, 10, 0), report__residents=told
    )
    assert due_at == local(NY, 2026, 12, 12, 0, 0)


def test_any_vermont_consumer_brings_both_reports():
    one = facts({"US-VT": 1})
    assert applies(report("vermont", "residents"), one)
    assert applies(report("vermont", "attorney_general"), one)
    assert not applies(report("vermont", "attorney_general"), facts({"US-NH": 900}))


@settings(max_examples=60, deadline=None)
@given(st.dates(min_value=date(2026, 1, 1), max_value=date(2028, 12, 31)))
def test_the_preliminary_notice_is_due_after_exactly_14_vermont_business_days(day):
    discovered = local(NY, day.year, day.month, day.day, 12, 0)
    due_at = due(report("vermont", "attorney_general"), awareness=discovered)
    last_day = due_at.astimezone(discovered.tzinfo).date() - timedelta(days=1)
    assert due_at.astimezone(discovered.tzinfo).time().isoformat() == "00:00:00"
    assert calendars.is_business_day("US-VT", last_day)
    counted = [day + timedelta(days=i) for i in range(1, (last_day - day).days + 1)]
    assert sum(calendars.is_business_day("US-VT", d) for d in counted) == 14


def test_the_explanation_names_both_limits():
    attorney_general = report("vermont", "attorney_general")
    assert attorney_general.explain("en") == (
        "14 business days (Vermont) after awareness (not counting that day), ends at midnight (New York time); "
        "at the latest at the submission of “Notify the affected Vermont consumers” itself"
    )
    assert attorney_general.explain("nl").endswith(
        "uiterlijk op het moment van het indienen van “De getroffen consumenten in Vermont informeren”"
    )


def test_zero_business_days_are_refused(tmp_path):
    # "Or when the consumers are told" is 0 hours (the anchor itself); 0 business days is a typo.
    text = (DATA_DIR / "vermont.toml").read_text(encoding="utf-8")
    broken = tmp_path / "vermont.toml"
    broken.write_text(text.replace("business_days = 14", "business_days = 0"), encoding="utf-8")
    with pytest.raises(RegimeFileError, match=r"vermont\.toml: versions\[0\]\.reports\[1\]\.period\.business_days"):
        load_file(broken)
