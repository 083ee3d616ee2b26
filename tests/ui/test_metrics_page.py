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


REGIME_WORDS = {
    "en": {
        "nav": "Metrics",
        "regime": "Regime",
        "apply": "Apply filters",
        "early": "NIS2 · Early warning",
        "notification": "NIS2 · Incident notification",
        "final": "NIS2 · Final report",
        "on_time": "filed on time",
        "overdue": "not filed, overdue",
        "share": "100.0 %",
        "gdpr_heading": "Notifications to the authority (Art. 33(1))",
    },
    "nl": {
        "nav": "Cijfers",
        "regime": "Regeling",
        "apply": "Filters toepassen",
        "early": "NIS2 · Vroegtijdige waarschuwing",
        "notification": "NIS2 · Incidentmelding",
        "final": "NIS2 · Eindverslag",
        "on_time": "op tijd gemeld",
        "overdue": "niet gemeld, termijn verstreken",
        "share": "100,0 %",
        "gdpr_heading": "Meldingen aan de toezichthouder (art. 33 lid 1)",
    },
}


def row_value(section, label: str) -> str:
    """The value cell of the figure ``label`` in a section's table."""
    return section.locator("tr", has=section.page.locator(f'th:text-is("{label}")')).locator("td").first.inner_text()


@pytest.mark.parametrize("language", ["en", "nl"])
def test_the_labs_officer_picks_nis2_and_reads_its_reports(page, live_server, demo, language):
    """The demo's lab is an essential entity under NIS2: its early warning and notification were filed
    on time, its final report never was. The figures shown are those of the lab's report clocks."""
    from datetime import timedelta

    from django.utils import translation

    from notifications.models import Deadline
    from readers import wording

    words = REGIME_WORDS[language]
    rows = {
        row.report: row
        for row in Deadline.objects.filter(
            kind="regime_report", regime="nis2", is_active=True, incident__reference="2026-0001"
        )
    }
    assert (
        rows["early_warning"].met_at <= rows["early_warning"].due_at
    )  # the demo's facts, as the page should count them
    log_in(page, live_server, "officer@demo.example")
    if language == "nl":
        page.get_by_label("Language").select_option("nl")
        page.get_by_role("button", name="Switch").click()
        page.wait_for_load_state()
    page.locator("header nav").get_by_role("link", name=words["nav"], exact=True).click()
    page.wait_for_load_state()
    main = page.locator("main")
    assert main.get_by_role("heading", name=words["gdpr_heading"]).count() == 1  # the GDPR by default

    page.get_by_label(words["regime"], exact=True).select_option("nis2")
    main.get_by_role("button", name=words["apply"]).click()
    page.wait_for_load_state()
    assert "regime=nis2" in page.url
    assert main.get_by_role("heading", name=words["gdpr_heading"]).count() == 0
    early, notification, final = (
        main.locator(f'section[aria-labelledby="h-report_{code}"]')
        for code in ("early_warning", "notification", "final")
    )
    for section, key in ((early, "early"), (notification, "notification"), (final, "final")):
        assert section.locator("h2").inner_text().startswith(words[key])
    assert row_value(early, words["on_time"]) == "1"
    assert row_value(notification, words["on_time"]) == "1"
    assert row_value(final, words["overdue"]) == "1"
    assert words["share"] in early.inner_text()
    # The lag shown is the lab's own: from its awareness to the early warning, in the reader's words.
    with translation.override(language):
        lag = wording.duration_text(rows["early_warning"].met_at - rows["early_warning"].started_at)
    assert lag and lag in early.inner_text()
    assert "2026-0001" in early.inner_text()
    assert early.locator("svg.bar-chart").count() == 1
    assert rows["early_warning"].met_at - rows["early_warning"].started_at < timedelta(hours=24)

    problems = violations(page, f"metrics NIS2 ({language})")[0]
    page.shots.take(f"metrics-nis2-{language}", full_page=True)
    # The overdue final report leads to the lab's incident, counted by the same condition.
    final.locator('a[href*="bucket=report_overdue%3Afinal"]').first.click()
    page.wait_for_load_state()
    assert "2026-0001" in page.locator("main").inner_text()
    page.shots.take(f"metrics-nis2-drill-{language}", full_page=True)
    assert not problems, "\n".join(problems)
