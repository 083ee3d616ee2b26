"""Tests for rules.clocks: pinned DST examples, the real NMDL case, and properties.

Pure values only: no database, no frozen clock (every function takes ``now`` explicitly).
"""

import itertools
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from rules.clocks import (
    DEFAULT_RULES,
    ClockRule,
    DeadlineState,
    alert_thresholds,
    authority_due_at,
    due_at,
    evaluate,
    floor_to_hour,
    next_alert_at,
    outer_bound_at,
    processor_lag,
    regulation_1182_71_bound,
    rule_with_duration,
)

AMS = ZoneInfo("Europe/Amsterdam")
H = timedelta(hours=1)
AUTHORITY = DEFAULT_RULES["authority_notification"]
UTC_NOW = datetime(2026, 1, 1, tzinfo=UTC)


def ams(*args: int) -> datetime:
    return datetime(*args, tzinfo=AMS)


def wall_clock_hours(start: datetime, end: datetime) -> timedelta:
    """Difference of the local clock faces, which is what a wrong implementation would add."""
    local_end = end.astimezone(start.tzinfo)
    return local_end.replace(tzinfo=None) - start.replace(tzinfo=None)


def real_hours(start: datetime, end: datetime) -> timedelta:
    return end.astimezone(UTC) - start.astimezone(UTC)


# Hypothesis inputs: any IANA zone, including times that fall in a DST gap or overlap, kept
# within years where +72h (and a generous overdue window) cannot overflow datetime.max.
aware_datetimes = st.datetimes(
    min_value=datetime(1970, 1, 1),
    max_value=datetime(2200, 1, 1),
    timezones=st.timezones(),
)

spans = st.integers(min_value=1, max_value=30 * 24 * 60).map(lambda m: timedelta(minutes=m))

rules = st.builds(
    ClockRule,
    kind=st.just("generated"),
    duration=spans,
    thresholds_before=st.lists(spans, unique=True, max_size=8).map(tuple),
    overdue_repeat=st.none() | spans,
    is_legal_deadline=st.booleans(),
    legal_basis=st.just("test"),
)


# --- Pinned daylight-saving examples (docs/domain.md#counting-hours) ------------------------------


def test_due_time_crosses_spring_forward_2026_as_73_wall_clock_hours():
    # Clocks jump 02:00 CET -> 03:00 CEST on Sunday 2026-03-29: 72 real hours read as 73 on the
    # clock face. (A 71-wall-clock-hour result would be the bug: local 10:00 + 72h.)
    aware = ams(2026, 3, 27, 10, 0)
    due = authority_due_at(aware)
    assert due == ams(2026, 3, 30, 11, 0)
    assert due.astimezone(AMS).utcoffset() == 2 * H  # CEST
    assert real_hours(aware, due) == 72 * H
    assert wall_clock_hours(aware, due) == 73 * H


def test_due_time_crosses_fall_back_2025_as_71_wall_clock_hours():
    # Clocks go back 03:00 CEST -> 02:00 CET on Sunday 2025-10-26: 72 real hours read as 71.
    aware = ams(2025, 10, 24, 12, 0)
    due = authority_due_at(aware)
    assert due == ams(2025, 10, 27, 11, 0)
    assert due.astimezone(AMS).utcoffset() == 1 * H  # CET
    assert real_hours(aware, due) == 72 * H
    assert wall_clock_hours(aware, due) == 71 * H


def test_due_time_crosses_spring_forward_2025_as_73_wall_clock_hours():
    # Computed by hand: DST begins Sunday 2025-03-30. Aware Fri 2025-03-28 10:00 CET = 09:00 UTC;
    # + 72h = Mon 2025-03-31 09:00 UTC = 11:00 CEST (UTC+2).
    aware = ams(2025, 3, 28, 10, 0)
    due = authority_due_at(aware)
    assert due == datetime(2025, 3, 31, 9, 0, tzinfo=UTC)
    assert due.astimezone(AMS).replace(tzinfo=None) == datetime(2025, 3, 31, 11, 0)
    assert wall_clock_hours(aware, due) == 73 * H


