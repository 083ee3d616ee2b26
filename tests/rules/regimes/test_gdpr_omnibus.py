"""gdpr_omnibus.toml: a proposal (96 hours, high risk only) that ships switched off."""

from __future__ import annotations

from datetime import date

from rules.regimes import Facts, catalogue, suggest
from tests.rules.regimes.support import at


def test_it_ships_disabled_and_is_never_in_force_nor_suggested():
    regime = catalogue()["gdpr_omnibus"]
    assert regime.certainty == "open"
    assert all(not version.enabled for version in regime.versions)
    assert regime.version_on(date(2030, 1, 1)) is None
    facts = Facts(places={"NL": 10}, flags={"personal_data": True, "high_risk": True})
    assert "gdpr_omnibus" not in {s.regime.code for s in suggest(facts, date(2030, 1, 1))}


def test_once_switched_on_the_single_entry_point_gets_96_elapsed_hours():
    report = catalogue()["gdpr_omnibus"].version("proposal-2025-11").report("single_entry_point")
    aware = at("2026-03-27 10:00", "Europe/Amsterdam")
    assert report.due_at({"awareness": aware}) == at("2026-03-31 11:00", "Europe/Amsterdam")
