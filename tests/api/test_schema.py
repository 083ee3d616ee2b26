"""The OpenAPI 3 schema validates, and the docs page loads nothing from another host."""

from __future__ import annotations

import re

import pytest
from django.core.management import call_command

from tests.api.conftest import session_client


@pytest.mark.django_db
def test_the_schema_validates_without_a_single_warning(tmp_path):
    target = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))
    text = target.read_text()
    assert text.startswith("openapi: 3.")
    for path in (
        "/api/incidents/",
        "/api/incidents/{id}/",
        "/api/incidents/{id}/awareness/",
        "/api/incidents/{id}/deadlines/",
    ):
        assert f"  {path}:" in text


def test_the_schema_documents_the_outer_bound_of_a_deadline_row(viewer):
    schema = session_client(viewer).get("/api/schema/?format=json").json()
    field = schema["components"]["schemas"]["Deadline"]["properties"]["outer_bound_at"]
    assert field["type"] == "string" and field["format"] == "date-time"
    assert field["nullable"] is True and field["readOnly"] is True
    assert "1182/71" in field["description"]


def test_the_schema_documents_the_token_the_reason_and_if_match(viewer):
    schema = session_client(viewer).get("/api/schema/?format=json").json()
    assert schema["components"]["securitySchemes"]["apiToken"] == {
        "type": "http",
        "scheme": "bearer",
        "description": schema["components"]["securitySchemes"]["apiToken"]["description"],
    }
    patch = schema["paths"]["/api/incidents/{id}/"]["patch"]
    assert {"name": "If-Match", "in": "header", "required": True} == {
        key: value
        for key, value in next(p for p in patch["parameters"] if p["name"] == "If-Match").items()
        if key in ("name", "in", "required")
    }
    assert {"412", "428"} <= set(patch["responses"])
    assert "reason" in schema["components"]["schemas"]["PatchedIncidentRequest"]["properties"]


def test_the_docs_page_is_served_from_our_own_static_files(viewer):
    response = session_client(viewer).get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    sources = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert sources, "no script or stylesheet found: the page changed shape"
    assert all(source.startswith("/") and not source.startswith("//") for source in sources), sources
    assert "swagger-ui" in html and "/static/drf_spectacular_sidecar/" in html
    # The start-up script is a file of its own (no inline script), so a strict CSP can serve this page.
    assert "<script>" not in html
    script = next(source for source in sources if "script" in source and "sidecar" not in source)
    assert session_client(viewer).get(script).status_code == 200


def test_the_schema_and_docs_are_for_authenticated_callers_only(client, db):
    assert client.get("/api/schema/").status_code == 401
    assert client.get("/api/docs/").status_code == 401


def test_every_operation_documents_its_errors_with_a_json_body(viewer):
    """Added by api.schema for every routed view: a new endpoint needs no declaration of its own."""
    schema = session_client(viewer).get("/api/schema/?format=json").json()
    error = {"$ref": "#/components/schemas/Error"}
    operations = [
        (method, path, operation) for path, item in schema["paths"].items() for method, operation in item.items()
    ]
    assert len(operations) >= 9
    for method, path, operation in operations:
        responses = operation["responses"]
        assert {"401", "403"} <= set(responses), (method, path)
        for code, response in responses.items():
            if code.startswith("4"):
                body = response["content"]["application/json"]["schema"]
                assert body == ({"$ref": "#/components/schemas/ValidationError"} if code == "400" else error), (
                    method,
                    path,
                    code,
                )
                assert response["description"], (method, path, code)
        if "{id}" in path:
            assert "404" in responses, (method, path)
        if "requestBody" in operation:
            assert {"400", "415"} <= set(responses), (method, path)
        if any(parameter["name"] == "If-Match" for parameter in operation.get("parameters", [])):
            assert {"412", "428"} <= set(responses), (method, path)
    assert schema["components"]["schemas"]["Error"]["required"] == ["detail", "code"]
    patch = schema["paths"]["/api/incidents/{id}/"]["patch"]
    assert set(patch["responses"]) == {"200", "400", "401", "403", "404", "412", "415", "428"}
