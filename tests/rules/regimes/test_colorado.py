"""Colorado C.R.S. § 6-1-716: residents and, from 500 Colorado residents, the Attorney General,
each 30 days after determining that a security breach occurred."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.rules.regimes.pinning import applies, assert_bilingual, due, facts, local, regime, report

DENVER = "America/Denver"


def test_the_file_says_what_it_is():
    colorado = regime("colorado")
    assert (colorado.jurisdiction, colorado.certainty) == ("US-CO", "likely")
    assert "6-1-716" in colorado.source.en
    assert_bilingual(colorado)


@pytest.mark.parametrize("code", ["residents", "attorney_general"])
def test_thirty_days_after_determination_end_at_denver_midnight(code):
    # Determined Tue 30 June 2026, 23:30 MDT (05:30 UTC on 1 July): day 30 is Thu 30 July.
    determined = local(DENVER, 2026, 6, 30, 23, 30)
    assert due(report("colorado", code), determination=determined) == datetime(2026, 7, 31, 6, 0, tzinfo=UTC)


def test_discovery_alone_does_not_start_the_clock():
    assert due(report("colorado", "residents"), awareness=local(DENVER, 2026, 6, 1, 9, 0)) is None


@pytest.mark.parametrize(("residents", "to_attorney_general"), [(499, False), (500, True)])
def test_the_attorney_general_from_500_colorado_residents(residents, to_attorney_general):
    given_facts = facts({"US-CO": residents})
    assert applies(report("colorado", "residents"), given_facts)
    assert applies(report("colorado", "attorney_general"), given_facts) is to_attorney_general
