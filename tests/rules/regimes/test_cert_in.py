"""India CERT-In directions of 28 April 2022: cyber incidents to CERT-In within 6 hours of noticing."""

from __future__ import annotations

from datetime import UTC, date, datetime

from tests.rules.regimes.pinning import assert_bilingual, due, facts, local, regime, report, suggestions

KOLKATA = "Asia/Kolkata"


def test_the_file_says_what_it_is():
    cert_in = regime("cert_in")
    assert (cert_in.jurisdiction, cert_in.certainty) == ("IN", "likely")
    assert "70B" in cert_in.source.en
    assert_bilingual(cert_in)


def test_six_hours_from_noticing_across_midnight():
    # Noticed Sat 5 December 2026, 21:00 IST (15:30 UTC): due Sun 6 December, 03:00 IST.
    noticed = local(KOLKATA, 2026, 12, 5, 21, 0)
    assert due(report("cert_in", "cert_in"), detection=noticed) == datetime(2026, 12, 5, 21, 30, tzinfo=UTC)


def test_awareness_of_personal_data_does_not_start_it():
    assert due(report("cert_in", "cert_in"), awareness=local(KOLKATA, 2026, 12, 5, 21, 0)) is None


def test_suggested_for_an_organisation_established_in_india():
    on = date(2026, 12, 5)
    assert suggestions(facts(established="IN"), on)["cert_in"].applies
    assert not suggestions(facts({"IN": 50}, established="NL"), on)["cert_in"].applies
