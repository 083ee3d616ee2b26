"""The dashboard page: a person's open incidents, most urgent first, each clock with its state."""

from __future__ import annotations

from datetime import timedelta

from django.urls import reverse


def test_a_logged_in_officer_lands_on_the_dashboard(client, officer, make_incident):
    make_incident(title="Laptop stolen", aware_ago=timedelta(hours=2))
    client.force_login(officer)
    response = client.get(reverse("dashboard:home"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Laptop stolen" in body
    print(body)
