"""Accessibility, checked by a machine on every page people work in: axe-core in Chromium.

axe-core (Deque's engine, shipped inside the axe-playwright-python package: no download) runs
the WCAG 2.1 A and AA rules on each page of the demo incident, logged in as the person who uses
it, in English and in Dutch. Any violation of impact "serious" or "critical" fails the test, with
the rule, the elements and axe's help link in the message. Lesser findings are printed, so they
stay visible without blocking.

It does not replace a person with a screen reader, and the contrast rule cannot judge text on
images or gradients; it does catch missing labels, names, landmarks, language and contrast.
"""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe

from tests.ui.conftest import PASSWORD, log_in

RULES = {
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
    "resultTypes": ["violations"],
}
BLOCKING = {"serious", "critical"}


@pytest.fixture
def demo(live_server, dutch_ap):
    """The demo (the lab's incident and the programme's), and the URLs of the lab's incident's pages."""
    from datetime import timedelta

    from django.urls import reverse
    from django.utils import timezone

    from incidents.models import Incident
    from notifications.models import SweepHeartbeat
    from ops.demo import LAB, load_demo

    load_demo(PASSWORD)
    SweepHeartbeat.objects.create(pk=1, last_sweep_at=timezone.now() + timedelta(minutes=10))
    pk = Incident.objects.get(organisation__name=LAB, title__startswith="Ransomware attack").pk
    return {
        "officer": [
            reverse("dashboard:home"),
            reverse("incidents:list"),
            reverse("incidents:detail", args=[pk]),
            reverse("incidents:ap_answer_sheet", args=[pk]),
            reverse("communications:incident", args=[pk]),
            reverse("notifications:inbox"),
            reverse("incidents:new"),
        ],
        "legal": [
            reverse("evidence:timeline", args=[pk]),
            reverse("incidents:notes", args=[pk]),
            reverse("access:access_log", args=[pk]),
            reverse("access:share_links", args=[pk]),
            reverse("evidence:as_of", args=[pk]),
        ],
    }


def violations(page, url: str) -> tuple[list[str], list[str]]:
    results = Axe().run(page, options=RULES).response
    blocking, other = [], []
    for violation in results["violations"]:
        targets = ", ".join(" ".join(node["target"]) for node in violation["nodes"][:5])
        line = (
            f"{url}: [{violation['impact']}] {violation['id']}: {violation['help']} ({targets}) {violation['helpUrl']}"
        )
        (blocking if violation["impact"] in BLOCKING else other).append(line)
    return blocking, other


def check_pages(page, live_server, urls) -> list[str]:
    found = []
    for url in urls:
        page.goto(live_server.url + url)
        page.wait_for_load_state("networkidle")
        blocking, other = violations(page, url)
        for line in other:
            print("axe (not blocking):", line)
        found += blocking
        page.shots.take(url.strip("/").replace("/", "-") or "home", full_page=True)
    return found


@pytest.mark.parametrize("language", ["en", "nl"])
def test_the_pages_of_an_incident_have_no_serious_accessibility_violations(page, live_server, demo, language):
    found = []
    page.goto(live_server.url + "/")
    found += violations(page, "login page")[0]
    for person, urls in (("officer@demo.example", demo["officer"]), ("legal@demo.example", demo["legal"])):
        page.context.clear_cookies()
        log_in(page, live_server, person)
        if language == "nl":
            page.get_by_label("Language").select_option("nl")
            page.get_by_role("button", name="Switch").click()
            page.wait_for_load_state()
        found += check_pages(page, live_server, urls)
    assert not found, "axe found serious accessibility violations:\n" + "\n".join(found)


# The innermost elements that reach past the screen's right edge (what a failure names).
WIDEST = """() => Array.from(document.querySelectorAll('main *'))
  .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1 && !Array.from(e.children).some(
    c => c.getBoundingClientRect().right > window.innerWidth + 1))
  .slice(0, 5).map(e => [e, e.parentElement, e.parentElement.parentElement].map(
    n => n.tagName.toLowerCase() + (n.id ? '#' + n.id : '') + (n.className ? '.' + String(n.className).split(' ').join('.') : '')
  ).reverse().join(' > '))"""


def test_the_pages_fit_a_phone_screen_without_scrolling_sideways(page, live_server, demo):
    """Responsive: at a phone's width (390 px CSS) no page is wider than the screen; wide tables
    scroll inside their own box instead of pushing the whole page sideways."""
    page.set_viewport_size({"width": 390, "height": 844})
    too_wide = []
    for person, urls in (("officer@demo.example", demo["officer"]), ("legal@demo.example", demo["legal"])):
        page.context.clear_cookies()
        log_in(page, live_server, person)
        for url in urls:
            page.goto(live_server.url + url)
            page.wait_for_load_state("networkidle")
            width = page.evaluate("document.documentElement.scrollWidth")
            if width > 390:
                widest = page.evaluate(WIDEST)
                too_wide.append(f"{url}: {width} px wide; widest elements: {widest}")
            page.shots.take("phone-" + (url.strip("/").replace("/", "-") or "home"), full_page=True)
    assert not too_wide, "pages wider than a phone's screen:\n" + "\n".join(too_wide)
