"""cra.toml: Cyber Resilience Act Art. 14 reports, in force from 11 September 2026."""

from __future__ import annotations

from datetime import date

from rules.regimes import Facts, catalogue, report_applies
from tests.rules.regimes.support import at, shipped_report

AMS = "Europe/Amsterdam"


def test_it_applies_only_from_11_september_2026():
    regime = catalogue()["cra"]
    assert regime.version_on(date(2026, 9, 10)) is None
    assert regime.version_on(date(2026, 9, 11)).version == "2026-09-11"


def test_early_warning_and_notification_are_24_and_72_elapsed_hours():
    aware = at("2026-10-24 09:00", AMS)  # the clocks go back on the 25th
    assert shipped_report("cra", "vulnerability_early_warning").due_at({"awareness": aware}) == at(
        "2026-10-25 08:00", AMS
    )
    assert shipped_report("cra", "incident_notification").due_at({"awareness": aware}) == at("2026-10-27 08:00", AMS)


def test_the_vulnerability_final_report_is_14_days_after_a_fix_is_available():
    final = shipped_report("cra", "vulnerability_final")
    assert final.due_at({"awareness": at("2026-10-01 15:00", AMS)}) is None
    # Fix on 1 October: day 14 is 15 October, due at its end (calendar days: weekends count).
    assert final.due_at({"fix_available": at("2026-10-01 15:00", AMS)}) == at("2026-10-16 00:00", AMS)


def test_the_incident_final_report_is_one_month_after_the_notification():
    final = shipped_report("cra", "incident_final")
    assert final.due_at({"report:incident_notification": at("2026-10-30 11:00", AMS)}) == at("2026-11-30 11:00", AMS)


def test_vulnerability_reports_need_active_exploitation_and_incident_reports_a_severe_incident():
    exploited = Facts(flags={"actively_exploited": True, "severe_incident": False})
    assert report_applies(shipped_report("cra", "vulnerability_notification"), exploited)[0]
    assert not report_applies(shipped_report("cra", "incident_notification"), exploited)[0]
    regime = catalogue()["cra"]
    assert regime.applicability.evaluate(Facts(entities=frozenset({"manufacturer"}), flags={"severe_incident": True}))[
        0
    ]
    assert not regime.applicability.evaluate(
        Facts(entities=frozenset({"controller"}), flags={"severe_incident": True})
    )[0]
