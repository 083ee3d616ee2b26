"""Art. 34 over the API: assessments (the latest per controller is current) and content versions
(numbered per language, corrected only with If-Match, frozen once sent)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from actions import communications as communication_services
from actions import incidents as services
from communications.models import CommunicationAssessment, ContentVersion
from organisations import services as org_services
from tests.api.conftest import REASON, session_client


@pytest.fixture
def controller(incident, lab, officer):
    party = org_services.create_party(lab, name="Screening Programme", country="NL", actor=officer, reason="directory")
    return services.add_party(incident, party=party, role="controller", actor=officer, reason="parties")


def _assessment(controller, **overrides):
    return {
        "controller": controller.pk,
        "is_high_risk": True,
        "reasoning": "health data",
        "decided_by_name": "A. de Vries",
        "decided_by_role": "DPO",
        "decided_at": "2025-08-19T08:00:00Z",
        "reason": REASON,
        **overrides,
    }


def test_a_new_assessment_supersedes_the_previous_one(incident, controller, officer):
    client = session_client(officer)
    url = f"/api/incidents/{incident.pk}/assessments/"
    first = client.post(url, _assessment(controller), format="json")
    second = client.post(url, _assessment(controller, is_high_risk=False, reasoning="encrypted"), format="json")
    assert (first.status_code, second.status_code) == (201, 201)
    listed = {row["id"]: row["is_current"] for row in client.get(url).json()}
    assert listed == {first.json()["id"]: False, second.json()["id"]: True}


@pytest.mark.parametrize(
    ("decided_at", "message"), [("2025-07-01T08:00:00Z", "before the breach"), ("2025-09-01T08:00:00Z", "future")]
)
def test_an_impossible_decision_time_is_refused_on_its_field(incident, controller, officer, decided_at, message):
    response = session_client(officer).post(
        f"/api/incidents/{incident.pk}/assessments/", _assessment(controller, decided_at=decided_at), format="json"
    )
    assert response.status_code == 400 and message in " ".join(response.json()["fields"]["decided_at"])
    assert not CommunicationAssessment.objects.exists()


def test_legal_may_read_but_not_decide(incident, controller, lawyer):
    client = session_client(lawyer)
    assert (
        client.post(f"/api/incidents/{incident.pk}/assessments/", _assessment(controller), format="json").status_code
        == 403
    )
    assert client.get(f"/api/incidents/{incident.pk}/assessments/").status_code == 200


def test_content_versions_are_numbered_per_language(incident, officer):
    client = session_client(officer)
    url = f"/api/incidents/{incident.pk}/content-versions/"
    numbers = [
        client.post(
            url, {"language": language, "title": "Datalek", "text": "Beste ...", "reason": REASON}, format="json"
        ).json()["version"]
        for language in ("nl", "nl", "en")
    ]
    assert numbers == [1, 2, 1]


def test_an_empty_text_is_refused_and_nothing_is_numbered(incident, officer):
    response = session_client(officer).post(
        f"/api/incidents/{incident.pk}/content-versions/",
        {"language": "nl", "title": "x", "text": "  ", "reason": REASON},
        format="json",
    )
    assert response.status_code == 400 and "text" in response.json()["fields"]
    assert not ContentVersion.objects.exists()


class TestCorrectingContent:
    @pytest.fixture
    def content(self, incident, officer):
        return communication_services.create_content_version(
            incident, language="en", title="Breach", text="Dear ...", actor=officer, reason="text"
        )

    def test_it_needs_the_current_etag(self, content, officer):
        client = session_client(officer)
        url = f"/api/content-versions/{content.pk}/"
        assert client.patch(url, {"title": "New", "reason": REASON}, format="json").status_code == 428
        etag = client.get(url)["ETag"]
        assert (
            client.patch(url, {"title": "New", "reason": REASON}, format="json", HTTP_IF_MATCH=etag).status_code == 200
        )
        stale = client.patch(url, {"title": "Newer", "reason": REASON}, format="json", HTTP_IF_MATCH=etag)
        assert stale.status_code == 412
        assert ContentVersion.objects.get(pk=content.pk).title == "New"

    def test_the_language_is_not_correctable(self, content, officer):
        client = session_client(officer)
        url = f"/api/content-versions/{content.pk}/"
        response = client.patch(
            url, {"language": "nl", "reason": REASON}, format="json", HTTP_IF_MATCH=client.get(url)["ETag"]
        )
        assert response.status_code == 400 and "language" in response.json()["fields"]

    def test_a_frozen_version_is_refused(self, content, incident, controller, officer, now):
        complete = dict(
            describes_nature=True, names_contact_point=True, describes_consequences=True, describes_measures=True
        )
        communication_services.update_content_version(content, actor=officer, reason="checked", **complete)
        wave = communication_services.plan_wave(
            incident,
            controller=controller,
            cohort_label="all",
            channel="email",
            content_version=content,
            planned_count=10,
            planned_at=now - timedelta(hours=2),
            actor=officer,
            reason="plan",
        )
        communication_services.mark_wave_sent(wave, sent_at=now - timedelta(hours=1), actor=officer, reason="sent")
        client = session_client(officer)
        url = f"/api/content-versions/{content.pk}/"
        response = client.patch(
            url, {"title": "Late", "reason": REASON}, format="json", HTTP_IF_MATCH=client.get(url)["ETag"]
        )
        assert response.status_code == 400 and "frozen" in response.content.decode()
        assert ContentVersion.objects.get(pk=content.pk).title == "Breach"

    def test_an_outsider_gets_404(self, content, outsider):
        assert session_client(outsider).get(f"/api/content-versions/{content.pk}/").status_code == 404
