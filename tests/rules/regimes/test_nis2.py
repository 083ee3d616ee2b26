"""nis2.toml: early warning 24 h, notification 72 h, final report one month after the notification."""

from __future__ import annotations

from datetime import date

from rules.regimes import Facts, catalogue, report_applies
from tests.rules.regimes.support import at, shipped_report, utc

AMS = "Europe/Amsterdam"


def test_early_warning_and_notification_are_elapsed_hours_from_awareness():
    aware = at("2026-03-27 10:00", AMS)  # DST starts on the 29th
    assert shipped_report("nis2", "early_warning").due_at({"awareness": aware}) == at("2026-03-28 10:00", AMS)
    assert shipped_report("nis2", "notification").due_at({"awareness": aware}) == at("2026-03-30 11:00", AMS)


def test_the_final_report_is_due_one_month_after_the_72_hour_notification_was_submitted():
    final = shipped_report("nis2", "final")
    aware = at("2026-03-02 09:00", AMS)
    assert final.due_at({"awareness": aware}) is None  # waits for the notification
    submitted = at("2026-03-04 16:30", AMS)
    assert final.due_at({"awareness": aware, "report:notification": submitted}) == at("2026-04-04 16:30", AMS)


def test_one_month_keeps_the_local_time_and_falls_to_the_end_of_a_short_month():
    final = shipped_report("nis2", "final")
    assert final.due_at({"report:notification": at("2026-01-31 14:00", AMS)}) == at("2026-02-28 14:00", AMS)
    assert final.due_at({"report:notification": utc("2026-03-10 08:00")}) == utc("2026-04-10 07:00")


def test_an_ongoing_incident_also_owes_the_final_report_one_month_after_handling_ends():
    after_handling = shipped_report("nis2", "final_after_handling")
    assert report_applies(after_handling, Facts(flags={"ongoing": True}))[0]
    assert not report_applies(after_handling, Facts(flags={"ongoing": False}))[0]
    assert after_handling.due_at({"handling_ended": at("2026-05-31 12:00", AMS)}) == at("2026-06-30 12:00", AMS)
    assert report_applies(shipped_report("nis2", "final"), Facts())[0]  # owed in every case


def test_suggested_for_a_significant_incident_of_an_essential_or_important_entity_in_the_eu():
    regime = catalogue()["nis2"]
    facts = Facts(entities=frozenset({"nis2_important"}), established="BE", flags={"significant": True})
    applies, reasons = regime.applicability.evaluate(facts)
    assert applies
    # Only the branch of "essential or important" that holds is given as a reason.
    assert [r.en for r in reasons] == [
        "the organisation is recorded as an important entity under NIS2",
        "the incident is significant under NIS2 or eIDAS",
        "the organisation is established in Belgium, within the EU or EEA",
    ]
    assert not regime.applicability.evaluate(Facts(entities=frozenset({"nis2_essential"}), established="NL"))[0]
    assert regime.version_on(date(2024, 10, 17)) is None


def test_the_entity_and_significance_reasons_read_in_both_languages():
    regime = catalogue()["nis2"]
    facts = Facts(entities=frozenset({"nis2_essential"}), established="NL", flags={"significant": False})
    applies, reasons = regime.applicability.evaluate(facts)
    assert applies is False
    assert [r.nl for r in reasons] == [
        "de organisatie is vastgelegd als een essentiële entiteit onder NIS2",
        "het incident is niet significant in de zin van NIS2 of eIDAS",
        "de organisatie is gevestigd in Nederland, binnen de EU of EER",
    ]
    applies, reasons = regime.applicability.evaluate(Facts(places={"NL": 10}))
    assert applies is None
    assert [r.en for r in reasons] == [
        "unknown: whether the organisation is an essential entity under NIS2 has not been recorded",
        "unknown: whether the organisation is an important entity under NIS2 has not been recorded",
        "unknown: whether the incident is significant under NIS2 or eIDAS has not been recorded",
        "unknown: where the organisation is established has not been recorded",
    ]
    assert [r.nl for r in reasons][
        2
    ] == "onbekend: of het incident significant is in de zin van NIS2 of eIDAS, is niet vastgelegd"
