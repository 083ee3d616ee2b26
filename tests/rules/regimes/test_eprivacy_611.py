"""eprivacy_611.toml: telecom providers notify within 24 hours of detection (Regulation 611/2013 Art. 2)."""

from __future__ import annotations

from rules.regimes import Facts, catalogue, report_applies
from tests.rules.regimes.support import at, shipped_report

AMS = "Europe/Amsterdam"


def test_the_authority_is_due_24_elapsed_hours_after_detection_not_awareness():
    authority = shipped_report("eprivacy_611", "authority")
    assert authority.due_at({"awareness": at("2026-03-28 10:00", AMS)}) is None
    assert authority.due_at({"detection": at("2026-03-28 10:00", AMS)}) == at("2026-03-29 11:00", AMS)  # DST


def test_the_second_notification_is_due_at_the_end_of_the_third_calendar_day_after_the_first():
    second = shipped_report("eprivacy_611", "second_notification")
    # First filed Friday 23 October 18:00: days 1-3 are Sat, Sun, Mon; due at the end of Monday (CET by then).
    assert second.due_at({"report:authority": at("2026-10-23 18:00", AMS)}) == at("2026-10-27 00:00", AMS)


def test_the_second_notification_only_when_the_first_was_incomplete():
    second = shipped_report("eprivacy_611", "second_notification")
    assert report_applies(second, Facts(flags={"initial_incomplete": True}))[0]
    assert not report_applies(second, Facts(flags={"initial_incomplete": False}))[0]


def test_suggested_for_a_telecom_provider_with_personal_data():
    regime = catalogue()["eprivacy_611"]
    facts = Facts(entities=frozenset({"telecom_provider"}), flags={"personal_data": True})
    assert regime.applicability.evaluate(facts)[0]
