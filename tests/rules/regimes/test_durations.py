"""The arithmetic of each period unit (rules.regimes.durations): pinned cases and properties.

The properties hold the conventions of docs/regimes.md over random instants 2020-2035: a
business-day rule never ends on a non-business day of its calendar and agrees with a naive
day-by-day count written here; hours never shift; months keep the local wall time.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import holidays
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from rules.regimes import Backstop, Period, Report, Text, calendars
from rules.regimes.durations import day_of
from tests.rules.regimes.support import at, utc

AMS = "Europe/Amsterdam"
HOURS_72 = Period("hours", 72)


def days(n: int, ends: str = "end_of_day", zone: str = AMS) -> Period:
    return Period("calendar_days", n, ends=ends, zone=zone)


def business(n: int, calendar: str = "NL", zone: str = AMS, ends: str = "end_of_day") -> Period:
    return Period("business_days", n, calendar=calendar, ends=ends, zone=zone)


def rolled(period: Period) -> Period:
    return Period(
        period.unit,
        period.amount,
        calendar="NL",
        ends=period.ends,
        zone=period.zone or AMS,
        roll="next_working_day_noon",
    )


# --- Pinned cases -----------------------------------------------------------------------------


def test_hours_are_elapsed_across_the_spring_dst_change():
    # 27 March 2026 10:00 CET; clocks go forward on the 29th: 72 real hours end at 11:00 CEST.
    assert HOURS_72.end(at("2026-03-27 10:00", AMS)) == at("2026-03-30 11:00", AMS) == utc("2026-03-30 09:00")


def test_hours_are_elapsed_across_the_autumn_dst_change():
    assert Period("hours", 24).end(at("2026-10-24 12:00", AMS)) == at("2026-10-25 11:00", AMS)


def test_hours_end_on_a_saturday_without_moving():
    assert Period("hours", 24).end(at("2026-03-06 12:00", AMS)) == at("2026-03-07 12:00", AMS)


def test_calendar_days_start_the_day_after_the_anchor_and_end_at_local_midnight():
    # Anchor day 30 January; day 1 = 31 January, day 3 = 2 February, ends at 00:00 on the 3rd.
    assert days(3).end(at("2026-01-30 23:30", AMS)) == at("2026-02-03 00:00", AMS) == utc("2026-02-02 23:00")


def test_the_anchor_day_is_the_local_date_in_the_periods_zone_not_the_utc_date():
    # 30 June 23:30 UTC is 1 July 01:30 in Amsterdam: 1 July is the anchor day.
    assert days(1).end(utc("2026-06-30 23:30")) == at("2026-07-03 00:00", AMS)


def test_a_day_period_can_end_at_a_local_time_on_its_last_day():
    assert days(3, ends="17:00").end(at("2026-01-30 09:00", AMS)) == at("2026-02-02 17:00", AMS)


def test_business_days_skip_the_weekend_and_a_holiday():
    assert business(1).end(at("2026-03-06 16:00", AMS)) == at("2026-03-10 00:00", AMS)  # Friday -> Monday
    assert business(1).end(at("2026-04-24 16:00", AMS)) == at("2026-04-29 00:00", AMS)  # King's Day Monday 27th


def test_months_keep_the_wall_time_and_fall_to_the_last_day_of_a_short_month():
    month = Period("months", 1, zone=AMS)
    assert month.end(at("2026-01-31 14:00", AMS)) == at("2026-02-28 14:00", AMS)
    assert month.end(at("2028-01-31 14:00", AMS)) == at("2028-02-29 14:00", AMS)  # leap year
    assert month.end(at("2026-03-31 14:00", AMS)) == at("2026-04-30 14:00", AMS)
    assert month.end(at("2026-12-15 09:00", AMS)) == at("2027-01-15 09:00", AMS)
    assert Period("months", 12, zone=AMS).end(at("2026-02-28 09:00", AMS)) == at("2027-02-28 09:00", AMS)


def test_a_month_across_the_dst_change_keeps_the_local_time_not_the_elapsed_hours():
    due = Period("months", 1, zone=AMS).end(at("2026-03-15 10:00", AMS))
    assert due == at("2026-04-15 10:00", AMS) == utc("2026-04-15 08:00")


def test_a_roll_moves_a_weekend_moment_to_noon_on_the_next_working_day():
    assert rolled(Period("hours", 4)).end(at("2026-03-06 22:00", AMS)) == at("2026-03-09 12:00", AMS)


def test_a_roll_moves_a_holiday_moment_to_noon_on_the_day_after():
    assert rolled(Period("hours", 4)).end(at("2026-04-26 23:00", AMS)) == at("2026-04-28 12:00", AMS)


def test_a_roll_leaves_a_working_day_moment_alone():
    assert rolled(Period("hours", 4)).end(at("2026-03-05 22:00", AMS)) == at("2026-03-06 02:00", AMS)


def test_local_midnight_closes_the_day_before_so_friday_midnight_does_not_roll():
    assert rolled(Period("hours", 4)).end(at("2026-03-06 20:00", AMS)) == at("2026-03-07 00:00", AMS)
    assert day_of(at("2026-03-07 00:00", AMS), AMS) == date(2026, 3, 6)
    assert day_of(at("2026-03-07 00:00:00.000001", AMS), AMS) == date(2026, 3, 7)


@pytest.mark.parametrize(
    "period", [HOURS_72, days(3), business(3), Period("months", 1, zone=AMS), rolled(Period("hours", 4))]
)
def test_a_naive_start_is_refused(period):
    with pytest.raises(ValueError, match="timezone-aware"):
        period.end(datetime(2026, 3, 6, 12, 0))  # naive: the point of the test


def _report(period: Period, anchor: str = "awareness", latest: Backstop | None = None) -> Report:
    text = Text("x", "x")
    return Report("r", text, "rcpt", text, anchor, period, True, None, text, latest)


def test_a_report_is_due_after_its_anchor_and_waits_while_the_anchor_is_unknown():
    report = _report(HOURS_72)
    assert report.due_at({"awareness": utc("2026-03-02 09:00")}) == utc("2026-03-05 09:00")
    assert report.due_at({"detection": utc("2026-03-02 09:00")}) is None


def test_a_report_refuses_a_naive_anchor():
    with pytest.raises(ValueError, match="timezone-aware"):
        _report(HOURS_72).due_at({"awareness": datetime(2026, 3, 2, 9, 0)})


def test_a_backstop_wins_when_earlier_and_alone_gives_the_due_moment_when_the_anchor_is_unknown():
    report = _report(Period("hours", 4), "classification", Backstop("detection", Period("hours", 24)))
    detected = utc("2026-03-05 08:00")
    assert report.due_at({"classification": utc("2026-03-06 06:00"), "detection": detected}) == utc("2026-03-06 08:00")
    assert report.due_at({"classification": utc("2026-03-05 09:00"), "detection": detected}) == utc("2026-03-05 13:00")
    assert report.due_at({"detection": detected}) == utc("2026-03-06 08:00")
    assert report.due_at({"classification": utc("2026-03-05 09:00")}) == utc("2026-03-05 13:00")
    assert report.due_at({}) is None


def test_a_chained_report_counts_from_the_submission_of_the_other_report():
    report = _report(HOURS_72, "report:initial")
    assert report.due_at({"awareness": utc("2026-03-02 09:00")}) is None
    assert report.due_at({"report:initial": utc("2026-03-02 11:00")}) == utc("2026-03-05 11:00")


def test_a_year_end_anchor_counts_60_days_from_31_december():
    ny = "America/New_York"
    report = _report(days(60, zone=ny), "year_end:awareness")
    # 2026 is not a leap year: 1 January is day 1, 1 March is day 60, due at its end.
    assert report.due_at({"awareness": at("2026-06-10 09:00", ny)}) == at("2027-03-02 00:00", ny)
    # 2028 is: 29 February is day 60.
    assert report.due_at({"awareness": at("2027-12-31 23:30", ny)}) == at("2028-03-01 00:00", ny)
    # The year is the local year in the period's zone: 1 January 02:00 UTC is still 31 December in New York.
    assert report.due_at({"awareness": utc("2027-01-01 02:00")}) == at("2027-03-02 00:00", ny)


def test_explanations_name_the_unit_the_calendar_and_the_day_conventions_in_both_languages():
    report = _report(business(3, "BR", "America/Sao_Paulo"))
    assert report.explain("en") == (
        "3 business days (Brazil) after awareness, ends at local midnight (America/Sao_Paulo), "
        "the anchor day does not count"
    )
    assert report.explain("nl") == (
        "3 werkdagen (Brazilië) na bewustwording, eindigt om middernacht lokale tijd (America/Sao_Paulo), "
        "de dag van het ankerpunt telt niet mee"
    )
    assert (
        _report(Period("hours", 1)).explain("en")
        == "1 hour after awareness, elapsed time, weekends and holidays included"
    )


# --- Properties -------------------------------------------------------------------------------

CALENDARS = {
    "NL": AMS,
    "BR": "America/Sao_Paulo",
    "US-FED": "America/New_York",
    "GB": "Europe/London",
    "US-NY": "America/New_York",
}
instants = st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2035, 12, 1)).map(
    lambda naive: naive.replace(tzinfo=UTC)
)


def reference_business_day(calendar: str, day: date) -> bool:
    """A deliberately naive reading: weekday, and not in that year's holidays built afresh."""
    country, _, subdiv = ("US" if calendar == "US-FED" else calendar).partition("-")
    public = holidays.country_holidays(country, subdiv=subdiv or None, years=day.year)
    return day.isoweekday() <= 5 and day not in public


