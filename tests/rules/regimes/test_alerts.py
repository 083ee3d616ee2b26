"""A report's alert thresholds (``alerts`` in its file): the format, its refusals, and the rule it gives."""

from __future__ import annotations

from datetime import timedelta

import pytest

from rules import clocks
from rules.regimes import STANDARD_ALERTS, Alerts, RegimeFileError, catalogue
from tests.rules.regimes.support import shipped_report, utc
from tests.rules.regimes.test_loader import BASE, load_text

H = timedelta(hours=1)
M = timedelta(minutes=1)
FIRST_PERIOD = "period = { hours = 24 }\nlegal = true"


def with_alerts(alerts: str) -> str:
    """The loader tests' base file with ``alerts`` on its first report (a plain 24-hour period)."""
    assert FIRST_PERIOD in BASE
    return BASE.replace(FIRST_PERIOD, f"period = {{ hours = 24 }}\n{alerts}\nlegal = true", 1)


def first(tmp_path, alerts: str):
    return load_text(tmp_path, with_alerts(alerts)).versions[0].report("first")


def test_a_report_without_alerts_has_the_standard_ladder_of_the_clocks(tmp_path):
    report = load_text(tmp_path, BASE).versions[0].report("first")
    assert report.alerts == STANDARD_ALERTS
    assert (STANDARD_ALERTS.before, STANDARD_ALERTS.overdue_every) == (
        clocks.STANDARD_THRESHOLDS_BEFORE,
        clocks.STANDARD_OVERDUE_REPEAT,
    )


def test_alerts_are_read_in_minutes_hours_and_days(tmp_path):
    report = first(tmp_path, 'alerts = { before = ["12h", "6h", "90m"], overdue_every = "1d" }')
    assert report.alerts == Alerts(before=(12 * H, 6 * H, 90 * M), overdue_every=24 * H)


def test_overdue_every_none_means_no_reminders_after_the_due_moment(tmp_path):
    report = first(tmp_path, 'alerts = { before = ["1h"], overdue_every = "none" }')
    assert report.alerts == Alerts(before=(H,), overdue_every=None)
    rule = clocks.report_clock_rule(report, 24 * H)
    assert rule.overdue_repeat is None
    assert clocks.next_alert_at(rule, utc("2026-01-01 12:00"), None, after=utc("2026-01-01 12:00")) is None


def test_a_key_left_out_keeps_the_standards(tmp_path):
    only_before = first(tmp_path, 'alerts = { before = ["3h"] }')
    assert only_before.alerts == Alerts(before=(3 * H,), overdue_every=STANDARD_ALERTS.overdue_every)
    only_overdue = first(tmp_path, 'alerts = { overdue_every = "4h" }')
    assert only_overdue.alerts == Alerts(before=STANDARD_ALERTS.before, overdue_every=4 * H)


AT = "demo.toml: versions[0].reports[0].alerts"


