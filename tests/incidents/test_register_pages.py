"""The guided register pages of one incident (web.register): facts, parties and authorities, a
decision not to notify, close and reopen — in the product, not the admin.

Each page: the officer's GET and POST, back on the incident page with a message in their
language and zone; legal and viewers refused (403) on GET and POST; another organisation's
incident a 404; a refused form a 400 with its message and nothing written; history rows naming
the actor and the reason.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from actions import incidents as services
from filings.models import NotificationDecisionRecord
from incidents.models import Incident, IncidentAuthority, IncidentParty, ProcessingRelationship
from organisations import services as org_services
from organisations.models import Authority
from tests.filings.conftest import complete_register, controller, count, lead_ap, submit  # noqa: F401 (fixtures)

UTC = UTC


def facts_form(incident, **overrides):
    """The facts form as the page shows it for ``incident``, with ``overrides`` typed over it."""
    data = {
        "title": incident.title,
        "cause": incident.cause,
        "cause_detail": "",
        "discovery_method": "",
        "discovery_detail": "",
        "description": incident.description,
        "occurred_from_at_0": "2025-07-04T00:00",  # 22:00 UTC on 3 July, in Amsterdam summer time
        "occurred_from_at_1": "Europe/Amsterdam",
        "occurred_from_at_2": "",
        "occurred_until_at_0": "",
        "occurred_until_at_1": "Europe/Amsterdam",
        "detected_at_0": "",
        "detected_at_1": "Europe/Amsterdam",
        "investigation_started_at_0": "",
        "investigation_started_at_1": "Europe/Amsterdam",
        "contained_at_0": "",
        "contained_at_1": "Europe/Amsterdam",
        "is_data_encrypted": "unknown",
        "is_key_compromised": "unknown",
        "likely_consequences": "",
        "severity": "",
        "risk_level": "",
        "risk_reasoning": "",
        "measures_before": "",
        "measures_containment": "",
        "measures_mitigation": "",
        "measures_planned": "",
        "notification_decision": incident.notification_decision,
        "notification_reasoning": "",
        "reason": "forensic report of 20 August",
        "loaded_version": Incident.objects.get(pk=incident.pk).updated_at.isoformat(),  # as the page showed it
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def message_texts(response):
    return [str(message) for message in get_messages(response.wsgi_request)]


def history_of(model, **lookup):
    return list(model.history.filter(**lookup).order_by("history_id"))


# --- Roles and tenancy, for every page ----------------------------------------------------------


def page_urls(incident):
    return [
        reverse("register:facts", args=[incident.pk]),
        reverse("register:parties", args=[incident.pk]),
        reverse("register:decision", args=[incident.pk]),
        reverse("register:status", args=[incident.pk]),
    ]


def post_urls(incident):
    return [
        reverse("register:facts", args=[incident.pk]),
        reverse("register:add_party", args=[incident.pk]),
        reverse("register:add_authority", args=[incident.pk]),
        reverse("register:link_processor", args=[incident.pk]),
        reverse("register:decision", args=[incident.pk]),
        reverse("register:status", args=[incident.pk]),
    ]


@pytest.mark.parametrize("persona", ["lawyer", "viewer"])
def test_only_an_officer_may_open_or_post_the_pages(client, request, persona, incident, processor_and_controller):
    client.force_login(request.getfixturevalue(persona))
    _processor, controller_party, _link = processor_and_controller
    before = Incident.history.count(), IncidentParty.history.count()
    for url in page_urls(incident) + [
        reverse("register:correct_party", args=[incident.pk, controller_party.pk]),
        reverse("register:remove_party", args=[incident.pk, controller_party.pk]),
    ]:
        assert client.get(url).status_code == 403, url
    for url in post_urls(incident):
        assert client.post(url, {"reason": "trying", "status": "closed", "title": "x"}).status_code == 403, url
    assert (Incident.history.count(), IncidentParty.history.count()) == before


def test_another_organisations_incident_is_not_found(client, outsider, incident, processor_and_controller):
    client.force_login(outsider)
    _processor, controller_party, _link = processor_and_controller
    for url in page_urls(incident) + [reverse("register:correct_party", args=[incident.pk, controller_party.pk])]:
        assert client.get(url).status_code == 404, url
    for url in post_urls(incident):
        assert client.post(url, {"reason": "trying"}).status_code == 404, url


def test_the_incident_page_links_to_the_guided_pages_and_not_to_the_admin(client, officer, incident):
    client.force_login(officer)
    body = client.get(reverse("incidents:detail", args=[incident.pk])).content.decode()
    for url in page_urls(incident):
        assert url in body
    assert reverse("admin:incidents_incident_change", args=[incident.pk]) not in body
    assert reverse("admin:filings_notificationdecisionrecord_add") not in body


# --- 1. Facts ------------------------------------------------------------------------------------


def test_the_facts_page_shows_each_time_in_its_own_zone(client, officer, incident, now):
    client.force_login(officer)
    response = client.get(reverse("register:facts", args=[incident.pk]))
    assert response.status_code == 200
    body = response.content.decode()
    assert 'value="2025-07-04T00:00"' in body  # 22:00 UTC, as Amsterdam's clocks showed it
    assert 'name="reason"' in body


def test_an_officer_edits_the_facts_and_returns_to_the_incident(client, officer, incident, now):
    client.force_login(officer)
    response = client.post(
        reverse("register:facts", args=[incident.pk]),
        facts_form(
            incident,
            description="A criminal group copied screening results.",
            occurred_until_at_0="2025-07-05T03:30",
            occurred_until_at_1="Europe/London",
            data_categories=["health", "identity"],
            likely_consequences="Identity fraud.",
        ),
    )

    assert response.status_code == 302 and response["Location"] == reverse("incidents:detail", args=[incident.pk])
    incident.refresh_from_db()
    assert incident.description == "A criminal group copied screening results."
    assert incident.occurred_until_at == datetime(2025, 7, 5, 2, 30, tzinfo=UTC)  # BST is UTC+1
    assert incident.occurred_until_tz == "Europe/London"
    assert incident.occurred_from_at == datetime(2025, 7, 3, 22, 0, tzinfo=UTC)  # shown, sent back, unchanged
    assert incident.data_categories == ["health", "identity"]
    last = incident.history.latest("history_id")
    assert (last.history_user, last.history_change_reason) == (officer, "forensic report of 20 August")
    (text,) = message_texts(response)
    assert (
        text.startswith("Register facts saved: ")
        and "what happened, occurred until," in text
        and "occurred from" not in text
    )


def test_the_message_is_in_the_persons_language(client, officer, incident, now):
    client.force_login(officer)
    client.cookies["django_language"] = "nl"
    response = client.post(
        reverse("register:facts", args=[incident.pk]), facts_form(incident, description="Gekopieerd."), follow=True
    )
    assert response.status_code == 200
    assert "Registerfeiten opgeslagen" in response.content.decode()


@pytest.mark.parametrize(
    ("typed", "zone", "expected"),
    [
        ("2025-03-30T02:30", "Europe/Amsterdam", "does not exist"),  # the clocks jumped 02:00 → 03:00
        ("2024-10-27T02:30", "Europe/Amsterdam", "happens twice"),  # the clocks went back: which one?
        ("1899-06-01T10:00", "Europe/Amsterdam", "too early to be a fact of this register"),
        ("2025-08-21T10:00", "Europe/Amsterdam", "in the future"),
    ],
)
def test_a_refused_time_answers_400_and_writes_nothing(client, officer, incident, now, typed, zone, expected):
    client.force_login(officer)
    before = incident.history.count()
    response = client.post(
        reverse("register:facts", args=[incident.pk]),
        facts_form(incident, detected_at_0=typed, detected_at_1=zone, description="changed"),
    )
    assert response.status_code == 400
    assert expected in response.content.decode()
    incident.refresh_from_db()
    assert incident.history.count() == before and incident.description == ""


def test_the_facts_need_a_reason_and_a_change(client, officer, incident, now):
    client.force_login(officer)
    url = reverse("register:facts", args=[incident.pk])
    missing = client.post(url, facts_form(incident, description="changed", reason=""))
    unchanged = client.post(url, facts_form(incident))
    assert missing.status_code == unchanged.status_code == 400
    assert "Nothing was changed" in unchanged.content.decode()
    assert incident.history.count() == 1


def test_a_change_made_since_the_page_was_opened_is_not_undone(client, officer, incident, now, time_machine):
    client.force_login(officer)
    opened = facts_form(incident, likely_consequences="Identity fraud.")  # the page as it was opened
    time_machine.move_to(now + timedelta(minutes=1), tick=False)
    services.update_incident(incident, description="A colleague's description.", actor=officer, reason="colleague")
    response = client.post(reverse("register:facts", args=[incident.pk]), opened)
    assert response.status_code == 400
    assert "Someone changed this incident after you opened this page" in response.content.decode()
    incident.refresh_from_db()
    assert (incident.description, incident.likely_consequences) == ("A colleague's description.", "")


def test_a_closed_incident_refuses_new_facts(client, officer, incident, now):
    incident.status = "closed"  # closed without the register check: the refusal under test is the service's
    org_services.save_with_history(incident, actor=officer, reason="closed for the test", update_fields=["status"])
    client.force_login(officer)
    response = client.post(reverse("register:facts", args=[incident.pk]), facts_form(incident, description="late"))
    assert response.status_code == 400
    assert "This incident is closed" in response.content.decode()


# --- 2. Parties and authorities ------------------------------------------------------------------


def test_an_officer_adds_a_new_party_and_it_joins_the_directory(client, officer, incident, lab, now):
    client.force_login(officer)
    assert client.get(reverse("register:parties", args=[incident.pk])).status_code == 200
    response = client.post(
        reverse("register:add_party", args=[incident.pk]),
        {
            "party-party": "",
            "party-new_party_name": "  National  Screening Programme ",
            "party-role": "controller",
            "party-reason": "the programme is the controller",
        },
    )
    assert response.status_code == 302 and response["Location"].endswith("#parties")
    row = IncidentParty.objects.get(incident=incident)
    assert (row.party.name, row.party.owner, row.role) == ("National Screening Programme", lab, "controller")
    (record,) = history_of(IncidentParty, id=row.pk)
    assert (record.history_user, record.history_change_reason) == (officer, "the programme is the controller")
    assert message_texts(response) == ["National Screening Programme added as Controller (Art. 4(7))."]


def test_a_party_of_another_organisation_is_no_choice(client, officer, incident, other_org, admin_actor, now):
    foreign = org_services.create_party(other_org, name="Their supplier", actor=admin_actor, reason="theirs")
    client.force_login(officer)
    response = client.post(
        reverse("register:add_party", args=[incident.pk]),
        {"party-party": str(foreign.pk), "party-role": "processor", "party-reason": "guessing ids"},
    )
    assert response.status_code == 400
    assert "Their supplier" not in response.content.decode()
    assert not IncidentParty.objects.filter(incident=incident).exists()


def test_a_refused_party_leaves_no_new_directory_entry(client, officer, incident, lab, now):
    client.force_login(officer)
    response = client.post(
        reverse("register:add_party", args=[incident.pk]),
        {"party-new_party_name": "Courier Ltd", "party-role": "processor", "party-reason": ""},
    )
    assert response.status_code == 400
    assert not lab.parties.filter(name="Courier Ltd").exists()


def test_an_officer_corrects_a_party_role_with_a_reason(client, officer, incident, lab, now):
    party = org_services.create_party(lab, name="Courier Ltd", actor=officer, reason="directory")
    row = services.add_party(incident, party=party, role="processor", actor=officer, reason="added")
    client.force_login(officer)
    url = reverse("register:correct_party", args=[incident.pk, row.pk])
    assert client.get(url).status_code == 200
    response = client.post(url, {"role": "sub_processor", "notes": "via the lab", "reason": "contract read"})
    assert response.status_code == 302
    row.refresh_from_db()
    assert (row.role, row.notes) == ("sub_processor", "via the lab")
    last = history_of(IncidentParty, id=row.pk)[-1]
    assert (last.history_type, last.history_user, last.history_change_reason) == ("~", officer, "contract read")


def test_an_officer_removes_a_party_added_by_mistake(client, officer, incident, lab, now):
    party = org_services.create_party(lab, name="Wrong Ltd", actor=officer, reason="directory")
    row = services.add_party(incident, party=party, role="processor", actor=officer, reason="added")
    client.force_login(officer)
    url = reverse("register:remove_party", args=[incident.pk, row.pk])
    assert client.post(url, {"reason": ""}).status_code == 400
    assert IncidentParty.objects.filter(pk=row.pk).exists()
    response = client.post(url, {"reason": "added to the wrong incident"})
    assert response.status_code == 302
    assert not IncidentParty.objects.filter(pk=row.pk).exists()
    last = history_of(IncidentParty, id=row.pk)[-1]
    assert (last.history_type, last.history_user, last.history_change_reason) == (
        "-",
        officer,
        "added to the wrong incident",
    )


def test_a_controller_that_filed_cannot_be_removed_or_demoted(
    client, officer, incident, controller, complete_register, submit, now
):
    submit(controller)
    client.force_login(officer)
    removed = client.post(reverse("register:remove_party", args=[incident.pk, controller.pk]), {"reason": "tidying up"})
    assert removed.status_code == 400
    assert "cannot be removed: as controller it already has 1 filing(s)" in removed.content.decode()
    demoted = client.post(
        reverse("register:correct_party", args=[incident.pk, controller.pk]),
        {"role": "processor", "notes": "", "reason": "tidying up"},
    )
    assert demoted.status_code == 400
    assert "must stay a controller" in demoted.content.decode()
    controller.refresh_from_db()
    assert controller.role == "controller"


def test_a_party_other_records_point_at_is_refused_with_them_named(client, officer, incident, controller, now):
    client.force_login(officer)
    response = client.post(
        reverse("register:remove_party", args=[incident.pk, controller.pk]), {"reason": "tidying up"}
    )
    assert response.status_code == 400
    assert "still refer to it" in response.content.decode()
    assert IncidentParty.objects.filter(pk=controller.pk).exists()


def test_authorities_are_added_corrected_and_removed_with_history(client, officer, incident, dutch_ap, now):
    client.force_login(officer)
    response = client.post(
        reverse("register:add_authority", args=[incident.pk]),
        {"authority-authority": str(dutch_ap.pk), "authority-role": "lead", "authority-reason": "Dutch lab"},
    )
    assert response.status_code == 302
    row = IncidentAuthority.objects.get(incident=incident)
    response = client.post(
        reverse("register:correct_authority", args=[incident.pk, row.pk]), {"role": "concerned", "reason": "BE leads"}
    )
    assert response.status_code == 302
    response = client.post(
        reverse("register:remove_authority", args=[incident.pk, row.pk]), {"reason": "not concerned after all"}
    )
    assert response.status_code == 302
    assert [(r.history_type, r.history_user, r.history_change_reason) for r in history_of(IncidentAuthority)] == [
        ("+", officer, "Dutch lab"),
        ("~", officer, "BE leads"),
        ("-", officer, "not concerned after all"),
    ]


def test_an_authority_that_received_a_filing_stays(client, officer, incident, controller, complete_register, submit):
    submit(controller)
    row = IncidentAuthority.objects.get(incident=incident)
    client.force_login(officer)
    response = client.post(reverse("register:remove_authority", args=[incident.pk, row.pk]), {"reason": "tidy"})
    assert response.status_code == 400
    assert "1 filing(s) of this incident were made to it" in response.content.decode()
    assert IncidentAuthority.objects.filter(pk=row.pk).exists()


def test_a_party_of_another_incident_is_not_found(client, officer, incident, lab, now):
    other = services.create_incident(organisation=lab, title="Other", actor=officer, reason="x")
    party = org_services.create_party(lab, name="Courier Ltd", actor=officer, reason="directory")
    row = services.add_party(other, party=party, role="processor", actor=officer, reason="added")
    client.force_login(officer)
    assert client.get(reverse("register:remove_party", args=[incident.pk, row.pk])).status_code == 404


def test_an_officer_links_a_processor(client, officer, incident, lab, now):
    programme = org_services.create_party(lab, name="Programme", actor=officer, reason="directory")
    ours = services.add_party(
        incident, party=lab.parties.get(is_self=True), role="processor", actor=officer, reason="x"
    )
    theirs = services.add_party(incident, party=programme, role="controller", actor=officer, reason="x")
    client.force_login(officer)
    response = client.post(
        reverse("register:link_processor", args=[incident.pk]),
        {
            "link-processor": str(ours.pk),
            "link-controller": str(theirs.pk),
            "link-notice_target_hours": "12",
            "link-reason": "DPA art. 9",
        },
    )
    assert response.status_code == 302
    link = incident.processing_relationships.get()
    assert (link.processor, link.controller, link.notice_target_hours) == (ours, theirs, 12)


# --- 3. A decision not to notify ---------------------------------------------------------------


def decision_form(party, **overrides):
    data = {
        "controller": str(party.pk),
        "decided_at_0": "2025-08-20T13:15",
        "decided_at_1": "Europe/Amsterdam",
        "decided_at_2": "",
        "decided_by": "J. de Vries, DPO",
        "risk_basis": "unlikely_risk",
        "reasoning": "The data was encrypted and the key is safe.",
        "reason": "DPO's assessment",
    }
    data.update(overrides)
    return data


def test_an_officer_records_a_decision_not_to_notify(client, officer, incident, controller, now):
    client.force_login(officer)
    url = reverse("register:decision", args=[incident.pk])
    assert client.get(url).status_code == 200
    response = client.post(url, decision_form(controller))
    assert response.status_code == 302
    decision = NotificationDecisionRecord.objects.get(incident=incident)
    assert decision.decided_at == datetime(2025, 8, 20, 11, 15, tzinfo=UTC)
    assert decision.decided_tz == "Europe/Amsterdam"
    record = decision.history.get()
    assert (record.history_user, record.history_change_reason) == (officer, "DPO's assessment")
    (text,) = message_texts(response)
    assert "National Screening Programme does not notify the authority" in text
    assert "13:15 CEST" in text  # the person's zone, named: never raw UTC


def test_a_refused_decision_answers_400_and_writes_nothing(client, officer, incident, controller, lab, now):
    client.force_login(officer)
    stranger = org_services.create_party(lab, name="Not on it", actor=officer, reason="directory")
    url = reverse("register:decision", args=[incident.pk])
    for data in (
        decision_form(controller, reasoning=""),
        decision_form(controller, controller=str(stranger.pk)),
        decision_form(controller, decided_at_0="2025-08-21T09:00"),
        decision_form(controller, decided_at_0="2025-03-30T02:30"),
    ):
        assert client.post(url, data).status_code == 400
    assert not NotificationDecisionRecord.objects.exists()


# --- 4. Close and reopen -------------------------------------------------------------------------


def test_closing_an_incomplete_register_names_what_is_missing(client, officer, incident, now):
    client.force_login(officer)
    url = reverse("register:status", args=[incident.pk])
    assert "Describe what happened." in client.get(url).content.decode()
    response = client.post(url, {"status": "closed", "reason": "done"})
    assert response.status_code == 400
    assert "Record the cause." in response.content.decode()
    incident.refresh_from_db()
    assert incident.status == "open"


def test_an_officer_closes_and_reopens_with_a_reason(client, officer, incident, controller, complete_register, now):
    services.update_incident(
        incident,
        cause="ransomware",
        discovery_method="threat_actor",
        detected_at=now - timedelta(days=1),
        risk_level="high",
        risk_reasoning="Health data.",
        notification_decision="notify",
        notification_reasoning="High risk.",
        actor=officer,
        reason="complete",
    )
    client.force_login(officer)
    url = reverse("register:status", args=[incident.pk])
    closed = client.post(url, {"status": "closed", "reason": "register complete"})
    assert closed.status_code == 302, closed.content.decode()
    assert message_texts(closed)[0].startswith("Incident closed at Wed 20 Aug 2025, 14:00 CEST")
    reopened = client.post(url, {"status": "open", "reason": "new facts from the forensic report"})
    assert reopened.status_code == 302
    incident.refresh_from_db()
    assert incident.status == "open"
    records = list(incident.history.order_by("-history_id")[:2])
    assert [(r.status, r.history_user, r.history_change_reason) for r in records] == [
        ("open", officer, "new facts from the forensic report"),
        ("closed", officer, "register complete"),
    ]


def test_a_status_needs_a_reason(client, officer, incident, now):
    client.force_login(officer)
    response = client.post(reverse("register:status", args=[incident.pk]), {"status": "contained", "reason": ""})
    assert response.status_code == 400
    incident.refresh_from_db()
    assert incident.status == "open"


def test_a_wrong_processor_goes_with_its_link_each_with_a_reason(
    client, officer, incident, processor_and_controller, now
):
    processor, _controller, link = processor_and_controller
    client.force_login(officer)
    refused = client.post(reverse("register:remove_party", args=[incident.pk, processor.pk]), {"reason": "wrong"})
    assert refused.status_code == 400 and "processing relationships (1)" in refused.content.decode()
    url = reverse("register:remove_link", args=[incident.pk, link.pk])
    assert client.get(url).status_code == 200
    assert client.post(url, {"reason": "not their processor"}).status_code == 302
    assert (
        client.post(reverse("register:remove_party", args=[incident.pk, processor.pk]), {"reason": "wrong"}).status_code
        == 302
    )
    (record,) = [r for r in history_of(ProcessingRelationship, id=link.pk) if r.history_type == "-"]
    assert (record.history_user, record.history_change_reason) == (officer, "not their processor")


def test_a_link_a_notice_went_along_stays(client, officer, incident, processor_and_controller, now):
    _processor, _controller, link = processor_and_controller
    services.record_processor_notice(
        link,
        informed_at=now - timedelta(hours=3),
        channel="email",
        informed_by="lab DPO",
        actor=officer,
        reason="told them",
    )
    client.force_login(officer)
    response = client.post(reverse("register:remove_link", args=[incident.pk, link.pk]), {"reason": "tidy"})
    assert response.status_code == 400
    assert "still refer to it" in response.content.decode()
    assert ProcessingRelationship.objects.filter(pk=link.pk).exists()


def test_a_second_lead_authority_is_refused_not_a_server_error(client, officer, incident, dutch_ap, now):
    belgian = Authority.objects.exclude(pk=dutch_ap.pk).first()  # the seeded authorities
    services.add_authority(incident, authority=dutch_ap, role="lead", actor=officer, reason="lead")
    services.add_authority(incident, authority=belgian, role="concerned", actor=officer, reason="concerned")
    row = IncidentAuthority.objects.get(incident=incident, authority=belgian)
    client.force_login(officer)
    url = reverse("register:correct_authority", args=[incident.pk, row.pk])
    response = client.post(url, {"role": "lead", "reason": "Belgium leads"})
    assert response.status_code == 400
    assert (
        "This incident already has a lead supervisory authority (Autoriteit Persoonsgegevens)"
        in response.content.decode()
    )
    row.refresh_from_db()
    assert row.role == "concerned"


def test_adding_a_second_lead_names_the_first(client, officer, incident, dutch_ap, now):
    services.add_authority(incident, authority=dutch_ap, role="lead", actor=officer, reason="lead")
    other = Authority.objects.exclude(pk=dutch_ap.pk).first()
    client.force_login(officer)
    response = client.post(
        reverse("register:add_authority", args=[incident.pk]),
        {"authority-authority": str(other.pk), "authority-role": "lead", "authority-reason": "they lead"},
    )
    assert response.status_code == 400
    assert "already has a lead supervisory authority (Autoriteit Persoonsgegevens)" in response.content.decode()
    assert incident.authorities.count() == 1
