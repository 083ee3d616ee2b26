"""The routes the real case needs (authorities, the directory, processor relationships and notices,
threats, countdown revisions, publications, the answer sheet per controller) keep the API's rules:
an id from elsewhere is refused on its field, an offset must agree with its zone, nothing before
the plausibility floor, a reason for every change, a retried POST executed once, a correction only
of the version read. Who may call which route: tests/api/test_permission_matrix.py."""

from __future__ import annotations

from datetime import timedelta

import pytest

from actions import extortion as extortion_services
from actions import incidents as services
from incidents.models import AwarenessRecord, ExtortionCountdown, ProcessingRelationship, ProcessorNotice, Publication
from organisations import services as org_services
from organisations.models import Party, Role
from tests.api.conftest import REASON, token_client

WHEN = "2025-08-19T10:00:00+02:00"


@pytest.fixture
def api(officer, lab, make_token):
    return token_client(make_token(officer, lab, Role.PRIVACY_OFFICER).secret)


@pytest.fixture
def case(incident, processor_and_controller, officer, now):
    """The lab as processor of a screening programme, aware three days ago; a threat with a countdown."""
    processor, controller, relationship = processor_and_controller
    services.record_awareness(
        incident, party=processor, aware_at=now - timedelta(days=3), source="own_detection", actor=officer, reason="SOC"
    )
    threat = extortion_services.record_threat(
        incident,
        actor_name="Nova",
        first_contact_at=now - timedelta(days=3),
        channel="leak_site",
        actor=officer,
        reason="leak site",
    )
    return processor, controller, relationship, threat


@pytest.fixture
def elsewhere(lab, officer, now, processor_and_controller):
    """A second incident of the same organisation, with its own party, relationship and threat."""
    other = services.create_incident(organisation=lab, title="Lost laptop", actor=officer, reason="report")
    party = org_services.create_party(lab, name="Elsewhere Clinic", country="NL", actor=officer, reason="directory")
    controller = services.add_party(other, party=party, role="controller", actor=officer, reason="parties")
    processor = services.add_party(
        other, party=lab.parties.get(is_self=True), role="processor", actor=officer, reason="parties"
    )
    relationship = services.link_processor(
        other, processor=processor, controller=controller, actor=officer, reason="dpa"
    )
    threat = extortion_services.record_threat(
        other,
        actor_name="Other",
        first_contact_at=now - timedelta(days=1),
        channel="email",
        actor=officer,
        reason="mail",
    )
    return controller, relationship, threat


def notice_body(relationship, **more) -> dict:
    return {
        "relationship": relationship.pk,
        "informed_at": WHEN,
        "informed_tz": "Europe/Amsterdam",
        "channel": "email",
        "informed_by": "Lab DPO",
        "reason": REASON,
        **more,
    }


def url(incident, tail: str) -> str:
    return f"/api/incidents/{incident.pk}/{tail}"


# --- Ids from elsewhere: 400 on the field, nothing written -------------------------------------


def test_an_id_of_another_incident_is_refused_on_its_field(api, incident, case, elsewhere):
    processor, _controller, _relationship, _threat = case
    other_controller, other_relationship, other_threat = elsewhere
    refusals = [
        (
            "processor-relationships/",
            {"processor": processor.pk, "controller": other_controller.pk, "reason": REASON},
            "controller",
        ),
        ("processor-notices/", notice_body(other_relationship), "relationship"),
        (
            "publications/",
            {"threat": other_threat.pk, "published_at": WHEN, "location": "leak site", "reason": REASON},
            "threat",
        ),
        ("authorities/", {"authority": 999_999, "role": "lead", "reason": REASON}, "authority"),
    ]
    counts = (ProcessingRelationship.objects.count(), ProcessorNotice.objects.count(), Publication.objects.count())
    for tail, body, field in refusals:
        response = api.post(url(incident, tail), body, format="json")
        assert response.status_code == 400, (tail, response.json())
        assert list(response.json()["fields"]) == [field], (tail, response.json())
    assert (
        ProcessingRelationship.objects.count(),
        ProcessorNotice.objects.count(),
        Publication.objects.count(),
    ) == counts