@pytest.mark.parametrize(
    ("alerts", "message"),
    [
        (
            'alerts = { before = ["1h"], overdue = "2h" }',
            f"{AT}: unknown key 'overdue' (allowed: before, overdue_every)",
        ),
        ("alerts = {}", f"{AT}: an empty table: give before, overdue_every or both"),
        ('alerts = "standard"', f"{AT}: must be a table, got a string"),
        ('alerts = { before = "1h" }', f"{AT}.before: must be a non-empty array, got a string"),
        ("alerts = { before = [] }", f"{AT}.before: must be a non-empty array, got an empty one"),
        ('alerts = { before = ["2h", "0h"] }', f"{AT}.before[1]: '0h' must be positive"),
        ('alerts = { before = ["-1h"] }', f'{AT}.before[0]: \'-1h\' is not a duration such as "30m", "6h" or "2d"'),
        ('alerts = { before = ["6"] }', f"{AT}.before[0]: '6' is not a duration such as"),
        ('alerts = { before = ["6 h"] }', f"{AT}.before[0]: '6 h' is not a duration such as"),
        ('alerts = { before = ["6H"] }', f"{AT}.before[0]: '6H' is not a duration such as"),
        ("alerts = { before = [6] }", f"{AT}.before[0]: must be a duration such as"),
        ('alerts = { before = ["1h", "60m"] }', f"{AT}.before[1]: '60m' appears twice (as '1h')"),
        ('alerts = { before = ["6h", "3h", "6h"] }', f"{AT}.before[2]: '6h' appears twice (as '6h')"),
        (
            'alerts = { before = ["24h"] }',
            f"{AT}.before[0]: '24h' is not shorter than the period (24 hours): it would never fire",
        ),
        ('alerts = { before = ["2d"] }', f"{AT}.before[0]: '2d' is not shorter than the period (24 hours)"),
        ('alerts = { before = ["367d"] }', f"{AT}.before[0]: '367d' is longer than 366 days"),
        (
            'alerts = { overdue_every = "never" }',
            f'{AT}.overdue_every: \'never\' is not a duration such as "30m", "6h" or "2d" or \'none\'',
        ),
        ('alerts = { overdue_every = "0m" }', f"{AT}.overdue_every: '0m' must be positive"),
        ("alerts = { overdue_every = 12 }", f"{AT}.overdue_every: must be a duration such as"),
        ("alerts = { overdue_every = false }", f"{AT}.overdue_every: must be a duration such as"),
    ],
)
def test_bad_alerts_are_refused_with_the_file_and_the_path(tmp_path, alerts, message):
    with pytest.raises(RegimeFileError) as refused:
        load_text(tmp_path, with_alerts(alerts))
    assert str(refused.value).startswith(message), str(refused.value)


def test_a_threshold_longer_than_a_day_period_is_allowed_as_the_period_is_not_hours(tmp_path):
    # Only a plain hours period has a fixed length to check against; days, business days and
    # months vary (weekends, holidays, month lengths), and ClockRule drops a rung that cannot fire.
    text = BASE.replace("legal = false", 'alerts = { before = ["5d", "1d"] }\nlegal = false', 1)
    assert load_text(tmp_path, text).versions[0].report("second").alerts.before == (120 * H, 24 * H)


def test_the_clock_rule_of_a_report_carries_its_alerts_and_the_rows_duration(tmp_path):
    report = first(tmp_path, 'alerts = { before = ["3h", "1h", "30m"], overdue_every = "3h" }')
    rule = clocks.report_clock_rule(report, 6 * H)
    assert rule == clocks.ClockRule(
        kind="regime_report",
        duration=6 * H,
        thresholds_before=(3 * H, H, 30 * M),
        overdue_repeat=3 * H,
        is_legal_deadline=True,
        legal_basis=clocks.REGIME_REPORT_RULE.legal_basis,
    )
    due = utc("2026-03-02 18:00")
    assert clocks.alert_thresholds(rule, due, until=due + 7 * H) == [
        ("before:3h", due - 3 * H),
        ("before:1h", due - H),
        ("before:30m", due - 30 * M),
        ("due", due),
        ("overdue:3h", due + 3 * H),
        ("overdue:6h", due + 6 * H),
    ]


def test_the_short_fuse_reports_ship_their_own_ladders():
    cert_in = shipped_report("cert_in", "cert_in")
    assert cert_in.alerts == Alerts(before=(3 * H, H, 30 * M), overdue_every=3 * H)
    assert shipped_report("dora", "initial").alerts == Alerts(before=(2 * H, H, 30 * M), overdue_every=2 * H)
    for regime in ("nis2", "nis2_trust"):
        assert shipped_report(regime, "early_warning").alerts == Alerts(before=(12 * H, 6 * H, H), overdue_every=6 * H)
    # Their due moments are the law's, untouched by the alerts.
    detected = utc("2026-03-02 10:00")
    assert cert_in.due_at({"detection": detected}) == detected + 6 * H


def test_every_other_shipped_report_keeps_the_standard_ladder():
    own = {("cert_in", "cert_in"), ("dora", "initial"), ("nis2", "early_warning"), ("nis2_trust", "early_warning")}
    others = [
        (regime.code, report.code, report.alerts)
        for regime in catalogue().values()
        for version in regime.versions
        for report in version.reports
        if (regime.code, report.code) not in own
    ]
    assert others and all(alerts == STANDARD_ALERTS for _regime, _report, alerts in others)