def reference_add(calendar: str, start: date, n: int) -> date:
    day, counted = start, 0
    while counted < n:
        day += timedelta(days=1)
        counted += reference_business_day(calendar, day)
    return day


@settings(max_examples=150, deadline=None)
@given(start=instants, n=st.integers(1, 30), calendar=st.sampled_from(sorted(CALENDARS)))
def test_no_business_day_rule_ends_on_a_non_business_day(start, n, calendar):
    zone = CALENDARS[calendar]
    due = business(n, calendar, zone).end(start)
    last_day = (due.astimezone(ZoneInfo(zone)) - timedelta(microseconds=1)).date()
    assert calendars.is_business_day(calendar, last_day)
    assert reference_business_day(calendar, last_day)
    at_five = business(n, calendar, zone, ends="17:00").end(start)
    assert calendars.is_business_day(calendar, at_five.astimezone(ZoneInfo(zone)).date())


@settings(max_examples=150, deadline=None)
@given(start=instants, n=st.integers(1, 30), calendar=st.sampled_from(sorted(CALENDARS)))
def test_business_days_agree_with_a_day_by_day_count(start, n, calendar):
    zone = CALENDARS[calendar]
    local_start = start.astimezone(ZoneInfo(zone)).date()
    expected_last = reference_add(calendar, local_start, n)
    assert calendars.add_business_days(calendar, local_start, n) == expected_last
    due = business(n, calendar, zone).end(start)
    assert due.astimezone(ZoneInfo(zone)).replace(tzinfo=None) == datetime.combine(
        expected_last + timedelta(days=1), datetime.min.time()
    )


