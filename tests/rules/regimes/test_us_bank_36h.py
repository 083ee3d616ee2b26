"""US banking agencies' computer-security incident notification rule: the primary federal
regulator within 36 hours of determining that a notification incident occurred."""

from __future__ import annotations

from datetime import UTC, date, datetime

from tests.rules.regimes.pinning import applies, assert_bilingual, due, facts, local, regime, report, suggestions

NY = "America/New_York"


def test_the_file_says_what_it_is():
    bank = regime("us_bank_36h")
    assert (bank.jurisdiction, bank.certainty) == ("US", "likely")
    assert "53" in bank.source.en and "225" in bank.source.en and "304" in bank.source.en
    assert_bilingual(bank)


def test_36_elapsed_hours_across_the_end_of_daylight_saving_time():
    # Determined Sat 31 October 2026, 16:00 EDT (20:00 UTC): 36 hours later is Mon 2 November,
    # 08:00 UTC, which New York's clocks show as 03:00 EST (35 wall-clock hours later).
    regulator = report("us_bank_36h", "regulator")
    due_at = due(regulator, determination=local(NY, 2026, 10, 31, 16, 0))
    assert due_at == datetime(2026, 11, 2, 8, 0, tzinfo=UTC)
    assert due_at == local(NY, 2026, 11, 2, 3, 0)


def test_only_a_bank_with_a_notification_incident():
    on = date(2026, 12, 5)
    bank = facts(entities=("us_bank",), flags={"notification_incident": True})
    assert suggestions(bank, on)["us_bank_36h"].applies
    assert applies(report("us_bank_36h", "regulator"), bank)
    not_yet = facts(entities=("us_bank",), flags={"notification_incident": False})
    assert not suggestions(not_yet, on)["us_bank_36h"].applies
    unknown = facts(entities=("us_bank",))
    assert not applies(report("us_bank_36h", "regulator"), unknown)
