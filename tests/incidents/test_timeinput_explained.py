"""rules.timeinput explains a clock change: the skipped hour, and the two readings of a repeated one."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rules.timeinput import (
    Fold,
    LocalTimeError,
    format_offset,
    gap_around,
    is_ambiguous,
    is_nonexistent,
    local_to_utc,
    readings,
    zone,
)

UTC = UTC


def test_the_amsterdam_spring_gap_is_named_with_its_hour_and_abbreviations():
    gap = gap_around(datetime(2026, 3, 29, 2, 30), "Europe/Amsterdam")

    assert (gap.starts, gap.ends) == (datetime(2026, 3, 29, 2, 0), datetime(2026, 3, 29, 3, 0))
    assert (gap.before, gap.after) == ("CET", "CEST")
    assert gap.at == datetime(2026, 3, 29, 1, 0, tzinfo=UTC)


def test_a_gap_elsewhere_and_of_half_an_hour_is_found_from_the_zone_database():
    new_york = gap_around(datetime(2026, 3, 8, 2, 59), "America/New_York")
    lord_howe = gap_around(datetime(2026, 10, 4, 2, 15), "Australia/Lord_Howe")

    assert (new_york.starts.hour, new_york.ends.hour, new_york.before, new_york.after) == (2, 3, "EST", "EDT")
    assert (lord_howe.starts, lord_howe.ends) == (datetime(2026, 10, 4, 2, 0), datetime(2026, 10, 4, 2, 30))


def test_the_two_readings_of_the_autumn_hour_are_named_in_order():
    first, second = readings(datetime(2026, 10, 25, 2, 30), "Europe/Amsterdam")

    assert (first.fold, first.abbreviation, first.offset, first.at) == (
        Fold.EARLIER,
        "CEST",
        "UTC+2",
        datetime(2026, 10, 25, 0, 30, tzinfo=UTC),
    )
    assert (second.fold, second.abbreviation, second.offset, second.at) == (
        Fold.LATER,
        "CET",
        "UTC+1",
        datetime(2026, 10, 25, 1, 30, tzinfo=UTC),
    )
    assert local_to_utc(datetime(2026, 10, 25, 2, 30), "Europe/Amsterdam", first.fold.value) == first.at


@pytest.mark.parametrize(
    ("call", "local"),
    [
        (readings, datetime(2026, 10, 25, 3, 30)),
        (gap_around, datetime(2026, 3, 29, 3, 0)),
        (gap_around, datetime(2026, 10, 25, 2, 30)),
    ],
)
def test_a_time_without_the_problem_is_refused_rather_than_explained(call, local):
    with pytest.raises(LocalTimeError):
        call(local, "Europe/Amsterdam")


@pytest.mark.parametrize(
    ("local", "zone_name"),
    [
        (datetime(2026, 3, 29, 2, 30), "Europe/Amsterdam"),
        (datetime(2026, 3, 8, 2, 59), "America/New_York"),
        (datetime(2026, 10, 4, 2, 15), "Australia/Lord_Howe"),
    ],
)
def test_a_time_in_a_gap_happened_never_so_it_is_not_ambiguous_and_has_no_readings(local, zone_name):
    """zoneinfo gives a gap time two offsets too (fold 0 and 1): that is no choice to offer."""
    assert is_nonexistent(local, zone(zone_name)) and not is_ambiguous(local, zone(zone_name))
    with pytest.raises(LocalTimeError):
        readings(local, zone_name)


@pytest.mark.parametrize(
    ("offset", "text"),
    [
        (timedelta(hours=2), "UTC+2"),
        (timedelta(0), "UTC"),
        (timedelta(hours=-3), "UTC-3"),
        (timedelta(hours=5, minutes=30), "UTC+5:30"),
    ],
)
def test_offsets_read_as_people_write_them(offset, text):
    assert format_offset(offset) == text


def _spring_changes(year: int, zone_name: str):
    """The instants (UTC, to the hour) at which the zone's offset grew in ``year``: the gaps."""
    tz, found = zone(zone_name), []
    moment = datetime(year, 1, 1, tzinfo=UTC)
    previous = moment.astimezone(tz).utcoffset()
    while moment.year == year:
        moment += timedelta(minutes=30)
        offset = moment.astimezone(tz).utcoffset()
        if offset > previous:
            found.append((moment, previous, offset))
        previous = offset
    return found


@settings(max_examples=30, deadline=None)
@given(
    st.integers(2000, 2037),
    st.sampled_from(["Europe/Amsterdam", "America/New_York", "Australia/Lord_Howe", "America/Santiago"]),
    st.floats(0, 0.999),
)
def test_every_skipped_time_lies_in_its_gap_and_the_gap_edges_exist(year, zone_name, position):
    tz = zone(zone_name)
    changes = _spring_changes(year, zone_name)
    if zone_name == "Europe/Amsterdam":
        assert len(changes) == 1  # EU summer time every year of the range
    for change, before, after in changes:
        local = (change + before).replace(tzinfo=None) + (after - before) * position
        local = local.replace(second=0, microsecond=0)
        assert is_nonexistent(local, tz)
        gap = gap_around(local, zone_name)
        assert gap.at == change
        assert gap.starts <= local < gap.ends
        assert not is_nonexistent(gap.ends, tz)
        assert not is_nonexistent(gap.starts - timedelta(minutes=1), tz)
