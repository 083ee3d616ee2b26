"""NYDFS 23 NYCRR 500.17(a): the superintendent within 72 hours of determining a cybersecurity event."""

from __future__ import annotations

from datetime import UTC, datetime

from tests.rules.regimes.pinning import applies, assert_bilingual, due, facts, local, regime, report, suggestions

NY = "America/New_York"


def test_the_file_says_what_it_is():
    nydfs = regime("nydfs")
    assert (nydfs.jurisdiction, nydfs.certainty) == ("US-NY", "likely")
    assert "500.17" in nydfs.source.en
    assert_bilingual(nydfs)


def test_72_elapsed_hours_over_a_holiday_weekend_are_not_shifted():
    # Determined Fri 3 July 2026 (Independence Day observed), 16:00 EDT: due Mon 6 July, 16:00 EDT.
    superintendent = report("nydfs", "superintendent")
    assert due(superintendent, determination=local(NY, 2026, 7, 3, 16, 0)) == datetime(2026, 7, 6, 20, 0, tzinfo=UTC)


def test_awareness_alone_does_not_start_it():
    assert due(report("nydfs", "superintendent"), awareness=local(NY, 2026, 7, 3, 16, 0)) is None


def test_suggested_only_for_a_covered_entity():
    on = datetime(2026, 12, 5).date()
    assert suggestions(facts({"US-NY": 10}, entities=("nydfs_covered",)), on)["nydfs"].applies
    assert not suggestions(facts({"US-NY": 10_000}), on)["nydfs"].applies
    assert applies(report("nydfs", "superintendent"), facts(entities=("nydfs_covered",)))
