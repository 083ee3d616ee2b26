"""The call-centre lookup through the API with a token: what its hot path must keep.

The token is checked by one hand-written statement (``api.tokens._token_named``); these tests
hold it to what the ORM query it replaced gave, and hold the endpoint to its refusals, its
scoping, its headers and its log row.
"""

from __future__ import annotations

import json
import threading

import pytest
from django.db import connection, connections
from django.db.models import Exists, OuterRef
from django.forms.models import model_to_dict
from django.test.utils import CaptureQueriesContext

from actions import recipient_imports as jobs
from api import tokens
from api.models import ApiToken
from api.parsers import MAX_DEPTH
from communications.models import LedgerLookup
from organisations.models import Membership
from tests.api.conftest import token_client, valid_bsns

LOOKUP = "/api/lookup/"


def every_field(instance) -> dict:
    return {field.attname: getattr(instance, field.attname) for field in type(instance)._meta.concrete_fields}


def orm_token(pk: int) -> ApiToken:
    """The ORM query the statement replaced."""
    memberships = Membership.objects.filter(
        user=OuterRef("user_id"), organisation=OuterRef("organisation_id"), is_active=True, user__is_active=True
    )
    return (
        ApiToken.objects.select_related("user", "organisation")
        .annotate(member_in_role=Exists(memberships.filter(role=OuterRef("role"))), member_at_all=Exists(memberships))
        .get(pk=pk)
    )


@pytest.mark.parametrize("role", ["viewer", "privacy_officer"])
def test_the_token_statement_loads_what_the_orm_loads_in_one_query(officer, lab, make_token, role):
    made = make_token(officer, lab, role)
    orm = orm_token(made.token.pk)
    with CaptureQueriesContext(connection) as captured:
        token = tokens._token_named(tokens.secret_hash(made.secret))
        user, organisation = token.user, token.organisation  # cached: no query of their own
    assert len(captured) == 1
    assert every_field(token) == every_field(orm)
    assert every_field(user) == every_field(orm.user) and every_field(organisation) == every_field(orm.organisation)
    assert model_to_dict(token) == model_to_dict(orm)
    assert token.expires_at.tzinfo is not None and token.created_at == orm.created_at
    assert (token.member_in_role, token.member_at_all) == (orm.member_in_role, orm.member_at_all)
    assert (token.member_in_role, token.member_at_all) == (role != "viewer", True)  # officer: a viewer token is below
    assert not token._state.adding and token._state.db == orm._state.db


def test_the_token_statement_knows_no_other_hash(officer, lab, make_token):
    make_token(officer, lab, "viewer")
    assert tokens._token_named(tokens.secret_hash("btk_not-a-token")) is None


@pytest.mark.parametrize(
    ("header", "detail"),
    [
        ("Bearer btk_wrong", "Unknown, expired or revoked token."),
        ("Bearer", None),  # the keyword alone: not ours, so no credentials at all
        ("Bearer one two", "Give exactly one token after 'Bearer'."),
    ],
)
def test_a_bad_token_is_a_401_with_a_bearer_challenge_and_nothing_is_logged(client, world, header, detail):
    response = client.post(
        LOOKUP, {"kind": "bsn", "identifier": valid_bsns(1)[0]}, "application/json", HTTP_AUTHORIZATION=header
    )
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'
    if detail:
        assert response.json() == {"detail": detail, "code": "authentication_failed"}
    assert response["Cache-Control"] == "private, no-store"
    assert not LedgerLookup.objects.exists()


def test_another_organisations_token_sees_none_of_this_ledger(world, outsider, other_org, lab, make_token):
    jobs.run_job(world.job.pk)  # the world's file: this BSN is in the lab's ledger
    bsn = valid_bsns(1)[0]
    client = token_client(make_token(outsider, other_org, "viewer").secret)
    own = client.post(LOOKUP, {"kind": "bsn", "identifier": bsn}, format="json")
    assert own.status_code == 200 and own.json() == {"contacts": []}
    named = client.post(LOOKUP, {"organisation": lab.pk, "kind": "bsn", "identifier": bsn}, format="json")
    assert named.status_code == 400 and named.json()["fields"] == {"organisation": ["Unknown organisation."]}
    assert list(LedgerLookup.objects.values_list("organisation", "matches")) == [(other_org.pk, 0)]


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({}, {"kind": ["This field is required."], "identifier": ["This field is required."]}),
        ({"kind": "bsn", "identifier": 123456782}, {"identifier": ["Give text (a JSON string)."]}),
        ({"kind": "bsn", "identifier": "x", "organisation": "1"}, {"organisation": ["A valid integer is required."]}),
        ({"kind": "passport", "identifier": "x"}, {"kind": ['"passport" is not a valid choice.']}),
        ({"kind": "bsn", "identifier": "x", "wave": 1}, {"wave": ["This field cannot be set here."]}),
    ],
)
def test_wrong_input_is_a_400_naming_each_field(world, viewer, lab, make_token, body, fields):
    response = token_client(make_token(viewer, lab, "viewer").secret).post(LOOKUP, body, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid" and response.json()["fields"] == fields
    assert not LedgerLookup.objects.exists()


def test_a_deep_or_huge_body_is_refused_before_any_lookup(world, viewer, lab, make_token, settings):
    client = token_client(make_token(viewer, lab, "viewer").secret)
    deep = client.generic("POST", LOOKUP, "[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1), "application/json")
    assert deep.status_code == 400 and deep.json()["code"] == "too_deep"
    huge = client.generic(
        "POST", LOOKUP, b"{}", "application/json", CONTENT_LENGTH=str(settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)
    )
    assert huge.status_code == 413 and huge.json()["code"] == "too_large"
    broken = client.generic("POST", LOOKUP, '{"kind": "bsn", ', "application/json")
    assert broken.status_code == 400 and broken.json()["code"] == "parse_error"
    assert not LedgerLookup.objects.exists()


def test_the_answer_carries_the_security_headers(world, viewer, lab, make_token):
    response = token_client(make_token(viewer, lab, "viewer").secret).post(
        LOOKUP, {"kind": "bsn", "identifier": valid_bsns(1)[0]}, format="json"
    )
    assert response.status_code == 200 and response.json() == {"contacts": []}
    assert response["Cache-Control"] == "private, no-store"
    assert "camera=()" in response["Permissions-Policy"].split(", ")
    assert response["X-Frame-Options"] == "DENY" and response["X-Content-Type-Options"] == "nosniff"
    assert "default-src 'self'" in response["Content-Security-Policy"]
    assert response["Content-Type"] == "application/json"


@pytest.mark.django_db(transaction=True)
def test_the_log_row_is_committed_before_the_answer_leaves(world, viewer, lab, make_token):
    """Another connection (a thread has its own) sees the row as soon as the answer is back."""
    jobs.run_job(world.job.pk)
    client = token_client(make_token(viewer, lab, "viewer").secret)
    response = client.post(LOOKUP, {"kind": "bsn", "identifier": valid_bsns(1)[0]}, format="json")
    assert response.status_code == 200 and len(response.json()["contacts"]) == 1
    seen = []

    def read_elsewhere():
        try:
            seen.extend(LedgerLookup.objects.values_list("looked_up_by", "matches"))
        finally:
            connections.close_all()

    reader = threading.Thread(target=read_elsewhere)
    reader.start()
    reader.join()
    assert seen == [(viewer.pk, 1)]
    assert json.dumps(response.json()).count(valid_bsns(1)[0]) == 0
