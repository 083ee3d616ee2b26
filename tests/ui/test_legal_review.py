"""Legal reviews the audit trail in a real browser: the timeline and its filters, the
register as it stood at a chosen local time, the CSV export, a share link, and the same pages in Dutch.

Data first (history written at chosen moments in the past with time-machine, then the clock is
real again), then only the browser: no ORM call while a page is open (see conftest.py).
"""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from tests.ui.conftest import PASSWORD, log_in

AMSTERDAM = ZoneInfo("Europe/Amsterdam")


@pytest.fixture
def case(demo_officer):
    """The lab's incident: 485,000 data subjects three hours ago, 715,000 one hour ago; a legal member."""
    from actions import incidents as services
    from breachtrack.history import system_actor
    from organisations import services as org_services
    from organisations.models import Role

    admin = system_actor("browser tests")
    lab = demo_officer.memberships.get().organisation
    lawyer = org_services.create_user(
        username="legal@demo.example",
        email="legal@demo.example",
        password=PASSWORD,
        actor=admin,
        reason="browser test persona",
    )
    org_services.add_member(lab, lawyer, role=Role.LEGAL, actor=admin, reason="browser test persona")
    now = timezone.now().replace(second=0, microsecond=0)
    with time_machine.travel(now - timedelta(hours=3), tick=False):
        incident = services.create_incident(
            organisation=lab,
            title="Ransomware at the laboratory",
            occurred_from_at=now - timedelta(days=5),
            actor=demo_officer,
            reason="first report",
        )
        services.record_estimate(
            incident,
            measure="data_subjects",
            low=485_000,
            known_at=now - timedelta(hours=4),
            source="first figure",
            actor=demo_officer,
            reason="first figure",
        )
    with time_machine.travel(now - timedelta(hours=1), tick=False):
        services.record_estimate(
            incident,
            measure="data_subjects",
            low=715_000,
            known_at=now - timedelta(hours=2),
            source="forensics",
            actor=demo_officer,
            reason="count revised after forensic report",
        )
    from notifications.models import SweepHeartbeat

    SweepHeartbeat.objects.create(pk=1, last_sweep_at=now + timedelta(minutes=10))  # no banner while the test runs
    between = (now - timedelta(hours=2)).astimezone(AMSTERDAM)
    return {
        "reference": incident.reference,
        "timeline": reverse("evidence:timeline", args=[incident.pk]),
        "between": between.strftime("%Y-%m-%dT%H:%M"),
    }


def test_legal_reads_filters_looks_back_exports_and_shares_the_timeline(page, live_server, case):
    log_in(page, live_server, "legal@demo.example")
    page.goto(live_server.url + case["timeline"])

    assert page.get_by_role("heading", level=1).inner_text() == "Timeline"
    rows = page.locator("table.timeline tbody tr")
    assert rows.filter(has_text="715,000").count() == 1 and rows.filter(has_text="485,000").count() == 1
    page.shots.take("timeline", full_page=True)

    page.get_by_label("Kind of entry").select_option("estimate")
    page.get_by_label("Text contains").fill("forensic")
    page.get_by_role("button", name="Apply filters").click()
    page.wait_for_url("**kind=estimate**")
    assert rows.count() == 1 and "715,000" in rows.first.inner_text()
    assert "(filtered)" in page.locator("p.count").inner_text()
    page.shots.take("filtered", full_page=True)

    page.get_by_label("The register as known at").fill(case["between"])
    page.get_by_role("button", name="Show").click()
    page.wait_for_url("**/as-of/**")
    counts = page.locator("li.estimate-data_subjects")
    assert "485,000" in counts.inner_text() and "715,000" not in page.content()
    page.shots.take("as-of", full_page=True)

    page.goto(live_server.url + case["timeline"])
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download CSV").click()
    download = download_info.value
    assert download.suggested_filename == f"{case['reference']}-timeline.csv"
    records = list(csv.reader(io.StringIO(open(download.path(), encoding="utf-8-sig").read())))
    assert records[0][0] == "schema" and records[1][0] == "breachtrack.timeline-csv/1"
    assert records[1][4] == case["reference"]
    summaries = [record[4] for record in records[4:]]
    assert any("485,000" in s for s in summaries) and any("715,000" in s for s in summaries)

    page.get_by_role("link", name="Share links").click()
    page.wait_for_url("**/share-links/")
    page.get_by_label("Export").select_option("timeline_pdf")
    page.get_by_label("For whom").fill("Autoriteit Persoonsgegevens, case handler")
    page.get_by_label("Why (recorded with the link)").fill("AP asked for the timeline")
    page.get_by_role("button", name="Make the link").click()
    page.wait_for_load_state()
    secret = page.get_by_label("Secret URL").input_value()
    assert secret.startswith(live_server.url + "/share/")
    row = page.locator("table.share-links tbody tr").filter(has_text="Autoriteit Persoonsgegevens")
    assert row.locator("td.state").inner_text() == "active"
    assert "legal@demo.example" in row.inner_text()
    page.shots.take("share-link", full_page=True)
    assert page.locator("table.share-links tbody tr").count() == 1

    page.reload()  # shown once: the POST redirected, so a reload is a GET that finds no secret
    assert page.get_by_label("Secret URL").count() == 0
    assert secret not in page.content()
    assert page.locator("table.share-links tbody tr").count() == 1  # and made no second link

    row.get_by_label("Why revoke it").fill("the AP has its copy")
    row.get_by_role("button", name="Revoke").click()
    page.wait_for_load_state()
    assert row.locator("td.state").inner_text().startswith("revoked")
    assert "the AP has its copy" in row.inner_text()
    page.shots.take("revoked", full_page=True)


def test_a_repeated_or_skipped_local_time_is_answered_on_the_page(page, live_server, case):
    log_in(page, live_server, "legal@demo.example")
    page.goto(live_server.url + case["timeline"])

    page.get_by_label("The register as known at").fill("2025-03-30T02:30")
    page.get_by_role("button", name="Show").click()
    page.wait_for_url("**/as-of/**")

    assert "does not exist in Europe/Amsterdam" in page.locator("#at-error").inner_text()
    assert page.get_by_label("The register as known at").get_attribute("aria-invalid") == "true"
    page.shots.take("gap", full_page=True)


def test_legal_switches_the_review_pages_to_dutch(page, live_server, case):
    log_in(page, live_server, "legal@demo.example")
    page.goto(live_server.url + case["timeline"])

    page.get_by_label("Language").select_option("nl")
    page.get_by_role("button", name="Switch").click()
    page.wait_for_load_state()

    assert page.url == live_server.url + case["timeline"]  # set_language sends the reader back
    assert page.locator("html").get_attribute("lang") == "nl"
    assert page.get_by_role("heading", level=1).inner_text() == "Tijdlijn"
    nav = page.get_by_role("navigation", name="Hoofdmenu")  # base.html's "Main", translated
    assert nav.get_by_role("link", name="Overzicht").count() == 1
    assert page.get_by_role("button", name="Vergelijken").count() == 1
    page.shots.take("dutch", full_page=True)