@settings(max_examples=200, deadline=None)
@given(start=instants, n=st.integers(1, 24 * 40))
def test_hours_are_always_exactly_that_many_elapsed_hours(start, n):
    local = start.astimezone(ZoneInfo(AMS))
    assert Period("hours", n).end(local) - start == timedelta(hours=n)


@settings(max_examples=200, deadline=None)
@given(start=instants, n=st.integers(1, 24), zone=st.sampled_from([AMS, "America/New_York", "America/Sao_Paulo"]))
def test_months_keep_the_local_wall_time(start, n, zone):
    local = start.astimezone(ZoneInfo(zone))
    index = local.month - 1 + n
    year, month = local.year + index // 12, index % 12 + 1
    last = (date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)).day
    expected = local.replace(tzinfo=None, year=year, month=month, day=min(local.day, last))
    # A wall time the DST change skips on the target day cannot be kept; every other one is.
    exists = expected.replace(tzinfo=ZoneInfo(zone)).astimezone(UTC).astimezone(ZoneInfo(zone))
    assume(exists.replace(tzinfo=None) == expected)
    due = Period("months", n, zone=zone).end(start).astimezone(ZoneInfo(zone))
    assert due.replace(tzinfo=None) == expected


@settings(max_examples=150, deadline=None)
@given(start=instants, n=st.integers(1, 96))
def test_a_roll_never_moves_earlier_and_lands_on_a_working_day_or_stays(start, n):
    plain = Period("hours", n).end(start)
    moved = rolled(Period("hours", n)).end(start)
    assert moved >= plain
    if moved != plain:
        local = moved.astimezone(ZoneInfo(AMS))
        assert (local.hour, local.minute) == (12, 0)
        assert calendars.is_business_day("NL", local.date())
        assert not calendars.is_business_day("NL", day_of(plain, AMS))
