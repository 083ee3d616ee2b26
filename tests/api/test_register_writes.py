"""Writes on parties, awareness, estimates and status over the API: through the services, with
the reason kept, refused whole on bad input, and guarded by If-Match where a record changes."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connections

from actions import incidents as services
from api.preconditions import etag_of
from api.serializers import AwarenessSerializer
from incidents.models import AffectedEstimate, AwarenessRecord, Incident, IncidentParty
from organisations import services as org_services
from tests.api.conftest import REASON, session_client, token_client


@pytest.fixture
def controller(incident, lab, officer):
    party = org_services.create_party(lab, name="Screening Programme", country="NL", actor=officer, reason="directory")
    return services.add_party(incident, party=party, role="controller", actor=officer, reason="parties")


@pytest.fixture
def awareness(incident, controller, officer, now):
    return services.record_awareness(
        incident,
        party=controller,
        aware_at=now - timedelta(days=2),
        source="own_detection",
        actor=officer,
        reason="mail",
    )


def _aware(controller, at):
    return {"party": controller.pk, "aware_at": at, "source": "own_detection", "reason": REASON}


def test_an_officer_records_awareness_and_the_reason_is_kept_with_the_actor(incident, controller, officer):
    response = session_client(officer).post(
        f"/api/incidents/{incident.pk}/awareness/", _aware(controller, "2025-07-04T09:12:00+02:00"), format="json"
    )
    assert response.status_code == 201, response.content
    assert response.json()["aware_at"] == "2025-07-04T07:12:00Z"
    assert response["ETag"] == etag_of(response.json())
    record = AwarenessRecord.objects.get(pk=response.json()["id"])
    latest = record.history.latest()
    assert (latest.history_user, latest.history_change_reason) == (officer, REASON)


@pytest.mark.parametrize(
    ("aware_at", "message"),
    [("2025-07-01T10:00:00Z", "before the breach started"), ("2025-08-21T12:00:00Z", "future")],
)
def test_an_impossible_awareness_is_refused_on_its_field_and_nothing_is_written(
    incident, controller, officer, aware_at, message
):
    before = AwarenessRecord.objects.count(), incident.history.count()
    response = session_client(officer).post(
        f"/api/incidents/{incident.pk}/awareness/", _aware(controller, aware_at), format="json"
    )
    assert response.status_code == 400
    assert message in " ".join(response.json()["fields"]["aware_at"])
    assert (AwarenessRecord.objects.count(), incident.history.count()) == before


def test_a_wall_clock_time_without_offset_is_refused(incident, controller, officer):
    response = session_client(officer).post(
        f"/api/incidents/{incident.pk}/awareness/", _aware(controller, "2025-07-04T09:12:00"), format="json"
    )
    assert response.status_code == 400 and "aware_at" in response.json()["fields"]
    assert not AwarenessRecord.objects.exists()


def test_a_party_of_another_incident_reads_as_unknown(incident, controller, officer, lab):
    other = services.create_incident(organisation=lab, title="Another breach", actor=officer, reason="report")
    response = session_client(officer).post(
        f"/api/incidents/{other.pk}/awareness/", _aware(controller, "2025-08-19T08:00:00Z"), format="json"
    )
    assert response.status_code == 400 and "party" in response.json()["fields"]
    assert not AwarenessRecord.objects.exists()


def test_a_directory_party_of_another_organisation_cannot_be_added(incident, officer, other_org, outsider):
    foreign = org_services.create_party(
        other_org, name="Their Processor", country="NL", actor=outsider, reason="directory"
    )
    response = session_client(officer).post(
        f"/api/incidents/{incident.pk}/parties/",
        {"party": foreign.pk, "role": "processor", "reason": REASON},
        format="json",
    )
    assert response.status_code == 400 and "party" in response.json()["fields"]
    assert not IncidentParty.objects.filter(incident=incident).exists()


def test_legal_and_viewers_may_not_write_and_an_outsider_sees_nothing(incident, controller, lawyer, viewer, outsider):
    url, body = f"/api/incidents/{incident.pk}/awareness/", _aware(controller, "2025-08-19T08:00:00Z")
    assert session_client(lawyer).post(url, body, format="json").status_code == 403
    assert session_client(viewer).post(url, body, format="json").status_code == 403
    assert session_client(outsider).post(url, body, format="json").status_code == 404
    assert not AwarenessRecord.objects.exists()


def test_estimates_are_added_never_overwritten_so_the_register_shows_what_was_known_when(incident, officer):
    client = session_client(officer)
    for low, known in ((485000, "2025-07-20T10:00:00Z"), (715000, "2025-08-01T10:00:00Z")):
        body = {
            "measure": "data_subjects",
            "low": low,
            "known_at": known,
            "source": "forensic report",
            "reason": REASON,
        }
        assert client.post(f"/api/incidents/{incident.pk}/estimates/", body, format="json").status_code == 201
    listed = client.get(f"/api/incidents/{incident.pk}/estimates/").json()
    assert [row["low"] for row in listed] == [485000, 715000]
    assert all(row["is_approximate"] for row in listed)


def test_an_estimate_with_its_bounds_reversed_is_refused_whole(incident, officer):
    body = {
        "measure": "records",
        "low": 900,
        "high": 100,
        "known_at": "2025-08-01T10:00:00Z",
        "source": "x",
        "reason": REASON,
    }
    response = session_client(officer).post(f"/api/incidents/{incident.pk}/estimates/", body, format="json")
    assert response.status_code == 400 and "high" in response.json()["fields"]
    assert not AffectedEstimate.objects.exists()


class TestCorrectingAwareness:
    def url(self, record):
        return f"/api/awareness-records/{record.pk}/"

    def test_without_if_match_it_is_428_and_nothing_changes(self, awareness, officer):
        response = session_client(officer).patch(
            self.url(awareness), {"evidence": "x", "reason": REASON}, format="json"
        )
        assert response.status_code == 428
        assert AwarenessRecord.objects.get(pk=awareness.pk).evidence == ""

    def test_with_a_stale_etag_it_is_412(self, awareness, officer):
        client = session_client(officer)
        etag = client.get(self.url(awareness))["ETag"]
        services.correct_awareness(awareness, evidence="someone else", actor=officer, reason="web")
        response = client.patch(
            self.url(awareness), {"evidence": "mine", "reason": REASON}, format="json", HTTP_IF_MATCH=etag
        )
        assert response.status_code == 412
        assert AwarenessRecord.objects.get(pk=awareness.pk).evidence == "someone else"

    def test_with_the_current_etag_it_corrects_and_answers_the_new_etag(self, awareness, officer):
        client = session_client(officer)
        etag = client.get(self.url(awareness))["ETag"]
        response = client.patch(
            self.url(awareness),
            {"aware_at": "2025-08-17T10:00:00Z", "reason": REASON},
            format="json",
            HTTP_IF_MATCH=etag,
        )
        assert response.status_code == 200, response.content
        assert response.json()["aware_at"] == "2025-08-17T10:00:00Z"
        assert response["ETag"] == etag_of(AwarenessSerializer(AwarenessRecord.objects.get(pk=awareness.pk)).data)

    def test_a_correction_into_the_future_is_refused_on_its_field(self, awareness, officer):
        client = session_client(officer)
        etag = client.get(self.url(awareness))["ETag"]
        response = client.patch(
            self.url(awareness),
            {"aware_at": "2026-01-01T10:00:00Z", "reason": REASON},
            format="json",
            HTTP_IF_MATCH=etag,
        )
        assert response.status_code == 400 and "aware_at" in response.json()["fields"]
        assert AwarenessRecord.objects.get(pk=awareness.pk).aware_at == awareness.aware_at

    def test_the_party_is_not_correctable(self, awareness, officer):
        client = session_client(officer)
        etag = client.get(self.url(awareness))["ETag"]
        response = client.patch(self.url(awareness), {"party": 1, "reason": REASON}, format="json", HTTP_IF_MATCH=etag)
        assert response.status_code == 400 and "party" in response.json()["fields"]

    def test_withdrawing_keeps_the_record_marked(self, awareness, officer):
        client = session_client(officer)
        etag = client.get(self.url(awareness))["ETag"]
        response = client.post(
            f"{self.url(awareness)}withdraw/",
            {"withdrawal_reason": "another incident", "reason": REASON},
            format="json",
            HTTP_IF_MATCH=etag,
        )
        assert response.status_code == 200
        assert AwarenessRecord.objects.get(pk=awareness.pk).is_withdrawn

    def test_a_viewer_token_of_an_officer_may_only_read(self, awareness, officer, lab, make_token):
        client = token_client(make_token(officer, lab, "viewer").secret)
        etag = client.get(self.url(awareness))["ETag"]
        response = client.patch(
            self.url(awareness), {"evidence": "x", "reason": REASON}, format="json", HTTP_IF_MATCH=etag
        )
        assert response.status_code == 403

    def test_an_outsider_gets_404(self, awareness, outsider):
        assert session_client(outsider).get(self.url(awareness)).status_code == 404


class TestStatus:
    def url(self, incident):
        return f"/api/incidents/{incident.pk}/status/"

    def test_it_needs_if_match(self, incident, officer):
        response = session_client(officer).post(
            self.url(incident), {"status": "closed", "reason": REASON}, format="json"
        )
        assert response.status_code == 428

    def test_closing_an_incomplete_entry_names_the_gaps_and_changes_nothing(self, incident, officer):
        client = session_client(officer)
        etag = client.get(f"/api/incidents/{incident.pk}/")["ETag"]
        response = client.post(
            self.url(incident), {"status": "closed", "reason": REASON}, format="json", HTTP_IF_MATCH=etag
        )
        assert response.status_code == 400
        assert {"description", "cause", "awareness", "estimates"} <= set(
            response.json()["fields"]
        )  # each gap on its field
        assert Incident.objects.get(pk=incident.pk).status == "open"

    def test_containing_it_after_recording_when_answers_the_incident_with_its_new_etag(self, incident, officer, now):
        services.update_incident(incident, contained_at=now - timedelta(days=1), actor=officer, reason="contained")
        client = session_client(officer)
        etag = client.get(f"/api/incidents/{incident.pk}/")["ETag"]
        response = client.post(
            self.url(incident), {"status": "contained", "reason": REASON}, format="json", HTTP_IF_MATCH=etag
        )
        assert response.status_code == 200 and response.json()["status"] == "contained"
        assert response["ETag"] != etag
        stale = client.post(self.url(incident), {"status": "open", "reason": REASON}, format="json", HTTP_IF_MATCH=etag)
        assert stale.status_code == 412
        assert Incident.objects.get(pk=incident.pk).history.latest().history_change_reason == REASON

    def test_an_unknown_status_is_refused_on_its_field(self, incident, officer):
        client = session_client(officer)
        etag = client.get(f"/api/incidents/{incident.pk}/")["ETag"]
        response = client.post(
            self.url(incident), {"status": "gone", "reason": REASON}, format="json", HTTP_IF_MATCH=etag
        )
        assert response.status_code == 400 and "status" in response.json()["fields"]


def test_a_party_already_on_the_incident_is_refused_and_not_added_twice(incident, controller, officer):
    body = {"party": controller.party_id, "role": "controller", "reason": REASON}
    response = session_client(officer).post(f"/api/incidents/{incident.pk}/parties/", body, format="json")
    assert response.status_code == 400, response.content
    assert response.json()["fields"] == {"party": ["This party is already a party to the incident."]}
    assert IncidentParty.objects.filter(incident=incident).count() == 1


def test_an_awareness_derived_from_a_processor_notice_changes_only_with_its_notice(
    processor_and_controller, officer, now
):
    _processor, controller, relationship = processor_and_controller
    services.record_processor_notice(
        relationship,
        informed_at=now - timedelta(days=3),
        channel="email",
        informed_by="lab DPO",
        actor=officer,
        reason="mail",
    )
    derived = AwarenessRecord.objects.get(party=controller)
    client = session_client(officer)
    url = f"/api/awareness-records/{derived.pk}/"
    response = client.patch(
        url,
        {"aware_at": "2025-08-18T08:00:00Z", "reason": REASON},
        format="json",
        HTTP_IF_MATCH=client.get(url)["ETag"],
    )
    assert response.status_code == 400 and "notice" in response.content.decode()
    assert AwarenessRecord.objects.get(pk=derived.pk).aware_at == derived.aware_at


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_corrections_racing_with_the_same_etag_give_one_change_and_one_412(awareness, officer, lab, make_token):
    """Both pass If-Match before either writes, unless the comparison runs on the locked rows."""
    clients = [session_client(officer), token_client(make_token(officer, lab, "privacy_officer").secret)]
    url = f"/api/awareness-records/{awareness.pk}/"
    etag = clients[0].get(url)["ETag"]
    barrier = threading.Barrier(2)
    statuses = []

    def patch(client, evidence):
        try:
            barrier.wait(timeout=10)
            body = {"evidence": evidence, "reason": f"racing: {evidence}"}
            statuses.append(client.patch(url, body, format="json", HTTP_IF_MATCH=etag).status_code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=patch, args=pair) for pair in zip(clients, ["mail 1", "mail 2"], strict=False)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(statuses) == [200, 412]
    assert awareness.history.count() == 2


def test_the_schema_documents_if_match_and_the_refusals_on_every_guarded_change(viewer):
    schema = session_client(viewer).get("/api/schema/?format=json").json()
    guarded = [
        schema["paths"]["/api/incidents/{id}/status/"]["post"],
        schema["paths"]["/api/awareness-records/{id}/"]["patch"],
        schema["paths"]["/api/awareness-records/{id}/withdraw/"]["post"],
        schema["paths"]["/api/content-versions/{id}/"]["patch"],
    ]
    for operation in guarded:
        if_match = next(p for p in operation["parameters"] if p["name"] == "If-Match")
        assert (if_match["in"], if_match["required"]) == ("header", True)
        assert {"400", "403", "404", "412", "428"} <= set(operation["responses"])
    created = schema["paths"]["/api/incidents/{id}/awareness/"]["post"]
    assert "201" in created["responses"]
    assert "reason" in schema["components"]["schemas"]["AwarenessWriteRequest"]["required"]
