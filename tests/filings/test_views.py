"""The read-only filing page: the content as submitted and what changed, scoped to the reader."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.urls import reverse

UTC = UTC


@pytest.fixture
def two_filings(submit, controller, complete_register, count):
    first = submit(controller, submitted_at=datetime(2025, 8, 20, 11, 0, tzinfo=UTC), authority_reference="AP-1")
    count(850_000, is_at_least=True, known_at=datetime(2025, 8, 20, 11, 10, tzinfo=UTC))
    second = submit(controller, filing_type="follow_up", submitted_at=datetime(2025, 8, 20, 11, 30, tzinfo=UTC))
    return first, second


@pytest.mark.parametrize("persona", ["officer", "lawyer", "viewer"])
def test_members_see_the_content_and_the_changes_since_the_previous_filing(client, request, persona, two_filings):
    first, second = two_filings
    client.force_login(request.getfixturevalue(persona))

    response = client.get(reverse("filings:detail", args=[second.incident_id, second.pk]))

    assert response.status_code == 200
    body = response.content.decode()
    assert "What changed since the previous filing" in body
    assert "≈485,000" in body and "≥850,000" in body
    assert "Criminal group copied screening results." in body
    assert second.content_sha256 in body
    assert reverse("filings:detail", args=[first.incident_id, first.pk]) in body
    assert [c.key for c in response.context["changes"]] == ["numbers.data_subjects"]


def test_another_organisations_filing_is_a_404(client, outsider, two_filings):
    first, _second = two_filings
    client.force_login(outsider)
    assert client.get(reverse("filings:detail", args=[first.incident_id, first.pk])).status_code == 404


def test_a_filing_under_another_incident_id_is_a_404(client, officer, two_filings, lab):
    from actions import incidents as services

    first, _second = two_filings
    other = services.create_incident(organisation=lab, title="Other", actor=officer, reason="report")
    client.force_login(officer)
    assert client.get(reverse("filings:detail", args=[other.pk, first.pk])).status_code == 404


def test_the_register_page_lists_the_filings_and_decisions(client, officer, two_filings):
    first, _second = two_filings
    client.force_login(officer)
    body = client.get(reverse("incidents:detail", args=[first.incident_id])).content.decode()
    assert "Filings to the supervisory authority" in body
    assert reverse("filings:detail", args=[first.incident_id, first.pk]) in body
    assert "AP-1" in body


def test_the_page_needs_a_login(client, two_filings):
    first, _second = two_filings
    response = client.get(reverse("filings:detail", args=[first.incident_id, first.pk]))
    assert response.status_code == 302


def test_the_register_page_shows_a_clock_met_by_a_filing(client, officer, submit, controller, complete_register):
    submit(controller)
    client.force_login(officer)
    body = client.get(reverse("incidents:detail", args=[complete_register.pk])).content.decode()
    assert "notified in time" in body and "left</span>" not in body


def test_the_register_page_shows_a_clock_closed_by_a_decision_not_to_notify(client, officer, incident, controller, now):
    from actions import filings as filing_services

    filing_services.record_decision_not_to_notify(
        incident,
        controller=controller,
        decided_at=now,
        risk_basis="unlikely_risk",
        reasoning="Two business e-mails.",
        actor=officer,
        reason="DPO decision",
    )
    client.force_login(officer)
    body = client.get(reverse("incidents:detail", args=[incident.pk])).content.decode()
    assert "decided not to notify" in body
    assert "not notified, because Unlikely to result in a risk" in body


def test_viewing_a_filing_is_logged_with_the_viewer_and_the_filing(client, viewer, two_filings):
    from access.models import AccessLog

    _first, second = two_filings
    client.force_login(viewer)
    client.get(reverse("filings:detail", args=[second.incident_id, second.pk]), REMOTE_ADDR="192.0.2.4")
    entry = AccessLog.objects.get()
    assert (entry.user, entry.incident_id, entry.action, entry.detail) == (
        viewer,
        second.incident_id,
        "filing_view",
        f"filing {second.pk}",
    )
    assert entry.ip_address == "192.0.2.4"
