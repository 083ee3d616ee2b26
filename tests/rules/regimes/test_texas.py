"""Texas Bus. & Com. Code § 521.053: individuals by the 60th day after the determination; the
Attorney General by the 30th day when at least 250 Texans are affected."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.rules.regimes.pinning import applies, assert_bilingual, due, facts, local, regime, report

CHICAGO = "America/Chicago"
DETERMINED = local(CHICAGO, 2026, 1, 15, 9, 0)  # Thu 15 January 2026, 09:00 CST


def test_the_file_says_what_it_is():
    texas = regime("texas")
    assert (texas.jurisdiction, texas.certainty) == ("US-TX", "likely")
    assert "521.053" in texas.source.en
    assert_bilingual(texas)


def test_residents_by_the_60th_day_after_the_determination():
    # Day 60 is Mon 16 March 2026 (16 + 28 + 16), after the switch to CDT on 8 March.
    assert due(report("texas", "residents"), determination=DETERMINED) == datetime(2026, 3, 17, 5, 0, tzinfo=UTC)


def test_the_attorney_general_by_the_30th_day():
    # Day 30 is Sat 14 February 2026: calendar days, no move to Monday.
    assert due(report("texas", "attorney_general"), determination=DETERMINED) == local(CHICAGO, 2026, 2, 15, 0, 0)


@pytest.mark.parametrize(("texans", "to_attorney_general"), [(249, False), (250, True)])
def test_the_attorney_general_from_250_texans(texans, to_attorney_general):
    given_facts = facts({"US-TX": texans, "US-OK": 1000})
    assert applies(report("texas", "attorney_general"), given_facts) is to_attorney_general
    assert applies(report("texas", "residents"), given_facts)
