"""The officer's Art. 34 journey in a real browser: assessment → letter text → plan a wave →
mark it sent, in English and in Dutch, each page checked by axe and at a phone's width.

Data first (an incident with a controller, through the services), then only the browser: no
ORM call while a page is open (see conftest.py). Fields are found by their names, so one
journey serves both languages; what the person reads is checked in their language.
"""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.ui.conftest import log_in
from tests.ui.test_accessibility import WIDEST, violations

AMSTERDAM = ZoneInfo("Europe/Amsterdam")

WORDS = {
    "en": {
        "assess": "Record an assessment (it supersedes the current one)",
        "assessed": "Assessment recorded for National Screening Programme: communicate",
        "add_text": "Add a version of the letter text",
        "present": "present",
        "missing": "missing",
        "saved": "saved as version 1",
        "plan": "Plan a wave",
        "planned": "Wave “participants 2017” planned for",
        "mark_sent": "Mark as sent",
        "sent": "Wave “participants 2017” marked as sent at",
        "counts": "Planned: 5",
    },
    "nl": {
        "assess": "Beoordeling vastleggen (deze vervangt de huidige)",
        "assessed": "Beoordeling vastgelegd voor National Screening Programme: mededelen",
        "add_text": "Versie van de brieftekst toevoegen",
        "present": "aanwezig",
        "missing": "ontbreekt",
        "saved": "opgeslagen als versie 1",
        "plan": "Verzendronde plannen",
        "planned": "Verzendronde ‘participants 2017’ gepland op",
        "mark_sent": "Als verzonden markeren",
        "sent": "Verzendronde ‘participants 2017’ gemarkeerd als verzonden op",
        "counts": "Gepland: 5",
    },
}


@pytest.fixture
def case(demo_officer):
    """An open incident of the lab with a controller; local times to type, relative to now."""
    from actions import incidents as services
    from notifications.models import SweepHeartbeat
    from organisations import services as org_services

    lab = demo_officer.memberships.get().organisation
    now = timezone.now().replace(second=0, microsecond=0)
    incident = services.create_incident(
        organisation=lab,
        title="Ransomware at the laboratory",
        occurred_from_at=now - timedelta(days=5),
        actor=demo_officer,
        reason="first report",
    )
    programme = org_services.create_party(
        lab, name="National Screening Programme", country="NL", actor=demo_officer, reason="directory"
    )
    services.add_party(incident, party=programme, role="controller", actor=demo_officer, reason="parties")
    SweepHeartbeat.objects.create(pk=1, last_sweep_at=now + timedelta(minutes=10))  # no banner while the test runs

    def local(delta: timedelta) -> str:
        return (now + delta).astimezone(AMSTERDAM).strftime("%Y-%m-%dT%H:%M")

    return {
        "communications": reverse("communications:incident", args=[incident.pk]),
        "decided": local(-timedelta(hours=2)),
        "planned": local(timedelta(days=1)),
        "sent": local(-timedelta(minutes=30)),
    }


def _check(page, found: list[str], label: str) -> None:
    """axe on this page at desktop width, then the page at a phone's width (390 px): no sideways scroll."""
    found += violations(page, label)[0]
    page.shots.take(label, full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    width = page.evaluate("document.documentElement.scrollWidth")
    if width > 390:
        found.append(f"{label}: {width} px wide at 390 px; widest: {page.evaluate(WIDEST)}")
    page.shots.take(label + "-phone", full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})


def _reason(page, text: str) -> None:
    page.locator("form.guided [name=reason]").fill(text)


@pytest.mark.parametrize("language", ["en", "nl"])
def test_an_officer_assesses_writes_the_letter_plans_and_sends_a_wave(page, live_server, case, language):
    words, found = WORDS[language], []
    log_in(page, live_server, "officer@demo.example")
    if language == "nl":
        page.get_by_label("Language").select_option("nl")
        page.get_by_role("button", name="Switch").click()
        page.wait_for_load_state()
    page.goto(live_server.url + case["communications"])

    # 1. The Art. 34 assessment.
    page.get_by_role("link", name=words["assess"]).click()
    _check(page, found, "assessment")
    page.locator("form.guided [name=is_high_risk][value=yes]").check()
    page.locator("form.guided [name=reasoning]").fill("Health data and BSN of screening participants were taken.")
    page.locator("form.guided [name=decided_by_name]").fill("A. Jansen")
    page.locator("form.guided [name=decided_by_role]").fill("DPO")
    page.locator("form.guided [name=decided_at_0]").fill(case["decided"])
    _reason(page, "DPO advice")
    page.locator("form.guided button[type=submit]").click()
    page.wait_for_url(live_server.url + case["communications"])
    assert words["assessed"] in page.locator(".messages").inner_text()

    # 2. The letter text, its Art. 34(2) checklist answering each tick.
    page.get_by_role("link", name=words["add_text"]).first.click()
    page.locator("form.guided [name=language]").select_option("nl")
    page.locator("form.guided [name=title]").fill("Brief aan deelnemers")
    page.locator("form.guided [name=text]").fill("Beste deelnemer,\n\nBij het laboratorium zijn gegevens gestolen …")
    checklist = page.locator("fieldset.checklist")
    assert checklist.locator(".check-missing:visible").count() == 4
    for flag in ("describes_nature", "names_contact_point", "describes_consequences"):
        page.locator(f"form.guided [name={flag}]").check()
    assert checklist.locator(".check-present:visible").count() == 3
    assert checklist.locator(".check-missing:visible").inner_text().endswith(words["missing"])
    page.locator("form.guided [name=describes_measures]").check()
    assert checklist.locator(".check-missing:visible").count() == 0
    assert words["present"] in checklist.locator(".check-present").first.inner_text()
    _check(page, found, "letter-text")
    _reason(page, "text approved by the DPO")
    page.locator("form.guided button[type=submit]").click()
    page.wait_for_url(live_server.url + case["communications"])
    assert words["saved"] in page.locator(".messages").inner_text()

    # 3. Plan a wave with that text.
    page.get_by_role("link", name=words["plan"], exact=True).click()
    _check(page, found, "plan-wave")
    page.locator("form.guided [name=cohort_label]").fill("participants 2017")
    page.locator("form.guided [name=channel]").select_option("letter")
    assert (
        "Brief aan deelnemers" in page.locator("form.guided [name=content_version] option:checked").inner_text()
    )  # the only one
    page.locator("form.guided [name=planned_at_0]").fill(case["planned"])
    page.locator("form.guided [name=planned_count]").fill("5")
    _reason(page, "first cohort")
    page.locator("form.guided button[type=submit]").click()
    page.wait_for_url(live_server.url + case["communications"])
    assert words["planned"] in page.locator(".messages").inner_text()
    assert words["counts"] in " ".join(page.locator("dl.counts").inner_text().split())
    _check(page, found, "communications")

    # 4. Mark it sent.
    page.get_by_role("link", name=words["mark_sent"]).click()
    _check(page, found, "mark-sent")
    page.locator("form.guided [name=sent_at_0]").fill(case["sent"])
    _reason(page, "posted by the mail house")
    page.locator("form.guided button[type=submit]").click()
    page.wait_for_url(live_server.url + case["communications"])
    message = page.locator(".messages").inner_text()
    assert words["sent"] in message and ("CET" in message or "CEST" in message)
    page.shots.take("sent", full_page=True)
    assert not found, "accessibility or layout problems:\n" + "\n".join(found)
