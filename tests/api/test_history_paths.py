"""The API as a history path: every write through it records the member (or the
member a token acts for) and the reason the request gave, on every record it causes."""

from __future__ import annotations

from incidents.models import Incident
from tests.api.conftest import REASON, detail_url, session_client, token_client
from tests.evidence.history_paths import recording_history, unattributed


def test_an_api_create_by_session_records_the_member_and_the_requests_reason(officer, lab, now):
    with recording_history() as recorded:
        response = session_client(officer).post(
            "/api/incidents/",
            {"title": "Laptop stolen", "detected_at": "2025-08-20T09:30:00+02:00", "reason": REASON},
            format="json",
        )
    assert response.status_code == 201, response.json()
    records = recorded.excluding_system_actors()
    assert records and unattributed(records) == []
    assert {(r.history_user, r.history_change_reason) for r in records} == {(officer, REASON)}


def test_an_api_change_by_token_records_the_tokens_member_and_the_requests_reason(
    officer, lab, incident, make_token, now
):
    client = token_client(make_token(officer, lab, "privacy_officer").secret)
    etag = client.get(detail_url(incident))["ETag"]
    with recording_history() as recorded:
        response = client.patch(
            detail_url(incident),
            {"title": "Ransomware at the laboratory", "reason": "title agreed with legal"},
            format="json",
            HTTP_IF_MATCH=etag,
        )
    assert response.status_code == 200, response.json()
    records = recorded.excluding_system_actors()
    assert [r.instance_type for r in records] == [Incident]
    assert unattributed(records) == []
    assert (records[0].history_user, records[0].history_change_reason, records[0].title) == (
        officer,
        "title agreed with legal",
        "Ransomware at the laboratory",
    )


def test_an_api_write_refused_for_want_of_a_reason_records_nothing(officer, lab, incident, now):
    client = session_client(officer)
    etag = client.get(detail_url(incident))["ETag"]
    with recording_history() as recorded:
        response = client.patch(detail_url(incident), {"title": "No reason given"}, format="json", HTTP_IF_MATCH=etag)
    assert response.status_code == 400 and "reason" in response.json()["fields"]
    assert list(recorded) == []