def test_due_time_crosses_fall_back_2026_as_71_wall_clock_hours():
    # Computed by hand: DST ends Sunday 2026-10-25. Aware Fri 2026-10-23 12:00 CEST = 10:00 UTC;
    # + 72h = Mon 2026-10-26 10:00 UTC = 11:00 CET (UTC+1).
    aware = ams(2026, 10, 23, 12, 0)
    due = authority_due_at(aware)
    assert due == datetime(2026, 10, 26, 10, 0, tzinfo=UTC)
    assert due.astimezone(AMS).replace(tzinfo=None) == datetime(2026, 10, 26, 11, 0)
    assert wall_clock_hours(aware, due) == 71 * H


def test_adding_72_hours_to_local_wall_clock_would_give_only_71_real_hours():
    # Python adds to the clock face when the tzinfo is a zone: the mistake this module avoids.
    aware = ams(2026, 3, 27, 10, 0)
    wrong = aware + 72 * H
    assert real_hours(aware, wrong) == 71 * H
    assert authority_due_at(aware) == wrong + H


def test_due_at_is_returned_in_utc():
    due = authority_due_at(ams(2026, 3, 27, 10, 0))
    assert due.tzinfo is UTC
    assert due == datetime(2026, 3, 30, 9, 0, tzinfo=UTC)


# --- The real case: Clinical Diagnostics NMDL, 2025 (docs/domain.md#demo-case) --------------------


def test_controller_aware_on_wednesday_is_due_on_saturday_without_weekend_shift():
    aware = ams(2025, 8, 6, 16, 0)  # Wed: the lab informs the screening programme
    due = authority_due_at(aware)
    local_due = due.astimezone(AMS)
    assert local_due == ams(2025, 8, 9, 16, 0)
    assert local_due.strftime("%A") == "Saturday"


def test_processor_lag_of_about_31_days_is_flagged_against_a_48_hour_contract():
    lab_aware = ams(2025, 7, 6, 12, 0)
    programme_informed = ams(2025, 8, 6, 16, 0)
    lag = processor_lag(lab_aware, programme_informed, 48 * H, now=ams(2025, 8, 11, 9, 0))
    assert lag.lag == timedelta(days=31, hours=4)
    assert lag.is_informed
    assert lag.is_over_target


# --- Regulation 1182/71 bound (informational) --------------------------------------------------


def test_1182_71_bound_skips_the_hour_of_awareness_then_counts_72_hours():
    aware = ams(2025, 8, 6, 10, 17)
    assert regulation_1182_71_bound(aware) == ams(2025, 8, 6, 10, 0) + 73 * H
    assert regulation_1182_71_bound(aware) == ams(2025, 8, 9, 11, 0)


def test_1182_71_bound_for_awareness_on_the_hour_is_still_73_hours_later():
    aware = ams(2025, 8, 6, 10, 0)
    assert regulation_1182_71_bound(aware) == ams(2025, 8, 9, 11, 0)


def test_1182_71_bound_crosses_spring_forward_in_elapsed_hours():
    # floor(09:17 UTC) = 09:00 UTC, + 73h = 2026-03-30 10:00 UTC = 12:00 CEST.
    aware = ams(2026, 3, 27, 10, 17)
    assert regulation_1182_71_bound(aware) == datetime(2026, 3, 30, 10, 0, tzinfo=UTC)


def test_the_outer_bound_of_a_clock_is_the_1182_71_bound_for_the_72_hours_only():
    aware = ams(2025, 8, 6, 10, 17)
    assert outer_bound_at("authority_notification", aware) == regulation_1182_71_bound(aware)
    for kind in ("processor_notice", "follow_up", "data_subject_communication", "extortion_countdown"):
        assert outer_bound_at(kind, aware) is None  # targets and countdowns are not periods of the law


