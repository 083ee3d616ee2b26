"""The guided extortion pages in a real browser, in English and in Dutch: an officer records the
threat, sets the countdown, renews it, sees it withdrawn and records a publication of 53,000 records
and 1.2 GB (the 2025 Dutch lab case's shape), without the admin.

Every guided page is checked by axe (no serious or critical violation) and at a phone's width
(390 px CSS, nothing wider than the screen). Times are real (the browser's clock is): every instant
typed is computed from now, on Amsterdam clocks, before the browser opens.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.ui.conftest import log_in
from tests.ui.test_accessibility import WIDEST, violations

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
H = timedelta(hours=1)

WORDS = {
    "en": {
        "threat": "Extortion threat recorded: Nova, first contact",
        "set": "Countdown revision recorded (Countdown set)",
        "extended": "Countdown revision recorded (Extended: a later deadline)",
        "withdrawn": "Countdown withdrawn, as announced",
        "publication": "Publication recorded:",
        "records": "53,000",
        "size": "1.2\u00a0GB",
        "typed_records": "53,000",
        "typed_amount": "1,100,000",
        "typed_size": "1.2 GB",
        "refused": "Nothing was recorded",
        "no_unit": "a bare number is ambiguous",
    },
    "nl": {
        "threat": "Afpersingsdreiging vastgelegd: Nova, eerste contact",
        "set": "Herziening van de aftelklok vastgelegd (Aftelklok ingesteld)",
        "extended": "Herziening van de aftelklok vastgelegd (Verlengd",
        "withdrawn": "Aftelklok ingetrokken, zoals aangekondigd",
        "publication": "Publicatie vastgelegd:",
        "records": "53.000",
        "size": "1,2\u00a0GB",
        "typed_records": "53.000",
        "typed_amount": "1.100.000",
        "typed_size": "1,2 GB",
        "refused": "Er is niets vastgelegd",
        "no_unit": "een kaal getal is dubbelzinnig",
    },
}


def typed(instant: datetime) -> str:
    return instant.astimezone(AMSTERDAM).strftime("%Y-%m-%dT%H:%M")


@pytest.fixture
def ransomware(demo_officer):
    """An open incident of the laboratory, aware 30 hours ago, with no extortion recorded yet."""
    from django.utils import timezone

    from notifications.models import SweepHeartbeat
    from tests.dashboard.conftest import open_incident

    now = timezone.now().replace(second=0, microsecond=0)
    lab = demo_officer.memberships.get().organisation
    incident = open_incident(lab, demo_officer, title="Ransomware at the laboratory", aware_ago=30 * H, now=now)
    SweepHeartbeat.objects.create(pk=1, last_sweep_at=now + timedelta(minutes=10))  # no banner while the test runs
    return {"pk": incident.pk, "now": now.astimezone(UTC)}


def check_page(page, label: str, problems: list[str]) -> None:
    """axe at the desktop width, then the page at a phone's width; back to the desktop."""
    page.wait_for_load_state("networkidle")
    problems += violations(page, label)[0]
    page.set_viewport_size({"width": 390, "height": 844})
    width = page.evaluate("document.documentElement.scrollWidth")
    if width > 390:
        problems.append(f"{label}: {width} px wide at 390 px; widest: {page.evaluate(WIDEST)}")
    page.shots.take(f"{label}-phone", full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})


def submit(page) -> None:
    page.locator("form.guided-form button[type=submit]").click()
    page.wait_for_load_state()


def fill_instant(page, name: str, instant: datetime) -> None:
    page.locator(f'[name="{name}_0"]').fill(typed(instant))
    page.locator(f'[name="{name}_1"]').select_option("Europe/Amsterdam")


