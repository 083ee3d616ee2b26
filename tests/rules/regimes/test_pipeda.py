"""Canada PIPEDA: the Commissioner and individuals "as soon as feasible" (no number in the law) and
a record of every breach kept for 24 months. The file format states periods only, so all three are
targets (legal = false) whose bases say so; none of them invents a legal deadline."""

from __future__ import annotations

from datetime import date, timedelta

from tests.rules.regimes.pinning import applies, assert_bilingual, due, facts, local, regime, report

TORONTO = "America/Toronto"


def test_the_file_says_what_it_is():
    pipeda = regime("pipeda")
    assert (pipeda.jurisdiction, pipeda.certainty) == ("CA", "firm")
    assert "10.1" in pipeda.source.en and "10.3" in pipeda.source.en and "SOR/2018-64" in pipeda.source.en
    assert_bilingual(pipeda)


def test_no_report_is_a_legal_deadline():
    for code in ("commissioner", "individuals", "record"):
        found = report("pipeda", code)
        assert not found.legal, code
        assert "target" in found.basis.en and "streeftermijn" in found.basis.nl, code


def test_the_record_is_kept_24_months_which_is_no_deadline():
    record = report("pipeda", "record")
    assert record.recipient == "record"
    assert "24 months" in record.basis.en and "24 maanden" in record.basis.nl
    determined = local(TORONTO, 2026, 4, 14, 11, 0)
    assert due(record, determination=determined) == determined + timedelta(hours=72)


def test_every_breach_is_recorded_but_only_a_real_risk_is_reported():
    harmless = facts({"CA": 3}, flags={"notifiable": False})
    assert applies(report("pipeda", "record"), harmless)
    assert not applies(report("pipeda", "commissioner"), harmless)
    assert not applies(report("pipeda", "individuals"), harmless)
    risky = facts({"CA": 3}, flags={"notifiable": True})
    assert applies(report("pipeda", "commissioner"), risky) and applies(report("pipeda", "individuals"), risky)


def test_in_force_since_november_2018():
    assert regime("pipeda").version_on(date(2018, 10, 31)) is None
    assert regime("pipeda").version_on(date(2018, 11, 1)) is not None
