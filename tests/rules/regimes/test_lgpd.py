"""lgpd.toml: 3 Brazilian business days to the ANPD and the data subjects; supplements in 20."""

from __future__ import annotations

from rules.regimes import Facts, catalogue, report_applies
from tests.rules.regimes.support import at, shipped_report, utc

SP = "America/Sao_Paulo"


def anpd(aware):
    return shipped_report("lgpd", "anpd").due_at({"awareness": aware})


def test_three_business_days_across_a_weekend():
    # Thursday 5 March: Fri 6, Mon 9, Tue 10; due at the end of Tuesday in São Paulo.
    assert anpd(at("2026-03-05 10:00", SP)) == at("2026-03-11 00:00", SP) == utc("2026-03-11 03:00")


def test_tiradentes_does_not_count():
    # Friday 17 April: Mon 20, (Tiradentes, Tue 21), Wed 22, Thu 23.
    assert anpd(at("2026-04-17 10:00", SP)) == at("2026-04-24 00:00", SP)


def test_good_friday_does_not_count():
    # Thursday 2 April: (Good Friday 3), Mon 6, Tue 7, Wed 8.
    assert anpd(at("2026-04-02 10:00", SP)) == at("2026-04-09 00:00", SP)


def test_carnival_is_no_national_holiday_so_it_counts_which_gives_the_earlier_deadline():
    # Friday 13 February 2026: Carnival Mon 16, Tue 17 and Ash Wednesday 18 are business days here.
    assert anpd(at("2026-02-13 10:00", SP)) == at("2026-02-19 00:00", SP)


def test_the_data_subjects_have_the_same_three_business_days():
    report = shipped_report("lgpd", "data_subjects")
    assert report.due_at({"awareness": at("2026-04-17 10:00", SP)}) == at("2026-04-24 00:00", SP)


def test_the_supplement_is_20_business_days_after_the_anpd_communication():
    supplement = shipped_report("lgpd", "supplement")
    # Filed Monday 13 April: 20 business days skip Tiradentes (21 April) and Labour Day (1 May): day 20 is 13 May.
    assert supplement.due_at({"report:anpd": at("2026-04-13 16:00", SP)}) == at("2026-05-14 00:00", SP)
    assert supplement.due_at({"awareness": at("2026-04-13 16:00", SP)}) is None


def test_a_small_agent_has_double_the_period():
    small = Facts(entities=frozenset({"small_agent", "controller"}))
    assert report_applies(shipped_report("lgpd", "anpd_small_agent"), small)[0]
    assert not report_applies(shipped_report("lgpd", "anpd"), small)[0]
    report = shipped_report("lgpd", "anpd_small_agent")
    # Friday 17 April: Mon 20, (21), Wed 22, Thu 23, Fri 24, Mon 27, Tue 28.
    assert report.due_at({"awareness": at("2026-04-17 10:00", SP)}) == at("2026-04-29 00:00", SP)


def test_suggested_for_personal_data_of_brazilian_residents():
    regime = catalogue()["lgpd"]
    applies, reasons = regime.applicability.evaluate(Facts(places={"BR": 12_500}, flags={"personal_data": True}))
    assert applies
    assert "12,500 data subjects live in BR (threshold 1)" in [r.en for r in reasons]
    assert "12.500 betrokkenen wonen in BR (drempel 1)" in [r.nl for r in reasons]
