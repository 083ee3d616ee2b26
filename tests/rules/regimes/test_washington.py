"""Washington RCW 19.255.010: residents and, for more than 500 Washington residents, the Attorney
General, no more than 30 calendar days after the breach was discovered."""

from __future__ import annotations

import pytest

from tests.rules.regimes.pinning import applies, assert_bilingual, due, facts, local, regime, report

LA = "America/Los_Angeles"


def test_the_file_says_what_it_is():
    washington = regime("washington")
    assert (washington.jurisdiction, washington.certainty) == ("US-WA", "likely")
    assert "19.255.010" in washington.source.en
    assert_bilingual(washington)


@pytest.mark.parametrize("code", ["residents", "attorney_general"])
def test_thirty_calendar_days_across_the_end_of_daylight_saving_time(code):
    # Discovered Tue 20 October 2026, 12:00 PDT: day 30 is Thu 19 November, in PST (08:00 UTC).
    assert due(report("washington", code), awareness=local(LA, 2026, 10, 20, 12, 0)) == local(LA, 2026, 11, 20, 0, 0)


@pytest.mark.parametrize(("residents", "to_attorney_general"), [(500, False), (501, True)])
def test_the_attorney_general_needs_more_than_500_washington_residents(residents, to_attorney_general):
    given_facts = facts({"US-WA": residents})
    assert applies(report("washington", "residents"), given_facts)
    assert applies(report("washington", "attorney_general"), given_facts) is to_attorney_general
