"""Bodies are measured before they are read: too large is 413, too deep is 400, never a 500."""

from __future__ import annotations

import pytest
from django.urls import reverse

from api.parsers import MAX_DEPTH, nesting_depth

pytestmark = pytest.mark.django_db


def test_a_deeply_nested_json_body_is_a_400_not_a_500(client, officer):
    client.force_login(officer)
    body = "[" * 1000 + "]" * 1000
    response = client.post("/api/lookup/", body, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["code"] == "too_deep"


def test_a_json_body_within_the_depth_is_parsed_as_before(client, officer):
    client.force_login(officer)
    body = (
        '{"identifier_kind": "bsn", "identifier": "x", "reason": ' + "[" * (MAX_DEPTH - 1) + "]" * (MAX_DEPTH - 1) + "}"
    )
    response = client.post("/api/lookup/", body, content_type="application/json")
    assert response.status_code == 400  # a list is no reason: the serializer says so, not the parser
    assert response.json()["code"] != "too_deep"


@pytest.mark.parametrize(
    ("text", "depth"),
    [("{}", 1), ('{"a": [1, {"b": []}]}', 4), ('"[[[[["', 0), ('["\\"[[[", []]', 2), ("1", 0)],
)
def test_nesting_depth_skips_strings(text, depth):
    assert nesting_depth(text) == depth


def test_an_api_body_over_the_limit_is_a_413_in_the_json_error_shape_before_it_is_read(client, officer, settings):
    client.force_login(officer)
    response = client.generic(
        "POST",
        "/api/lookup/",
        b"{}",
        content_type="application/json",
        CONTENT_LENGTH=str(settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1),
    )
    assert response.status_code == 413
    assert response.json()["code"] == "too_large"


def test_a_large_multipart_body_to_the_login_page_is_refused_at_once(client):
    # 250 MB declared, 10 bytes sent: answered from the length alone, nothing waits for the rest.
    response = client.generic(
        "POST",
        reverse("accounts:login"),
        b"x" * 10,
        content_type="multipart/form-data; boundary=b",
        CONTENT_LENGTH=str(250 * 1024 * 1024),
    )
    assert response.status_code == 413
    assert "limit is" in response.content.decode()


def test_a_form_post_that_is_not_utf8_is_a_400_and_nothing_is_stored(client):
    response = client.generic(
        "POST",
        reverse("accounts:login"),
        b"username=%FF%FE&password=x",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 400
