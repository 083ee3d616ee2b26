"""The browser's session works on the API too, with CSRF enforced on every write."""

from __future__ import annotations

from incidents.models import Incident
from tests.api.conftest import REASON, session_client


def test_a_session_write_without_the_csrf_token_is_refused(officer, now):
    client = session_client(officer, enforce_csrf=True)
    response = client.post("/api/incidents/", {"title": "Forged", "reason": REASON}, format="json")
    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]
    assert not Incident.objects.exists()


def test_a_session_write_with_the_csrf_token_goes_through(officer, now):
    client = session_client(officer, enforce_csrf=True)
    client.get("/admin/")  # any page that sets the cookie
    token = client.cookies["csrftoken"].value
    response = client.post(
        "/api/incidents/", {"title": "Genuine", "reason": REASON}, format="json", HTTP_X_CSRFTOKEN=token
    )
    assert response.status_code == 201, response.json()
