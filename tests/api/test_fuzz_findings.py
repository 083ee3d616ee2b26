"""What the fuzz (test_fuzz.py) found on the endpoints added after it, pinned as plain tests."""

from __future__ import annotations

from filings.models import AuthorityFiling
from incidents.models import AwarenessRecord
from tests.api.conftest import REASON, session_client


def test_a_correction_without_reason_is_a_400_on_reason_and_changes_nothing(world, officer):
    record = AwarenessRecord.objects.get(incident=world.incident)
    client = session_client(officer)
    url = f"/api/awareness-records/{record.pk}/"
    etag = client.get(url)["ETag"]
    response = client.patch(url, {"rationale": "the SOC log"}, format="json", HTTP_IF_MATCH=etag)
    assert response.status_code == 400, response.content
    assert response.json()["field_codes"] == {"reason": ["required"]}
    assert AwarenessRecord.objects.get(pk=record.pk).rationale == record.rationale != "the SOC log"


def test_a_number_where_text_is_expected_is_refused_not_stored_as_digits(world, officer):
    client = session_client(officer)
    target = f"/api/incidents/{world.incident.pk}/filings/{world.filing.pk}/authority-reference/"
    response = client.post(target, {"authority_reference": 12345, "reason": REASON}, format="json")
    assert response.status_code == 400 and response.json()["fields"]["authority_reference"] == [
        "Give text (a JSON string)."
    ]
    withdrawal = client.post(
        f"/api/awareness-records/{AwarenessRecord.objects.get(incident=world.incident).pk}/withdraw/",
        {"withdrawal_reason": 0, "reason": REASON},
        format="json",
        HTTP_IF_MATCH=client.get(f"/api/awareness-records/{AwarenessRecord.objects.get(incident=world.incident).pk}/")[
            "ETag"
        ],
    )
    assert withdrawal.status_code == 400 and "withdrawal_reason" in withdrawal.json()["fields"]
    assert AuthorityFiling.objects.get(pk=world.filing.pk).authority_reference == ""
    assert not AwarenessRecord.objects.get(incident=world.incident).is_withdrawn


def test_an_empty_format_is_a_json_404_not_the_default_rendering(world, viewer):
    response = session_client(viewer).get(f"/api/incidents/{world.incident.pk}/exports/timeline-csv/?format=")
    assert response.status_code == 404 and response["Content-Type"] == "application/json"
    assert response.json()["code"] == "not_found"


def test_the_list_actions_answer_the_list_the_schema_documents(world, viewer):
    client = session_client(viewer)
    schema = client.get("/api/schema/?format=json").json()
    for suffix in ("assessments", "content-versions", "share-links"):
        response = client.get(f"/api/incidents/{world.incident.pk}/{suffix}/?page=2")
        documented = schema["paths"][f"/api/incidents/{{id}}/{suffix}/"]["get"]["responses"]["200"]["content"][
            "application/json"
        ]["schema"]
        assert response.status_code == 200 and isinstance(response.json(), list)
        assert documented["type"] == "array", suffix
