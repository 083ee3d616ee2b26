"""Text over its bound (breachtrack.limits) is refused by the API: 400, the field and the limit
named in the JSON error, and not a row or a history record written."""

from __future__ import annotations

import pytest
from django.utils import translation

from actions import incidents as services
from breachtrack import limits
from incidents.models import AwarenessRecord, Incident
from organisations import services as org_services
from tests.api.conftest import REASON, detail_url, session_client
from tests.test_history_guard import database_state

MEGABYTE = "x" * 1_048_576


@pytest.fixture(autouse=True)
def _english_after(db):
    """LocaleMiddleware leaves a Dutch request's language active in the thread: restore English,
    so the tests that run after these ones read their messages in English."""
    with translation.override("en"):
        yield


@pytest.fixture
def controller(incident, lab, officer):
    party = org_services.create_party(lab, name="Screening Programme", country="NL", actor=officer, reason="directory")
    return services.add_party(incident, party=party, role="controller", actor=officer, reason="parties")


def test_a_megabyte_description_is_a_400_naming_the_field_and_the_limit_and_writes_nothing(officer, lab, now):
    client = session_client(officer)  # the login writes its session first
    before = database_state()
    incidents, history = Incident.objects.count(), Incident.history.count()

    response = client.post(
        "/api/incidents/", {"title": "Laptop stolen", "description": MEGABYTE, "reason": REASON}, format="json"
    )

    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["description"]
    assert response.json()["fields"]["description"] == [f"Ensure this field has no more than {limits.TEXT} characters."]
    assert (Incident.objects.count(), Incident.history.count()) == (incidents, history)
    assert database_state() == before


def test_a_description_at_the_limit_is_stored_whole(officer, lab, now):
    text = "x" * limits.TEXT
    response = session_client(officer).post(
        "/api/incidents/", {"title": "Laptop stolen", "description": text, "reason": REASON}, format="json"
    )
    assert response.status_code == 201, response.json()
    assert Incident.objects.get().description == text


def test_a_change_to_a_megabyte_description_is_refused_in_dutch_too(officer, incident, now):
    client = session_client(officer)
    etag = client.get(detail_url(incident))["ETag"]  # the read is written to the access log
    before = database_state()

    response = client.patch(
        detail_url(incident),
        {"description": MEGABYTE, "reason": REASON},
        format="json",
        HTTP_IF_MATCH=etag,
        HTTP_ACCEPT_LANGUAGE="nl",
    )

    assert response.status_code == 400
    assert response.json()["fields"]["description"] == [
        f"Zorg ervoor dat dit veld niet meer dan {limits.TEXT} karakters bevat."
    ]
    assert database_state() == before


def test_awareness_evidence_over_the_limit_is_refused_and_nothing_is_written(incident, controller, officer, now):
    client = session_client(officer)
    before = database_state()
    records, history = AwarenessRecord.objects.count(), AwarenessRecord.history.count()

    response = client.post(
        f"/api/incidents/{incident.pk}/awareness/",
        {
            "party": controller.pk,
            "aware_at": "2025-07-04T09:12:00+02:00",
            "source": "own_detection",
            "evidence": "e" * (limits.TEXT + 1),
            "reason": REASON,
        },
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["fields"]["evidence"] == [f"Ensure this field has no more than {limits.TEXT} characters."]
    assert (AwarenessRecord.objects.count(), AwarenessRecord.history.count()) == (records, history)
    assert database_state() == before


@pytest.mark.parametrize(
    ("url", "body", "field", "limit"),
    [
        (
            "/api/incidents/{pk}/decisions-not-to-notify/",
            {"decided_at": "2025-07-04T09:12:00+02:00", "risk_basis": "unlikely_risk", "reasoning": "r" * 20_001},
            "reasoning",
            limits.TEXT,
        ),
        ("/api/incidents/{pk}/filings/", {"delay_reasons": "d" * 20_001}, "delay_reasons", limits.TEXT),
        ("/api/incidents/{pk}/filings/", {"withdrawal_reason": "w" * 2_001}, "withdrawal_reason", limits.REASON),
        ("/api/incidents/{pk}/awareness/", {"reason": "r" * 2_001}, "reason", limits.REASON),
    ],
    ids=["decision-reasoning", "filing-delay-reasons", "filing-withdrawal-reason", "reason"],
)
def test_text_the_serializers_declare_themselves_is_bounded_too(officer, incident, now, url, body, field, limit):
    client = session_client(officer)
    before = database_state()

    response = client.post(url.format(pk=incident.pk), body, format="json")

    assert response.status_code == 400
    assert f"Ensure this field has no more than {limit} characters." in response.json()["fields"][field]
    assert database_state() == before
