"""The extortion admins: every save through actions.extortion, refusals shown, nothing half-written."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.urls import reverse

from actions import extortion
from incidents.models import ExtortionCountdown, ExtortionThreat, Publication
from notifications.models import Deadline, DeadlineKind

REASON = "screenshot of the leak site, 20 August 14:05"


def url(model, view, *args):
    return reverse(f"admin:incidents_{model._meta.model_name}_{view}", args=args)


def instant(name, wall_clock, zone="Europe/Amsterdam", fold=""):
    return {f"{name}_0": wall_clock, f"{name}_1": zone, f"{name}_2": fold}


def errors(response) -> str:
    return str(response.context["adminform"].form.errors) if response.context else f"status {response.status_code}"


@pytest.fixture
def threat(incident, officer, now):
    return extortion.record_threat(
        incident,
        actor_name="Kraken Collective",
        first_contact_at=datetime(2025, 8, 17, 8, 0, tzinfo=UTC),
        channel="leak_site",
        actor=officer,
        reason="listed",
    )


def test_an_officer_records_a_threat_with_its_demand_and_police_report(client, officer, incident, now):
    client.force_login(officer)
    response = client.post(
        url(ExtortionThreat, "add"),
        {
            "incident": incident.pk,
            "actor_name": "Kraken Collective",
            "channel": "leak_site",
            **instant("first_contact_at", "2025-08-17T10:00"),
            "demand_amount": "1100000",
            "demand_currency": "eur",
            "demand_payment_method": "bitcoin",
            "payment_decision": "undecided",
            **instant("payment_decided_at", ""),
            **instant("police_reported_at", "2025-08-18T09:00"),
            "police_reference": "PL0900-2025-1",
            "change_reason": REASON,
        },
    )
    assert response.status_code == 302, errors(response)
    threat = ExtortionThreat.objects.get()
    assert (threat.first_contact_at, threat.first_contact_tz) == (
        datetime(2025, 8, 17, 8, 0, tzinfo=UTC),
        "Europe/Amsterdam",
    )
    assert (threat.demand_currency, threat.police_reference, threat.payment_decision) == (
        "EUR",
        "PL0900-2025-1",
        "undecided",
    )
    assert set(threat.history.values_list("history_change_reason", flat=True)) == {REASON}


def test_a_revision_is_added_through_the_service_and_moves_the_clock(client, officer, threat, now):
    client.force_login(officer)
    response = client.post(
        url(ExtortionCountdown, "add"),
        {
            "threat": threat.pk,
            "kind": "set",
            **instant("announced_at", "2025-08-17T10:00"),
            **instant("deadline_at", "2025-08-28T23:59"),
            "source": "leak site",
            "change_reason": REASON,
        },
    )
    assert response.status_code == 302, errors(response)
    row = Deadline.objects.get(kind=DeadlineKind.EXTORTION_COUNTDOWN)
    assert row.due_at == datetime(2025, 8, 28, 21, 59, tzinfo=UTC)
    revision = ExtortionCountdown.objects.get()
    page = client.get(url(ExtortionCountdown, "change", revision.pk))
    assert b'name="_save"' not in page.content  # append-only


def test_a_refused_revision_is_shown_on_the_form_and_writes_nothing(client, officer, threat, now):
    extortion.revise_countdown(
        threat,
        kind="set",
        announced_at=datetime(2025, 8, 17, 8, 0, tzinfo=UTC),
        deadline_at=datetime(2025, 8, 28, 12, 0, tzinfo=UTC),
        actor=officer,
        reason="set",
    )
    client.force_login(officer)
    response = client.post(
        url(ExtortionCountdown, "add"),
        {
            "threat": threat.pk,
            "kind": "extended",
            **instant("announced_at", "2025-08-19T10:00"),
            **instant("deadline_at", "2025-08-27T10:00"),
            "change_reason": REASON,
        },
    )
    assert response.status_code == 200
    assert "deadline_at" in response.context["adminform"].form.errors
    assert ExtortionCountdown.objects.count() == 1


def test_a_withdrawal_through_the_admin_deactivates_the_clock(client, officer, threat, now):
    extortion.revise_countdown(
        threat,
        kind="set",
        announced_at=datetime(2025, 8, 17, 8, 0, tzinfo=UTC),
        deadline_at=datetime(2025, 8, 28, 12, 0, tzinfo=UTC),
        actor=officer,
        reason="set",
    )
    client.force_login(officer)
    response = client.post(
        url(ExtortionCountdown, "add"),
        {
            "threat": threat.pk,
            "kind": "withdrawn",
            **instant("announced_at", "2025-08-20T10:00"),
            **instant("deadline_at", ""),
            "change_reason": REASON,
        },
    )
    assert response.status_code == 302, errors(response)
    assert not Deadline.objects.get(kind=DeadlineKind.EXTORTION_COUNTDOWN).is_active


def test_the_art_34_reassessment_of_a_publication_is_recorded_on_its_page(
    client, officer, viewer, threat, incident, now
):
    publication = extortion.record_publication(
        incident,
        threat=threat,
        published_at=datetime(2025, 8, 19, 8, 0, tzinfo=UTC),
        location="leak site",
        records_count=53_000,
        actor=officer,
        reason="leak",
    )
    client.force_login(viewer)
    assert client.post(url(Publication, "change", publication.pk), {"change_reason": "x"}).status_code == 403

    client.force_login(officer)
    response = client.post(
        url(Publication, "change", publication.pk),
        {
            "reassessment_outcome": "High risk confirmed; letters brought forward.",
            "change_reason": REASON,
        },
    )
    assert response.status_code == 302, errors(response)
    publication.refresh_from_db()
    assert not publication.needs_risk_reassessment
    assert publication.records_count == 53_000  # the facts stay as recorded
    page = client.get(url(Publication, "change", publication.pk))
    assert b'name="_save"' not in page.content  # the reassessment stands
