"""How filings bear on the clocks, with plain objects: no database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest

from rules.filing_chains import follow_up_cycle, material_change, standing_initials

UTC = UTC
T0 = datetime(2025, 8, 11, 12, 0, tzinfo=UTC)


def filing(kind, hours, *, controller=1, authority=1, phased=False, seen=0, subjects=485_000):
    return SimpleNamespace(
        filing_type=kind,
        submitted_at=T0 + timedelta(hours=hours),
        controller_id=controller,
        authority_id=authority,
        is_phased=phased,
        is_withdrawal=kind == "withdrawal",
        content={"register.last_estimate_id": seen, "numbers.data_subjects": {"low": subjects, "high": None}},
    )


def estimate(pk, low, hours, *, party=None, high=None):
    return SimpleNamespace(
        pk=pk, low=low, high=high, party_id=party, measure="data_subjects", known_at=T0 + timedelta(hours=hours)
    )


@pytest.mark.parametrize(
    ("before", "after", "material"),
    [
        (485_000, 533_500, True),
        (485_000, 533_499, False),
        (485_000, 436_500, True),
        (None, 10, True),
        (None, None, False),
        (0, 0, False),
        (0, 3, True),
        (100, None, False),
    ],
)
def test_a_change_of_ten_percent_or_more_is_material(before, after, material):
    assert material_change(before, after, 10) is material


def test_the_earliest_standing_initial_meets_the_clock_and_a_withdrawal_takes_it_back():
    first, second = filing("initial", 1), filing("initial", 3, authority=2)
    assert standing_initials([first, second]) == {1: first.submitted_at}
    assert standing_initials([first, second, filing("withdrawal", 4)]) == {1: second.submitted_at}
    assert standing_initials([first, filing("withdrawal", 4)]) == {}


def test_a_phased_filing_owes_a_follow_up_until_one_is_filed():
    phased = filing("initial", 0, phased=True)
    assert follow_up_cycle([phased], [], 10) == (phased.submitted_at, None)
    answer = filing("follow_up", 30)
    assert follow_up_cycle([phased, answer], [], 10) == (phased.submitted_at, answer.submitted_at)
    assert follow_up_cycle([phased, filing("withdrawal", 5)], [], 10) is None


def test_an_initial_filing_to_another_authority_does_not_answer_a_follow_up():
    phased = filing("initial", 0, phased=True)
    assert follow_up_cycle([phased, filing("initial", 2, authority=2)], [], 10) == (phased.submitted_at, None)


def test_only_counts_recorded_after_the_filing_and_current_for_the_controller_start_it():
    seen = estimate(1, 485_000, -5)
    first = filing("initial", 0, seen=1)
    other_controller = estimate(2, 900_000, 1, party=2)
    assert follow_up_cycle([first], [seen, other_controller], 10) is None
    grown = estimate(3, 715_000, 2)
    assert follow_up_cycle([first], [seen, other_controller, grown], 10) == (grown.known_at, None)
    ranged = estimate(3, 400_000, 2, high=600_000)  # the upper bound counts
    assert follow_up_cycle([first], [seen, ranged], 10) == (ranged.known_at, None)
