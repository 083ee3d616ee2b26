"""The programme's follow-up filing in a real browser, in English and Dutch, on the demo's real case:
the frozen content shows the Art. 34 decision and the lead authority, and the EDPB completeness view
lists the template fields still empty with how binding each is (and why, where the template's own
shape leaves one empty); the reports under other regimes frozen with it; a viewer opening the metrics is told
why they may not, in their language."""

from __future__ import annotations

import pytest

from tests.ui.conftest import log_in
from tests.ui.test_accessibility import demo, violations  # noqa: F401 - demo is a fixture

WORDS = {
    "en": {
        "decision": "Communication to data subjects: the decision (Art. 34)",
        "decided": "communicate to the data subjects (Art. 34(1))",
        "obligation": "conditional",
        "refused": "The metrics are not open to you",
        "regimes": "Reported under other regimes by then (e.g. NIS2, DORA)",
        "note_118": "The template offers one single option here",
    },
    "nl": {
        "decision": "Mededeling aan betrokkenen: het besluit (art. 34 AVG)",
        "decided": "mededeling aan de betrokkenen (art. 34 lid 1 AVG)",
        "obligation": "voorwaardelijk",
        "refused": "De cijfers zijn niet voor u",
        "regimes": "Gemeld onder andere regimes tot dan (bijv. NIS2, DORA)",
        "note_118": "Het formulier biedt hier één enkele keuze",
    },
}


def _switch(page, language):
    if language == "nl":
        page.get_by_label("Language").select_option("nl")
        page.get_by_role("button", name="Switch").click()
        page.wait_for_load_state()


@pytest.mark.parametrize("language", ["en", "nl"])
def test_the_follow_up_filing_shows_the_frozen_art_34_decision_and_the_templates_gaps(
    page, live_server, demo, language
):
    from django.utils import translation

    from filings.models import AuthorityFiling
    from readers import edpb

    follow_up = AuthorityFiling.objects.get(filing_type="follow_up")
    url = f"{live_server.url}/incidents/{follow_up.incident_id}/filings/{follow_up.pk}/"
    with translation.override(language):
        gap_label = str(edpb.FIELD_LABELS["field_99"])
    words = WORDS[language]
    log_in(page, live_server, "programme@demo.example")
    _switch(page, language)
    page.goto(url)
    page.wait_for_load_state("networkidle")
    text = page.locator("main").inner_text()
    assert words["decision"] in text and words["decided"] in text
    assert "Autoriteit Persoonsgegevens (NL)" in text
    gaps = page.locator("main table").filter(has_text=gap_label)
    assert gaps.count() >= 1 and words["obligation"] in gaps.last.inner_text()
    # Content schema 5: the reports under other regimes frozen at submission (the programme made
    # none), and the completeness view says in plain words why field 118 stays empty.
    assert words["regimes"] in text
    assert words["note_118"] in page.locator("main table").filter(has_text=words["note_118"]).last.inner_text()
    # The changes table: no heading or value broken inside a word ("Voorhe|en", "≈485.00|0" in
    # Dutch, when the "before" column, "—" on most rows, was squeezed to its narrowest).
    broken = page.locator("table.changes th, table.changes td").evaluate_all(
        """cells => cells.filter(cell => {
            const range = document.createRange();
            range.selectNodeContents(cell);
            const words = cell.textContent.trim().split(/\\s+/).length;
            return range.getClientRects().length > 0 && cell.textContent.trim().length > 0
                && words === 1 && new Set([...range.getClientRects()].map(r => Math.round(r.top))).size > 1;
        }).map(cell => cell.textContent.trim())"""
    )
    assert page.locator("table.changes").count() == 1 and broken == [], broken
    problems = violations(page, f"filing ({language})")[0]
    page.set_viewport_size({"width": 1280, "height": 900})
    page.shots.take(f"filing-{language}", full_page=True)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("language", ["en", "nl"])
def test_a_viewer_opening_the_metrics_is_told_why_not(page, live_server, demo, language):
    log_in(page, live_server, "viewer@demo.example")
    _switch(page, language)
    response = page.goto(f"{live_server.url}/metrics/")
    assert response.status == 403
    assert page.get_by_role("heading", name=WORDS[language]["refused"]).count() == 1
    page.shots.take(f"metrics-refused-{language}", full_page=True)
