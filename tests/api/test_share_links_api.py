"""Share links over the API: officers and legal create and revoke, the secret is shown once,
every member reads the list (never a secret), another organisation's link is a 404."""

from __future__ import annotations

from datetime import timedelta

import pytest

from access.models import ShareLink
from actions import sharing as services
from tests.api.conftest import REASON, session_client, token_client


def _body(**overrides):
    return {
        "export_kind": "timeline_pdf",
        "recipient": "AP case handler",
        "expires_at": "2025-08-27T12:00:00Z",
        "reason": REASON,
        **overrides,
    }


@pytest.fixture
def link(incident, officer, now):
    return services.create_share_link(
        incident,
        export_kind="timeline_json",
        recipient="AP",
        expires_at=now + timedelta(days=7),
        actor=officer,
        reason="AP",
    ).link


def test_legal_creates_a_link_whose_secret_works_once_shown_and_is_never_shown_again(incident, lawyer, viewer, client):
    response = session_client(lawyer).post(f"/api/incidents/{incident.pk}/share-links/", _body(), format="json")
    assert response.status_code == 201, response.content
    created = response.json()
    assert response["Cache-Control"] == "no-store"
    assert created["url"].endswith(f"/share/{created['token']}/")
    assert client.get(created["url"]).status_code == 200  # the regulator's download, without login
    listed = session_client(viewer).get(f"/api/incidents/{incident.pk}/share-links/")
    one = session_client(viewer).get(f"/api/share-links/{created['id']}/")
    for later in (listed, one):
        assert later.status_code == 200
        assert created["token"] not in later.content.decode()
        assert "token" not in later.content.decode()


def test_the_link_is_historied_with_its_actor_and_purpose(incident, officer):
    response = session_client(officer).post(f"/api/incidents/{incident.pk}/share-links/", _body(), format="json")
    row = ShareLink.objects.get(pk=response.json()["id"]).history.latest()
    assert (row.history_user, row.history_change_reason, row.purpose) == (officer, REASON, REASON)


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"expires_at": "2025-08-19T12:00:00Z"}, "expires_at"),
        ({"expires_at": "2027-01-01T12:00:00Z"}, "expires_at"),
        ({"export_kind": "everything"}, "export_kind"),
        ({"recipient": " "}, "recipient"),
        ({"reason": ""}, "reason"),
    ],
)
def test_a_bad_link_is_refused_on_its_field_and_nothing_is_made(incident, officer, overrides, field):
    response = session_client(officer).post(
        f"/api/incidents/{incident.pk}/share-links/", _body(**overrides), format="json"
    )
    assert response.status_code == 400 and field in response.json()["fields"], response.content
    assert not ShareLink.objects.exists()


def test_viewers_and_a_legal_users_viewer_token_may_not_share(incident, viewer, lawyer, lab, make_token):
    url = f"/api/incidents/{incident.pk}/share-links/"
    assert session_client(viewer).post(url, _body(), format="json").status_code == 403
    assert token_client(make_token(lawyer, lab, "viewer").secret).post(url, _body(), format="json").status_code == 403
    assert not ShareLink.objects.exists()


def test_a_legal_token_may_share(incident, lawyer, lab, make_token):
    client = token_client(make_token(lawyer, lab, "legal").secret)
    assert client.post(f"/api/incidents/{incident.pk}/share-links/", _body(), format="json").status_code == 201


def test_revoking_stops_the_link_at_once_and_a_second_revocation_is_refused(
    link, lawyer, client, incident, officer, now
):
    api = session_client(lawyer)
    token = services.create_share_link(
        incident,
        export_kind="timeline_json",
        recipient="AP",
        expires_at=now + timedelta(days=7),
        actor=officer,
        reason="AP",
    )
    response = api.post(f"/api/share-links/{token.link.pk}/revoke/", {"reason": "case closed"}, format="json")
    assert response.status_code == 200 and response.json()["revoked_by"] == lawyer.username
    assert client.get(f"/share/{token.token}/").status_code == 410
    again = api.post(f"/api/share-links/{token.link.pk}/revoke/", {"reason": "again"}, format="json")
    assert again.status_code == 400 and "revoked_at" in again.json()["fields"]


def test_a_viewer_may_not_revoke(link, viewer):
    assert (
        session_client(viewer).post(f"/api/share-links/{link.pk}/revoke/", {"reason": "x"}, format="json").status_code
        == 403
    )
    assert ShareLink.objects.get(pk=link.pk).revoked_at is None


def test_another_organisations_link_is_a_404_for_everything(link, outsider):
    client = session_client(outsider)
    assert client.get(f"/api/share-links/{link.pk}/").status_code == 404
    assert client.post(f"/api/share-links/{link.pk}/revoke/", {"reason": "x"}, format="json").status_code == 404
    assert client.get(f"/api/incidents/{link.incident_id}/share-links/").status_code == 404
    assert ShareLink.objects.get(pk=link.pk).revoked_at is None
