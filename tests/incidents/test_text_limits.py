"""Text over its bound (breachtrack.limits) is refused on the pages and by the actions: a 400 with
the form's message (English and Dutch), a ValidationError naming field and code, nothing written."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from actions import incidents as services
from actions import notes as note_services
from breachtrack import limits
from incidents.models import AwarenessRecord, IncidentNote
from organisations import services as org_services
from tests.incidents.test_intake import URL, counts, form_data
from tests.test_history_guard import database_state

MEGABYTE = "x" * 1_048_576


@pytest.fixture(autouse=True)
def _english_after(db):
    """LocaleMiddleware leaves a Dutch request's language active in the thread: restore English,
    so the tests that run after these ones read their messages in English."""
    with translation.override("en"):
        yield


@pytest.fixture
def officer_client(client, officer):
    client.force_login(officer)
    return client


def test_a_megabyte_description_on_the_intake_page_is_a_400_with_the_form_error(officer_client, lab, now):
    before, rows = database_state(), counts()

    response = officer_client.post(URL, form_data(lab, description=MEGABYTE))

    assert response.status_code == 400
    errors = response.context["form"].errors.as_data()
    assert list(errors) == ["description"] and errors["description"][0].code == "max_length"
    assert f"Ensure this value has at most {limits.TEXT} characters (it has 1048576)." in response.content.decode()
    assert counts() == rows
    assert database_state() == before


def test_the_intake_page_says_so_in_dutch(officer_client, lab, now):
    before = database_state()

    response = officer_client.post(URL, form_data(lab, description=MEGABYTE), HTTP_ACCEPT_LANGUAGE="nl")

    assert response.status_code == 400
    assert (
        f"Zorg dat deze waarde niet meer dan {limits.TEXT} tekens bevat (het zijn er nu 1048576)."
        in response.content.decode()
    )
    assert database_state() == before


def test_a_controller_name_longer_than_a_name_is_refused_on_its_field(officer_client, lab, now):
    before = database_state()
    long_name = "N" * (limits.NAME + 1)

    response = officer_client.post(URL, form_data(lab, other_controllers=f"Regional Hospital\n{long_name}"))

    assert response.status_code == 400
    errors = response.context["form"].errors.as_data()
    assert [error.code for error in errors["other_controllers"]] == ["max_length"]
    assert f"A name has at most {limits.NAME} characters; this one has {limits.NAME + 1}" in response.content.decode()
    assert database_state() == before
    dutch = officer_client.post(
        URL, form_data(lab, other_controllers=long_name), HTTP_ACCEPT_LANGUAGE="nl"
    ).content.decode()
    assert f"Een naam heeft hoogstens {limits.NAME} tekens; deze heeft er {limits.NAME + 1}" in dutch


@pytest.fixture
def controller(incident, lab, officer):
    party = org_services.create_party(lab, name="Screening Programme", country="NL", actor=officer, reason="directory")
    return services.add_party(incident, party=party, role="controller", actor=officer, reason="parties")


def test_the_action_refuses_evidence_over_the_limit_and_writes_nothing(incident, controller, officer, now):
    before = database_state()

    with pytest.raises(ValidationError) as refused:
        services.record_awareness(
            incident,
            party=controller,
            aware_at=now - timedelta(days=1),
            source="own_detection",
            evidence="e" * (limits.TEXT + 1),
            actor=officer,
            reason="the processor's e-mail",
        )

    assert [error.code for error in refused.value.error_dict["evidence"]] == ["max_length"]
    assert AwarenessRecord.objects.count() == 0
    assert database_state() == before


def test_the_action_refuses_a_reason_over_the_limit_in_english_and_dutch(incident, officer, now):
    before = database_state()

    with translation.override("en"), pytest.raises(ValidationError) as refused:
        note_services.add_note(incident, body="A call", actor=officer, reason="r" * (limits.REASON + 1))
    with translation.override("nl"), pytest.raises(ValidationError) as refused_nl:
        note_services.add_note(incident, body="A call", actor=officer, reason="r" * (limits.REASON + 1))

    [error] = refused.value.error_dict["reason"]
    assert error.code == "max_length"
    assert error.message == f"Keep the reason to at most {limits.REASON} characters (it has {limits.REASON + 1})."
    assert refused_nl.value.error_dict["reason"][0].message.startswith(f"Houd de reden op hoogstens {limits.REASON}")
    assert IncidentNote.objects.count() == 0
    assert database_state() == before


def test_a_note_over_the_limit_is_refused_by_the_action(incident, officer, now):
    before = database_state()

    with pytest.raises(ValidationError) as refused:
        note_services.add_note(incident, body=MEGABYTE, actor=officer, reason="call notes")

    assert [error.code for error in refused.value.error_dict["body"]] == ["max_length"]
    assert database_state() == before
