"""NY SHIELD (General Business Law § 899-aa). The rules this product was built from name only the
NYDFS regulation for New York; the statute's 30-day period was not checked against its text, so the
file ships with certainty "open" and its version switched off: never suggested, never computed,
until a reviewer switches it on."""

from __future__ import annotations

from datetime import date

from tests.rules.regimes.pinning import assert_bilingual, due, facts, local, regime, suggestions

NY = "America/New_York"


def test_it_is_open_and_switched_off():
    new_york = regime("new_york")
    assert (new_york.jurisdiction, new_york.certainty) == ("US-NY", "open")
    assert [v.enabled for v in new_york.versions] == [False]
    assert new_york.version_on(date(2026, 12, 5)) is None
    assert "899-aa" in new_york.source
    assert_bilingual(new_york)


def test_it_is_not_suggested_even_for_new_yorkers():
    assert "new_york" not in suggestions(facts({"US-NY": 10_000}), date(2026, 12, 5))


def test_once_switched_on_residents_would_be_due_30_days_after_discovery():
    residents = regime("new_york").version("2024-12-21").report("residents")
    assert due(residents, awareness=local(NY, 2026, 6, 1, 9, 0)) == local(NY, 2026, 7, 2, 0, 0)
    state_agencies = regime("new_york").version("2024-12-21").report("state_agencies")
    assert not state_agencies.legal  # the statute names no period of its own
