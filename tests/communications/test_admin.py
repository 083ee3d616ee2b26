"""The Art. 34 admin saves through the services: a decision, and a wave marked sent."""

from __future__ import annotations

from datetime import UTC, datetime

from django.urls import reverse

from communications.models import CommunicationAssessment, CommunicationWave
from notifications.models import Deadline, DeadlineKind
from tests.incidents.test_admin import form_data


def _url(model, view, *args):
    return reverse(f"admin:communications_{model._meta.model_name}_{view}", args=args)


def _errors(response):
    return getattr(response, "context", None) and response.context["adminform"].form.errors


def test_an_officer_records_a_decision_in_the_admin_with_the_zone_it_was_entered_in(
    client, officer, incident, controller, now
):
    client.force_login(officer)
    response = client.post(
        _url(CommunicationAssessment, "add"),
        {
            "incident": incident.pk,
            "controller": controller.pk,
            "is_high_risk": "on",
            "reasoning": "health data",
            "exemption": "none",
            "authority_decision": "none",
            "authority_decided_at_0": "",
            "authority_decided_at_1": "Europe/Amsterdam",
            "authority_decided_at_2": "",
            "decided_by_name": "A. Jansen",
            "decided_by_role": "DPO",
            "decided_at_0": "2025-08-20T10:00",
            "decided_at_1": "Europe/Amsterdam",
            "decided_at_2": "",
            "change_reason": "crisis team decision",
        },
    )
    assert response.status_code == 302, _errors(response)
    assessment = CommunicationAssessment.objects.get()
    assert (
        assessment.decided_at == datetime(2025, 8, 20, 8, 0, tzinfo=UTC) and assessment.decided_tz == "Europe/Amsterdam"
    )
    assert assessment.history.get().history_change_reason == "crisis team decision"
    assert Deadline.objects.get(kind=DeadlineKind.DATA_SUBJECT_COMMUNICATION).started_at == assessment.decided_at


def test_marking_a_wave_sent_in_the_admin_meets_the_clock(client, officer, assess, plan, controller):
    assess()
    wave = plan()
    client.force_login(officer)
    url = _url(CommunicationWave, "change", wave.pk)
    data = form_data(client.get(url))
    data.update(sent_at_0="2025-08-20T13:30", sent_at_1="Europe/Amsterdam", change_reason="posted by the mailing house")
    response = client.post(url, data)
    assert response.status_code == 302, _errors(response)
    wave.refresh_from_db()
    assert wave.sent_at == datetime(2025, 8, 20, 11, 30, tzinfo=UTC)
    assert Deadline.objects.get(kind=DeadlineKind.DATA_SUBJECT_COMMUNICATION, party=controller).met_at == wave.sent_at


def test_a_refused_sending_is_shown_on_the_form_and_writes_nothing(client, officer, incident, plan):
    from actions import communications as services

    draft = services.create_content_version(
        incident, language="en", title="Draft", text="x", actor=officer, reason="draft"
    )
    wave = plan(content_version=draft)
    client.force_login(officer)
    url = _url(CommunicationWave, "change", wave.pk)
    data = form_data(client.get(url))
    data.update(sent_at_0="2025-08-20T13:30", sent_at_1="Europe/Amsterdam", change_reason="posted")
    response = client.post(url, data)
    assert response.status_code == 200 and "Art. 34(2)" in str(_errors(response))
    wave.refresh_from_db()
    assert wave.sent_at is None and wave.history.count() == 1
