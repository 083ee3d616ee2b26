"""The incident page's form for a new count of the people affected (privacy officers only).

Counts grow (485,000 → 941,000 letters in the real case): each is a new estimate with when it
became known and its source; a refusal is a 400 on its field with nothing written.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.urls import reverse

from incidents.models import AffectedEstimate
from tests.filings.conftest import controller  # noqa: F401 (fixture)

UTC = UTC


def url(incident):
    return reverse("incidents:record_estimate", args=[incident.pk])


def form(**overrides):
    data = {
        "estimate-measure": "data_subjects",
        "estimate-low": "715000",
        "estimate-high": "",
        "estimate-is_approximate": "on",
        "estimate-party": "",
        "estimate-known_at_0": "2025-08-20T09:15",
        "estimate-known_at_1": "Europe/Amsterdam",
        "estimate-known_at_2": "",
        "estimate-source": "Forensic report, first update",
        "estimate-note": "",
        "estimate-reason": "the count grew",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def written(incident):
    return AffectedEstimate.objects.filter(incident=incident).count(), AffectedEstimate.history.filter(
        incident_id=incident.pk
    ).count()


def test_an_officer_records_a_new_count_and_it_joins_the_chart(client, officer, incident, controller, now):
    client.force_login(officer)
    response = client.post(url(incident), form(**{"estimate-party": str(controller.pk)}))

    assert response.status_code == 302 and response["Location"].endswith("#affected")
    estimate = AffectedEstimate.objects.get(incident=incident)
    assert (estimate.measure, estimate.low, estimate.high, estimate.is_approximate, estimate.party) == (
        "data_subjects",
        715_000,
        None,
        True,
        controller,
    )
    assert estimate.known_at == datetime(2025, 8, 20, 7, 15, tzinfo=UTC) and estimate.known_tz == "Europe/Amsterdam"
    record = estimate.history.get()
    assert (record.history_user, record.history_change_reason) == (officer, "the count grew")
    body = client.get(response["Location"]).content.decode()
    assert "Estimate recorded" in body and "≈715,000" in body and "<svg" in body


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"estimate-known_at_0": ""}, "known_at", "This field is required."),
        ({"estimate-known_at_0": "2025-08-20T18:00"}, "known_at", "future"),
        ({"estimate-known_at_0": "2025-03-30T02:30"}, "known_at", "does not exist in Europe/Amsterdam"),
        ({"estimate-known_at_0": "2024-10-27T02:30"}, "known_at", "happens twice in Europe/Amsterdam"),
        ({"estimate-low": "-5"}, "low", "greater than or equal to 0"),
        ({"estimate-low": "many"}, "low", "Enter a whole number."),
        ({"estimate-low": "900000", "estimate-high": "800000"}, None, ""),
        ({"estimate-party": "999999"}, "party", ""),
        ({"estimate-source": ""}, "source", "This field is required."),
        ({"estimate-reason": ""}, "reason", "This field is required."),
    ],
    ids=[
        "no-time",
        "future",
        "dst-gap",
        "dst-twice",
        "negative",
        "not-a-number",
        "high-below-low",
        "foreign-party",
        "no-source",
        "no-reason",
    ],
)
def test_a_refused_count_is_a_400_on_its_field_and_writes_nothing(
    client, officer, incident, controller, now, overrides, field, message
):
    client.force_login(officer)
    before = written(incident)
    response = client.post(url(incident), form(**overrides))

    assert response.status_code == 400
    errors = response.context["estimate_form"].errors
    assert errors, "a refusal names what is wrong"
    if field:
        assert field in errors and any(message in error for error in errors[field]), errors
    assert written(incident) == before
    assert 'id="estimate-form"' in response.content.decode()


@pytest.mark.parametrize("persona", ["lawyer", "viewer"])
def test_other_roles_are_refused_by_the_server(client, request, incident, controller, now, persona):
    client.force_login(request.getfixturevalue(persona))
    before = written(incident)
    assert client.post(url(incident), form()).status_code == 403
    assert written(incident) == before
    assert 'id="estimate-form"' not in client.get(reverse("incidents:detail", args=[incident.pk])).content.decode()


def test_another_organisation_gets_a_404_and_nothing_is_written(client, outsider, incident, controller, now):
    client.force_login(outsider)
    before = written(incident)
    assert client.post(url(incident), form()).status_code == 404
    assert written(incident) == before


def test_the_form_needs_a_post(client, officer, incident):
    client.force_login(officer)
    assert client.get(url(incident)).status_code == 405
