"""eIDAS Art. 19a(1)(b) (Regulation (EU) 2024/1183): a trust service provider notifies the
supervisory body within 24 hours of becoming aware of a significant breach."""

from __future__ import annotations

from datetime import UTC, date, datetime

from tests.rules.regimes.pinning import applies, assert_bilingual, due, facts, local, regime, report, suggestions

AMS = "Europe/Amsterdam"


def test_the_file_says_what_it_is():
    eidas = regime("eidas_19a")
    assert (eidas.jurisdiction, eidas.certainty) == ("EU", "likely")
    assert "19a" in eidas.source.en and "2024/1183" in eidas.source.en
    assert_bilingual(eidas)
    assert report("eidas_19a", "supervisory_body").legal and not report("eidas_19a", "affected_persons").legal


def test_24_elapsed_hours_across_the_end_of_summer_time():
    # Aware Sat 24 October 2026, 10:00 CEST (08:00 UTC): due Sun 25 October 08:00 UTC = 09:00 CET.
    aware = local(AMS, 2026, 10, 24, 10, 0)
    assert due(report("eidas_19a", "supervisory_body"), awareness=aware) == datetime(2026, 10, 25, 8, 0, tzinfo=UTC)


def test_only_a_significant_breach_of_an_eu_trust_service_provider():
    on = date(2026, 12, 5)
    provider = facts(entities=("trust_service_provider",), established="NL", flags={"significant": True})
    assert suggestions(provider, on)["eidas_19a"].applies
    assert applies(report("eidas_19a", "supervisory_body"), provider)
    minor = facts(entities=("trust_service_provider",), established="NL", flags={"significant": False})
    assert not applies(report("eidas_19a", "supervisory_body"), minor)
    assert not suggestions(facts(entities=("controller",), established="NL"), on)["eidas_19a"].applies
    assert not suggestions(facts(entities=("trust_service_provider",), established="US"), on)["eidas_19a"].applies
