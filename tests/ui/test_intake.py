"""The guided intake in a real browser: an officer records a breach like a person would.

Times are real (the browser's clock is), so every instant typed is computed from now, in
Europe/Amsterdam, before the browser opens; no ORM call is made while it is open.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from tests.ui.conftest import log_in

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
UTC = UTC


def typed(instant: datetime) -> str:
    """An instant as a person types it into a datetime-local field, on Amsterdam clocks."""
    return instant.astimezone(AMSTERDAM).strftime("%Y-%m-%dT%H:%M")


def latest_repeated_half_past_two(now: datetime) -> datetime:
    """The most recent 02:30 that happened twice in Amsterdam (a last Sunday of October), naive."""
    year = now.astimezone(AMSTERDAM).year
    while True:
        last_sunday = max(datetime(year, 10, day) for day in range(25, 32) if datetime(year, 10, day).weekday() == 6)
        local = last_sunday.replace(hour=2, minute=30)
        if local.replace(tzinfo=AMSTERDAM, fold=1) < now:
            return local
        year -= 1


def test_an_officer_records_a_new_incident_and_sees_its_clock(page, live_server, demo_officer, dutch_ap):
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    log_in(page, live_server, "officer@demo.example")

    page.get_by_role("link", name="New incident").first.click()
    page.wait_for_url(live_server.url + "/incidents/new/")
    assert page.get_by_label("Lead supervisory authority").input_value() == str(dutch_ap.pk)
    assert page.locator("#extortion-fields").is_hidden()  # shown only when ticked
    page.get_by_label("Title", exact=True).fill("Phishing: payroll mailbox taken over")
    page.get_by_label("Confidentiality: data seen or taken by someone who should not have it").check()
    page.get_by_label("Cause").select_option("phishing")
    page.get_by_label("What happened").fill("An employee entered their password on a fake login page.")
    page.get_by_label("Started at").fill(typed(now - timedelta(days=1)))
    page.get_by_label("We became aware at").fill(typed(now - timedelta(hours=2)))
    deadline = page.locator("#authority-deadline")
    assert deadline.inner_text().startswith("The 72 hours to the supervisory authority end at")  # computed live
    page.get_by_label("How we learnt of it").select_option("own_detection")
    page.get_by_label("Controller: we decide why and how the data is processed (Art. 4(7))").check()
    page.get_by_label("Contact details (e-mail, phone)").check()
    page.get_by_label("Financial data").check()
    page.get_by_label("Employees").check()
    page.get_by_label("People affected (or the lower bound)").fill("120")
    page.get_by_label("Someone is demanding money or threatening to publish").check()
    assert page.locator("#extortion-fields").is_visible()
    page.get_by_label("Someone is demanding money or threatening to publish").uncheck()
    page.get_by_label("Reason for recording this — kept as evidence").fill("Reported by the service desk")
    page.shots.take("filled", full_page=True)

    page.get_by_role("button", name="Record the incident").click()

    page.wait_for_url(re.compile(r"/incidents/\d+/$"))
    heading = page.get_by_role("heading", level=1).inner_text()
    assert heading.endswith("Phishing: payroll mailbox taken over")
    due = now - timedelta(hours=2) + timedelta(hours=72)
    assert page.locator(f'time[datetime="{due:%Y-%m-%dT%H:%M:%S}Z"]').count() >= 1  # the end of the 72 hours
    # The incident page's open deadlines, ticking like the dashboard's: about 70 hours to go.
    row = page.locator(
        'table.header-clocks tr[data-kind="authority_notification"]', has_text="Demo Diagnostics Laboratory B.V."
    )
    assert re.search(r"\b2 d (21|22):\d\d:\d\d left", row.inner_text()), row.inner_text()
    page.shots.take("incident", full_page=True)


def test_an_hour_that_happened_twice_is_asked_about_and_answered(page, live_server, demo_officer, dutch_ap):
    repeated = latest_repeated_half_past_two(datetime.now(UTC))
    aware = repeated.strftime("%Y-%m-%dT%H:%M")
    started = (repeated - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    log_in(page, live_server, "officer@demo.example")
    page.goto(live_server.url + "/incidents/new/")

    page.get_by_label("Title", exact=True).fill("Laptop stolen on the night the clocks went back")
    page.get_by_label("Started at").fill(started)
    page.get_by_label("We became aware at").fill(aware)
    # Without a unique instant the page does not guess the end of the 72 hours either.
    assert page.locator("#authority-deadline").inner_text().startswith("The supervisory authority must be notified")
    page.get_by_label("How we learnt of it").select_option("own_detection")
    page.get_by_label("Reason for recording this — kept as evidence").fill("Reported by the employee")
    page.get_by_role("button", name="Record the incident").click()

    page.wait_for_load_state()
    errors = page.locator("#field-aware_at .errorlist")
    assert f"{repeated:%Y-%m-%d} 02:30 happened twice in Europe/Amsterdam" in errors.inner_text()
    first = page.get_by_label("02:30 CEST (UTC+2), the first")
    second = page.get_by_label("02:30 CET (UTC+1), the second")
    assert not first.is_checked() and not second.is_checked()  # asked, not guessed
    assert page.get_by_label("We became aware at").input_value() == aware  # nothing retyped
    page.shots.take("asked", full_page=True)

    second.check()
    # Answered: now the end of the 72 hours is known, 72 real hours after 02:30 CET.
    expected = repeated.replace(tzinfo=AMSTERDAM, fold=1).astimezone(UTC) + timedelta(hours=72)
    assert (
        page.locator("#authority-deadline").inner_text().startswith("The 72 hours to the supervisory authority end at")
    )
    assert expected.astimezone(AMSTERDAM).strftime("%H:%M") in page.locator("#authority-deadline").inner_text()
    page.get_by_role("button", name="Record the incident").click()

    page.wait_for_url(re.compile(r"/incidents/\d+/$"))
    assert page.locator(f'time[datetime="{expected:%Y-%m-%dT%H:%M:%S}Z"]').count() >= 1
    page.shots.take("incident", full_page=True)
