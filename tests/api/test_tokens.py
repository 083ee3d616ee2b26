"""API tokens: hashed, bound to one organisation and role, expirable, revocable, last use recorded."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from api import tokens
from api.models import ApiToken
from organisations import services as org_services
from tests.api.conftest import REASON, detail_url, session_client, token_client


def test_only_the_sha256_of_the_secret_is_stored_and_the_secret_is_high_entropy(officer, lab, make_token):
    created = make_token(officer, lab, "viewer")
    stored = ApiToken.objects.get()
    assert created.secret.startswith("btk_") and len(created.secret) >= 4 + 43  # 32 random bytes, base64url
    assert stored.secret_sha256 == tokens.secret_hash(created.secret)
    assert created.secret not in {getattr(stored, field.attname) for field in ApiToken._meta.concrete_fields}
    assert stored.prefix == created.secret[:12]


def test_creating_a_token_is_historied_with_the_administrator_and_reason(officer, lab, make_token, admin_actor):
    created = make_token(officer, lab, "viewer")
    record = created.token.history.get()
    assert (record.history_user, record.history_change_reason) == (admin_actor, "integration for the SOC")


def test_a_token_reads_its_organisations_incidents(viewer, lab, incident, make_token):
    response = token_client(make_token(viewer, lab, "viewer").secret).get(detail_url(incident))
    assert response.status_code == 200
    assert response.json()["title"] == incident.title


def test_a_token_of_a_member_of_two_organisations_sees_only_its_own(
    officer, lab, other_org, admin_actor, incident, make_token
):
    org_services.add_member(other_org, officer, role="privacy_officer", actor=admin_actor, reason="second job")
    client = token_client(make_token(officer, other_org, "privacy_officer").secret)
    assert client.get(detail_url(incident)).status_code == 404
    assert client.get("/api/incidents/").json()["count"] == 0
    assert session_client(officer).get("/api/incidents/").json()["count"] == 1


@pytest.mark.parametrize(
    "header",
    ["Bearer btk_not-a-real-token", "Bearer", "Bearer a b", "Bearer \u00e9t\u00e9"],
)
def test_an_unknown_or_malformed_token_is_a_401_with_a_bearer_challenge(incident, header):
    from rest_framework.test import APIClient

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header.encode("utf-8").decode("latin-1"))
    response = client.get("/api/incidents/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'


def test_an_expired_token_is_refused(viewer, lab, incident, make_token, time_machine, now):
    client = token_client(make_token(viewer, lab, "viewer", days=1).secret)
    assert client.get("/api/incidents/").status_code == 200
    time_machine.move_to(now + timedelta(days=1), tick=False)
    assert client.get("/api/incidents/").status_code == 401


def test_a_revoked_token_is_refused_at_once_and_the_revocation_is_historied(
    viewer, lab, incident, make_token, admin_actor
):
    created = make_token(viewer, lab, "viewer")
    client = token_client(created.secret)
    assert client.get("/api/incidents/").status_code == 200
    tokens.revoke_api_token(created.token, actor=admin_actor, reason="SIEM decommissioned")
    assert client.get("/api/incidents/").status_code == 401
    latest = created.token.history.latest()
    assert (latest.revocation_reason, latest.history_change_reason) == ("SIEM decommissioned", "SIEM decommissioned")
    with pytest.raises(ValidationError):
        tokens.revoke_api_token(created.token, actor=admin_actor, reason="again")


def test_a_deactivated_or_demoted_user_loses_the_tokens_power(officer, lab, incident, make_token, admin_actor):
    officer_token = token_client(make_token(officer, lab, "privacy_officer").secret)
    viewer_token = token_client(make_token(officer, lab, "viewer").secret)
    membership = officer.memberships.get()
    org_services.update_membership(membership, role="viewer", actor=admin_actor, reason="moved to audit")
    assert officer_token.get("/api/incidents/").status_code == 401
    assert viewer_token.get("/api/incidents/").status_code == 200
    org_services.deactivate_user(officer, actor=admin_actor, reason="left the company")
    assert viewer_token.get("/api/incidents/").status_code == 401


def test_last_use_is_recorded_at_most_once_a_minute_and_leaves_no_history(
    viewer, lab, incident, make_token, time_machine, now
):
    created = make_token(viewer, lab, "viewer")
    client = token_client(created.secret)
    client.get("/api/incidents/")
    assert ApiToken.objects.get().last_used_at == now
    time_machine.move_to(now + timedelta(seconds=30), tick=False)
    client.get("/api/incidents/")
    assert ApiToken.objects.get().last_used_at == now
    time_machine.move_to(now + timedelta(seconds=61), tick=False)
    client.get("/api/incidents/")
    assert ApiToken.objects.get().last_used_at == now + timedelta(seconds=61)
    assert created.token.history.count() == 1


def test_a_read_only_token_of_an_officer_cannot_write(officer, lab, incident, make_token):
    client = token_client(make_token(officer, lab, "viewer").secret)
    etag = client.get(detail_url(incident))["ETag"]
    response = client.patch(detail_url(incident), {"title": "No", "reason": REASON}, format="json", HTTP_IF_MATCH=etag)
    assert response.status_code == 403


@pytest.mark.parametrize(
    ("role", "days", "field"),
    [("privacy_officer", 30, "role"), ("viewer", 0, "expires_at"), ("viewer", 400, "expires_at")],
)
def test_a_token_cannot_exceed_its_users_role_nor_live_too_long(viewer, lab, make_token, role, days, field):
    with pytest.raises(ValidationError) as refused:
        make_token(viewer, lab, role, days=days)
    assert list(refused.value.message_dict) == [field]
    assert not ApiToken.objects.exists()


def test_a_token_needs_a_membership_in_its_organisation(outsider, lab, make_token):
    with pytest.raises(ValidationError) as refused:
        make_token(outsider, lab, "viewer")
    assert list(refused.value.message_dict) == ["user"]


def test_only_an_administrator_makes_tokens(officer, lab, now):
    with pytest.raises(PermissionDenied):
        tokens.create_api_token(
            organisation=lab,
            user=officer,
            role="viewer",
            name="mine",
            expires_at=now + timedelta(days=1),
            actor=officer,
            reason="my script",
        )
