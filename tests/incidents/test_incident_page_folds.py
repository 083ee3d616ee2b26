"""The incident page folds its long tables: the first rows (the counts: the latest), a link to all.

The fold is tested at a small limit (the page's is 50) so that a few controllers make a long table.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from actions import filings as filing_services
from actions import incidents as services
from tests.filings.conftest import controller, lead_ap  # noqa: F401 (fixtures)
from tests.incidents.test_incident_page import _grow, section

H = timedelta(hours=1)


@pytest.fixture
def four_controllers(incident, lab, officer, controller, lead_ap, now):
    """The controller (aware, filed) and three more, each told by the processor; three counts."""
    start = now - 100 * H
    services.record_awareness(
        incident, party=controller, aware_at=start - 5 * H, source="own_detection", actor=officer, reason="r"
    )
    filing_services.submit_filing(
        incident,
        controller=controller,
        authority=lead_ap,
        actor=officer,
        reason="initial",
        filing_type="initial",
        submitted_at=start - 4 * H,
        channel="ap_form",
        is_phased=True,
    )
    _grow(incident, lab, officer, lead_ap, controller, 3, offset=0, start=start)
    return incident


def _body(client, incident, query="") -> str:
    response = client.get(reverse("incidents:detail", args=[incident.pk]) + query)
    assert response.status_code == 200
    return response.content.decode()


def test_a_long_table_shows_its_first_rows_and_a_link_to_all_of_them(client, officer, four_controllers, monkeypatch):
    monkeypatch.setattr("web.incidents.page_views.ROWS_SHOWN", 2)
    client.force_login(officer)
    parties = section(_body(client, four_controllers), "parties-h")
    controllers = parties.split('class="list controllers"')[1].split("</table>")[0]
    assert controllers.count("<tr") == 1 + 2  # the header and two controllers
    assert "The first 2 of 4 are shown." in parties
    assert 'href="?all=1#parties"' in parties and "Show all 4" in parties


def test_the_counts_table_shows_the_latest_counts(client, officer, four_controllers, monkeypatch):
    monkeypatch.setattr("web.incidents.page_views.ROWS_SHOWN", 2)
    client.force_login(officer)
    counts = section(_body(client, four_controllers), "count-h")
    assert "The latest 2 of 3 are shown." in counts
    assert "100,002" in counts and "100,001" in counts and "100,000" not in counts.split("</svg>")[1]


def test_show_all_shows_every_row_with_the_same_queries(client, officer, four_controllers, monkeypatch):
    monkeypatch.setattr("web.incidents.page_views.ROWS_SHOWN", 2)
    client.force_login(officer)
    with CaptureQueriesContext(connection) as folded:
        _body(client, four_controllers)
    with CaptureQueriesContext(connection) as whole:
        body = _body(client, four_controllers, "?all=1")
    controllers = section(body, "parties-h").split('class="list controllers"')[1].split("</table>")[0]
    assert controllers.count("<tr") == 1 + 4
    assert 'class="fold"' not in body and 'href="?all=1' not in body
    assert len(whole) == len(folded)


def test_the_fold_speaks_dutch(client, officer, four_controllers, monkeypatch):
    monkeypatch.setattr("web.incidents.page_views.ROWS_SHOWN", 2)
    client.force_login(officer)
    response = client.get(reverse("incidents:detail", args=[four_controllers.pk]), headers={"accept-language": "nl"})
    body = response.content.decode()
    assert "De eerste 2 van 4 staan hier." in body and "Toon alle 4" in body
