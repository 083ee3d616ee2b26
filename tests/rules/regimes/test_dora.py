"""dora.toml: RTS 2025/301 Art. 5 time limits with the Art. 5(5) weekend/holiday rule (NL calendar)."""

from __future__ import annotations

from rules.regimes import Facts, catalogue
from tests.rules.regimes.support import at, shipped_report

AMS = "Europe/Amsterdam"


def initial(classified: str | None, detected: str | None):
    anchors = {}
    if classified:
        anchors["classification"] = at(classified, AMS)
    if detected:
        anchors["detection"] = at(detected, AMS)
    return shipped_report("dora", "initial").due_at(anchors)


def test_a_deadline_falling_on_saturday_moves_to_monday_noon_in_amsterdam():
    # Classified Friday 22:00: 4 hours end Saturday 02:00, so Monday 12:00.
    assert initial("2026-03-06 22:00", "2026-03-06 21:00") == at("2026-03-09 12:00", AMS)


def test_a_friday_evening_classification_stays_on_friday_when_the_four_hours_end_that_day():
    assert initial("2026-03-06 19:30", "2026-03-06 18:00") == at("2026-03-06 23:30", AMS)
    # Ending exactly at midnight is the end of Friday, not a Saturday deadline.
    assert initial("2026-03-06 20:00", "2026-03-06 18:00") == at("2026-03-07 00:00", AMS)


def test_the_24_hour_detection_backstop_wins_when_classification_comes_late():
    # Detected Thursday 09:00, classified Friday 07:00: 4 hours would be 11:00, 24 hours end at 09:00.
    assert initial("2026-03-06 07:00", "2026-03-05 09:00") == at("2026-03-06 09:00", AMS)


def test_before_classification_the_backstop_alone_gives_the_due_moment():
    assert initial(None, "2026-03-05 09:00") == at("2026-03-06 09:00", AMS)
    assert initial(None, None) is None


def test_a_holiday_moves_the_deadline_to_noon_on_the_next_working_day():
    # Classified Sunday 26 April 23:00; 4 hours end on King's Day (Monday 27th): Tuesday 12:00.
    assert initial("2026-04-26 23:00", "2026-04-26 22:00") == at("2026-04-28 12:00", AMS)


def test_the_intermediate_report_counts_72_hours_from_the_initial_notifications_submission():
    intermediate = shipped_report("dora", "intermediate")
    assert intermediate.due_at({"classification": at("2026-03-02 10:00", AMS)}) is None
    assert intermediate.due_at({"report:initial": at("2026-03-02 10:00", AMS)}) == at("2026-03-05 10:00", AMS)
    # Submitted Wednesday 10:00: 72 hours end Saturday: Monday 12:00.
    assert intermediate.due_at({"report:initial": at("2026-03-04 10:00", AMS)}) == at("2026-03-09 12:00", AMS)


def test_72_hours_across_the_dst_change_are_elapsed_and_a_sunday_end_rolls():
    intermediate = shipped_report("dora", "intermediate")
    # Thursday 26 March 10:00 CET + 72 h = Sunday 29 March 11:00 CEST: rolled to Monday 12:00 CEST.
    assert intermediate.due_at({"report:initial": at("2026-03-26 10:00", AMS)}) == at("2026-03-30 12:00", AMS)
    # Tuesday 24 March 10:00 CET + 72 h = Friday 27 March 10:00 CET: no change yet, no roll.
    assert intermediate.due_at({"report:initial": at("2026-03-24 10:00", AMS)}) == at("2026-03-27 10:00", AMS)


def test_the_final_report_is_one_month_after_the_intermediate_report_and_rolls_off_a_weekend():
    final = shipped_report("dora", "final")
    assert final.due_at({"report:intermediate": at("2026-01-09 10:00", AMS)}) == at("2026-02-09 10:00", AMS)
    assert final.due_at({"report:intermediate": at("2026-01-07 15:00", AMS)}) == at("2026-02-09 12:00", AMS)


def test_suggested_for_a_major_incident_of_a_financial_entity():
    regime = catalogue()["dora"]
    assert regime.applicability.evaluate(Facts(entities=frozenset({"financial_entity"}), flags={"major": True}))[0]
    assert not regime.applicability.evaluate(Facts(entities=frozenset({"financial_entity"}), flags={"major": False}))[0]


def test_the_explanation_states_the_roll_and_the_backstop():
    text = shipped_report("dora", "initial").explain("en")
    assert text.startswith("4 hours after classification, elapsed time, on a weekend day or holiday (Netherlands)")
    assert "; at the latest 24 hours after detection" in text
