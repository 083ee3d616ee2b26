"""The guided Art. 34 pages: assessment, letter text with its checklist, waves.

Officers only (legal and viewer: 403 on GET and POST); another organisation: 404; refused
input: 400 with the errors and nothing written; success returns to the communications page
with a message in the person's language and zone.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils.html import strip_tags

from actions import communications as services
from actions import incidents as incident_services
from communications.models import CommunicationAssessment, CommunicationWave, ContentVersion
from organisations import services as org_services
from tests.communications.conftest import COMPLETE

REASON = "DPO advice of 19 August"


def _local(stem: str, wall_clock: str, zone: str = "Europe/Amsterdam") -> dict:
    return {f"{stem}_0": wall_clock, f"{stem}_1": zone, f"{stem}_2": ""}


def _assessment_data(controller, **overrides) -> dict:
    data = {
        "controller": controller.pk,
        "is_high_risk": "yes",
        "reasoning": "health data and BSN of screening participants",
        "exemption": "none",
        "exemption_reasoning": "",
        "authority_decision": "none",
        "authority_reference": "",
        "decided_by_name": "A. Jansen",
        "decided_by_role": "DPO",
        **_local("decided_at", "2025-08-20T13:00"),
        **_local("authority_decided_at", ""),
        "reason": REASON,
    }
    data.update(overrides)
    return data


def _content_data(**overrides) -> dict:
    data = {
        "language": "nl",
        "title": "Brief aan deelnemers",
        "text": "Beste deelnemer, bij een laboratorium zijn gegevens gestolen …",
        **{flag: "on" for flag in COMPLETE},
        "reason": REASON,
    }
    data.update(overrides)
    return {name: value for name, value in data.items() if value is not None}


def _wave_data(controller, content, **overrides) -> dict:
    data = {
        "controller": controller.pk,
        "cohort_label": "participants 2017",
        "channel": "letter",
        "content_version": content.pk,
        **_local("planned_at", "2025-08-22T09:00"),
        "planned_count": "5",
        "reason": REASON,
    }
    data.update(overrides)
    return data


def _messages(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def _urls(incident, wave=None, content=None) -> dict[str, str]:
    urls = {
        "assess": reverse("communications:assess", args=[incident.pk]),
        "content_new": reverse("communications:content_new", args=[incident.pk]),
        "wave_new": reverse("communications:wave_new", args=[incident.pk]),
    }
    if content is not None:
        urls["content_edit"] = reverse("communications:content_edit", args=[incident.pk, content.pk])
    if wave is not None:
        for name in ("wave_edit", "wave_sent", "wave_counts"):
            urls[name] = reverse(f"communications:{name}", args=[incident.pk, wave.pk])
    return urls


# --- The assessment ---------------------------------------------------------------------


def test_an_officer_records_an_assessment_and_returns_with_the_decision_in_local_time(
    client, officer, incident, controller
):
    client.force_login(officer)
    url = _urls(incident)["assess"]
    form = client.get(url)
    assert form.status_code == 200 and "National Screening Programme" in form.content.decode()
    response = client.post(url, _assessment_data(controller))
    assert response.status_code == 302 and response["Location"] == reverse(
        "communications:incident", args=[incident.pk]
    )
    assessment = CommunicationAssessment.objects.get()
    assert assessment.decided_at == datetime(2025, 8, 20, 11, 0, tzinfo=UTC)  # 13:00 summer time
    assert assessment.decided_tz == "Europe/Amsterdam" and assessment.history.get().history_change_reason == REASON
    assert _messages(response) == [
        "Assessment recorded for National Screening Programme: communicate (decided Wed 20 Aug 2025, 13:00 CEST)."
    ]


def test_the_message_is_in_dutch_for_a_dutch_reader(client, officer, incident, controller):
    client.force_login(officer)
    client.cookies["django_language"] = "nl"
    response = client.post(_urls(incident)["assess"], _assessment_data(controller))
    assert response.status_code == 302
    [message] = _messages(response)
    assert message.startswith("Beoordeling vastgelegd voor National Screening Programme") and "CEST" in message


def test_an_exemption_without_its_justification_is_refused_and_nothing_is_written(
    client, officer, incident, controller
):
    client.force_login(officer)
    response = client.post(_urls(incident)["assess"], _assessment_data(controller, exemption="unintelligible"))
    assert response.status_code == 400
    assert "Say why the exemption applies." in response.content.decode()
    assert not CommunicationAssessment.objects.exists()


def test_an_exemption_with_its_justification_is_recorded(client, officer, incident, controller):
    client.force_login(officer)
    data = _assessment_data(
        controller, exemption="unintelligible", exemption_reasoning="AES-256 encrypted, key not taken"
    )
    assert client.post(_urls(incident)["assess"], data).status_code == 302
    assessment = CommunicationAssessment.objects.get()
    assert assessment.exemption == "unintelligible" and assessment.is_exempt


def test_only_this_incidents_controllers_are_offered_and_accepted(client, officer, incident, controller, lab, now):
    other = incident_services.create_incident(
        organisation=lab, title="Another breach", occurred_from_at=now - timedelta(days=3), actor=officer, reason="r"
    )
    party = org_services.create_party(lab, name="Other Controller", country="NL", actor=officer, reason="directory")
    foreign = incident_services.add_party(other, party=party, role="controller", actor=officer, reason="parties")
    processor = incident.parties.get(role="processor")
    client.force_login(officer)
    page = client.get(_urls(incident)["assess"]).content.decode()
    assert "Other Controller" not in page and f'value="{processor.pk}"' not in page
    for refused in (foreign, processor):
        response = client.post(_urls(incident)["assess"], _assessment_data(refused))
        assert response.status_code == 400 and "Select a valid choice" in response.content.decode()
    assert not CommunicationAssessment.objects.exists()


def test_a_time_that_never_happened_is_refused(client, officer, incident, controller):
    client.force_login(officer)
    data = _assessment_data(controller, **_local("decided_at", "2025-03-30T02:30"))  # the clocks jumped
    response = client.post(_urls(incident)["assess"], data)
    assert response.status_code == 400 and not CommunicationAssessment.objects.exists()


def test_a_decision_in_the_future_is_refused(client, officer, incident, controller):
    client.force_login(officer)
    response = client.post(
        _urls(incident)["assess"], _assessment_data(controller, **_local("decided_at", "2025-08-21T09:00"))
    )
    assert response.status_code == 400 and not CommunicationAssessment.objects.exists()


# --- The letter text and its Art. 34(2) checklist -----------------------------------------


def test_a_new_version_shows_its_checklist_and_a_missing_element_is_named(client, officer, incident):
    client.force_login(officer)
    url = _urls(incident)["content_new"]
    page = client.get(url).content.decode()
    assert "Art. 34(2) checklist" in page and "the likely consequences (Art. 33(3)(c))" in page
    response = client.post(url, _content_data(describes_consequences=None))
    assert response.status_code == 302
    content = ContentVersion.objects.get()
    assert (content.version, content.describes_consequences, content.is_complete) == (1, False, False)
    [message] = _messages(response)
    assert "version 1" in message and "Not ready to send" in message and "likely consequences" in message
    listing = " ".join(
        strip_tags(client.get(reverse("communications:incident", args=[incident.pk])).content.decode()).split()
    )
    assert "missing: the likely consequences (Art. 33(3)(c))" in listing


def test_the_checklist_reads_in_dutch(client, officer, incident):
    client.force_login(officer)
    client.cookies["django_language"] = "nl"
    page = client.get(_urls(incident)["content_new"]).content.decode()
    assert "Controlelijst art. 34 lid 2 AVG" in page and "aanwezig" in page and "ontbreekt" in page
    assert "de waarschijnlijke gevolgen (art. 33 lid 3 sub c AVG)" in page


def test_an_empty_text_is_refused_and_nothing_is_written(client, officer, incident):
    client.force_login(officer)
    response = client.post(_urls(incident)["content_new"], _content_data(text="   "))
    assert response.status_code == 400 and not ContentVersion.objects.exists()


def test_a_version_is_corrected_and_a_sent_one_is_frozen(client, officer, incident, content, plan, now):
    client.force_login(officer)
    url = _urls(incident, content=content)["content_edit"]
    assert client.post(url, _content_data(title="Brief (gecorrigeerd)")).status_code == 302
    content.refresh_from_db()
    assert content.title == "Brief (gecorrigeerd)" and content.version == 1
    services.mark_wave_sent(plan(), sent_at=now - timedelta(hours=1), actor=officer, reason="posted", now=now)
    page = client.get(url).content.decode()
    assert "frozen" in page and f"?from={content.pk}" in page
    response = client.post(url, _content_data(title="Too late"))
    assert response.status_code == 400 and "create a new version instead" in response.content.decode()
    content.refresh_from_db()
    assert content.title == "Brief (gecorrigeerd)"
    copy = client.get(_urls(incident)["content_new"] + f"?from={content.pk}").content.decode()
    assert "Brief (gecorrigeerd)" in copy


# --- Waves ------------------------------------------------------------------------------


def test_an_officer_plans_a_wave_offered_only_this_incidents_texts(
    client, officer, incident, controller, content, lab, now
):
    other = incident_services.create_incident(
        organisation=lab, title="Another breach", occurred_from_at=now - timedelta(days=3), actor=officer, reason="r"
    )
    foreign = services.create_content_version(
        other, language="en", title="Other letter", text="…", actor=officer, reason="r"
    )
    client.force_login(officer)
    url = _urls(incident)["wave_new"]
    assert "Other letter" not in client.get(url).content.decode()
    refused = client.post(url, _wave_data(controller, foreign))
    assert refused.status_code == 400 and not CommunicationWave.objects.exists()
    response = client.post(url, _wave_data(controller, content))
    assert response.status_code == 302
    wave = CommunicationWave.objects.get()
    assert wave.planned_at == datetime(2025, 8, 22, 7, 0, tzinfo=UTC) and wave.planned_count == 5
    assert _messages(response) == ["Wave “participants 2017” planned for Fri 22 Aug 2025, 09:00 CEST."]


def test_a_wave_is_changed_until_it_is_sent(client, officer, incident, controller, content, plan, now):
    wave = plan(planned_count=5)
    client.force_login(officer)
    url = _urls(incident, wave=wave)["wave_edit"]
    data = _wave_data(controller, content, cohort_label="participants 2017-2019", planned_count="7")
    assert client.post(url, data).status_code == 302
    wave.refresh_from_db()
    assert (wave.cohort_label, wave.planned_count) == ("participants 2017-2019", 7)
    services.mark_wave_sent(wave, sent_at=now - timedelta(hours=1), actor=officer, reason="posted", now=now)
    response = client.post(url, data | {"cohort_label": "changed after sending"})
    assert response.status_code == 400 and "This wave was sent" in response.content.decode()
    wave.refresh_from_db()
    assert wave.cohort_label == "participants 2017-2019"


def test_marking_a_wave_sent_records_the_local_time_and_meets_nothing_twice(client, officer, incident, plan):
    wave = plan(planned_count=5)
    client.force_login(officer)
    url = _urls(incident, wave=wave)["wave_sent"]
    assert client.get(url).status_code == 200
    response = client.post(url, {**_local("sent_at", "2025-08-20T10:30"), "reason": "posted by the mail house"})
    assert response.status_code == 302
    wave.refresh_from_db()
    assert wave.sent_at == datetime(2025, 8, 20, 8, 30, tzinfo=UTC) and wave.sent_tz == "Europe/Amsterdam"
    assert wave.content_version.is_frozen
    assert _messages(response) == ["Wave “participants 2017” marked as sent at Wed 20 Aug 2025, 10:30 CEST."]
    again = client.post(url, {**_local("sent_at", "2025-08-20T11:00"), "reason": "again"})
    assert again.status_code == 400 and "already marked as sent" in again.content.decode()


def test_a_wave_whose_text_lacks_an_art_34_2_element_cannot_be_marked_sent(client, officer, incident, plan):
    content = services.create_content_version(
        incident,
        language="en",
        title="Letter",
        text="Dear participant",
        actor=officer,
        reason="r",
        **{**COMPLETE, "names_contact_point": False},
    )
    wave = plan(content_version=content)
    client.force_login(officer)
    url = _urls(incident, wave=wave)["wave_sent"]
    assert "the name and contact details of the DPO" in client.get(url).content.decode()
    response = client.post(url, {**_local("sent_at", "2025-08-20T10:30"), "reason": "posted"})
    assert response.status_code == 400 and "Art. 34(2) requires" in response.content.decode()
    wave.refresh_from_db()
    assert wave.sent_at is None and not content.is_frozen


def test_counts_are_recorded_for_a_wave_without_a_ledger(client, officer, incident, plan):
    wave = plan(channel="public_notice")
    client.force_login(officer)
    url = _urls(incident, wave=wave)["wave_counts"]
    refused = client.post(url, {"planned_count": "10", "sent_count": "11", "bounced_count": "0", "reason": "call log"})
    assert refused.status_code == 400 and "More sent than planned." in refused.content.decode()
    wave.refresh_from_db()
    assert (wave.planned_count, wave.sent_count) == (0, 0)
    done = client.post(url, {"planned_count": "10", "sent_count": "9", "bounced_count": "1", "reason": "call log"})
    assert done.status_code == 302
    wave.refresh_from_db()
    assert (wave.planned_count, wave.sent_count, wave.bounced_count) == (10, 9, 1)


# --- Who may -----------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["lawyer", "viewer"])
def test_legal_and_viewer_are_refused_every_page_on_get_and_post(
    client, request, persona, incident, controller, content, plan
):
    wave = plan()
    client.force_login(request.getfixturevalue(persona))
    for name, url in _urls(incident, wave=wave, content=content).items():
        assert client.get(url).status_code == 403, name
        assert client.post(url, {"reason": "try"}).status_code == 403, name
    assert not CommunicationAssessment.objects.exists() and ContentVersion.objects.count() == 1


def test_another_organisation_gets_a_404_for_every_page(client, outsider, incident, controller, content, plan):
    wave = plan()
    client.force_login(outsider)
    for name, url in _urls(incident, wave=wave, content=content).items():
        assert client.get(url).status_code == 404, name
        assert client.post(url, {"reason": "try"}).status_code == 404, name


def test_a_wave_of_another_incident_is_a_404_under_this_one(client, officer, incident, plan, lab, now):
    wave = plan()
    other = incident_services.create_incident(
        organisation=lab, title="Another breach", occurred_from_at=now - timedelta(days=3), actor=officer, reason="r"
    )
    client.force_login(officer)
    assert client.get(reverse("communications:wave_sent", args=[other.pk, wave.pk])).status_code == 404


def test_the_pages_link_to_the_guided_pages_not_the_admin(client, officer, incident, controller, plan):
    wave = plan()
    client.force_login(officer)
    for page in ("communications:incident", "incidents:detail"):
        body = client.get(reverse(page, args=[incident.pk])).content.decode()
        assert "/admin/communications/" not in body
        assert _urls(incident)["assess"] in body and _urls(incident)["wave_new"] in body
    body = client.get(reverse("communications:incident", args=[incident.pk])).content.decode()
    assert _urls(incident, wave=wave)["wave_sent"] in body and _urls(incident)["content_new"] in body
