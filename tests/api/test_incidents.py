"""Incidents over the API: scoped reads, writes through the services with the request's reason."""

from __future__ import annotations

from access.models import AccessLog
from incidents.models import Incident
from tests.api.conftest import REASON, detail_url, session_client, token_client


def test_an_officer_lists_only_her_organisations_incidents(officer, outsider, incident, other_org):
    from actions import incidents as services

    services.create_incident(organisation=other_org, title="Elsewhere's own", actor=outsider, reason="theirs")
    body = session_client(officer).get("/api/incidents/").json()
    assert [row["reference"] for row in body["results"]] == [incident.reference]
    assert body["count"] == 1


def test_reading_an_incident_gives_utc_instants_with_their_entry_zone_and_an_etag(officer, incident):
    response = session_client(officer).get(detail_url(incident))
    assert response.status_code == 200
    assert response.json()["occurred_from_at"] == "2025-07-03T22:00:00Z"
    assert response.json()["occurred_from_tz"] == incident.occurred_from_tz
    assert response["ETag"].startswith('"') and len(response["ETag"]) == 66


def test_reading_an_incident_is_written_to_the_access_log_with_the_token(viewer, lab, incident, make_token):
    created = make_token(viewer, lab, "viewer")
    token_client(created.secret).get(detail_url(incident))
    entry = AccessLog.objects.get()
    assert (entry.user, entry.incident, entry.action) == (viewer, incident, "incident_view")
    assert entry.detail == f"API incident, token {created.token.prefix}"


def test_an_officer_creates_an_incident_with_the_reason_from_the_request(officer, lab, now):
    response = session_client(officer).post(
        "/api/incidents/",
        {"title": "Laptop stolen", "detected_at": "2025-08-20T09:30:00+02:00", "reason": REASON},
        format="json",
    )
    assert response.status_code == 201, response.json()
    incident = Incident.objects.get(pk=response.json()["id"])
    assert (incident.organisation, incident.title) == (lab, "Laptop stolen")
    assert incident.detected_at.isoformat() == "2025-08-20T07:30:00+00:00"
    record = incident.history.get()
    assert (record.history_user, record.history_change_reason) == (officer, REASON)


def test_a_token_creates_in_its_own_organisation_and_the_change_is_attributed_to_its_user(
    officer, lab, make_token, now
):
    secret = make_token(officer, lab, "privacy_officer").secret
    response = token_client(secret).post("/api/incidents/", {"title": "Phishing", "reason": REASON}, format="json")
    assert response.status_code == 201, response.json()
    assert Incident.objects.get(pk=response.json()["id"]).history.get().history_user == officer


def test_a_member_of_two_organisations_must_name_the_organisation(officer, lab, other_org, admin_actor, now):
    from organisations import services as org_services

    org_services.add_member(other_org, officer, role="privacy_officer", actor=admin_actor, reason="second job")
    client = session_client(officer)
    response = client.post("/api/incidents/", {"title": "Which one?", "reason": REASON}, format="json")
    assert response.status_code == 400
    assert "organisation" in response.json()["fields"]
    response = client.post(
        "/api/incidents/", {"title": "This one", "organisation": other_org.pk, "reason": REASON}, format="json"
    )
    assert response.status_code == 201
    assert Incident.objects.get().organisation == other_org


def test_naming_another_organisation_is_refused_like_a_missing_one(officer, other_org, now):
    client = session_client(officer)
    for organisation in (other_org.pk, 987654):
        response = client.post(
            "/api/incidents/", {"title": "X", "organisation": organisation, "reason": REASON}, format="json"
        )
        assert (response.status_code, response.json()["fields"]) == (400, {"organisation": ["Unknown organisation."]})
    assert not Incident.objects.exists()


def test_the_parts_of_an_incident_are_read_only_lists(officer, incident, processor_and_controller, now):
    from actions import incidents as services

    processor, _controller, _relationship = processor_and_controller
    services.record_awareness(
        incident,
        party=processor,
        aware_at=incident.occurred_from_at,
        source="own_detection",
        actor=officer,
        reason="SOC call",
    )
    services.record_estimate(
        incident,
        measure="data_subjects",
        low=485000,
        known_at=now,
        source="lab count",
        actor=officer,
        reason="count",
    )
    client = session_client(officer)
    parties = client.get(detail_url(incident) + "parties/").json()
    assert {party["role"] for party in parties} == {"processor", "controller"}
    awareness = client.get(detail_url(incident) + "awareness/").json()
    assert [(row["party"], row["aware_at"]) for row in awareness] == [(processor.pk, "2025-07-03T22:00:00Z")]
    assert client.get(detail_url(incident) + "estimates/").json()[0]["low"] == 485000
    deadlines = client.get(detail_url(incident) + "deadlines/").json()
    assert deadlines and all(row["state"] in {"pending", "overdue", "met_on_time", "met_late"} for row in deadlines)


def test_a_viewer_is_refused_a_create_before_her_input_is_judged(viewer, now):
    response = session_client(viewer).post("/api/incidents/", {"title": ""}, format="json")
    assert response.status_code == 403
    assert not Incident.objects.exists()


def test_each_deadline_row_gives_the_1182_71_outer_bound_of_the_72_hours_and_none_for_targets(
    officer, incident, processor_and_controller, now
):
    from datetime import timedelta

    from actions import incidents as services

    processor, controller, relationship = processor_and_controller
    services.record_awareness(
        incident, party=processor, aware_at=now - timedelta(hours=5), source="own_detection", actor=officer, reason="r"
    )
    services.record_awareness(
        incident,
        party=controller,
        aware_at=now - timedelta(hours=2, minutes=30),  # 09:30 UTC
        source="processor_notice",
        actor=officer,
        reason="r",
    )
    rows = {row["kind"]: row for row in session_client(officer).get(detail_url(incident) + "deadlines/").json()}

    assert rows["authority_notification"]["due_at"] == "2025-08-23T09:30:00Z"
    assert rows["authority_notification"]["outer_bound_at"] == "2025-08-23T10:00:00Z"  # floor(09:30) + 73 h
    assert rows["processor_notice"]["outer_bound_at"] is None
