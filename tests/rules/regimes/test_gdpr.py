"""gdpr.toml: today's GDPR clocks as data, the same numbers as rules/clocks.py and the settings."""

from __future__ import annotations

from datetime import date, timedelta

from django.conf import settings

from rules import clocks
from rules.regimes import Facts, catalogue, report_applies
from tests.rules.regimes.support import at, shipped_report, utc

AMS = "Europe/Amsterdam"


def test_the_authority_gets_72_elapsed_hours_from_awareness_and_it_is_the_legal_one():
    report = shipped_report("gdpr", "authority_notification")
    assert report.legal
    assert report.due_at({"awareness": utc("2026-03-06 15:00")}) == utc("2026-03-09 15:00")  # Fri -> Mon, no shift


def test_72_hours_across_the_spring_dst_change_are_elapsed_hours():
    report = shipped_report("gdpr", "authority_notification")
    due = report.due_at({"awareness": at("2026-03-27 10:00", AMS)})
    assert due == at("2026-03-30 11:00", AMS)
    assert due == clocks.authority_due_at(at("2026-03-27 10:00", AMS))


def test_the_file_states_the_same_numbers_as_the_existing_engine_and_settings():
    version = catalogue()["gdpr"].version_on(date(2026, 1, 1))
    hours = {report.code: timedelta(hours=report.period.amount) for report in version.reports}
    assert hours["authority_notification"] == clocks.AUTHORITY_NOTIFICATION_PERIOD
    assert hours["processor_notice"] == clocks.DEFAULT_RULES["processor_notice"].duration
    assert hours["data_subject_communication"] == timedelta(hours=settings.BREACHTRACK_DATA_SUBJECT_TARGET_HOURS)
    assert hours["follow_up"] == timedelta(hours=settings.BREACHTRACK_FOLLOW_UP_TARGET_HOURS)
    legal = {report.code: report.legal for report in version.reports}
    assert legal == {kind: clocks.DEFAULT_RULES[kind].is_legal_deadline for kind in legal}


def test_the_targets_count_from_their_own_anchors():
    version = catalogue()["gdpr"].versions[0]
    assessed = utc("2026-05-04 08:00")
    assert version.report("data_subject_communication").due_at({"assessment": assessed}) == utc("2026-05-07 08:00")
    filed = utc("2026-05-05 17:30")
    assert version.report("follow_up").due_at({"report:authority_notification": filed}) == utc("2026-05-08 17:30")
    assert version.report("follow_up").due_at({"awareness": filed}) is None


def test_data_subjects_only_when_high_risk_and_processor_notice_only_for_a_processor():
    version = catalogue()["gdpr"].versions[0]
    assert report_applies(version.report("data_subject_communication"), Facts(flags={"high_risk": True}))[0]
    assert not report_applies(version.report("data_subject_communication"), Facts(flags={"high_risk": False}))[0]
    assert report_applies(version.report("processor_notice"), Facts(entities=frozenset({"processor"})))[0]
    assert not report_applies(version.report("processor_notice"), Facts(entities=frozenset({"controller"})))[0]


def test_it_is_suggested_for_personal_data_of_eu_residents_or_an_eu_establishment():
    regime = catalogue()["gdpr"]
    residents = Facts(places={"DE": 12}, flags={"personal_data": True})
    assert regime.applicability.evaluate(residents)[0]
    established = Facts(places={"US-CA": 12}, established="NL", flags={"personal_data": True})
    assert regime.applicability.evaluate(established)[0]
    neither = Facts(places={"US-CA": 12}, established="US", flags={"personal_data": True})
    assert not regime.applicability.evaluate(neither)[0]


def test_the_explanation_says_elapsed_hours_in_both_languages():
    report = shipped_report("gdpr", "authority_notification")
    assert report.explain("en") == "72 hours after awareness, elapsed time, weekends and holidays included"
    assert report.explain("nl") == "72 uur na bewustwording, verstreken tijd, weekenden en feestdagen tellen mee"
