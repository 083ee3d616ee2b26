"""Every API error is JSON with a stable code; a validation error keeps its fields and their codes."""

from __future__ import annotations

import pytest

from incidents.models import Incident
from tests.api.conftest import REASON, detail_url, session_client, token_client


def _patch(client, incident, body, **headers):
    return client.patch(detail_url(incident), body, format="json", **headers)


def _current_etag(client, incident):
    return client.get(detail_url(incident))["ETag"]


def test_a_refusal_names_its_code(officer, viewer, outsider, incident, client):
    assert client.get("/api/incidents/").json()["code"] == "not_authenticated"
    assert token_client("btk_nonsense").get("/api/incidents/").json()["code"] == "authentication_failed"
    refused = _patch(session_client(viewer), incident, {"title": "X", "reason": REASON})
    assert (refused.status_code, refused.json()["code"]) == (403, "permission_denied")
    hidden = session_client(outsider).get(detail_url(incident))
    assert (hidden.status_code, hidden.json()) == (404, {"detail": hidden.json()["detail"], "code": "not_found"})
    wrong_method = session_client(officer).delete(detail_url(incident))
    assert (wrong_method.status_code, wrong_method.json()["code"]) == (405, "method_not_allowed")


def test_the_two_preconditions_have_codes_of_their_own(officer, incident):
    client = session_client(officer)
    missing = _patch(client, incident, {"title": "X", "reason": REASON})
    assert (missing.status_code, missing.json()["code"]) == (428, "precondition_required")
    stale = _patch(client, incident, {"title": "X", "reason": REASON}, HTTP_IF_MATCH='"not-the-current-version"')
    assert (stale.status_code, stale.json()["code"]) == (412, "precondition_failed")
    assert stale.json()["detail"].startswith("Someone changed this")


@pytest.mark.parametrize("if_match", ["", "*", "  ", "abc", '"unterminated'])
def test_an_if_match_naming_no_entity_tag_is_a_missing_precondition(officer, incident, if_match):
    response = _patch(session_client(officer), incident, {"title": "X", "reason": REASON}, HTTP_IF_MATCH=if_match)
    assert (response.status_code, response.json()["code"]) == (428, "precondition_required")


def test_a_validation_error_keeps_each_field_with_its_codes(officer, incident, now):
    client = session_client(officer)
    body = {"title": "", "data_categories": ["health", "horoscope"], "reason": REASON}
    response = _patch(client, incident, body, HTTP_IF_MATCH=_current_etag(client, incident))
    assert response.status_code == 400
    assert response.json() == {
        "detail": "Invalid input: see the errors by field.",
        "code": "invalid",
        "fields": {
            "title": ["This field may not be blank."],
            "data_categories": {"1": ['"horoscope" is not a valid choice.']},
        },
        "field_codes": {"title": ["blank"], "data_categories": {"1": ["invalid_choice"]}},
    }


def test_a_service_refusal_reads_like_a_serializer_error(officer, incident, now):
    client = session_client(officer)
    response = _patch(
        client,
        incident,
        {"detected_at": "2025-07-01T10:00:00Z", "reason": REASON},
        HTTP_IF_MATCH=_current_etag(client, incident),
    )
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert list(response.json()["fields"]) == ["detected_at"]
    assert len(response.json()["field_codes"]["detected_at"]) == 1


def test_a_body_that_is_not_json_is_a_parse_error(officer, now):
    response = session_client(officer).post("/api/incidents/", "{not json", content_type="application/json")
    assert (response.status_code, response.json()["code"]) == (400, "parse_error")


def test_an_api_url_no_route_matches_is_a_json_404_and_the_site_keeps_its_page(officer):
    client = session_client(officer)
    response = client.get("/api/incidents/not-a-number/")
    assert (response.status_code, response["Content-Type"]) == (404, "application/json")
    assert response.json()["code"] == "not_found"
    page = client.get("/no-such-page/")
    assert page.status_code == 404 and page["Content-Type"].startswith("text/html")


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("title", 0),  # DRF's CharField would have stored "0"
        ("is_ongoing", 1),  # and its BooleanField True
        ("is_ongoing", "yes"),
        ("data_subject_countries", [{}]),  # django-countries' field stored an empty country
        ("data_subject_countries", ["Netherlands"]),
        ("data_subject_countries", [""]),
    ],
)
def test_a_value_of_the_wrong_json_type_is_refused_not_coerced(officer, incident, now, field, value):
    client = session_client(officer)
    response = _patch(client, incident, {field: value, "reason": REASON}, HTTP_IF_MATCH=_current_etag(client, incident))
    assert response.status_code == 400
    assert list(response.json()["fields"]) == [field]
    assert incident.history.count() == 1 and Incident.objects.get().title == incident.title


def test_a_reason_that_is_a_number_is_refused(officer, incident, now):
    client = session_client(officer)
    response = _patch(client, incident, {"title": "X", "reason": 0}, HTTP_IF_MATCH=_current_etag(client, incident))
    assert (response.status_code, list(response.json()["fields"])) == (400, ["reason"])


def test_country_codes_are_still_written_and_read_as_codes(officer, incident, now):
    client = session_client(officer)
    response = _patch(
        client,
        incident,
        {"data_subject_countries": ["NL", "BE"], "reason": REASON},
        HTTP_IF_MATCH=_current_etag(client, incident),
    )
    assert response.status_code == 200, response.json()
    assert sorted(response.json()["data_subject_countries"]) == ["BE", "NL"]


def test_a_server_error_under_the_api_is_json_in_the_error_shape(officer, monkeypatch):
    from api.views import IncidentViewSet

    def broken(self, request, *args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(IncidentViewSet, "list", broken)
    client = session_client(officer)
    client.raise_request_exception = False
    response = client.get("/api/incidents/")
    assert response.status_code == 500 and response["Content-Type"] == "application/json"
    assert response.json()["code"] == "server_error" and "boom" not in response.content.decode()
