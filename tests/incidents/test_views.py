"""The register pages: scoped to the reader's organisation, bounded in queries."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from actions import incidents as services
from organisations import services as org_services

UTC = UTC


def _grow(incident, officer, controller, relationship, n):
    """Add ``n`` awareness corrections, estimates and notices to an incident."""
    start = datetime(2025, 7, 6, 8, 0, tzinfo=UTC)
    for k in range(n):
        services.record_estimate(
            incident,
            measure="data_subjects",
            low=100_000 + k,
            known_at=start + timedelta(days=k + 1),
            source=f"count {k}",
            actor=officer,
            reason="count revised",
        )
        other = org_services.create_party(  # one notice per processor and controller: a controller each
            incident.organisation, name=f"GP practice {incident.parties.count()}", actor=officer, reason="directory"
        )
        served = services.link_processor(
            incident,
            processor=relationship.processor,
            controller=services.add_party(incident, party=other, role="controller", actor=officer, reason="r"),
            actor=officer,
            reason="dpa",
        )
        services.record_processor_notice(
            served,
            informed_at=start + timedelta(days=30, hours=k),
            channel="email",
            informed_by="CEO",
            actor=officer,
            reason="notice",
        )


def test_an_officer_sees_the_register_of_their_own_incident(client, officer, incident, processor_and_controller):
    processor, controller, relationship = processor_and_controller
    services.record_awareness(
        incident,
        party=processor,
        aware_at=datetime(2025, 7, 6, 8, 0, tzinfo=UTC),
        source="threat_actor",
        actor=officer,
        reason="leak-site listing",
    )
    services.record_processor_notice(
        relationship,
        informed_at=datetime(2025, 8, 6, 12, 0, tzinfo=UTC),
        channel="email",
        informed_by="CEO",
        actor=officer,
        reason="processor told the programme",
    )
    client.force_login(officer)

    response = client.get(reverse("incidents:detail", args=[incident.pk]))

    assert response.status_code == 200
    body = response.content.decode()
    assert incident.reference in body
    assert "National Screening Programme" in body
    # The programme became aware 2025-08-06 12:00 UTC = 14:00 CEST; 72 h later
    # is Saturday 9 August 14:00 CEST, shown in the reader's zone.
    assert 'datetime="2025-08-09T12:00:00Z"' in body
    assert "over target" in body  # 31 days against a 24-hour target
    assert "31 d" in body


@pytest.mark.parametrize("name", ["incidents:detail"])
def test_another_organisations_incident_is_a_404(client, outsider, incident, name):
    client.force_login(outsider)
    assert client.get(reverse(name, args=[incident.pk])).status_code == 404


def test_another_organisations_incident_is_not_listed(client, outsider, incident):
    client.force_login(outsider)
    response = client.get(reverse("incidents:list"))
    assert response.status_code == 200
    assert incident.reference not in response.content.decode()


def test_a_missing_incident_and_a_foreign_one_answer_alike(client, outsider, incident):
    client.force_login(outsider)
    foreign = client.get(reverse("incidents:detail", args=[incident.pk]))
    missing = client.get(reverse("incidents:detail", args=[incident.pk + 10_000]))
    assert foreign.status_code == missing.status_code == 404


def test_anonymous_readers_are_sent_to_log_in(client, incident):
    response = client.get(reverse("incidents:detail", args=[incident.pk]))
    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]


@pytest.mark.parametrize("persona", ["officer", "lawyer", "viewer"])
def test_every_role_of_the_organisation_can_read(client, request, incident, persona):
    client.force_login(request.getfixturevalue(persona))
    assert client.get(reverse("incidents:detail", args=[incident.pk])).status_code == 200


def test_the_register_page_does_a_constant_number_of_queries(client, officer, incident, processor_and_controller):
    processor, controller, relationship = processor_and_controller
    services.record_awareness(
        incident,
        party=processor,
        aware_at=datetime(2025, 7, 6, 8, 0, tzinfo=UTC),
        source="threat_actor",
        actor=officer,
        reason="leak-site listing",
    )
    client.force_login(officer)
    url = reverse("incidents:detail", args=[incident.pk])

    _grow(incident, officer, controller, relationship, 2)
    with CaptureQueriesContext(connection) as small:
        assert client.get(url).status_code == 200
    _grow(incident, officer, controller, relationship, 20)
    with CaptureQueriesContext(connection) as large:
        assert client.get(url).status_code == 200

    assert len(large) == len(small)
    # session, user, incident, the register's fixed set, banner, badge, and the access log's one
    # INSERT (access.log.log_view; +1, added with the access app); the incident page
    # (readers/incident_page.py) adds four: the reader's role, the open deadlines, Art. 34 assessments, waves;
    # the regimes section four more (decisions, moments, determinations, places: readers.regimes).
    assert len(large) <= 24


def test_the_list_does_a_constant_number_of_queries(client, officer, lab, now):
    client.force_login(officer)
    url = reverse("incidents:list")
    services.create_incident(organisation=lab, title="one", actor=officer, reason="r")
    with CaptureQueriesContext(connection) as small:
        client.get(url)
    for k in range(15):
        services.create_incident(organisation=lab, title=f"more {k}", actor=officer, reason="r")
    with CaptureQueriesContext(connection) as large:
        response = client.get(url)
    assert response.status_code == 200
    assert len(large) == len(small)


def test_the_page_speaks_dutch_when_asked(client, officer, incident):
    client.force_login(officer)
    response = client.get(reverse("incidents:detail", args=[incident.pk]), HTTP_ACCEPT_LANGUAGE="nl")
    assert response.status_code == 200
    assert 'lang="nl"' in response.content.decode()
    assert "Datalekregister" in response.content.decode()


def test_healthz_answers_when_the_database_does(client, db):
    from actions.sweep import sweep

    sweep()  # the sweep's part of /healthz: tests/notifications/test_health.py
    response = client.get(reverse("incidents:healthz"))
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["database"]) == ("ok", "ok")


def test_times_are_shown_in_the_readers_zone(client, officer, incident, admin_actor):
    officer.time_zone = "America/New_York"
    org_services.save_with_history(officer, actor=admin_actor, reason="zone", update_fields=["time_zone"])
    client.force_login(officer)
    body = client.get(reverse("incidents:detail", args=[incident.pk])).content.decode()
    # occurred_from 2025-07-03 22:00 UTC is 18:00 EDT in New York.
    assert "EDT" in body
