"""The guided register pages in a real browser, in English and in Dutch: an officer edits the
facts, adds a party, records a decision not to notify, closes the incident and reopens it — each
time back on the incident page with a message in their language and zone — and no page has a
serious accessibility violation (axe) or is wider than a phone's screen (390 px).

Times are real (the browser's clock is), so every instant typed is computed from now, in
Europe/Amsterdam, before the browser opens; no ORM call is made while it is open.
"""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.ui.conftest import log_in
from tests.ui.test_accessibility import WIDEST, violations

AMSTERDAM = ZoneInfo("Europe/Amsterdam")

# What each step's message starts with, per language (the catalogue's Dutch).
SAVED = {
    "en": (
        "Register facts saved",
        "Courier Ltd added as",
        "Decision recorded",
        "Incident closed at",
        "Incident reopened",
    ),
    "nl": (
        "Registerfeiten opgeslagen",
        "Courier Ltd toegevoegd als",
        "Besluit vastgelegd",
        "Incident gesloten op",
        "Incident heropend",
    ),
}


@pytest.fixture
def almost_complete(demo_officer, dutch_ap):
    """An open incident of the laboratory with everything Art. 33(5) asks but its cause, its
    detection, its risk assessment and the decision on notifying: the walk records those."""
    from django.utils import timezone

    from actions import incidents as services
    from notifications.models import SweepHeartbeat
    from tests.dashboard.conftest import open_incident

    now = timezone.now().replace(second=0, microsecond=0)
    lab = demo_officer.memberships.get().organisation
    incident = open_incident(
        lab, demo_officer, title="Letters sent to the wrong address", aware_ago=timedelta(hours=10), now=now
    )
    services.add_authority(incident, authority=dutch_ap, role="lead", actor=demo_officer, reason="lead SA")
    services.update_incident(
        incident,
        is_confidentiality_breach=True,
        description="A mail merge put results in the wrong envelopes.",
        discovery_method="data_subject",
        data_categories=["health"],
        data_subject_categories=["patients"],
        likely_consequences="Distress; little else.",
        measures_containment="Mailing stopped.",
        actor=demo_officer,
        reason="facts known",
    )
    services.record_estimate(
        incident,
        measure="data_subjects",
        low=12,
        known_at=now - timedelta(hours=5),
        source="count",
        actor=demo_officer,
        reason="count",
    )
    SweepHeartbeat.objects.create(pk=1, last_sweep_at=now + timedelta(minutes=10))
    local = lambda instant: instant.astimezone(AMSTERDAM).strftime("%Y-%m-%dT%H:%M")  # noqa: E731
    return {
        "pk": incident.pk,
        "detected": local(now - timedelta(hours=11)),
        "decided": local(now - timedelta(hours=1)),
    }


def axe_clean(page, name: str, found: list[str]) -> None:
    page.wait_for_load_state("networkidle")
    found += violations(page, name)[0]


def in_language(page, live_server, language: str) -> None:
    log_in(page, live_server, "officer@demo.example")
    if language == "nl":
        page.get_by_label("Language").select_option("nl")
        page.get_by_role("button", name="Switch").click()
        page.wait_for_load_state()


def message(page) -> str:
    return page.locator(".page-messages").inner_text()


@pytest.mark.parametrize("language", ["en", "nl"])
def test_an_officer_walks_the_register_pages(page, live_server, almost_complete, language):
    pk, found = almost_complete["pk"], []
    expected = SAVED[language]
    in_language(page, live_server, language)
    detail = f"{live_server.url}/incidents/{pk}/"
    page.goto(detail)

    # 1. The facts
    page.locator(f'a[href="/incidents/{pk}/facts/"]').first.click()
    page.wait_for_url(f"{detail}facts/")
    axe_clean(page, "facts", found)
    page.locator('[name="cause"]').select_option("misdirected")
    page.locator('[name="detected_at_0"]').fill(almost_complete["detected"])
    page.locator('[name="detected_at_1"]').select_option("Europe/Amsterdam")
    page.locator('[name="risk_level"]').select_option("none")
    page.locator('[name="risk_reasoning"]').fill("Twelve letters, all returned unopened.")
    page.locator('[name="reason"]').fill("the post room's report")
    page.shots.take(f"{language}-facts", full_page=True)
    page.locator("form.intake button[type=submit]").click()
    page.wait_for_url(detail)
    assert message(page).startswith(expected[0]), message(page)

    # 2. A party
    page.locator(f'a[href="/incidents/{pk}/parties/"]').first.click()
    page.wait_for_url(f"{detail}parties/")
    axe_clean(page, "parties", found)
    form = page.locator("#add-party")
    form.locator('[name="party-new_party_name"]').fill("Courier Ltd")
    form.locator('[name="party-role"]').select_option("processor")
    form.locator('[name="party-reason"]').fill("the courier printed the letters")
    page.shots.take(f"{language}-parties", full_page=True)
    form.locator("button[type=submit]").click()
    page.wait_for_url(f"{detail}#parties")
    assert message(page).startswith(expected[1]), message(page)

    # 3. The decision not to notify
    page.locator(f'a[href="/incidents/{pk}/decision-not-to-notify/"]').first.click()
    page.wait_for_url(f"{detail}decision-not-to-notify/")
    axe_clean(page, "decision", found)
    page.locator('[name="decided_at_0"]').fill(almost_complete["decided"])
    page.locator('[name="risk_basis"]').select_option("unlikely_risk")
    page.locator('[name="reasoning"]').fill("Health data, but no letter was opened: no risk.")
    page.locator('[name="reason"]').fill("DPO's assessment")
    page.shots.take(f"{language}-decision", full_page=True)
    page.locator("form.intake button[type=submit]").click()
    page.wait_for_url(f"{detail}#parties")
    assert message(page).startswith(expected[2]), message(page)
    assert f"{almost_complete['decided'][-5:]} CE" in message(page)  # local time, zone named

    # 4. Close, then reopen
    for status, text in (("closed", expected[3]), ("open", expected[4])):
        page.locator(f'a[href="/incidents/{pk}/status/"]').first.click()
        page.wait_for_url(f"{detail}status/")
        axe_clean(page, f"status-{status}", found)
        page.locator(f'[name="status"][value="{status}"]').check()
        page.locator('[name="reason"]').fill("register complete" if status == "closed" else "a letter was opened")
        page.shots.take(f"{language}-status-{status}", full_page=True)
        page.locator("form.intake button[type=submit]").click()
        page.wait_for_url(detail)
        assert message(page).startswith(text), message(page)
    page.shots.take(f"{language}-reopened", full_page=True)
    assert not found, "axe found serious accessibility violations:\n" + "\n".join(found)


def test_the_register_pages_fit_a_phone_screen(page, live_server, almost_complete):
    pk = almost_complete["pk"]
    page.set_viewport_size({"width": 390, "height": 844})
    log_in(page, live_server, "officer@demo.example")
    too_wide = []
    for path in ("facts/", "parties/", "decision-not-to-notify/", "status/"):
        page.goto(f"{live_server.url}/incidents/{pk}/{path}")
        page.wait_for_load_state("networkidle")
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > 390:
            too_wide.append(f"{path}: {width} px wide; widest elements: {page.evaluate(WIDEST)}")
        page.shots.take("phone-" + path.strip("/"), full_page=True)
    assert not too_wide, "pages wider than a phone's screen:\n" + "\n".join(too_wide)
