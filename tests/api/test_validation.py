"""Bad input is a 400 naming the field, and nothing is written."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from actions import incidents as services
from incidents.models import Incident
from tests.api.conftest import REASON, detail_url, session_client


@pytest.fixture
def patch(officer, incident):
    """PATCH with the current ETag; returns the response."""
    client = session_client(officer)

    def send(body):
        etag = client.get(detail_url(incident))["ETag"]
        return client.patch(detail_url(incident), body, format="json", HTTP_IF_MATCH=etag)

    return send


def _unchanged(incident):
    assert incident.history.count() == 1
    stored = Incident.objects.get(pk=incident.pk)
    assert (stored.title, stored.detected_at, stored.occurred_from_at) == (
        incident.title,
        incident.detected_at,
        incident.occurred_from_at,
    )


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"detected_at": "yesterday"}, "detected_at", "Datetime has wrong format"),
        ({"detected_at": 1751580000}, "detected_at", "Datetime has wrong format"),
        ({"detected_at": "2025-07-04T10:00:00"}, "detected_at", "UTC offset"),
        ({"detected_at": "2025-13-40T10:00:00Z"}, "detected_at", "Datetime has wrong format"),
        ({"detected_at": "2025-07-01T10:00:00Z"}, "detected_at", "cannot be detected before it started"),
        ({"detected_at": "2025-08-21T12:00:00Z"}, "detected_at", "lies in the future"),
        ({"occurred_until_at": "2025-07-01T00:00:00Z"}, "occurred_until_at", "cannot end before it started"),
        ({"detected_tz": "Mars/Olympus_Mons"}, "detected_tz", "not a known time zone"),
        ({"cause": "gremlins"}, "cause", "not a valid choice"),
        ({"data_categories": ["health", "horoscope"]}, "data_categories", "not a valid choice"),
        ({"data_categories": "health"}, "data_categories", "Expected a list"),
        ({"is_ongoing": "perhaps"}, "is_ongoing", "Give true or false"),
        ({"reference": "2025-9999"}, "reference", "cannot be changed here"),
        ({"status": "closed"}, "status", "cannot be changed here"),
        ({"organisation": 1}, "organisation", "cannot be changed here"),
        ({"colour": "red"}, "colour", "cannot be changed here"),
        ({"title": ""}, "title", "may not be blank"),
    ],
)
def test_an_impossible_or_malformed_change_is_a_400_on_its_field_and_writes_nothing(
    patch, incident, now, body, field, message
):
    response = patch({**body, "reason": REASON})
    assert response.status_code == 400
    errors = response.json()["fields"]
    assert list(errors) == [field]
    assert message in str(errors[field])  # a list field names the bad element: {"1": [...]}
    _unchanged(incident)


def test_a_change_without_a_reason_is_refused_and_writes_nothing(patch, incident, now):
    for body in ({"title": "No reason"}, {"title": "Blank", "reason": "   "}):
        response = patch(body)
        assert response.status_code == 400
        assert list(response.json()["fields"]) == ["reason"]
    _unchanged(incident)


def test_a_change_naming_no_field_is_refused(patch, incident, now):
    response = patch({"reason": REASON})
    assert response.status_code == 400
    _unchanged(incident)


def test_a_start_after_a_partys_awareness_is_refused_on_the_start(
    patch, officer, incident, processor_and_controller, now
):
    processor, _controller, _relationship = processor_and_controller
    services.record_awareness(
        incident,
        party=processor,
        aware_at=datetime(2025, 7, 4, 8, 0, tzinfo=UTC),
        source="own_detection",
        actor=officer,
        reason="SOC call",
    )
    response = patch({"occurred_from_at": "2025-07-05T00:00:00+02:00", "reason": REASON})
    assert response.status_code == 400
    assert "already aware" in response.json()["fields"]["occurred_from_at"][0]
    assert Incident.objects.get(pk=incident.pk).occurred_from_at == incident.occurred_from_at


def test_an_instant_given_with_its_offset_is_stored_in_utc_with_the_zone_named(patch, officer, incident, now):
    response = patch({"detected_at": "2025-07-04T10:00:00+02:00", "detected_tz": "Europe/Amsterdam", "reason": REASON})
    assert response.status_code == 200, response.json()
    assert (response.json()["detected_at"], response.json()["detected_tz"]) == (
        "2025-07-04T08:00:00Z",
        "Europe/Amsterdam",
    )


def test_a_body_that_is_not_a_json_object_is_a_400(officer, now):
    client = session_client(officer)
    response = client.post("/api/incidents/", '["not", "an", "object"]', content_type="application/json")
    assert response.status_code == 400
    response = client.post("/api/incidents/", "{broken", content_type="application/json")
    assert response.status_code == 400
    assert not Incident.objects.exists()
