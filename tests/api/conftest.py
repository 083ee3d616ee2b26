"""API clients for the shared personas: by session (as a browser) or by API token (as an integration)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from rest_framework.test import APIClient

from api import tokens

REASON = "ticket SEC-4711 from the SIEM"


@pytest.fixture
def make_token(admin_actor, now):
    def make(user, organisation, role, *, days=30, name="SIEM connector"):
        return tokens.create_api_token(
            organisation=organisation, user=user, role=role, name=name, expires_at=now + timedelta(days=days),
            actor=admin_actor, reason="integration for the SOC",
        )

    return make


def session_client(user, *, enforce_csrf=False) -> APIClient:
    client = APIClient(enforce_csrf_checks=enforce_csrf)
    client.force_login(user)
    return client


def token_client(secret: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    return client


def detail_url(incident) -> str:
    return f"/api/incidents/{incident.pk}/"