def test_floor_to_hour_drops_minutes_seconds_and_microseconds_in_utc():
    assert floor_to_hour(ams(2025, 8, 6, 10, 17, 59, 999999)) == datetime(2025, 8, 6, 8, 0, tzinfo=UTC)


@given(aware_datetimes)
@settings(deadline=None)
def test_1182_71_bound_is_always_more_than_72_and_at_most_73_hours_after_awareness(aware):
    span = real_hours(aware, regulation_1182_71_bound(aware))
    assert 72 * H < span <= 73 * H
    assert regulation_1182_71_bound(aware) > authority_due_at(aware)


# --- Elapsed-time properties ---------------------------------------------------------------------


@given(aware_datetimes)
@settings(deadline=None)
def test_due_is_exactly_72_elapsed_hours_after_awareness_in_any_zone(aware):
    due = authority_due_at(aware)
    assert due.tzinfo is UTC
    assert real_hours(aware, due) == 72 * H


@given(aware_datetimes, st.timezones())
@settings(deadline=None)
def test_the_same_instant_given_in_another_zone_has_the_same_due_time(aware, other_zone):
    assert authority_due_at(aware.astimezone(other_zone)) == authority_due_at(aware)


@given(aware_datetimes)
@settings(deadline=None)
def test_a_due_time_on_a_weekend_is_the_plain_utc_sum_and_never_moved(aware):
    # Move the awareness by whole days (elapsed time) so its due time lands on the local Saturday,
    # instead of filtering: Hypothesis' health check fails a test that discards most inputs.
    shift = timedelta(days=(5 - authority_due_at(aware).astimezone(aware.tzinfo).weekday()) % 7)
    aware = (aware.astimezone(UTC) + shift).astimezone(aware.tzinfo)
    due = authority_due_at(aware)
    assume(due.astimezone(aware.tzinfo).weekday() >= 5)  # rare misses: a zone's offset changed in between
    assert due == aware.astimezone(UTC) + timedelta(hours=72)
    for rule in DEFAULT_RULES.values():
        assert due_at(rule, aware) == aware.astimezone(UTC) + rule.duration


# --- Rules as data ---------------------------------------------------------------------------------


def test_only_the_authority_notification_is_a_legal_deadline():
    assert {kind for kind, rule in DEFAULT_RULES.items() if rule.is_legal_deadline} == {"authority_notification"}
    assert "Art. 33(1)" in AUTHORITY.legal_basis


def test_default_rules_have_the_documented_durations():
    assert {kind: rule.duration for kind, rule in DEFAULT_RULES.items()} == {
        "authority_notification": 72 * H,
        "processor_notice": 24 * H,
        "data_subject_communication": 72 * H,
        "follow_up": 72 * H,
        "extortion_countdown": 7 * 24 * H,  # a placeholder: each countdown row carries its own
    }


def test_rule_with_duration_overrides_only_the_duration():
    rule = rule_with_duration(DEFAULT_RULES["processor_notice"], 48 * H)
    assert rule.duration == 48 * H
    assert rule.kind == "processor_notice"
    assert DEFAULT_RULES["processor_notice"].duration == 24 * H


def test_a_rule_with_a_non_positive_duration_is_refused():
    with pytest.raises(ValueError, match="duration"):
        rule_with_duration(AUTHORITY, timedelta(0))


def test_a_rule_with_duplicate_thresholds_is_refused():
    with pytest.raises(ValueError, match="duplicates"):
        ClockRule("x", 72 * H, (H, H), None, False, "test")


def test_due_at_follows_the_rule_duration():
    start = ams(2025, 8, 6, 16, 0)
    assert due_at(DEFAULT_RULES["processor_notice"], start) == datetime(2025, 8, 7, 14, 0, tzinfo=UTC)
    assert due_at(AUTHORITY, start) == authority_due_at(start)


# --- evaluate() ------------------------------------------------------------------------------------

DUE = datetime(2025, 8, 9, 14, 0, tzinfo=UTC)


