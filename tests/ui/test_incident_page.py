"""The incident page in a real browser: an officer files the initial notification to the AP through
its form and sees it listed, frozen, with its answer sheet."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.ui.conftest import log_in


@pytest.fixture
def ransomware(demo_officer, dutch_ap):
    """An open incident of the laboratory, its own controller aware 10 hours ago, the AP its lead
    authority, and a register complete enough for a non-phased initial notification."""
    from django.utils import timezone

    from actions import incidents as services
    from breachtrack.history import system_actor
    from notifications.models import SweepHeartbeat
    from organisations import services as org_services
    from tests.dashboard.conftest import open_incident

    now = timezone.now().replace(microsecond=0)
    lab = demo_officer.memberships.get().organisation
    org_services.update_organisation(
        lab,
        dpo_name="J. de Vries",
        dpo_email="dpo@demo.example",
        actor=system_actor("browser tests"),
        reason="DPO",
    )
    lab.refresh_from_db()
    incident = open_incident(
        lab, demo_officer, title="Ransomware at the laboratory", aware_ago=timedelta(hours=10), now=now
    )
    services.add_authority(incident, authority=dutch_ap, role="lead", actor=demo_officer, reason="lead SA")
    services.update_incident(
        incident,
        is_confidentiality_breach=True,
        description="Criminal group copied screening results.",
        data_categories=["health", "identity"],
        data_subject_categories=["patients"],
        likely_consequences="Identity fraud, distress.",
        measures_containment="Systems isolated.",
        actor=demo_officer,
        reason="facts known",
    )
    for measure, low in (("data_subjects", 485_000), ("records", 1_200_000)):
        services.record_estimate(
            incident,
            measure=measure,
            low=low,
            known_at=now - timedelta(hours=5),
            source="lab count",
            actor=demo_officer,
            reason="first count",
        )
    services.record_estimate(
        incident,
        measure="data_subjects",
        low=715_000,
        high=760_000,
        known_at=now - timedelta(hours=1),
        source="second count",
        actor=demo_officer,
        reason="count revised",
    )
    SweepHeartbeat.objects.create(pk=1, last_sweep_at=now + timedelta(minutes=10))  # no banner while the test runs
    submitted = (now - timedelta(minutes=20)).astimezone(ZoneInfo("Europe/Amsterdam"))
    return {"pk": incident.pk, "reference": incident.reference, "submitted_local": submitted.strftime("%Y-%m-%dT%H:%M")}


def test_an_officer_files_the_initial_notification_and_sees_it_frozen(page, live_server, ransomware):
    log_in(page, live_server, "officer@demo.example")
    page.goto(f"{live_server.url}/incidents/{ransomware['pk']}/")

    assert ransomware["reference"] in page.get_by_role("heading", level=1).inner_text()
    clock = page.locator('.header-clocks tr[data-kind="authority_notification"]')
    assert clock.locator("[data-state-label]").inner_text() == "on track"
    assert clock.locator("[data-countdown]").inner_text().endswith(" left")
    assert page.locator(".estimate-chart svg circle").count() == 2
    page.locator("#filings").get_by_text("Nothing filed yet.").wait_for()
    page.shots.take("before", full_page=True)

    form = page.locator("#file-form")
    form.get_by_label("Submitted at").fill(ransomware["submitted_local"])
    form.get_by_label("time zone").select_option("Europe/Amsterdam")
    form.get_by_label("Authority's report number").fill("AP-2026-0001")
    form.get_by_label("Reason for recording it — kept as evidence").fill("filed through the AP's online form")
    form.get_by_role("button", name="Record the filing").click()
    page.wait_for_url(f"{live_server.url}/incidents/{ransomware['pk']}/#filings")

    assert "Filing recorded" in page.locator(".page-messages").inner_text()
    row = page.locator("#filings tr.filing-initial")
    assert row.count() == 1
    assert "Initial notification (Art. 33(1))" in row.inner_text() and "AP-2026-0001" in row.inner_text()
    assert row.locator(".frozen").inner_text() == "frozen"
    # The Art. 33(1) clock is met: it is no longer among the open deadlines.
    assert page.locator('.header-clocks tr[data-kind="authority_notification"]').count() == 0
    page.shots.take("filed", full_page=True)

    row.get_by_role("link", name="answer sheet").click()
    page.wait_for_load_state()
    assert "/ap-answer-sheet/" in page.url and "filing=" in page.url
    assert page.get_by_role("heading", level=1).inner_text() == "AP notification form: answer sheet"
    assert ransomware["reference"] in page.content()
    assert "715,000" in page.content()  # answered from the register as it stood at the filing
    page.shots.take("answer-sheet", full_page=True)
