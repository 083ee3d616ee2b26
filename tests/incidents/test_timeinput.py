"""Tests for rules.timeinput: typed wall-clock times around DST changes, and a round-trip property.

Pure values only: no database, no frozen clock.
"""

from datetime import UTC, datetime

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from rules.timeinput import (
    AmbiguousLocalTime,
    Fold,
    LocalTimeError,
    NonExistentLocalTime,
    UnknownTimeZone,
    is_ambiguous,
    is_nonexistent,
    local_to_utc,
    utc_to_local,
    zone,
)

AMSTERDAM = "Europe/Amsterdam"


@pytest.mark.parametrize("local", [datetime(2026, 3, 29, 2, 30), datetime(2025, 3, 30, 2, 30)])
def test_a_time_skipped_by_the_spring_change_does_not_exist(local):
    with pytest.raises(NonExistentLocalTime) as refused:
        local_to_utc(local, AMSTERDAM)
    assert refused.value.code == "nonexistent"
    assert "does not exist" in str(refused.value)


def test_a_time_repeated_by_the_autumn_change_needs_a_choice():
    with pytest.raises(AmbiguousLocalTime) as refused:
        local_to_utc(datetime(2026, 10, 25, 2, 30), AMSTERDAM)
    assert refused.value.code == "ambiguous"
    assert "earlier or later" in str(refused.value)


def test_an_empty_choice_counts_as_no_choice():
    with pytest.raises(AmbiguousLocalTime):
        local_to_utc(datetime(2026, 10, 25, 2, 30), AMSTERDAM, fold="")


@pytest.mark.parametrize(
    ("fold", "expected"),
    [
        ("earlier", datetime(2026, 10, 25, 0, 30, tzinfo=UTC)),  # still summer time, UTC+2
        (Fold.EARLIER, datetime(2026, 10, 25, 0, 30, tzinfo=UTC)),
        ("later", datetime(2026, 10, 25, 1, 30, tzinfo=UTC)),  # already winter time, UTC+1
        (Fold.LATER, datetime(2026, 10, 25, 1, 30, tzinfo=UTC)),
    ],
)
def test_the_chosen_pass_of_a_repeated_time_decides_the_instant(fold, expected):
    result = local_to_utc(datetime(2026, 10, 25, 2, 30), AMSTERDAM, fold=fold)
    assert result == expected
    assert result.utcoffset().total_seconds() == 0


def test_an_ordinary_summer_time_converts_to_utc():
    assert local_to_utc(datetime(2025, 8, 20, 14, 0), AMSTERDAM) == datetime(2025, 8, 20, 12, 0, tzinfo=UTC)


def test_an_ordinary_winter_time_converts_to_utc():
    assert local_to_utc(datetime(2026, 1, 15, 9, 15), AMSTERDAM) == datetime(2026, 1, 15, 8, 15, tzinfo=UTC)


def test_a_choice_given_for_an_unambiguous_time_changes_nothing():
    assert local_to_utc(datetime(2025, 8, 20, 14, 0), AMSTERDAM, fold="later") == datetime(
        2025, 8, 20, 12, 0, tzinfo=UTC
    )


def test_an_aware_input_is_refused():
    with pytest.raises(LocalTimeError, match="without a zone"):
        local_to_utc(datetime(2025, 8, 20, 14, 0, tzinfo=UTC), AMSTERDAM)


def test_a_naive_instant_cannot_be_shown_in_a_zone():
    with pytest.raises(LocalTimeError, match="aware"):
        utc_to_local(datetime(2025, 8, 20, 12, 0), AMSTERDAM)


@pytest.mark.parametrize("name", ["Europe/Atlantis", "", "../../etc/passwd", "Not a zone"])
def test_an_unknown_zone_is_refused_by_name(name):
    with pytest.raises(UnknownTimeZone) as refused:
        local_to_utc(datetime(2025, 8, 20, 14, 0), name)
    assert refused.value.code == "unknown_zone"
    with pytest.raises(UnknownTimeZone):
        utc_to_local(datetime(2025, 8, 20, 12, 0, tzinfo=UTC), name)


def test_utc_to_local_shows_the_wall_clock_of_the_zone():
    local = utc_to_local(datetime(2026, 10, 25, 1, 30, tzinfo=UTC), AMSTERDAM)
    assert (local.replace(tzinfo=None), local.fold) == (datetime(2026, 10, 25, 2, 30), 1)


# Zones with unusual changes: half-hour DST (Lord Howe), 45-minute offsets
# (Chatham), a skipped day (Apia, 2011), southern-hemisphere DST, Ramadan
# suspensions (Casablanca), no DST at all (Kolkata, UTC).
SAMPLE_ZONES = [
    "Europe/Amsterdam",
    "Europe/London",
    "America/New_York",
    "America/St_Johns",
    "America/Sao_Paulo",
    "Australia/Lord_Howe",
    "Pacific/Chatham",
    "Pacific/Apia",
    "Africa/Casablanca",
    "Asia/Kolkata",
    "UTC",
]
naive_datetimes = st.datetimes(min_value=datetime(1900, 1, 1), max_value=datetime(2100, 12, 31))


@given(local=naive_datetimes, zone_name=st.sampled_from(SAMPLE_ZONES))
def test_an_unproblematic_local_time_survives_the_round_trip_through_utc(local, zone_name):
    tz = zone(zone_name)
    assume(not is_nonexistent(local, tz) and not is_ambiguous(local, tz))
    instant = local_to_utc(local, zone_name)
    assert instant.utcoffset().total_seconds() == 0
    assert utc_to_local(instant, zone_name).replace(tzinfo=None) == local


@given(local=naive_datetimes, zone_name=st.sampled_from(SAMPLE_ZONES))
def test_every_local_time_either_converts_or_is_refused_with_its_reason(local, zone_name):
    tz = zone(zone_name)
    if is_nonexistent(local, tz):
        with pytest.raises(NonExistentLocalTime):
            local_to_utc(local, zone_name)
    elif is_ambiguous(local, tz):
        with pytest.raises(AmbiguousLocalTime):
            local_to_utc(local, zone_name)
        earlier = local_to_utc(local, zone_name, fold="earlier")
        later = local_to_utc(local, zone_name, fold="later")
        assert earlier < later
        for instant in (earlier, later):
            assert utc_to_local(instant, zone_name).replace(tzinfo=None) == local
    else:
        assert local_to_utc(local, zone_name).tzinfo is not None
