"""``?page=`` must name a page: empty is a 400 naming the parameter, not silently page 1."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db


def test_an_empty_page_number_is_refused_by_name(officer):
    client = APIClient()
    client.force_login(officer)
    response = client.get("/api/incidents/", {"page": ""})
    assert response.status_code == 400, response.content
    assert "page" in response.content.decode()


def test_a_page_number_still_pages(officer):
    client = APIClient()
    client.force_login(officer)
    assert client.get("/api/incidents/", {"page": "1"}).status_code == 200
    assert client.get("/api/incidents/", {"page": "9"}).status_code == 404