def test_a_deadline_not_yet_met_before_due_is_pending_with_time_remaining():
    status = evaluate(DUE, None, now=DUE - 5 * H)
    assert status.state is DeadlineState.PENDING
    assert status.remaining == 5 * H
    assert status.lateness is None
    assert status.met_at is None


def test_a_deadline_not_yet_met_exactly_at_due_is_still_pending_with_nothing_remaining():
    status = evaluate(DUE, None, now=DUE)
    assert status.state is DeadlineState.PENDING
    assert status.remaining == timedelta(0)


def test_a_deadline_not_met_one_microsecond_after_due_is_overdue():
    status = evaluate(DUE, None, now=DUE + timedelta(microseconds=1))
    assert status.state is DeadlineState.OVERDUE
    assert status.lateness == timedelta(microseconds=1)
    assert status.remaining is None


def test_an_overdue_deadline_reports_how_overdue_it_is_now():
    status = evaluate(DUE, None, now=DUE + 30 * H)
    assert status.state is DeadlineState.OVERDUE
    assert status.lateness == 30 * H


def test_a_deadline_met_exactly_at_due_is_met_on_time():
    status = evaluate(DUE, DUE, now=DUE + 100 * H)
    assert status.state is DeadlineState.MET_ON_TIME
    assert status.met_at == DUE
    assert status.lateness is None
    assert status.remaining is None


def test_a_deadline_met_late_reports_by_how_much():
    status = evaluate(DUE, DUE + 49 * H, now=DUE + 100 * H)
    assert status.state is DeadlineState.MET_LATE
    assert status.lateness == 49 * H


def test_evaluate_compares_instants_not_wall_clocks_in_the_fall_back_overlap():
    # 02:30 occurs twice on 2025-10-26 in Amsterdam; fold=1 (CET) is an hour after fold=0 (CEST).
    due = datetime(2025, 10, 26, 2, 30, tzinfo=AMS, fold=0)
    met = datetime(2025, 10, 26, 2, 30, tzinfo=AMS, fold=1)
    status = evaluate(due, met, now=met)
    assert status.state is DeadlineState.MET_LATE
    assert status.lateness == H


def test_evaluate_returns_utc_instants():
    status = evaluate(ams(2025, 8, 9, 16, 0), ams(2025, 8, 9, 15, 0), now=ams(2025, 8, 10, 0, 0))
    assert status.due_at.tzinfo is UTC
    assert status.met_at.tzinfo is UTC
    assert status.state == "met_on_time"  # str enum: stores as its value


# --- Alert thresholds ----------------------------------------------------------------------------


def test_authority_clock_alerts_before_at_due_and_every_12_hours_overdue():
    due = authority_due_at(ams(2025, 8, 6, 16, 0))
    alerts = alert_thresholds(AUTHORITY, due, until=due + 36 * H)
    assert [label for label, _ in alerts] == [
        "before:48h",
        "before:24h",
        "before:12h",
        "before:6h",
        "before:1h",
        "due",
        "overdue:12h",
        "overdue:24h",
        "overdue:36h",
    ]
    assert alerts[0][1] == due - 48 * H
    assert alerts[5][1] == due
    assert alerts[-1][1] == due + 36 * H  # until is inclusive


def test_processor_notice_of_24_hours_uses_only_thresholds_shorter_than_24_hours():
    rule = DEFAULT_RULES["processor_notice"]
    due = due_at(rule, ams(2025, 7, 6, 12, 0))
    labels = [label for label, _ in alert_thresholds(rule, due, until=due)]
    assert labels == ["before:12h", "before:6h", "before:1h", "due"]


def test_a_processor_contract_of_48_hours_gains_the_24_hour_alert():
    rule = rule_with_duration(DEFAULT_RULES["processor_notice"], 48 * H)
    due = due_at(rule, ams(2025, 7, 6, 12, 0))
    labels = [label for label, _ in alert_thresholds(rule, due, until=due)]
    assert labels == ["before:24h", "before:12h", "before:6h", "before:1h", "due"]


