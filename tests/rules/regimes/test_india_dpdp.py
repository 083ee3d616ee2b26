"""India DPDP Rules 2025 r. 7 (in force 18 months after the Rules were published): the Board
without delay (a target) and the detailed report within 72 hours of awareness."""

from __future__ import annotations

from datetime import date, timedelta

from tests.rules.regimes.pinning import assert_bilingual, due, facts, local, regime, report, suggestions

KOLKATA = "Asia/Kolkata"
IN_FORCE = date(2027, 5, 13)


def test_the_file_says_what_it_is():
    dpdp = regime("india_dpdp")
    assert (dpdp.jurisdiction, dpdp.certainty) == ("IN", "likely")
    assert "r. 7" in dpdp.source.en
    assert_bilingual(dpdp)


def test_not_in_force_before_2027():
    assert regime("india_dpdp").version_on(IN_FORCE - timedelta(days=1)) is None
    assert regime("india_dpdp").version_on(IN_FORCE).version == "2027-05-13"
    assert "india_dpdp" not in suggestions(facts({"IN": 1000}), date(2026, 12, 5))
    assert suggestions(facts({"IN": 1000}), IN_FORCE)["india_dpdp"].applies


def test_the_detailed_report_72_hours_after_awareness_and_the_intimation_a_target():
    aware = local(KOLKATA, 2027, 6, 4, 23, 15)  # a Friday night: elapsed hours run through the weekend
    detailed = report("india_dpdp", "board_report", on=IN_FORCE)
    assert detailed.legal
    assert due(detailed, awareness=aware) == local(KOLKATA, 2027, 6, 7, 23, 15)
    intimation = report("india_dpdp", "board_intimation", on=IN_FORCE)
    assert not intimation.legal
    assert due(intimation, awareness=aware) == aware + timedelta(hours=24)
    assert not report("india_dpdp", "data_principals", on=IN_FORCE).legal
