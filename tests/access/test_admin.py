"""Share links through the admin: created with a reason (token shown once), revoked with one."""

from __future__ import annotations

from access.log import token_hash
from access.models import ShareLink
from tests.incidents.test_admin import admin_url, form_errors

REASON = "AP asked for the deadlines in its letter of 19 August"


def add_post(incident, **overrides) -> dict:
    data = {
        "incident": incident.pk,
        "export_kind": "deadlines_ics",
        "recipient": "AP case handler",
        "expires_at_0": "2025-09-01T17:00",
        "expires_at_1": "Europe/Amsterdam",
        "expires_at_2": "",
        "change_reason": REASON,
    }
    data.update(overrides)
    return data


def test_legal_creates_a_link_in_the_admin_and_sees_the_token_once(client, lawyer, incident):
    client.force_login(lawyer)
    response = client.post(admin_url(ShareLink, "add"), add_post(incident))
    assert response.status_code == 302, form_errors(response)
    link = ShareLink.objects.get()
    assert (link.created_by, link.purpose, link.expires_tz) == (lawyer, REASON, "Europe/Amsterdam")
    shown = [str(m) for m in client.get(response["Location"]).context["messages"] if "/share/" in str(m)]
    token = shown[0].rsplit("/share/", 1)[1].strip("/")
    assert token_hash(token) == link.token_sha256
    assert token not in client.get(admin_url(ShareLink, "change", link.pk)).content.decode()


def test_a_viewer_cannot_add_links_in_the_admin(client, viewer, incident):
    client.force_login(viewer)
    assert client.post(admin_url(ShareLink, "add"), add_post(incident)).status_code == 403
    assert not ShareLink.objects.exists()


def test_an_officer_revokes_a_link_in_the_admin_with_the_reason(client, officer, make_link):
    created = make_link()
    client.force_login(officer)
    response = client.post(
        admin_url(ShareLink, "change", created.link.pk), {"revoke": "on", "change_reason": "answered"}
    )
    assert response.status_code == 302, form_errors(response)
    link = ShareLink.objects.get()
    assert (link.revoked_by, link.revocation_reason) == (officer, "answered")


def test_another_organisations_link_is_a_404_in_the_admin(client, outsider, make_link):
    created = make_link()
    client.force_login(outsider)
    assert client.get(admin_url(ShareLink, "change", created.link.pk)).status_code == 404
