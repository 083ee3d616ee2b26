"""The plausibility floor of every reported instant (``BREACHTRACK_EARLIEST_INSTANT``, checked by
``incidents.models.incident.check_instant``) and "never before the breach began" for counts.

Year 1 and 1989 are typing errors, not facts of a breach: each write that takes an instant
refuses them on its field with the code ``too_early``, through the API (400) and on pages (a form
error), and writes nothing.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from actions import communications as communication_services
from actions import filings as filing_services
from actions import incidents as services
from incidents.models import AffectedEstimate, AwarenessRecord, Incident
from tests.api.conftest import REASON, session_client, world  # noqa: F401 (fixture)

START = datetime(2025, 7, 3, 22, 0, tzinfo=UTC)  # the incident fixture's occurred_from_at
YEAR_ONE = datetime(1, 1, 2, 12, 0, tzinfo=UTC)
JUST_BEFORE_THE_FLOOR = datetime(1989, 12, 31, 23, 59, tzinfo=UTC)


def codes(error: ValidationError) -> dict[str, list[str | None]]:
    return {field: [item.code for item in items] for field, items in error.error_dict.items()}


def refused(write) -> ValidationError:
    with pytest.raises(ValidationError) as caught:
        write()
    return caught.value


@pytest.fixture
def controller(incident, processor_and_controller):
    return processor_and_controller[1]


# --- the floor, through the services -----------------------------------------------------------


@pytest.mark.parametrize("moment", [YEAR_ONE, JUST_BEFORE_THE_FLOOR], ids=["year-1", "1989"])
def test_an_incident_cannot_start_before_the_floor(lab, officer, now, moment):
    error = refused(
        lambda: services.create_incident(
            organisation=lab, title="Typo", occurred_from_at=moment, actor=officer, reason="report"
        )
    )
    assert codes(error) == {"occurred_from_at": ["too_early"]}
    assert "1990-01-01T00:00:00+00:00" in error.error_dict["occurred_from_at"][0].messages[0]
    assert not Incident.objects.exists()


def test_the_floor_itself_is_accepted(lab, officer, now):
    floor = datetime(1990, 1, 1, tzinfo=UTC)
    incident = services.create_incident(
        organisation=lab, title="Old", occurred_from_at=floor, actor=officer, reason="report"
    )
    assert incident.occurred_from_at == floor


def test_the_floor_is_a_setting(lab, officer, now, settings):
    settings.BREACHTRACK_EARLIEST_INSTANT = datetime(2025, 1, 1, tzinfo=UTC)
    error = refused(
        lambda: services.create_incident(
            organisation=lab,
            title="Typo",
            occurred_from_at=datetime(2024, 12, 31, tzinfo=UTC),
            actor=officer,
            reason="report",
        )
    )
    assert codes(error) == {"occurred_from_at": ["too_early"]}


def test_awareness_in_year_one_is_too_early(incident, controller, officer):
    error = refused(
        lambda: services.record_awareness(
            incident, party=controller, aware_at=YEAR_ONE, source="own_detection", actor=officer, reason="aware"
        )
    )
    assert "too_early" in codes(error)["aware_at"]
    assert not AwarenessRecord.objects.exists()


def test_an_estimate_in_year_one_is_too_early(lab, officer, now):
    incident = services.create_incident(organisation=lab, title="No start yet", actor=officer, reason="report")
    error = refused(
        lambda: services.record_estimate(
            incident,
            measure="data_subjects",
            low=10,
            known_at=YEAR_ONE,
            source="count",
            actor=officer,
            reason="count",
        )
    )
    assert codes(error) == {"known_at": ["too_early"]}
    assert not AffectedEstimate.objects.exists()


def test_a_filing_in_year_one_is_too_early(world, officer, now):
    before = world.incident.authority_filings.count()
    error = refused(
        lambda: filing_services.submit_filing(
            world.incident,
            controller=world.second_controller,
            authority=world.authority,
            filing_type="initial",
            submitted_at=YEAR_ONE,
            channel="ap_form",
            actor=officer,
            reason="filed",
        )
    )
    assert "too_early" in codes(error)["submitted_at"]
    assert world.incident.authority_filings.count() == before


def test_a_wave_planned_for_year_one_is_too_early(world, officer):
    error = refused(
        lambda: communication_services.update_wave(world.wave, planned_at=YEAR_ONE, actor=officer, reason="typo")
    )
    assert codes(error) == {"planned_at": ["too_early"]}


# --- never before the breach began --------------------------------------------------------------


def test_a_count_known_before_the_breach_started_is_refused_naming_both_instants(incident, officer):
    known = START - timedelta(days=2)
    error = refused(
        lambda: services.record_estimate(
            incident, measure="data_subjects", low=10, known_at=known, source="count", actor=officer, reason="count"
        )
    )
    assert codes(error) == {"known_at": ["before_start"]}
    message = error.error_dict["known_at"][0].messages[0]
    assert known.isoformat() in message and START.isoformat() in message
    assert not AffectedEstimate.objects.exists()


def test_the_start_cannot_move_after_a_count_already_known(incident, officer):
    known = START + timedelta(days=1)
    services.record_estimate(
        incident, measure="data_subjects", low=10, known_at=known, source="count", actor=officer, reason="count"
    )
    error = refused(
        lambda: services.update_incident(
            incident, occurred_from_at=known + timedelta(hours=1), actor=officer, reason="later start"
        )
    )
    assert codes(error) == {"occurred_from_at": ["after_estimate"]}
    incident.refresh_from_db()
    assert incident.occurred_from_at == START


# --- the API: 400 on the field, nothing written --------------------------------------------------


@pytest.mark.parametrize(
    ("path", "field", "body"),
    [
        ("estimates", "known_at", {"measure": "data_subjects", "low": 10, "source": "count"}),
        ("awareness", "aware_at", {"source": "own_detection"}),
    ],
)
def test_the_api_refuses_year_one_on_its_field(incident, controller, officer, path, field, body):
    if path == "awareness":
        body = {**body, "party": controller.pk}
    before = AffectedEstimate.objects.count(), AwarenessRecord.objects.count(), incident.history.count()
    response = session_client(officer).post(
        f"/api/incidents/{incident.pk}/{path}/",
        {**body, field: "0001-01-02T12:00:00Z", "reason": REASON},
        format="json",
    )
    assert response.status_code == 400, response.content
    assert "too_early" in response.json()["field_codes"][field]
    assert (AffectedEstimate.objects.count(), AwarenessRecord.objects.count(), incident.history.count()) == before


def test_the_api_refuses_a_count_known_before_the_breach_started(incident, officer):
    response = session_client(officer).post(
        f"/api/incidents/{incident.pk}/estimates/",
        {
            "measure": "data_subjects",
            "low": 10,
            "source": "count",
            "known_at": "2025-07-01T10:00:00Z",
            "reason": REASON,
        },
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["field_codes"] == {"known_at": ["before_start"]}
    assert "2025-07-01T10:00:00+00:00" in response.json()["fields"]["known_at"][0]
    assert not AffectedEstimate.objects.exists()


# --- a page: a form error with 400 ---------------------------------------------------------------


def test_the_estimate_page_refuses_year_one_as_a_form_error(client, officer, incident):
    client.force_login(officer)
    response = client.post(
        reverse("incidents:record_estimate", args=[incident.pk]),
        {
            "estimate-measure": "data_subjects",
            "estimate-low": "10",
            "estimate-known_at_0": "0001-01-02T12:00",
            "estimate-known_at_1": "UTC",
            "estimate-source": "count",
            "estimate-reason": "count",
        },
    )
    assert response.status_code == 400
    assert "too early" in response.content.decode()
    assert not AffectedEstimate.objects.exists()


@pytest.mark.parametrize("zone_name", ["Europe/Amsterdam", "UTC"])
def test_the_first_hours_of_year_one_are_a_form_error_not_a_crash(client, officer, incident, zone_name):
    """00:00 on 1 January of year 1 in a zone east of UTC has no UTC instant at all."""
    client.force_login(officer)
    response = client.post(
        reverse("incidents:record_estimate", args=[incident.pk]),
        {
            "estimate-measure": "data_subjects",
            "estimate-low": "10",
            "estimate-known_at_0": "0001-01-01T00:00",
            "estimate-known_at_1": zone_name,
            "estimate-source": "count",
            "estimate-reason": "count",
        },
    )
    assert response.status_code == 400
    assert not AffectedEstimate.objects.exists()
