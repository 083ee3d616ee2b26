"""The awareness and processor-notice pages in a real browser, in English and Dutch, checked by axe.

An officer opens them from the incident page (not the admin), records the processor's notice to
one controller and another controller's own awareness, and is back on the incident page with a
message naming the moment in their zone. The data is built before the browser opens; no ORM
call is made while it is open.
"""

from __future__ import annotations

import re
import shutil
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.ui.conftest import log_in
from tests.ui.test_accessibility import violations

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
MESSAGES = {
    "en": ("Recorded: Demo Diagnostics Laboratory B.V. told National Screening Programme at", "Recorded: Regional"),
    "nl": (
        "Vastgelegd: Demo Diagnostics Laboratory B.V. heeft National Screening Programme geïnformeerd op",
        "Vastgelegd: Regional",
    ),
}


def typed(instant: datetime) -> str:
    return instant.astimezone(AMSTERDAM).strftime("%Y-%m-%dT%H:%M")


@pytest.fixture
def lab_incident(demo_officer):
    """The lab as processor for two controllers, aware 30 hours ago; nobody told yet."""
    from django.utils import timezone

    from actions import incidents as services
    from notifications.models import SweepHeartbeat
    from organisations import services as org_services

    now = timezone.now().replace(second=0, microsecond=0)
    lab = demo_officer.memberships.get().organisation
    incident = services.create_incident(
        organisation=lab, title="Ransomware at the laboratory", occurred_from_at=now - timedelta(days=3),
        actor=demo_officer, reason="first report",
    )  # fmt: skip
    processor = services.add_party(
        incident, party=lab.parties.get(is_self=True), role="processor", actor=demo_officer, reason="parties"
    )
    linked = {}
    for name in ("National Screening Programme", "Regional Hospital"):
        party = org_services.create_party(lab, name=name, country="NL", actor=demo_officer, reason="directory")
        controller = services.add_party(incident, party=party, role="controller", actor=demo_officer, reason="r")
        linked[name] = (
            controller.pk,
            services.link_processor(
                incident, processor=processor, controller=controller, actor=demo_officer, reason="dpa"
            ).pk,
        )
    services.record_awareness(
        incident, party=processor, aware_at=now - timedelta(hours=30), source="own_detection",
        actor=demo_officer, reason="SOC alert",
    )  # fmt: skip
    SweepHeartbeat.objects.create(pk=1, last_sweep_at=now + timedelta(minutes=10))
    return {
        "programme": str(linked["National Screening Programme"][1]),
        "hospital": str(linked["Regional Hospital"][0]),
        "pk": incident.pk,
        "told": typed(now - timedelta(hours=20)),
        "aware": typed(now - timedelta(hours=5)),
    }


def axe_clean(page, label: str) -> None:
    blocking, other = violations(page, label)
    for line in other:
        print("axe (not blocking):", line)
    assert not blocking, "axe found serious accessibility violations:\n" + "\n".join(blocking)


def keep(path, language: str, label: str) -> None:
    shutil.copy(path, f"/tmp/aware-{language}-{label}.png")


@pytest.mark.parametrize("language", ["en", "nl"])
def test_an_officer_records_a_notice_and_an_awareness_from_the_incident_page(page, live_server, lab_incident, language):
    pk = lab_incident["pk"]
    log_in(page, live_server, "officer@demo.example")
    if language == "nl":
        page.get_by_label("Language").select_option("nl")
        page.get_by_role("button", name="Switch").click()
        page.wait_for_load_state()
    page.goto(f"{live_server.url}/incidents/{pk}/")
    assert page.locator('a[href*="/admin/incidents/awarenessrecord/add/"]').count() == 0

    # The processor's notice, from the link on the incident page.
    page.locator(f'nav.page-actions a[href="/incidents/{pk}/notices/new/"]').click()
    page.wait_for_url(f"{live_server.url}/incidents/{pk}/notices/new/")
    assert page.locator("html").get_attribute("lang") == language
    assert "Europe/Amsterdam" in page.locator("main").inner_text()
    page.locator('[name="reason"]').fill("x")
    page.locator("main form.intake button[type=submit]").click()  # nothing else filled: refused, 400, errors shown
    assert page.locator("#form-errors").is_visible()
    axe_clean(page, f"notice form with errors ({language})")
    keep(page.shots.take("notice-refused", full_page=True), language, "notice-refused")
    page.locator('[name="relationship"]').select_option(lab_incident["programme"])
    page.locator('[name="informed_at_0"]').fill(lab_incident["told"])
    page.locator('[name="channel"]').select_option("email")
    page.locator('[name="informed_by"]').fill("Lab security officer")
    page.locator('[name="reason"]').fill("The lab's e-mail to the programme")
    axe_clean(page, f"notice form ({language})")
    keep(page.shots.take("notice-filled", full_page=True), language, "notice-filled")
    page.locator("main form.intake button[type=submit]").click()

    page.wait_for_url(re.compile(rf"/incidents/{pk}/(#parties)?$"))
    message = page.locator(".page-messages").inner_text()
    assert message.startswith(MESSAGES[language][0]) and "(Europe/Amsterdam)" in message, message
    keep(page.shots.take("after-notice", full_page=True), language, "after-notice")

    # The other controller's own awareness, from its row's link.
    page.locator(f'a[href^="/incidents/{pk}/awareness/new/?party="]').first.click()
    page.wait_for_url(re.compile(rf"/incidents/{pk}/awareness/new/"))
    axe_clean(page, f"awareness form ({language})")
    page.locator('[name="party"]').select_option(lab_incident["hospital"])
    page.locator('[name="aware_at_0"]').fill(lab_incident["aware"])
    page.locator('[name="source"]').select_option("third_party")
    page.locator('[name="reason"]').fill("Journalist's call")
    keep(page.shots.take("awareness-filled", full_page=True), language, "awareness-filled")
    page.locator("main form.intake button[type=submit]").click()
    page.wait_for_url(re.compile(rf"/incidents/{pk}/(#parties)?$"))
    assert page.locator(".page-messages").inner_text().startswith(MESSAGES[language][1])
    # The programme is informed (its notice can be corrected); the hospital's notice is still to come.
    assert (
        page.locator(f'#parties table.processors a[href^="/incidents/{pk}/notices/"][href$="/correct/"]').count() == 1
    )
    assert page.locator(f'#parties a[href^="/incidents/{pk}/notices/new/?relationship="]').count() == 1
    assert page.locator(f'#parties a[href^="/incidents/{pk}/awareness/new/?party="]').count() == 0
    keep(page.shots.take("after-awareness", full_page=True), language, "after-awareness")