def test_thresholds_that_are_not_whole_hours_get_minute_labels():
    rule = ClockRule("x", 2 * H, (timedelta(minutes=90),), timedelta(minutes=30), False, "test")
    due = datetime(2025, 1, 1, 12, 0, tzinfo=UTC)
    labels = [label for label, _ in alert_thresholds(rule, due, until=due + H)]
    assert labels == ["before:90m", "due", "overdue:30m", "overdue:1h"]


def test_a_rule_without_overdue_repeat_stops_at_due():
    rule = ClockRule("x", 72 * H, (H,), None, False, "test")
    due = datetime(2025, 1, 1, 12, 0, tzinfo=UTC)
    assert [label for label, _ in alert_thresholds(rule, due, until=due + 1000 * H)] == ["before:1h", "due"]
    assert next_alert_at(rule, due, None, after=due) is None


@given(rules, aware_datetimes, st.integers(min_value=0, max_value=500).map(lambda h: h * H))
@settings(deadline=None)
def test_thresholds_are_strictly_ascending_unique_and_inside_the_clock(rule, due, overdue_window):
    until = due + overdue_window
    alerts = alert_thresholds(rule, due, until)
    moments = [at for _, at in alerts]
    assert all(a < b for a, b in itertools.pairwise(moments))
    assert len({label for label, _ in alerts}) == len(alerts)
    start = due.astimezone(UTC) - rule.duration
    assert all(at > start for at in moments)
    assert all(at.tzinfo is UTC for at in moments)
    assert ("due", due.astimezone(UTC)) in alerts
    assert all(at <= until for label, at in alerts if label.startswith("overdue:"))


@given(rules, aware_datetimes, st.integers(min_value=0, max_value=200).map(lambda h: h * H))
@example(  # found in CI: the repeated 01:00 of a DST change, the later one
    ClockRule("generated", timedelta(seconds=60), (), None, False, "test"),
    datetime(1999, 10, 31, 1, 0, fold=1, tzinfo=ZoneInfo("America/Atka")),
    timedelta(0),
)
@settings(deadline=None)
def test_walking_next_alert_from_the_start_visits_each_threshold_once_in_order(rule, due, overdue_window):
    # Elapsed time, in UTC: adding to a local time with fold=1 (the second 01:00 of a DST change)
    # gives fold=0, an hour *earlier*, which put ``until`` before the due moment itself.
    until = due.astimezone(UTC) + overdue_window
    expected = alert_thresholds(rule, due, until)
    visited = []
    cursor = due.astimezone(UTC) - rule.duration  # the clock's start, in elapsed time
    while (alert := next_alert_at(rule, due, None, after=cursor)) is not None:
        if alert[1] > until:
            break
        visited.append(alert)
        cursor = alert[1]
    assert visited == expected


@given(rules, aware_datetimes, st.integers(min_value=-1000, max_value=5000).map(lambda m: m * H / 7))
@settings(deadline=None)
def test_next_alert_is_the_first_listed_threshold_strictly_after_the_cursor(rule, due, offset):
    # In UTC: aware arithmetic on a local zone is wall-clock arithmetic and would shift the
    # bound by an hour across a DST change (found by Hypothesis: due 2000-03-25 Amsterdam).
    after = due.astimezone(UTC) + offset
    listed = alert_thresholds(rule, due, until=after + (rule.overdue_repeat or H))
    later = [alert for alert in listed if alert[1] > after]
    assert next_alert_at(rule, due, None, after=after) == (later[0] if later else None)


def test_next_alert_exactly_at_a_threshold_moves_to_the_following_one():
    due = datetime(2025, 8, 9, 14, 0, tzinfo=UTC)
    assert next_alert_at(AUTHORITY, due, None, after=due - 48 * H) == ("before:24h", due - 24 * H)
    assert next_alert_at(AUTHORITY, due, None, after=due) == ("overdue:12h", due + 12 * H)


