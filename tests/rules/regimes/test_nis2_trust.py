"""nis2_trust.toml: a trust-service provider notifies within 24 hours instead of 72."""

from __future__ import annotations

from rules.regimes import Facts, catalogue
from tests.rules.regimes.support import at, shipped_report

AMS = "Europe/Amsterdam"


def test_the_notification_is_due_24_elapsed_hours_after_awareness():
    due = shipped_report("nis2_trust", "notification").due_at({"awareness": at("2026-10-24 20:00", AMS)})
    assert due == at("2026-10-25 19:00", AMS)  # the autumn change makes 24 real hours read as 23


def test_the_final_report_chains_on_the_24_hour_notification():
    submitted = at("2026-08-31 09:15", AMS)
    due = shipped_report("nis2_trust", "final").due_at({"report:notification": submitted})
    assert due == at("2026-09-30 09:15", AMS)


def test_suggested_for_a_trust_service_provider_with_a_significant_incident():
    regime = catalogue()["nis2_trust"]
    provider = Facts(entities=frozenset({"trust_service_provider"}), established="NL", flags={"significant": True})
    assert regime.applicability.evaluate(provider)[0]
    other = Facts(entities=frozenset({"nis2_essential"}), established="NL", flags={"significant": True})
    assert not regime.applicability.evaluate(other)[0]
