"""The dashboard with htmx: one URL answers a full page, the filters and list, or the list alone.

htmx sends ``HX-Request`` (and ``HX-Target``, the id of the element to replace); the view picks
the fragment from them. These tests hold the contract between the templates' hx-* attributes and
the view; tests/ui/test_dashboard_htmx.py proves it in Chromium.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse

from web.dashboard.views import REFRESH_SECONDS

H = timedelta(hours=1)
URL = "/"


def htmx_get(client, target: str | None, **params):
    headers = {"HTTP_HX_REQUEST": "true", "HTTP_HX_CURRENT_URL": "http://testserver/?risk=high"}
    if target:
        headers["HTTP_HX_TARGET"] = target
    return client.get(reverse("dashboard:home"), params, **headers)


@pytest.fixture
def board(client, officer, make_incident):
    client.force_login(officer)
    make_incident(title="Ransomware at the lab", aware_ago=10 * H, risk_level="high")
    make_incident(title="Stolen laptop", aware_ago=60 * H)


def test_the_minutes_refresh_gets_the_list_alone(client, board):
    response = htmx_get(client, "board")
    body = response.content.decode()

    assert response.status_code == 200
    assert body.lstrip().startswith('<div id="board"')
    assert "<html" not in body and '<form class="filters"' not in body
    assert "Ransomware at the lab" in body and "Stolen laptop" in body
    # The fresh list asks again after the interval, with the same filters and page.
    assert f'hx-trigger="every {REFRESH_SECONDS}s"' in body


def test_a_filter_change_gets_the_filters_and_the_list(client, board):
    response = htmx_get(client, "dashboard", risk="high")
    body = response.content.decode()

    assert response.status_code == 200
    assert body.lstrip().startswith('<div class="dashboard" id="dashboard"')
    assert "<html" not in body and '<form class="filters"' in body
    assert "Ransomware at the lab" in body and "Stolen laptop" not in body
    # The refresh of the new list keeps the filter.
    assert 'hx-get="/?risk=high"' in body


def test_a_page_without_htmx_is_the_whole_page_and_every_answer_varies_on_the_headers(client, board):
    response = client.get(reverse("dashboard:home"))

    assert response.content.decode().lstrip().startswith("<!DOCTYPE html>")
    assert {"HX-Request", "HX-Target"} <= {part.strip() for part in response["Vary"].split(",")}
    assert {"HX-Request", "HX-Target"} <= {part.strip() for part in htmx_get(client, "board")["Vary"].split(",")}


def test_htmx_is_served_from_our_own_static_files(client, board):
    body = client.get(reverse("dashboard:home")).content.decode()

    assert '<script src="/static/django_htmx/htmx-2.min.js"' in body
    assert "allowEval" in body and '"historyCacheSize": 0' in body  # see base.html


def test_an_unknown_filter_in_an_htmx_request_is_a_400_fragment_naming_the_field(client, board):
    response = htmx_get(client, "dashboard", risk="catastrophic")
    body = response.content.decode()

    assert response.status_code == 400
    assert "<html" not in body
    assert "These filters could not be applied:" in body and "Risk:" in body
    assert "Stolen laptop" not in body


def test_an_htmx_request_whose_session_ended_sends_the_whole_page_to_log_in(client):
    response = htmx_get(client, "board")

    assert response.status_code == 200
    # Not a 302 that the browser would follow and whose login form htmx would swap into the list.
    assert response["HX-Redirect"].endswith("?next=/%3Frisk%3Dhigh")
    assert response.content == b""


def test_the_list_alone_costs_no_more_queries_than_the_page(client, board, django_assert_max_num_queries):
    with django_assert_max_num_queries(9):
        htmx_get(client, "board")
    with django_assert_max_num_queries(9):
        htmx_get(client, "dashboard")