@pytest.mark.parametrize("language", ["en", "nl"])
def test_an_officer_records_the_threat_its_countdown_and_a_publication(page, live_server, ransomware, language):
    words, now, problems = WORDS[language], ransomware["now"], []
    incident_url = f"{live_server.url}/incidents/{ransomware['pk']}/"
    log_in(page, live_server, "officer@demo.example")
    if language == "nl":
        page.get_by_label("Language").select_option("nl")
        page.get_by_role("button", name="Switch").click()
        page.wait_for_load_state()
    page.goto(incident_url)
    assert page.locator('a[href*="/admin/incidents/extortion"], a[href*="/admin/incidents/publication"]').count() == 0

    # 1. The threat, from the incident page's actions.
    page.locator(f'nav a[href="/incidents/{ransomware["pk"]}/extortion/threats/new/"]').click()
    page.wait_for_url("**/extortion/threats/new/")
    check_page(page, "threat-new", problems)
    page.locator('[name="actor_name"]').fill("Nova")
    fill_instant(page, "first_contact_at", now - 30 * H)
    page.locator('[name="channel"]').select_option("leak_site")
    page.locator('[name="demand_amount"]').fill(words["typed_amount"])
    page.locator('[name="demand_currency"]').fill("EUR")
    page.locator('[name="reason"]').fill("listed on the leak site")
    page.shots.take("threat-filled", full_page=True)
    submit(page)
    assert page.url == incident_url + "#extortion-h"
    assert words["threat"] in page.locator(".page-messages").inner_text()
    assert "CEST" in page.locator(".page-messages").inner_text() or "CET" in page.locator(".page-messages").inner_text()

    # 2. The countdown: set, then renewed later, each on the page that shows the chain so far.
    page.locator(".threat-actions a[href$='/countdown/']").click()
    check_page(page, "countdown-set", problems)
    page.locator('[name="kind"]').select_option("set")
    fill_instant(page, "announced_at", now - 29 * H)
    fill_instant(page, "deadline_at", now + 48 * H)
    page.locator('[name="source"]').fill("leak-site listing")
    page.locator('[name="reason"]').fill("countdown posted")
    submit(page)
    assert words["set"] in page.locator(".page-messages").inner_text()

    page.locator(".threat-actions a[href$='/countdown/']").click()
    assert page.locator("table.revisions tbody tr.revision-set").count() == 1  # the chain so far
    page.locator('[name="kind"]').select_option("extended")
    fill_instant(page, "announced_at", now - 5 * H)
    fill_instant(page, "deadline_at", now + 96 * H)
    page.locator('[name="reason"]').fill("countdown renewed")
    submit(page)
    assert words["extended"] in page.locator(".page-messages").inner_text()

    # 3. Withdrawn: the chain shows both revisions before it.
    page.locator(".threat-actions a[href$='/countdown/withdraw/']").click()
    assert page.locator("table.revisions tbody tr").count() == 2
    check_page(page, "countdown-withdraw", problems)
    fill_instant(page, "announced_at", now - 1 * H)
    page.locator('[name="source"]').fill("listing removed")
    page.locator('[name="reason"]').fill("the actor dropped the countdown")
    submit(page)
    assert words["withdrawn"] in page.locator(".page-messages").inner_text()
    assert page.locator("#extortion-h ~ article table.revisions tr.revision-withdrawn").count() == 1
    assert page.locator(".threat-actions a[href$='/countdown/withdraw/']").count() == 0  # nothing runs now

    # 4. A publication: a size without its unit is refused (400, the message on the field), then recorded.
    page.locator(f'.extortion-actions a[href="/incidents/{ransomware["pk"]}/extortion/publications/new/"]').click()
    check_page(page, "publication-new", problems)
    fill_instant(page, "published_at", now - 2 * H)
    page.locator('[name="location"]').fill("leak site, /lab")
    page.locator('[name="records_count"]').fill(words["typed_records"])
    page.locator('[name="size_bytes"]').fill("1.2")
    page.locator('[name="reason"]').fill("seen on the leak site")
    submit(page)
    assert words["refused"] in page.locator(".form-errors").inner_text()
    assert words["no_unit"] in page.locator(".field-size_bytes .field-error").inner_text()
    page.shots.take("publication-refused", full_page=True)
    check_page(page, "publication-refused", problems)
    page.locator('[name="size_bytes"]').fill(words["typed_size"])
    submit(page)
    message = page.locator(".page-messages").inner_text()
    assert words["publication"] in message and words["records"] in message and words["size"] in message
    amounts = page.locator("table.publications tbody tr").first.inner_text()
    assert words["records"] in amounts and words["size"] in amounts
    page.shots.take("incident-after", full_page=True)

    # 5. The Art. 34 reassessment the publication asks for.
    page.locator("table.publications a[href$='/reassess/']").click()
    check_page(page, "reassess", problems)
    page.locator('[name="outcome"]').fill("High risk: the patients are told (Art. 34).")
    page.locator('[name="reason"]').fill("DPO review")
    submit(page)
    assert page.locator("table.publications a[href$='/reassess/']").count() == 0
    check_page(page, "incident-done", problems)

    assert not problems, "accessibility or width problems:\n" + "\n".join(problems)
