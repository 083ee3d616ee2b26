"""The permission matrix, generated from the URL conf: every /api/ route × persona × method.

``ROUTES`` says what each method of each route does. The routes are *found* by walking the URL
conf, so a new route without an entry (or an entry whose route is gone) fails
``test_every_api_route_has_an_entry_in_the_matrix`` — no route can escape the matrix. Each case
then asserts the exact status, and that an outsider's response never contains the incident.
"""

from __future__ import annotations

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from rest_framework.test import APIClient

from api.preconditions import etag_of
from api.serializers import IncidentSerializer
from incidents.models import Incident
from tests.api.conftest import REASON, session_client, token_client

# What each method of a route does; a method not named is a 405 for every authenticated caller.
READ_ANY = "read_any"  # any authenticated caller (the schema, the docs)
LIST = "list"  # any authenticated caller, scoped to what it may see
CREATE = "create"  # a privacy officer (of its own organisation)
READ = "read"  # any member of the incident's organisation
WRITE = "write"  # a privacy officer of the incident's organisation

ROUTES = {
    "api:schema": {"GET": READ_ANY, "HEAD": READ_ANY},
    "api:docs": {"GET": READ_ANY, "HEAD": READ_ANY},
    "api:incident-list": {"GET": LIST, "HEAD": LIST, "POST": CREATE},
    "api:incident-detail": {"GET": READ, "HEAD": READ, "PUT": WRITE, "PATCH": WRITE},
    "api:incident-deadlines": {"GET": READ, "HEAD": READ},
    "api:incident-parties": {"GET": READ, "HEAD": READ},
    "api:incident-awareness": {"GET": READ, "HEAD": READ},
    "api:incident-estimates": {"GET": READ, "HEAD": READ},
}
METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")

OWN_WRITERS = {"officer", "officer_token"}
OWN_READERS = OWN_WRITERS | {"legal", "viewer", "viewer_token"}
OUTSIDERS = {"outsider", "outsider_token"}  # a privacy officer of another organisation, by session or token
PERSONAS = sorted(OWN_READERS | OUTSIDERS | {"anonymous"})


def expected_status(kind: str | None, persona: str) -> int:
    if persona == "anonymous":
        return 401
    if kind is None:
        return 405
    if kind in (READ_ANY, LIST):
        return 200
    if kind == CREATE:
        return 201 if persona in OWN_WRITERS | OUTSIDERS else 403  # an outsider creates in its own organisation
    if persona in OUTSIDERS:
        return 404  # another organisation's incident: indistinguishable from none
    if kind == READ:
        return 200
    return 200 if persona in OWN_WRITERS else 403


def _walk(patterns, prefix="", namespace=""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}:{entry.namespace}".strip(":") if entry.namespace else namespace
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern), inner)
        elif isinstance(entry, URLPattern):
            yield f"{namespace}:{entry.name}", prefix + str(entry.pattern), entry


def api_routes() -> dict[str, URLPattern]:
    """Every route under /api/ in the URL conf, by its namespaced name."""
    return {name: pattern for name, path, pattern in _walk(get_resolver().url_patterns) if path.startswith("api/")}


def test_every_api_route_has_an_entry_in_the_matrix():
    found = api_routes()
    assert found, "the walk found no API route: the guard itself is broken"
    assert set(found) == set(ROUTES)


def _url(name: str, incident) -> str:
    pattern = api_routes()[name]
    return reverse(name, kwargs={key: incident.pk for key in pattern.pattern.regex.groupindex})


def _body(name: str, method: str, incident) -> dict:
    if method == "POST":
        return {"title": "Made by the matrix", "reason": REASON}
    if method == "PUT":
        data = IncidentSerializer(Incident.objects.get(pk=incident.pk)).data
        writable = {key: value for key, value in data.items() if not IncidentSerializer().fields[key].read_only}
        return {**writable, "title": "Replaced by the matrix", "reason": REASON}
    return {"title": f"Changed by the matrix ({method})", "reason": REASON}


@pytest.fixture
def client_for(officer, lawyer, viewer, outsider, lab, other_org, make_token):
    def make(persona):
        if persona == "anonymous":
            return APIClient()
        if persona.endswith("_token"):
            user, organisation, role = {
                "officer_token": (officer, lab, "privacy_officer"),
                "viewer_token": (officer, lab, "viewer"),  # an officer's read-only token: the token's role wins
                "outsider_token": (outsider, other_org, "privacy_officer"),
            }[persona]
            return token_client(make_token(user, organisation, role).secret)
        return session_client({"officer": officer, "legal": lawyer, "viewer": viewer, "outsider": outsider}[persona])

    return make


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("name", sorted(ROUTES))
def test_each_method_of_each_route_answers_each_persona_as_the_matrix_says(name, persona, client_for, incident):
    client = client_for(persona)
    url = _url(name, incident)
    wrong = []
    for method in METHODS:
        kind = ROUTES[name].get(method)
        fresh = Incident.objects.get(pk=incident.pk)
        headers = {"HTTP_IF_MATCH": etag_of(IncidentSerializer(fresh).data)}
        body = _body(name, method, incident) if method in ("POST", "PUT", "PATCH") else None
        response = getattr(client, method.lower())(url, body, format="json", **headers) if body else (
            client.generic(method, url, **headers)
        )
        if response.status_code != expected_status(kind, persona):
            wrong.append(f"{method} {url}: {response.status_code}, expected {expected_status(kind, persona)}")
        if persona in OUTSIDERS:
            # (not the reference: numbering is per organisation, so an outsider's own incident may share it)
            assert fresh.title not in response.content.decode(), f"{method} {url} leaks the incident"
    assert not wrong, "\n".join(wrong)
