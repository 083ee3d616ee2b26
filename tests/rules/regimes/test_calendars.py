"""Business days per calendar code (rules.regimes.calendars), on known holidays."""

from __future__ import annotations

from datetime import date

import pytest

from rules.regimes import calendars


@pytest.mark.parametrize("calendar", ["NL", "BR", "US-FED", "US-NY", "GB", "SG"])
def test_saturday_and_sunday_are_never_business_days(calendar):
    assert not calendars.is_business_day(calendar, date(2026, 3, 7))  # Saturday
    assert not calendars.is_business_day(calendar, date(2026, 3, 8))  # Sunday
    assert calendars.is_business_day(calendar, date(2026, 3, 10))  # an ordinary Tuesday


@pytest.mark.parametrize(
    ("calendar", "holiday", "after"),
    [
        ("NL", date(2026, 4, 27), date(2026, 4, 28)),  # King's Day
        ("BR", date(2026, 4, 21), date(2026, 4, 22)),  # Tiradentes
        ("US-FED", date(2026, 11, 26), date(2026, 11, 27)),  # Thanksgiving; the Friday after works
        ("US-FED", date(2026, 7, 3), date(2026, 7, 6)),  # Independence Day observed on Friday
        ("GB", date(2026, 12, 28), date(2026, 12, 29)),  # Boxing Day observed
    ],
)
def test_a_public_holiday_is_not_a_business_day_and_the_next_ordinary_day_is(calendar, holiday, after):
    assert not calendars.is_business_day(calendar, holiday)
    assert calendars.is_business_day(calendar, after)


def test_us_fed_holds_only_the_federal_days_and_a_state_adds_its_own():
    lincolns_birthday = date(2026, 2, 12)  # a New York holiday, a Thursday
    assert calendars.is_business_day("US-FED", lincolns_birthday)
    assert not calendars.is_business_day("US-NY", lincolns_birthday)
    assert not calendars.is_business_day("US-FED", date(2026, 10, 12))  # Columbus Day is federal


def test_carnival_is_an_optional_day_off_in_brazil_so_it_counts_as_a_business_day():
    assert calendars.is_business_day("BR", date(2026, 2, 16))
    assert calendars.is_business_day("BR", date(2026, 2, 17))


def test_the_start_day_never_counts_and_weekends_are_skipped():
    friday = date(2026, 3, 6)
    assert calendars.add_business_days("NL", friday, 1) == date(2026, 3, 9)
    assert calendars.add_business_days("NL", friday, 5) == date(2026, 3, 13)
    assert calendars.next_business_day("NL", date(2026, 3, 7)) == date(2026, 3, 9)


def test_counting_skips_a_holiday_and_crosses_the_year():
    assert calendars.add_business_days("NL", date(2026, 12, 24), 1) == date(2026, 12, 28)
    assert calendars.add_business_days("NL", date(2026, 12, 31), 1) == date(2027, 1, 4)


@pytest.mark.parametrize("n", [0, -1, calendars.MAX_BUSINESS_DAYS + 1])
def test_a_count_outside_its_bounds_is_refused(n):
    with pytest.raises(ValueError, match="n must be between 1 and"):
        calendars.add_business_days("NL", date(2026, 1, 1), n)


@pytest.mark.parametrize("code", ["nl", "XX", "US-ZZ", "NLD", ""])
def test_an_unknown_calendar_code_is_refused(code):
    with pytest.raises(calendars.UnknownCalendar):
        calendars.check_calendar(code)


def test_holiday_objects_are_built_once_per_calendar_and_year():
    calendars.is_business_day("SG", date(2031, 5, 5))
    before = calendars._holidays.cache_info()
    for day in (date(2031, 5, 6), date(2031, 5, 7), date(2031, 8, 8)):  # weekdays: the holidays are read
        calendars.is_business_day("SG", day)
    after = calendars._holidays.cache_info()
    assert (after.hits, after.misses) == (before.hits + 3, before.misses)


def test_calendars_have_names_in_both_languages_and_unknown_ones_show_their_code():
    assert calendars.calendar_title("BR").en == "Brazil"
    assert calendars.calendar_title("BR").nl == "Brazilië"
    assert calendars.calendar_title("US-NY").en == "United States, NY"
    assert calendars.calendar_title("MX").en == "MX"
    assert calendars.holiday_name("NL", date(2026, 4, 27)) == "King's Day"
    assert calendars.holiday_name("NL", date(2026, 4, 28)) is None