def test_another_incidents_threat_in_the_url_is_not_found(api, incident, case, elsewhere):
    _controller, _relationship, other_threat = elsewhere
    response = api.post(
        url(incident, f"threats/{other_threat.pk}/countdown-revisions/"),
        {"kind": "set", "announced_at": WHEN, "deadline_at": "2025-09-01T10:00:00Z", "reason": REASON},
        format="json",
    )
    assert response.status_code == 404
    assert not ExtortionCountdown.objects.exists()


def test_another_organisations_directory_party_is_not_found(api, outsider, other_org):
    theirs = org_services.create_party(other_org, name="Their Hospital", actor=outsider, reason="directory")
    assert api.get(f"/api/parties/{theirs.pk}/").status_code == 404
    assert "Their Hospital" not in api.get("/api/parties/").content.decode()


# --- Time: offsets that agree with their zone, the plausibility floor ----------------------------


def test_an_offset_that_contradicts_its_zone_is_refused_on_the_instant(api, incident, case):
    _processor, _controller, relationship, _threat = case
    response = api.post(
        url(incident, "processor-notices/"),
        notice_body(relationship, informed_at="2025-08-19T10:00:00-05:00"),
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["field_codes"] == {"informed_at": ["offset_not_of_zone"]}


def test_an_instant_before_the_plausibility_floor_is_refused(api, incident, case):
    _processor, _controller, _relationship, threat = case
    response = api.post(
        url(incident, f"threats/{threat.pk}/countdown-revisions/"),
        {
            "kind": "set",
            "announced_at": "1925-08-19T10:00:00Z",
            "deadline_at": "1925-09-01T10:00:00Z",
            "reason": REASON,
        },
        format="json",
    )
    assert response.status_code == 400
    assert "too_early" in response.json()["field_codes"]["announced_at"]


def test_a_notice_before_the_processor_knew_is_refused_on_informed_at(api, incident, case, now):
    _processor, _controller, relationship, _threat = case
    early = (now - timedelta(days=4)).isoformat()
    response = api.post(
        url(incident, "processor-notices/"), notice_body(relationship, informed_at=early), format="json"
    )
    assert response.status_code == 400
    assert response.json()["field_codes"] == {"informed_at": ["before_processor_awareness"]}
    assert not ProcessorNotice.objects.exists()


# --- Reasons, idempotency, If-Match ------------------------------------------------------------------


def test_a_write_without_a_reason_is_refused_by_name(api, incident, case):
    _processor, _controller, relationship, _threat = case
    body = notice_body(relationship)
    del body["reason"]
    response = api.post(url(incident, "processor-notices/"), body, format="json")
    assert response.status_code == 400
    assert response.json()["fields"] == {"reason": ["This field is required."]}


def test_a_retried_notice_is_recorded_once(api, incident, case):
    _processor, controller, relationship, _threat = case
    first = api.post(
        url(incident, "processor-notices/"), notice_body(relationship), format="json", HTTP_IDEMPOTENCY_KEY="n-1"
    )
    again = api.post(
        url(incident, "processor-notices/"), notice_body(relationship), format="json", HTTP_IDEMPOTENCY_KEY="n-1"
    )
    assert (first.status_code, again.status_code) == (201, 201)
    assert again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert first["Location"] == "http://testserver" + url(incident, f"processor-notices/{first.json()['id']}/")
    assert ProcessorNotice.objects.count() == 1
    assert AwarenessRecord.objects.filter(party=controller, processor_notice__isnull=False).count() == 1


def test_a_notice_is_corrected_only_from_the_version_read_and_its_awareness_follows(api, incident, case):
    _processor, controller, relationship, _threat = case
    created = api.post(url(incident, "processor-notices/"), notice_body(relationship), format="json")
    detail = url(incident, f"processor-notices/{created.json()['id']}/")
    change = {"informed_at": "2025-08-19T09:00:00+02:00", "reason": "the mail's header says 09:00"}
    assert api.patch(detail, change, format="json").status_code == 428
    assert api.patch(detail, change, format="json", HTTP_IF_MATCH='"stale"').status_code == 412
    corrected = api.patch(detail, change, format="json", HTTP_IF_MATCH=api.get(detail)["ETag"])
    assert corrected.status_code == 200, corrected.json()
    assert corrected.json()["informed_at"] == "2025-08-19T07:00:00Z"
    derived = AwarenessRecord.objects.get(party=controller, processor_notice_id=created.json()["id"])
    assert derived.aware_at.isoformat() == "2025-08-19T07:00:00+00:00"


def test_a_directory_party_is_added_once_by_name_and_corrected_under_if_match(api, lab):
    created = api.post("/api/parties/", {"name": "Regional Hospital", "country": "NL", "reason": REASON}, format="json")
    assert created.status_code == 201, created.json()
    assert created.json()["owner"] == lab.pk and created.json()["country"] == "NL"
    twin = api.post("/api/parties/", {"name": "regional hospital", "reason": REASON}, format="json")
    assert twin.status_code == 400 and list(twin.json()["fields"]) == ["name"]
    detail = f"/api/parties/{created.json()['id']}/"
    change = {"contact_email": "privacy@hospital.example", "reason": REASON}
    assert api.patch(detail, change, format="json").status_code == 428
    changed = api.patch(detail, change, format="json", HTTP_IF_MATCH=api.get(detail)["ETag"])
    assert changed.status_code == 200 and changed.json()["contact_email"] == "privacy@hospital.example"
    assert Party.objects.get(pk=created.json()["id"]).history.count() == 2


def test_a_second_lead_authority_is_refused_on_role(api, incident, dutch_ap):
    from organisations.models import Authority

    assert (
        api.post(
            url(incident, "authorities/"), {"authority": dutch_ap.pk, "role": "lead", "reason": REASON}, format="json"
        ).status_code
        == 201
    )
    belgian = Authority.objects.get(code="be-gba")
    response = api.post(
        url(incident, "authorities/"), {"authority": belgian.pk, "role": "lead", "reason": REASON}, format="json"
    )
    assert response.status_code == 400 and list(response.json()["fields"]) == ["role"]


def test_a_withdrawal_with_a_deadline_is_refused_on_deadline_at(api, incident, case, now):
    _processor, _controller, _relationship, threat = case
    revisions = url(incident, f"threats/{threat.pk}/countdown-revisions/")
    set_body = {"kind": "set", "announced_at": WHEN, "deadline_at": "2025-09-01T10:00:00Z", "reason": REASON}
    assert api.post(revisions, set_body, format="json").status_code == 201
    response = api.post(
        revisions,
        {"kind": "withdrawn", "announced_at": now.isoformat(), "deadline_at": "2025-09-02T10:00:00Z", "reason": REASON},
        format="json",
    )
    assert response.status_code == 400 and list(response.json()["fields"]) == ["deadline_at"]


# --- Read-only callers ----------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["viewer", "legal"])
def test_viewer_and_legal_tokens_may_read_but_not_write(persona, incident, case, viewer, lawyer, lab, make_token):
    _processor, _controller, relationship, threat = case
    user, role = {"viewer": (viewer, Role.VIEWER), "legal": (lawyer, Role.LEGAL)}[persona]
    client = token_client(make_token(user, lab, role).secret)
    writes = [
        ("/api/parties/", {"name": "Nope", "reason": REASON}),
        (url(incident, "processor-notices/"), notice_body(relationship)),
        (
            url(incident, "threats/"),
            {"actor_name": "X", "first_contact_at": WHEN, "channel": "email", "reason": REASON},
        ),
        (url(incident, f"threats/{threat.pk}/countdown-revisions/"), {"kind": "set", "reason": REASON}),
        (url(incident, "publications/"), {"published_at": WHEN, "location": "x", "reason": REASON}),
    ]
    for target, body in writes:
        assert client.post(target, body, format="json").status_code == 403, target
        assert client.get(target).status_code == 200, target
    assert not ProcessorNotice.objects.exists() and not Publication.objects.exists()


def test_the_answer_sheet_names_an_unknown_party_as_not_found(api, incident, case):
    assert api.get(url(incident, "exports/answer-sheet-json/"), {"party": 999_999}).status_code == 404
    _processor, controller, _relationship, _threat = case
    sheet = api.get(url(incident, "exports/answer-sheet-json/"), {"party": controller.pk})
    assert sheet.status_code == 200 and sheet.json()["party"]["id"] == controller.pk
