"""The dashboard costs a bounded number of queries, whatever the number of incidents."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from readers.dashboard import PAGE_SIZE
from tests.dashboard.conftest import open_incident, set_countdown

BUDGET = 10  # at most 10 queries for a page of the dashboard, at any number of incidents
H = timedelta(hours=1)


def fill(lab, officer, now, count: int) -> None:
    """``count`` incidents whose clocks run out an hour apart (the first already overdue), every
    third with a threat actor's countdown, so every kind of row the page reads is there."""
    for k in range(count):
        incident = open_incident(lab, officer, title=f"Incident {k:03d}", aware_ago=(73 - k) * H, now=now)
        if k % 3 == 0:
            set_countdown(incident, officer, announced_at=now - H, deadline_at=now + (100 + k) * H)


def queries_for(client, **params) -> tuple[int, str]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(reverse("dashboard:home"), params)
    assert response.status_code == 200
    return len(captured), response.content.decode()


@pytest.mark.parametrize("count", [3, 2 * PAGE_SIZE + 5])
def test_a_page_of_the_dashboard_stays_within_the_query_budget(
    client, officer, lab, now, count, django_assert_max_num_queries
):
    fill(lab, officer, now, count)
    client.force_login(officer)
    for page_number in (1, 2, 3):
        with django_assert_max_num_queries(BUDGET):
            response = client.get(reverse("dashboard:home"), {"page": page_number})
        assert response.status_code == 200


def test_the_query_count_does_not_grow_with_the_incidents(client, officer, lab, now):
    client.force_login(officer)
    fill(lab, officer, now, 3)
    small, body = queries_for(client)
    assert body.count("<tr data-clock") == 3 + 1  # three legal clocks, one countdown
    fill(lab, officer, now, 2 * PAGE_SIZE)
    large, body = queries_for(client, page=2)
    assert body.count('<li class="incident-card') == PAGE_SIZE
    assert small == large <= BUDGET, (small, large)


def test_pages_follow_one_another_in_order_of_urgency(client, officer, lab, now):
    fill(lab, officer, now, PAGE_SIZE + 5)
    client.force_login(officer)
    listed = []
    for page_number in (1, 2):
        _, body = queries_for(client, page=page_number)
        listed += re.findall(r'<span class="reference">[^<]*</span><span class="title">Incident (\d+)</span></a>', body)
    assert listed == [f"{k:03d}" for k in range(PAGE_SIZE + 5)]
    assert "Page 2 of 2" in body
