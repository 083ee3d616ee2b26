"""Regimes in a real browser, in English and Dutch: the demo's laboratory incident with the facts
that make NIS2 apply; the officer confirms NIS2 with a reason, records the early warning made to the
CSIRT, and sees the report's state change. No JavaScript is needed: the forms are plain HTML in
<details>. axe checks the section and the settings page; screenshots land in test-artifacts/ui/."""

from __future__ import annotations

import pytest

from tests.ui.conftest import log_in
from tests.ui.test_accessibility import violations

TEXT = {
    "en": {
        "decide": "Decide on a regime",
        "confirm": "Confirm: the regime applies",
        "reasoning": "Why it applies, or does not",
        "record_decision": "Record the decision",
        "file": "Record a report filed under a regime",
        "report": "NIS2 · Early warning",
        "reference": "Recipient's reference",
        "reason": "Reason for recording this — kept as evidence",
        "record_filing": "Record the filing",
        "suggested": "suggested, not decided",
        "confirmed": "confirmed: applies",
        "overdue": "overdue",
        "met": "met",
    },
    "nl": {
        "decide": "Besluiten over een regeling",
        "confirm": "Bevestigen: de regeling is van toepassing",
        "reasoning": "Waarom de regeling wel of niet van toepassing is",
        "record_decision": "Besluit vastleggen",
        "file": "Een ingediende melding onder een regeling vastleggen",
        "report": "NIS2 · Vroegtijdige waarschuwing",
        "reference": "Kenmerk van de ontvanger",
        "reason": "Reden om dit vast te leggen — wordt bewaard als bewijs",
        "record_filing": "Melding vastleggen",
        "suggested": "voorgesteld, nog niet besloten",
        "confirmed": "bevestigd: van toepassing",
        "overdue": "termijn verstreken",
        "met": "gehaald",
    },
}


@pytest.fixture
def lab_incident(demo_officer, dutch_ap):
    """The demo's laboratory incident (ops.demo.create_lab_incident) with the facts of
    ops.demo_regimes, NIS2 not yet decided: the engine suggests it."""
    from datetime import timedelta

    from django.utils import timezone

    from notifications.models import SweepHeartbeat
    from ops.demo import create_lab_incident
    from ops.demo_regimes import record_lab_regime_facts

    lab = demo_officer.memberships.get().organisation
    incident = create_lab_incident(lab, demo_officer)
    record_lab_regime_facts(incident, demo_officer)
    SweepHeartbeat.objects.create(pk=1, last_sweep_at=timezone.now() + timedelta(minutes=10))
    return {"pk": incident.pk, "organisation": lab.pk}


@pytest.mark.parametrize("language", ["en", "nl"])
def test_an_officer_confirms_nis2_and_records_the_early_warning(page, live_server, lab_incident, language):
    words = TEXT[language]
    log_in(page, live_server, "officer@demo.example")
    if language == "nl":
        page.get_by_label("Language").select_option("nl")
        page.get_by_role("button", name="Switch").click()
        page.wait_for_load_state()
    page.goto(f"{live_server.url}/incidents/{lab_incident['pk']}/#regimes")
    section = page.locator("#regimes")
    nis2 = section.locator("article.regime-nis2")
    assert words["suggested"] in nis2.locator("[data-regime-status]").inner_text()
    assert "NIS2" in nis2.locator(".regime-reasons").inner_text() or nis2.locator(".regime-reasons li").count() >= 2
    page.shots.take(f"{language}-suggested", locator=section)

    section.get_by_text(words["decide"], exact=True).click()
    form = section.locator("#decision-form")
    form.get_by_label("Regime" if language == "en" else "Regeling", exact=True).select_option("nis2")
    form.get_by_label(words["confirm"]).check()
    form.get_by_label(words["reasoning"]).fill("Essential entity (health), significant incident: NIS2 Art. 23.")
    page.shots.take(f"{language}-deciding", locator=section)
    form.get_by_role("button", name=words["record_decision"]).click()
    page.wait_for_load_state()

    nis2 = page.locator("#regimes article.regime-nis2")
    assert words["confirmed"] in nis2.locator("[data-regime-status]").inner_text()
    early = nis2.locator('tr[data-report="nis2:early_warning"]')
    assert early.get_attribute("data-state") == "overdue"  # 24 hours from 6 July 2025, never filed
    assert words["overdue"] in early.locator("[data-state-label]").inner_text()
    page.shots.take(f"{language}-confirmed", locator=page.locator("#regimes"))

    section = page.locator("#regimes")
    section.get_by_text(words["file"], exact=True).click()
    form = section.locator("#regime_filing-form")
    form.locator("select[name='regime_filing-report']").select_option(label=words["report"])
    form.locator("input[name='regime_filing-submitted_at_0']").fill("2025-07-07T08:15")
    form.locator("select[name='regime_filing-submitted_at_1']").select_option("Europe/Amsterdam")
    form.get_by_label(words["reference"]).fill("Z-CERT 2025-0707-01")
    form.get_by_label(words["reason"]).fill("Receipt from the CSIRT's portal")
    form.get_by_role("button", name=words["record_filing"]).click()
    page.wait_for_load_state()

    early = page.locator('#regimes tr[data-report="nis2:early_warning"]')
    assert early.get_attribute("data-state") == "met"
    assert words["met"] in early.locator("[data-state-label]").inner_text()
    assert "Z-CERT 2025-0707-01" in early.inner_text()
    # The incident notification still runs late; the final report waits for it.
    assert page.locator('#regimes tr[data-report="nis2:final"]').get_attribute("data-state") == "waiting"
    page.shots.take(f"{language}-filed", locator=page.locator("#regimes"))

    blocking, _other = violations(page, f"incident page ({language})")
    page.goto(f"{live_server.url}/organisations/{lab_incident['organisation']}/regimes/")
    blocking += violations(page, f"regime settings ({language})")[0]
    page.shots.take(f"{language}-settings", full_page=True)
    assert not blocking, "\n".join(blocking)
