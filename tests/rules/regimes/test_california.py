"""California Civil Code § 1798.82 (from 1 January 2026): residents 30 calendar days after
discovery; a sample notice to the Attorney General 15 calendar days after the residents' notice
when more than 500 California residents are notified (a chained clock)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from rules.regimes import report_applies
from tests.rules.regimes.pinning import (
    applies,
    assert_bilingual,
    due,
    facts,
    local,
    reasons_en,
    reasons_nl,
    regime,
    report,
    suggestions,
)

LA = "America/Los_Angeles"


def test_the_file_says_what_it_is():
    california = regime("california")
    assert (california.jurisdiction, california.certainty) == ("US-CA", "likely")
    assert "1798.82" in california.source.en
    assert_bilingual(california)
    assert california.version_on(date(2025, 12, 31)) is None  # the fixed periods start in 2026
    assert california.version_on(date(2026, 1, 1)).version == "2026-01-01"


def test_residents_are_due_30_calendar_days_after_discovery_at_los_angeles_midnight():
    # Discovered Mon 2 February 2026, 10:00 PST: day 30 is Wed 4 March.
    assert due(report("california", "residents"), awareness=local(LA, 2026, 2, 2, 10, 0)) == local(LA, 2026, 3, 5, 0, 0)


def test_the_attorney_general_clock_starts_when_the_residents_notice_is_sent():
    attorney_general = report("california", "attorney_general")
    assert attorney_general.anchor == "report:residents"
    # Residents notified Sun 1 March 2026, 17:00 PST (01:00 UTC on 2 March): day 15 is Mon 16 March,
    # after the switch to daylight saving time on 8 March.
    notified = local(LA, 2026, 3, 1, 17, 0)
    assert notified.astimezone(UTC).date() == date(2026, 3, 2)
    assert due(attorney_general, awareness=local(LA, 2026, 2, 2, 10, 0), report__residents=notified) == datetime(
        2026, 3, 17, 7, 0, tzinfo=UTC
    )


def test_the_attorney_general_clock_waits_for_the_residents_notice():
    attorney_general = report("california", "attorney_general")
    assert due(attorney_general, awareness=local(LA, 2026, 2, 2, 10, 0)) is None


@pytest.mark.parametrize(("residents", "to_attorney_general"), [(500, False), (501, True)])
def test_the_attorney_general_needs_more_than_500_california_residents(residents, to_attorney_general):
    given_facts = facts({"US-CA": residents, "US-NV": 900})
    assert applies(report("california", "residents"), given_facts)
    assert applies(report("california", "attorney_general"), given_facts) is to_attorney_general


def test_600_californians_suggest_california_with_the_count_as_reason():
    found = suggestions(facts({"US-CA": 600}), date(2026, 12, 5))["california"]
    assert found.applies
    assert "600" in reasons_en(found)
    ok, why = report_applies(report("california", "attorney_general"), facts({"US-CA": 600}))
    assert ok and "600" in reasons_en(why) and "501" in reasons_en(why)


def test_residents_of_other_states_do_not_suggest_california():
    found = suggestions(facts({"US-NV": 5000, "US-OR": 40}), date(2026, 12, 5))
    assert not found["california"].applies


@pytest.mark.parametrize(
    ("residents", "owed", "english", "dutch"),
    [
        (
            600,
            True,
            "600 data subjects live in California (threshold 501)",
            "600 betrokkenen wonen in Californië (drempel 501)",
        ),
        (
            500,
            False,
            "500 data subjects live in California (threshold 501)",
            "500 betrokkenen wonen in Californië (drempel 501)",
        ),
        (
            12_500,
            True,
            "12,500 data subjects live in California (threshold 501)",
            "12.500 betrokkenen wonen in Californië (drempel 501)",
        ),
    ],
)
def test_the_attorney_general_threshold_reads_in_both_languages(residents, owed, english, dutch):
    ok, why = report_applies(report("california", "attorney_general"), facts({"US-CA": residents, "US-NV": 900}))
    assert (ok, reasons_en(why), reasons_nl(why)) == (owed, english, dutch)


def test_the_attorney_general_explanation_names_the_residents_notice_and_the_clock():
    attorney_general = report("california", "attorney_general")
    assert attorney_general.explain("en") == (
        "15 calendar days after the submission of “Notify the affected California residents” "
        "(not counting that day), ends at midnight (Los Angeles time)"
    )
    assert attorney_general.explain("nl") == (
        "15 kalenderdagen na het indienen van “De getroffen inwoners van Californië informeren” "
        "(die dag telt niet mee), eindigt om middernacht (tijd in Los Angeles)"
    )
