"""The dashboard's clock states: pure functions of due, met and now."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from readers.clock_states import ClockState, band, read_clock

DUE = datetime(2025, 8, 23, 10, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)
SECOND = timedelta(seconds=1)


@pytest.mark.parametrize(
    ("now", "state"),
    [
        (DUE - 72 * HOUR, ClockState.ON_TRACK),
        (DUE - 24 * HOUR - SECOND, ClockState.ON_TRACK),
        (DUE - 24 * HOUR, ClockState.UNDER_24H),  # the moment the before:24h alert fires
        (DUE - 6 * HOUR - SECOND, ClockState.UNDER_24H),
        (DUE - 6 * HOUR, ClockState.UNDER_6H),  # the moment the before:6h alert fires
        (DUE, ClockState.UNDER_6H),  # meeting it now is still on time
        (DUE + SECOND, ClockState.OVERDUE),
        (DUE + 30 * 24 * HOUR, ClockState.OVERDUE),
    ],
)
def test_an_unmet_clock_moves_through_the_bands_as_time_passes(now, state):
    assert read_clock(DUE, None, now).state is state


def test_a_clock_met_on_time_is_met_whatever_the_time_now():
    for now in (DUE - HOUR, DUE + 100 * HOUR):
        reading = read_clock(DUE, DUE - 5 * HOUR, now)
        assert reading.state is ClockState.MET
        assert reading.met_at == DUE - 5 * HOUR
        assert reading.remaining is None


def test_a_clock_met_exactly_at_its_due_moment_is_met_on_time():
    assert read_clock(DUE, DUE, DUE + HOUR).state is ClockState.MET


def test_a_clock_met_after_its_due_moment_is_met_late_by_the_difference():
    reading = read_clock(DUE, DUE + 26 * HOUR, DUE + 100 * HOUR)
    assert reading.state is ClockState.MET_LATE
    assert reading.lateness == 26 * HOUR


def test_an_overdue_clock_says_how_overdue_it_is():
    reading = read_clock(DUE, None, DUE + 3 * HOUR)
    assert reading.lateness == 3 * HOUR
    assert reading.remaining is None


def test_a_pending_clock_says_how_much_time_is_left():
    assert read_clock(DUE, None, DUE - 5 * HOUR).remaining == 5 * HOUR


def test_a_naive_now_is_refused():
    with pytest.raises(ValueError):
        read_clock(DUE, None, datetime(2025, 8, 20, 12, 0))


def test_only_unmet_clocks_count_as_pending():
    assert {state for state in ClockState if state.is_pending} == {
        ClockState.ON_TRACK,
        ClockState.UNDER_24H,
        ClockState.UNDER_6H,
        ClockState.OVERDUE,
    }


@given(
    st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=30)),
    st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=30)),
)
def test_less_time_left_is_never_a_calmer_band(a, b):
    order = [ClockState.ON_TRACK, ClockState.UNDER_24H, ClockState.UNDER_6H]
    shorter, longer = sorted((a, b))
    assert order.index(band(shorter)) >= order.index(band(longer))


@given(st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2030, 1, 1), timezones=st.just(UTC)))
def test_the_state_depends_on_elapsed_time_not_on_the_zone_of_now(now):
    from zoneinfo import ZoneInfo

    local = now.astimezone(ZoneInfo("Europe/Amsterdam"))
    assert read_clock(DUE, None, now) == read_clock(DUE, None, local)
