"""Australia's Notifiable Data Breaches scheme (Privacy Act 1988 Part IIIC). The assessment clock
counts 30 calendar days from the `detection` anchor, recorded as the moment the entity suspected an
eligible data breach (s. 26WH(2)); the statement and the notice to individuals have no number in the
law ("as soon as practicable") and are targets."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from tests.rules.regimes.pinning import applies, assert_bilingual, due, facts, local, regime, report, suggestions

SYDNEY = "Australia/Sydney"


def test_the_file_says_what_it_is():
    ndb = regime("ndb_au")
    assert (ndb.jurisdiction, ndb.certainty) == ("AU", "likely")
    assert "26WH" in ndb.source.en and "26WK" in ndb.source.en
    assert_bilingual(ndb)
    assert "suspect" in report("ndb_au", "assessment").basis.en
    assert report("ndb_au", "assessment").legal
    assert not report("ndb_au", "oaic").legal and not report("ndb_au", "individuals").legal


def test_assessment_within_30_days_of_the_suspicion_in_sydney():
    # Suspected Tue 20 January 2026, 09:00 AEDT (22:00 UTC on the 19th): day 30 is Thu 19 February.
    suspected = local(SYDNEY, 2026, 1, 20, 9, 0)
    assert suspected.astimezone(UTC).date() == date(2026, 1, 19)
    assert due(report("ndb_au", "assessment"), detection=suspected) == datetime(2026, 2, 19, 13, 0, tzinfo=UTC)


def test_the_statement_target_counts_from_the_assessment_and_the_individuals_from_the_statement():
    assessed = local(SYDNEY, 2026, 2, 10, 15, 0)
    assert due(report("ndb_au", "oaic"), assessment=assessed) == assessed + timedelta(hours=72)
    assert due(report("ndb_au", "individuals"), assessment=assessed) is None  # waits for the statement
    stated = local(SYDNEY, 2026, 2, 11, 10, 0)
    assert due(report("ndb_au", "individuals"), report__oaic=stated) == stated + timedelta(hours=72)


def test_the_statement_only_for_an_eligible_breach():
    assert applies(report("ndb_au", "oaic"), facts({"AU": 40}, flags={"notifiable": True}))
    assert not applies(report("ndb_au", "oaic"), facts({"AU": 40}, flags={"notifiable": False}))
    assert applies(report("ndb_au", "assessment"), facts({"AU": 40}))


def test_suggested_for_australian_residents():
    assert suggestions(facts({"AU": 1}), date(2026, 12, 5))["ndb_au"].applies
    assert not suggestions(facts({"NZ": 100}), date(2026, 12, 5))["ndb_au"].applies
