"""Florida Stat. § 501.171: individuals and, from 500 Floridians, the Department of Legal Affairs,
30 days after the determination; a third-party agent tells the covered entity within 10 days."""

from __future__ import annotations

import pytest

from tests.rules.regimes.pinning import applies, assert_bilingual, due, facts, local, regime, report

NY = "America/New_York"
DETERMINED = local(NY, 2026, 12, 1, 8, 0)  # Tue 1 December 2026, 08:00 EST


def test_the_file_says_what_it_is():
    florida = regime("florida")
    assert (florida.jurisdiction, florida.certainty) == ("US-FL", "likely")
    assert "501.171" in florida.source.en
    assert_bilingual(florida)


@pytest.mark.parametrize("code", ["residents", "legal_affairs"])
def test_thirty_days_after_determination_run_over_new_year(code):
    # Day 30 is Thu 31 December: due at midnight as 2027 begins.
    assert due(report("florida", code), determination=DETERMINED) == local(NY, 2027, 1, 1, 0, 0)


def test_the_third_party_agent_has_ten_days():
    owner = report("florida", "owner")
    assert owner.legal
    assert due(owner, determination=DETERMINED) == local(NY, 2026, 12, 12, 0, 0)  # end of Fri 11 December


@pytest.mark.parametrize(("floridians", "to_legal_affairs"), [(499, False), (500, True)])
def test_legal_affairs_from_500_individuals_in_florida(floridians, to_legal_affairs):
    given_facts = facts({"US-FL": floridians}, entities=("controller",))
    assert applies(report("florida", "legal_affairs"), given_facts) is to_legal_affairs
    assert applies(report("florida", "residents"), given_facts)
    assert not applies(report("florida", "owner"), given_facts)


def test_a_third_party_agent_tells_the_owner_not_the_residents_or_the_state():
    agent = facts({"US-FL": 2000}, entities=("processor",))
    assert applies(report("florida", "owner"), agent)
    assert not applies(report("florida", "residents"), agent)
    assert not applies(report("florida", "legal_affairs"), agent)
