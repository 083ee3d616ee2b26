"""GET /api/metrics/: the page's figures as JSON, for officers and legal of the organisation only."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.api.conftest import session_client

pytestmark = pytest.mark.django_db

H = timedelta(hours=1)


def figure(body, key):
    return next(f for section in body["sections"] for f in section["figures"] if f["key"] == key)


def test_the_officer_reads_the_figures_of_the_organisation(officer, lab, place, now):
    place(lab, started_at=now - 200 * H, met_after=100 * H, title="Late filing")
    response = session_client(officer).get("/api/metrics/")

    assert response.status_code == 200
    body = response.json()
    assert body["organisation"] == lab.pk
    assert figure(body, "art33_late")["number"] == 1
    assert figure(body, "art33_late")["incidents_url"].startswith("/metrics/incidents/?")
    worst = figure(body, "awareness_to_filing_worst")
    assert worst["number"] == 100.0 and "Late filing" in worst["summary"]


def test_the_period_filters_by_clock_start(officer, lab, place, now):
    place(lab, started_at=now - 200 * H, met_after=H)
    client = session_client(officer)
    since = (now - 100 * H).isoformat()
    assert figure(client.get("/api/metrics/", {"period_from": since}).json(), "art33_on_time")["number"] == 0
    assert figure(client.get("/api/metrics/").json(), "art33_on_time")["number"] == 1


def test_a_viewer_is_refused(viewer):
    assert session_client(viewer).get("/api/metrics/").status_code == 403


def test_another_organisation_is_unknown(outsider, lab):
    response = session_client(outsider).get("/api/metrics/", {"organisation": lab.pk})
    assert response.status_code == 400
    assert response.json()["fields"] == {"organisation": ["Unknown organisation."]}


@pytest.mark.parametrize(
    "params",
    [
        {"authority": "99999"},
        {"controller": str(2**70)},
        {"period_from": "soon"},
        {"organisation": "-1"},
        {"period_until": ""},
    ],
)
def test_bad_filters_are_a_400(officer, params):
    assert session_client(officer).get("/api/metrics/", params).status_code == 400


def test_the_route_is_documented(viewer):
    schema = session_client(viewer).get("/api/schema/?format=json").json()
    operation = schema["paths"]["/api/metrics/"]["get"]
    assert {p["name"] for p in operation["parameters"]} >= {"organisation", "period_from", "authority", "controller"}
    assert "403" in operation["responses"]
