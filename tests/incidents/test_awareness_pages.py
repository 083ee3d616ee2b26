"""The guided awareness and processor-notice pages: scoped to the incident, officers only, 400 with nothing written."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.apps import apps
from django.urls import reverse

from actions import incidents as services
from incidents.models import AwarenessRecord, ProcessorNotice
from organisations import services as org_services

H = timedelta(hours=1)


def database_state() -> dict[str, list[dict]]:
    return {model._meta.label: list(model._base_manager.order_by("pk").values()) for model in apps.get_models()}


@pytest.fixture
def parties(incident, officer, processor_and_controller, now):
    processor, controller, relationship = processor_and_controller
    services.record_awareness(
        incident,
        party=processor,
        aware_at=datetime(2025, 8, 18, 8, 0, tzinfo=UTC),
        source="own_detection",
        actor=officer,
        reason="SOC alert",
    )
    return processor, controller, relationship


def awareness_url(incident):
    return reverse("incidents:record_awareness", args=[incident.pk])


def notice_url(incident):
    return reverse("incidents:record_notice", args=[incident.pk])


def awareness_form(party, **changes):
    data = {
        "party": str(party.pk),
        "aware_at_0": "2025-08-19T10:30",
        "aware_at_1": "Europe/Amsterdam",
        "aware_at_2": "",
        "source": "own_detection",
        "asserted_by": "programme DPO",
        "reason": "the DPO's call",
    }
    data.update(changes)
    return data


def notice_form(relationship, **changes):
    data = {
        "relationship": str(relationship.pk),
        "informed_at_0": "2025-08-19T11:15",
        "informed_at_1": "Europe/Amsterdam",
        "informed_at_2": "",
        "channel": "email",
        "informed_by": "lab security officer",
        "received_by": "programme DPO",
        "reason": "the lab's e-mail",
    }
    data.update(changes)
    return data


# --- Recording awareness ---------------------------------------------------------------------------


def test_the_officer_records_a_controllers_own_awareness_and_is_sent_back_with_a_message(
    client, officer, incident, parties
):
    _processor, controller, _relationship = parties
    client.force_login(officer)
    page = client.get(awareness_url(incident))
    assert page.status_code == 200
    body = page.content.decode()
    assert "Europe/Amsterdam" in body and "National Screening Programme" in body

    response = client.post(awareness_url(incident), awareness_form(controller), follow=True)

    assert response.redirect_chain == [(reverse("incidents:detail", args=[incident.pk]) + "#parties", 302)]
    record = AwarenessRecord.objects.get(party=controller)
    assert (record.aware_at, record.aware_tz) == (datetime(2025, 8, 19, 8, 30, tzinfo=UTC), "Europe/Amsterdam")
    assert (record.source, record.asserted_by, record.recorded_by) == ("own_detection", "programme DPO", officer)
    assert record.history.get().history_change_reason == "the DPO's call"
    body = response.content.decode()
    assert (
        "Recorded: National Screening Programme became aware at Tue 19 Aug 2025, 10:30 CEST (Europe/Amsterdam)." in body
    )


def test_awareness_from_the_processor_records_its_notice_on_the_page_too(client, officer, incident, parties):
    _processor, controller, relationship = parties
    client.force_login(officer)
    response = client.post(
        awareness_url(incident), awareness_form(controller, source="processor_notice", channel="phone"), follow=True
    )
    assert response.status_code == 200
    notice = ProcessorNotice.objects.get(relationship=relationship)
    assert notice.channel == "phone" and notice.awareness_record.party == controller
    assert "The processor&#x27;s notice is recorded with it." in response.content.decode()
    body = client.get(reverse("incidents:detail", args=[incident.pk])).content.decode()
    assert "not informed yet" not in body


def test_a_second_awareness_from_the_same_source_is_a_400_that_points_to_the_correction(
    client, officer, incident, parties
):
    processor, _controller, _relationship = parties
    client.force_login(officer)
    before = database_state()
    response = client.post(awareness_url(incident), awareness_form(processor))
    assert response.status_code == 400
    [error] = response.context["form"].errors["source"]
    assert "Does this one correct it?" in error and "Correct awareness" in error
    assert database_state() == before


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"aware_at_0": "2026-03-29T02:30"}, "aware_at"),  # skipped by the clock change
        ({"aware_at_0": ""}, "aware_at"),
        ({"source": "rumour"}, "source"),
        ({"reason": ""}, "reason"),
        ({"channel": "email"}, "channel"),  # a channel only for a notice from a processor
    ],
)
def test_bad_input_is_a_400_on_its_field_with_nothing_written(client, officer, incident, parties, changes, field):
    _processor, controller, _relationship = parties
    client.force_login(officer)
    before = database_state()
    response = client.post(awareness_url(incident), awareness_form(controller, **changes))
    assert response.status_code == 400
    assert response.context["form"].errors[field]
    assert database_state() == before


def test_only_this_incidents_parties_are_offered_and_accepted(client, officer, incident, lab, parties, now):
    _processor, controller, _relationship = parties
    other = services.create_incident(organisation=lab, title="Another", actor=officer, reason="r")
    stranger = services.add_party(
        other, party=controller.party, role="controller", actor=officer, reason="same programme, other incident"
    )
    client.force_login(officer)
    page = client.get(awareness_url(incident)).content.decode()
    assert f'value="{controller.pk}"' in page and f'value="{stranger.pk}"' not in page
    before = database_state()
    response = client.post(awareness_url(incident), awareness_form(stranger))
    assert response.status_code == 400 and response.context["form"].errors["party"]
    assert database_state() == before


@pytest.mark.parametrize("persona", ["lawyer", "viewer"])
def test_legal_and_viewer_get_403_and_write_nothing(client, incident, parties, persona, request):
    _processor, controller, relationship = parties
    client.force_login(request.getfixturevalue(persona))
    before = database_state()
    assert client.get(awareness_url(incident)).status_code == 403
    assert client.post(awareness_url(incident), awareness_form(controller)).status_code == 403
    assert client.get(notice_url(incident)).status_code == 403
    assert client.post(notice_url(incident), notice_form(relationship)).status_code == 403
    assert database_state() == before


def test_another_organisation_gets_404(client, outsider, incident, parties):
    _processor, controller, relationship = parties
    client.force_login(outsider)
    record = AwarenessRecord.objects.get()
    assert client.get(awareness_url(incident)).status_code == 404
    assert client.post(notice_url(incident), notice_form(relationship)).status_code == 404
    url = reverse("incidents:correct_awareness", args=[incident.pk, record.pk])
    assert client.post(url, {"reason": "x"}).status_code == 404


# --- Correcting awareness --------------------------------------------------------------------------


def test_the_officer_corrects_an_awareness_and_the_old_value_stays_in_history(client, officer, incident, parties):
    processor, _controller, _relationship = parties
    record = AwarenessRecord.objects.get(party=processor)
    url = reverse("incidents:correct_awareness", args=[incident.pk, record.pk])
    client.force_login(officer)
    page = client.get(url).content.decode()
    assert 'value="2025-08-18T10:00"' in page  # as stored, in its zone
    response = client.post(
        url,
        {
            "aware_at_0": "2025-08-18T09:00",
            "aware_at_1": "Europe/Amsterdam",
            "source": "own_detection",
            "reason": "SOC log says 09:00",
        },
    )
    assert response.status_code == 302
    record.refresh_from_db()
    assert record.aware_at == datetime(2025, 8, 18, 7, 0, tzinfo=UTC)
    assert record.history.last().aware_at == datetime(2025, 8, 18, 8, 0, tzinfo=UTC)


def test_a_correction_that_changes_nothing_is_a_400(client, officer, incident, parties):
    processor, _controller, _relationship = parties
    record = AwarenessRecord.objects.get(party=processor)
    client.force_login(officer)
    before = database_state()
    response = client.post(
        reverse("incidents:correct_awareness", args=[incident.pk, record.pk]),
        {"aware_at_0": "2025-08-18T10:00", "aware_at_1": "Europe/Amsterdam", "source": "own_detection", "reason": "r"},
    )
    assert response.status_code == 400 and "Nothing was changed" in response.content.decode()
    assert database_state() == before


def test_an_awareness_from_a_notice_is_corrected_through_its_notice(client, officer, incident, parties):
    _processor, _controller, relationship = parties
    notice = services.record_processor_notice(
        relationship, informed_at=datetime(2025, 8, 19, 9, 0, tzinfo=UTC), channel="email", informed_by="CEO",
        actor=officer, reason="mail",
    )  # fmt: skip
    client.force_login(officer)
    response = client.get(reverse("incidents:correct_awareness", args=[incident.pk, notice.awareness_record.pk]))
    assert response.status_code == 302
    assert response["Location"] == reverse("incidents:correct_notice", args=[incident.pk, notice.pk])


def test_a_record_of_another_incident_is_a_404(client, officer, incident, lab, parties):
    other = services.create_incident(organisation=lab, title="Another", actor=officer, reason="r")
    record = AwarenessRecord.objects.get()
    client.force_login(officer)
    assert client.get(reverse("incidents:correct_awareness", args=[other.pk, record.pk])).status_code == 404


# --- A processor's notice --------------------------------------------------------------------------


def test_the_officer_records_a_notice_in_dutch_and_the_controller_becomes_aware(client, officer, incident, parties):
    _processor, controller, relationship = parties
    client.force_login(officer)
    client.cookies["django_language"] = "nl"
    page = client.get(notice_url(incident)).content.decode()
    assert '<html lang="nl">' in page and "Europe/Amsterdam" in page

    response = client.post(notice_url(incident), notice_form(relationship), follow=True)

    notice = ProcessorNotice.objects.get()
    assert (notice.informed_at, notice.informed_tz) == (datetime(2025, 8, 19, 9, 15, tzinfo=UTC), "Europe/Amsterdam")
    assert notice.awareness_record.party == controller
    assert notice.awareness_record.aware_at == notice.informed_at
    body = response.content.decode()
    assert "Vastgelegd: Example Diagnostics B.V. heeft National Screening Programme geïnformeerd op" in body
    assert "di 19 aug 2025" in body and "(Europe/Amsterdam)" in body


def test_a_second_notice_is_a_400_that_asks_whether_it_corrects_the_first(client, officer, incident, parties):
    _processor, _controller, relationship = parties
    client.force_login(officer)
    assert client.post(notice_url(incident), notice_form(relationship)).status_code == 302
    before = database_state()
    response = client.post(notice_url(incident), notice_form(relationship, informed_at_0="2025-08-19T12:00"))
    assert response.status_code == 400
    assert "Does this one correct it?" in response.context["form"].errors["informed_at"][0]
    assert database_state() == before


def test_correcting_the_notice_moves_the_controllers_awareness(client, officer, incident, parties):
    _processor, controller, relationship = parties
    client.force_login(officer)
    client.post(notice_url(incident), notice_form(relationship))
    notice = ProcessorNotice.objects.get()
    url = reverse("incidents:correct_notice", args=[incident.pk, notice.pk])
    assert client.get(url).status_code == 200
    data = notice_form(relationship, informed_at_0="2025-08-19T10:45", reason="the mail header")
    del data["relationship"]
    response = client.post(url, data)
    assert response.status_code == 302
    awareness = AwarenessRecord.objects.get(party=controller)
    assert awareness.aware_at == datetime(2025, 8, 19, 8, 45, tzinfo=UTC)


def test_a_notice_before_the_processors_own_awareness_is_a_400(client, officer, incident, parties):
    _processor, _controller, relationship = parties
    client.force_login(officer)
    before = database_state()
    response = client.post(notice_url(incident), notice_form(relationship, informed_at_0="2025-08-17T10:00"))
    assert response.status_code == 400 and response.context["form"].errors["informed_at"]
    assert database_state() == before


def test_the_incident_page_links_to_the_guided_pages_not_the_admin(client, officer, lawyer, incident, parties):
    client.force_login(officer)
    body = client.get(reverse("incidents:detail", args=[incident.pk])).content.decode()
    assert awareness_url(incident) in body and notice_url(incident) in body
    assert "/admin/incidents/awarenessrecord/add/" not in body
    record = AwarenessRecord.objects.get()
    assert reverse("incidents:correct_awareness", args=[incident.pk, record.pk]) in body
    client.force_login(lawyer)
    body = client.get(reverse("incidents:detail", args=[incident.pk])).content.decode()
    assert awareness_url(incident) not in body and notice_url(incident) not in body


def test_only_this_incidents_relationships_are_offered(client, officer, incident, lab, parties):
    other = services.create_incident(organisation=lab, title="Another", actor=officer, reason="r")
    it = org_services.create_party(lab, name="IT supplier", actor=officer, reason="directory")
    hospital = org_services.create_party(lab, name="Hospital", actor=officer, reason="directory")
    p = services.add_party(other, party=it, role="processor", actor=officer, reason="r")
    c = services.add_party(other, party=hospital, role="controller", actor=officer, reason="r")
    foreign = services.link_processor(other, processor=p, controller=c, actor=officer, reason="r")
    client.force_login(officer)
    before = database_state()
    response = client.post(notice_url(incident), notice_form(foreign))
    assert response.status_code == 400 and response.context["form"].errors["relationship"]
    assert database_state() == before
