"""NY SHIELD (General Business Law § 899-aa, as amended from 21 December 2024): residents within
30 days after discovery; the state agencies are told alongside, with no period of their own (a
target). Certainty "likely": read from secondary sources quoting the amended text."""

from __future__ import annotations

from datetime import date

import pytest

from tests.rules.regimes.pinning import applies, assert_bilingual, due, facts, local, regime, report, suggestions

NY = "America/New_York"


def test_the_file_says_what_it_is():
    new_york = regime("new_york")
    assert (new_york.jurisdiction, new_york.certainty) == ("US-NY", "likely")
    assert "899-aa" in new_york.source.en
    assert_bilingual(new_york)
    assert new_york.version_on(date(2024, 12, 20)) is None  # before the fixed period
    assert new_york.version_on(date(2024, 12, 21)).version == "2024-12-21"


def test_residents_within_30_days_after_discovery():
    # Discovered Mon 1 June 2026, 09:00 EDT: day 30 is Wed 1 July.
    assert due(report("new_york", "residents"), awareness=local(NY, 2026, 6, 1, 9, 0)) == local(NY, 2026, 7, 2, 0, 0)


def test_the_state_agencies_are_a_target_beside_the_residents_notice():
    state_agencies = report("new_york", "state_agencies")
    assert not state_agencies.legal  # the statute names no period of its own
    assert due(state_agencies, awareness=local(NY, 2026, 6, 1, 9, 0)) == local(NY, 2026, 7, 2, 0, 0)


@pytest.mark.parametrize(("new_yorkers", "suggested"), [(0, False), (1, True)])
def test_any_new_york_resident_suggests_it(new_yorkers, suggested):
    given_facts = facts({"US-NY": new_yorkers, "US-NJ": 300})
    assert suggestions(given_facts, date(2026, 12, 5))["new_york"].applies is suggested
    assert applies(report("new_york", "residents"), given_facts) is suggested


def test_a_nydfs_covered_entity_also_gets_the_nydfs_regime_suggested():
    found = suggestions(facts({"US-NY": 40}, entities=("nydfs_covered",)), date(2026, 12, 5))
    assert found["new_york"].applies and found["nydfs"].applies
