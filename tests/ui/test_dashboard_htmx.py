"""The dashboard's htmx in Chromium: filters and the minute's refresh swap the list in place.

No reload: a value the test leaves on ``window`` survives, and the countdowns keep ticking in the
new list (countdown.js re-reads the server's time from each fresh list).
"""

from __future__ import annotations

from playwright.sync_api import expect

from tests.ui.conftest import log_in, next_text
from tests.ui.test_dashboard import card, seconds_in

TITLES = "li.incident-card h2 .title"


def test_a_filter_change_swaps_the_list_without_reloading_the_page(page, live_server, demo_officer, demo_board):
    log_in(page, live_server, "officer@demo.example")
    page.evaluate("window.breachtrackMarker = 'still here'")
    assert len(page.locator(TITLES).all_inner_texts()) == 3

    with page.expect_response(lambda response: "risk=high" in response.url and response.status == 200):
        page.get_by_label("Risk").select_option("high")  # no button press: the change is enough
    expect(page.locator("li.incident-card")).to_have_count(1)  # polled by Playwright: no eval under the CSP

    assert page.locator(TITLES).all_inner_texts() == ["Ransomware at the laboratory"]
    assert page.evaluate("window.breachtrackMarker") == "still here"  # the page was not reloaded
    assert "risk=high" in page.url  # the filtered view is a link one can share (hx-push-url)
    assert page.get_by_label("Risk").input_value() == "high"
    countdown = card(page, "Ransomware at the laboratory").locator(
        'tr[data-kind="authority_notification"] [data-countdown]'
    )
    before = countdown.inner_text()
    first = seconds_in(before)
    next_text(countdown, before)
    assert first - seconds_in(countdown.inner_text()) in (1, 2)  # still ticking in the swapped list
    page.shots.take("filtered", full_page=True)


def test_the_list_fetches_itself_again_and_keeps_ticking(page, live_server, demo_officer, demo_board, monkeypatch):
    monkeypatch.setattr("web.dashboard.views.REFRESH_SECONDS", 1)
    log_in(page, live_server, "officer@demo.example")
    page.evaluate("document.getElementById('board').dataset.before = 'refresh'")
    page.evaluate("window.breachtrackMarker = 'still here'")

    # The old list carried the mark; the fresh one from the server does not.
    page.locator("#board:not([data-before])").wait_for(timeout=5000)

    assert page.evaluate("window.breachtrackMarker") == "still here"
    assert len(page.locator(TITLES).all_inner_texts()) == 3
    countdown = card(page, "Stolen laptop").locator("[data-countdown]").first
    before = countdown.inner_text()
    first = seconds_in(before)
    next_text(countdown, before)
    assert first - seconds_in(countdown.inner_text()) in (1, 2)
