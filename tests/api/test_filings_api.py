"""Filings and decisions not to notify over the API: submitted once, frozen, scoped, logged."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from access.models import AccessLog
from actions import filings as filing_services
from actions import incidents as services
from filings.models import AuthorityFiling, NotificationDecisionRecord
from tests.api.conftest import REASON, session_client, token_client


def url(world, suffix="") -> str:
    return f"/api/incidents/{world.incident.pk}/filings/{suffix}"


def follow_up(world, now, **extra) -> dict:
    return {
        "controller": world.controller.pk,
        "authority": world.authority.pk,
        "filing_type": "follow_up",
        "submitted_at": (now - timedelta(minutes=5)).isoformat(),
        "channel": "ap_form",
        "reason": REASON,
        **extra,
    }


def state():
    return (
        AuthorityFiling.objects.count(),
        AuthorityFiling.history.count(),
        NotificationDecisionRecord.objects.count(),
    )


def test_an_officer_submits_a_follow_up_chained_to_the_initial_with_its_content_frozen(world, officer, now):
    response = session_client(officer).post(url(world), follow_up(world, now), format="json")
    assert response.status_code == 201
    data = response.json()
    filing = AuthorityFiling.objects.get(pk=data["id"])
    assert response["Location"] == url(world, f"{filing.pk}/")
    assert data["previous"] == world.filing.pk and data["filing_type"] == "follow_up"
    assert data["content_sha256"] == filing.content_sha256 and data["content"] == filing.content
    assert data["submitted_by"] == (officer.get_full_name() or officer.get_username())
    history = filing.history.get()
    assert history.history_user == officer and history.history_change_reason == REASON


def test_a_filing_is_read_with_its_content_and_the_read_is_logged_like_the_web_page(world, lawyer):
    response = session_client(lawyer).get(url(world, f"{world.filing.pk}/"))
    assert response.status_code == 200 and response.json()["content"] == world.filing.content
    log = AccessLog.objects.get(action="filing_view")
    assert log.user == lawyer and log.incident_id == world.incident.pk and log.detail == f"API filing {world.filing.pk}"


def test_the_list_is_logged_and_shows_the_chain(world, viewer, lab, make_token, officer):
    client = token_client(make_token(officer, lab, "viewer").secret)
    response = client.get(url(world))
    assert response.status_code == 200 and [row["id"] for row in response.json()["results"]] == [world.filing.pk]
    assert "content" not in response.json()["results"][0]  # the list stays light: content is on the detail
    assert AccessLog.objects.get(action="filing_view").detail.startswith("API filings, token ")


@pytest.mark.parametrize("method", ["put", "patch", "delete"])
def test_a_submitted_filing_can_never_be_changed(world, officer, method):
    before = AuthorityFiling.history.count()
    response = getattr(session_client(officer), method)(
        url(world, f"{world.filing.pk}/"), {"channel": "email"}, format="json"
    )
    assert response.status_code == 405 and AuthorityFiling.history.count() == before


def test_the_authority_reference_is_added_once(world, officer):
    client = session_client(officer)
    target = url(world, f"{world.filing.pk}/authority-reference/")
    first = client.post(target, {"authority_reference": "AP-2025-0815", "reason": REASON}, format="json")
    assert first.status_code == 200 and first.json()["authority_reference"] == "AP-2025-0815"
    second = client.post(target, {"authority_reference": "AP-9999", "reason": REASON}, format="json")
    assert second.status_code == 400 and "authority_reference" in second.json()["fields"]
    world.filing.refresh_from_db()
    assert world.filing.authority_reference == "AP-2025-0815" and world.filing.history.count() == 2


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"submitted_at": "2099-01-01T00:00:00+00:00"}, "submitted_at"),
        ({"submitted_at": "2025-08-20T14:00:00"}, "submitted_at"),  # no offset
        ({"filing_type": "initial"}, "filing_type"),  # already notified
        ({"filing_type": "withdrawal"}, "withdrawal_reason"),
        ({"controller": 999_999}, "controller"),
        ({"authority": 999_999}, "authority"),
        ({"content": {"forged": True}}, "content"),  # not a field a caller sets
        ({"reason": ""}, "reason"),
    ],
)
def test_bad_input_is_a_400_naming_the_field_and_writes_nothing(world, officer, now, change, field):
    before = state()
    response = session_client(officer).post(url(world), follow_up(world, now, **change), format="json")
    assert response.status_code == 400 and field in response.json()["fields"], response.json()
    assert state() == before


def test_an_incomplete_filing_is_refused_unless_phased(world, officer, now, other_org, admin_actor):
    services.update_incident(world.incident, likely_consequences="", actor=officer, reason="unknown after all")
    client = session_client(officer)
    refused = client.post(url(world), follow_up(world, now), format="json")
    assert refused.status_code == 400 and "is_phased" in refused.json()["fields"]
    assert client.post(url(world), follow_up(world, now, is_phased=True), format="json").status_code == 201


def test_legal_and_viewers_read_but_cannot_file(world, lawyer, viewer, now):
    for person in (lawyer, viewer):
        client = session_client(person)
        assert client.get(url(world)).status_code == 200
        assert client.post(url(world), follow_up(world, now), format="json").status_code == 403
    assert AuthorityFiling.objects.count() == 1


def test_another_organisations_ids_are_404_even_under_its_own_incident(world, outsider, other_org, now):
    from actions.incidents import create_incident

    own = create_incident(organisation=other_org, title="Their own", actor=outsider, reason="theirs")
    client = session_client(outsider)
    for target in (
        url(world),
        url(world, f"{world.filing.pk}/"),
        url(world, f"{world.filing.pk}/authority-reference/"),
    ):
        assert client.get(target).status_code in (404, 405)
        assert client.post(target, follow_up(world, now), format="json").status_code in (404, 405)
    # The lab's filing id under the outsider's own incident: still not found.
    response = client.get(f"/api/incidents/{own.pk}/filings/{world.filing.pk}/")
    assert response.status_code == 404 and world.incident.title not in response.content.decode()
    assert AuthorityFiling.objects.count() == 1 and not AccessLog.objects.filter(user=outsider).exists()


def test_a_decision_not_to_notify_is_recorded_for_a_controller_without_a_filing(world, officer, now):
    target = f"/api/incidents/{world.incident.pk}/decisions-not-to-notify/"
    body = {
        "controller": world.second_controller.pk,
        "decided_at": (now - timedelta(minutes=5)).isoformat(),
        "risk_basis": "unlikely_risk",
        "reasoning": "Only pseudonymised lab numbers.",
        "reason": REASON,
    }
    client = session_client(officer)
    created = client.post(target, body, format="json", HTTP_IDEMPOTENCY_KEY="decision-1")
    assert created.status_code == 201 and created.json()["controller"] == world.second_controller.pk
    replay = client.post(target, body, format="json", HTTP_IDEMPOTENCY_KEY="decision-1")
    assert replay["Idempotent-Replayed"] == "true" and NotificationDecisionRecord.objects.count() == 1
    refused = client.post(target, {**body, "controller": world.controller.pk}, format="json")
    assert refused.status_code == 400 and refused.json()["fields"]["controller"] == [
        "This controller already notified the authority."
    ]
    listed = client.get(target).json()["results"]
    assert [row["id"] for row in listed] == [created.json()["id"]]


def _add_filings(world, officer, now, count: int, start: int) -> None:
    for second in range(start, start + count):
        filing_services.submit_filing(
            world.incident,
            controller=world.controller,
            authority=world.authority,
            filing_type="follow_up",
            submitted_at=now - timedelta(minutes=29) + timedelta(seconds=second),
            channel="email",
            is_phased=True,
            actor=officer,
            reason="phase",
        )


def test_the_list_costs_the_same_queries_at_two_sizes(world, officer, now):
    client = session_client(officer)
    client.get(url(world))  # warm the session
    _add_filings(world, officer, now, 2, start=0)
    with CaptureQueriesContext(connection) as small:
        assert len(client.get(url(world)).json()["results"]) == 3
    _add_filings(world, officer, now, 20, start=2)
    with CaptureQueriesContext(connection) as large:
        assert len(client.get(url(world)).json()["results"]) == 23
    assert len(small) == len(large) <= 10
