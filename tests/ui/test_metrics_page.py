"""The metrics page in a real browser, in English and in Dutch, on the demo's real case: the
controller's officer follows the navigation to it, reads the processor's month-long lag to it among
the figures, sees a chart per measure (server-side SVG, no script), follows a figure to the incident
it counts; the page has no serious accessibility violation and fits a phone's width."""

from __future__ import annotations

import pytest

from tests.ui.conftest import log_in
from tests.ui.test_accessibility import WIDEST, demo, violations  # noqa: F401 - demo is a fixture

WORDS = {
    "en": {
        "nav": "Metrics",
        "lag": "31 d 5 h",
        "heading": "Metrics: time to notify",
        "lag_section": "From the processor's awareness to informing the controller",
    },
    "nl": {
        "nav": "Cijfers",
        "lag": "31 d 5 u",
        "heading": "Cijfers: tijd tot melden",
        "lag_section": "Van de kennisname door de verwerker tot het informeren van de verwerkingsverantwoordelijke",
    },
}


@pytest.mark.parametrize("language", ["en", "nl"])
def test_the_controllers_officer_reads_the_real_case_in_the_metrics(page, live_server, demo, language):
    words, problems = WORDS[language], []
    log_in(page, live_server, "programme@demo.example")
    if language == "nl":
        page.get_by_label("Language").select_option("nl")
        page.get_by_role("button", name="Switch").click()
        page.wait_for_load_state()

    page.locator("header nav").get_by_role("link", name=words["nav"], exact=True).click()
    page.wait_for_load_state("networkidle")
    main = page.locator("main")
    assert main.get_by_role("heading", name=words["heading"]).count() == 1
    text = main.inner_text()
    # The lab told the programme a month after it knew: 31 days 5 hours, the worst case, named.
    assert words["lag_section"] in text
    assert words["lag"] in text
    assert "2026-0001" in text
    # One server-side chart per measure, no script on the page.
    assert main.locator("svg").count() >= 5
    assert page.locator("script:not([src])").count() == 0  # htmx is loaded by src; nothing inline

    problems += violations(page, f"metrics ({language})")[0]
    page.set_viewport_size({"width": 390, "height": 844})
    width = page.evaluate("document.documentElement.scrollWidth")
    if width > 390:
        problems.append(f"metrics: {width} px wide at 390 px; widest: {page.evaluate(WIDEST)}")
    page.shots.take(f"metrics-{language}-phone", full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.shots.take(f"metrics-{language}", full_page=True)

    # A figure leads to the incidents it counts.
    main.locator('a[href*="bucket=processor_over_target"]').first.click()
    page.wait_for_load_state()
    assert "2026-0001" in page.locator("main").inner_text()
    assert not problems, "\n".join(problems)