def test_next_alert_months_overdue_is_the_next_12_hour_repeat():
    due = datetime(2025, 8, 9, 14, 0, tzinfo=UTC)
    after = due + timedelta(days=90, hours=5)
    assert next_alert_at(AUTHORITY, due, None, after=after) == ("overdue:2172h", due + timedelta(days=90, hours=12))


def test_there_is_no_next_alert_once_the_deadline_is_met():
    due = datetime(2025, 8, 9, 14, 0, tzinfo=UTC)
    assert next_alert_at(AUTHORITY, due, met_at=due - 50 * H, after=due - 60 * H) is None
    assert next_alert_at(AUTHORITY, due, met_at=due + 50 * H, after=due + 60 * H) is None


# --- Processor lag (Art. 33(2)) ------------------------------------------------------------------


def test_processor_lag_not_yet_informed_is_measured_to_now():
    lag = processor_lag(ams(2025, 7, 6, 12, 0), None, 24 * H, now=ams(2025, 7, 7, 11, 0))
    assert lag.lag == 23 * H
    assert not lag.is_informed
    assert not lag.is_over_target


def test_processor_lag_exactly_at_target_is_not_over_it():
    aware = ams(2025, 7, 6, 12, 0)
    lag = processor_lag(aware, aware + 24 * H, 24 * H, now=aware + 100 * H)
    assert lag.lag == 24 * H
    assert not lag.is_over_target


def test_processor_lag_not_yet_informed_grows_past_the_target():
    aware = ams(2025, 7, 6, 12, 0)
    lag = processor_lag(aware, None, 24 * H, now=aware + 24 * H + timedelta(seconds=1))
    assert lag.is_over_target


def test_processor_lag_across_fall_back_counts_real_hours():
    # 2025-10-25 12:00 CEST to 2025-10-26 12:00 CET is 25 real hours, though the clock shows 24.
    lag = processor_lag(ams(2025, 10, 25, 12, 0), ams(2025, 10, 26, 12, 0), 24 * H, now=UTC_NOW)
    assert lag.lag == 25 * H
    assert lag.is_over_target


def test_processor_lag_refuses_an_informed_time_before_awareness():
    with pytest.raises(ValueError, match="before"):
        processor_lag(ams(2025, 7, 6, 12, 0), ams(2025, 7, 6, 11, 0), 24 * H, now=UTC_NOW)


# --- Naive datetimes are refused ------------------------------------------------------------------

NAIVE = datetime(2025, 8, 6, 16, 0)


@pytest.mark.parametrize(
    "call",
    [
        lambda: authority_due_at(NAIVE),
        lambda: regulation_1182_71_bound(NAIVE),
        lambda: floor_to_hour(NAIVE),
        lambda: due_at(AUTHORITY, NAIVE),
        lambda: evaluate(NAIVE, None, now=UTC_NOW),
        lambda: evaluate(DUE, NAIVE, now=UTC_NOW),
        lambda: evaluate(DUE, None, now=NAIVE),
        lambda: alert_thresholds(AUTHORITY, NAIVE, until=UTC_NOW),
        lambda: alert_thresholds(AUTHORITY, DUE, until=NAIVE),
        lambda: next_alert_at(AUTHORITY, NAIVE, None, after=UTC_NOW),
        lambda: next_alert_at(AUTHORITY, DUE, NAIVE, after=UTC_NOW),
        lambda: next_alert_at(AUTHORITY, DUE, None, after=NAIVE),
        lambda: processor_lag(NAIVE, None, 24 * H, now=UTC_NOW),
        lambda: processor_lag(DUE, NAIVE, 24 * H, now=UTC_NOW),
        lambda: processor_lag(DUE, None, 24 * H, now=NAIVE),
    ],
)
def test_naive_datetimes_are_refused_with_a_clear_message(call):
    with pytest.raises(ValueError, match="timezone-aware"):
        call()
