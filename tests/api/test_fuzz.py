"""Schemathesis fuzzes every operation of the API schema, as a privacy officer and as a viewer.

Each operation of the served schema is one test per persona (``test_the_api_keeps_its_schema
[PATCH /api/incidents/{id}/][officer]``), so a new endpoint is fuzzed by being routed. Requests go
through Django's WSGI application in this process (no network), with a real API token, against a
test database holding one seeded object of each kind (``seeded``: an incident with parties, filings, waves, …).

The checks: Schemathesis' defaults, so no 5xx; every status code, content type, header and body
the API answers is one the schema documents; invalid input is refused with a 4xx.

Most generated requests are aimed at the seeded incident (a random id is a 404 and tests little
else), and most If-Match headers carry its current ETag (a random one is a 412): see ``_aim``.

Bounded and reproducible: ``BREACHTRACK_FUZZ_EXAMPLES`` examples per operation and persona
(default 12: the whole fuzz in well under three minutes on SQLite on two cores), derandomized, so a
red build replays exactly. A failure names the operation, the persona and the request as a curl
command; replay it with ``pytest tests/api/test_fuzz.py -k 'officer and PATCH'``.
"""

from __future__ import annotations

import copy
import logging
import os
import re
from datetime import timedelta

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, settings
from schemathesis.config import SchemathesisConfig
from werkzeug.test import Client

from actions import extortion as extortion_services
from actions import incidents as services
from actions import sharing as access_services
from api import tokens
from organisations.models import Role
from tests.api.conftest import build_lab_world, session_client
from tests.api.fuzz_checks import CHECKS
from tests.conftest import (
    NOW,
    rolled_back_module_data,
)

EXAMPLES = int(os.environ.get("BREACHTRACK_FUZZ_EXAMPLES", "12"))
PERSONAS = {"officer": Role.PRIVACY_OFFICER, "viewer": Role.VIEWER}

CONFIG = SchemathesisConfig.from_dict(
    {"generation": {"max-examples": EXAMPLES, "deterministic": True}, "checks": CHECKS}
)
# The document /api/schema/ serves (test_the_fuzzed_schema_is_the_served_one), made here at
# collection time so each operation becomes a test of its own.
schema = schemathesis.openapi.from_dict(SchemaGenerator().get_schema(request=None, public=True), config=CONFIG)


class _InProcessWSGI(WSGIHandler):
    """Django's WSGI application, without closing the test's database connection after a request
    (the test runs in a transaction on that connection; Django's own test client does the same)."""

    def __call__(self, environ, start_response):
        request_started.disconnect(close_old_connections)
        request_finished.disconnect(close_old_connections)
        try:
            return super().__call__(environ, start_response)
        finally:
            request_started.connect(close_old_connections)
            request_finished.connect(close_old_connections)


schema.app = _InProcessWSGI()


@pytest.fixture(autouse=True)
def _only_server_errors_in_the_log():
    """Thousands of 4xx are the point here; a failure's report shows only the 5xx tracebacks."""
    logger = logging.getLogger("django.request")
    level = logger.level
    logger.setLevel(logging.ERROR)
    yield
    logger.setLevel(level)


@pytest.fixture(scope="module")
def seeded_data(django_db_setup, django_db_blocker):
    """``build_seeded``'s objects and tokens, made once for the module (tests/conftest.py,
    ``rolled_back_module_data``); each test starts from them as they were made."""

    def build():
        personas, world, admin_actor = build_lab_world(NOW)
        lab, officer = personas["lab"], personas["officer"]
        return {
            "seeded": build_seeded(world, lab, officer, personas["viewer"], admin_actor, NOW),
            "viewer": personas["viewer"],
        }

    yield from rolled_back_module_data(django_db_blocker, build)


@pytest.fixture
def seeded(seeded_data, db, now):
    return copy.deepcopy(seeded_data["seeded"])


@pytest.fixture
def seeded_viewer(seeded_data, db):
    """The lab's viewer of the module's data (the ``viewer`` fixture would make a second one)."""
    return copy.deepcopy(seeded_data["viewer"])


def build_seeded(world, lab, officer, viewer, admin_actor, now):
    """The API's objects, one of each, made through the services, and one token per persona.

    ``world`` (tests/api/conftest.py) gives an incident with parties, awareness, estimates, an
    authority, a filing, a content version, a planned wave and a queued import; an awareness
    record of the processor, its notice to the controller, a threat with a countdown, a
    publication and a share link are added here. Returned: the pk of each, by the
    collection its URLs name (``{"incidents": 1, "waves": 1, …}``), so the fuzz reaches real
    objects on nested routes instead of only 404s.

    Time stands still (``now``), so every run sends the same requests about the same data.
    """
    incident = world.incident
    processor = incident.parties.get(role="processor")
    awareness = services.record_awareness(
        incident,
        party=processor,
        aware_at=now - timedelta(days=2),
        source="own_detection",
        actor=officer,
        reason="SOC call",
    )
    link = access_services.create_share_link(
        incident,
        export_kind="timeline_json",
        recipient="AP",
        expires_at=now + timedelta(days=7),
        actor=officer,
        reason="AP",
    ).link
    relationship = incident.processing_relationships.get(controller=world.controller)
    # The controller's awareness from its processor (the world) is this notice: one, never two.
    notice = relationship.notices.get()
    threat = extortion_services.record_threat(
        incident,
        actor_name="Nova",
        first_contact_at=now - timedelta(days=2),
        channel="leak_site",
        actor=officer,
        reason="leak site",
    )
    revision = extortion_services.revise_countdown(
        threat,
        kind="set",
        announced_at=now - timedelta(days=2),
        deadline_at=now + timedelta(days=5),
        actor=officer,
        reason="leak site timer",
    )
    publication = extortion_services.record_publication(
        incident,
        threat=threat,
        published_at=now - timedelta(days=1),
        location="leak site",
        records_count=53_000,
        actor=officer,
        reason="partial leak",
    )
    objects = {
        "incidents": incident.pk,
        "parties": world.second_controller.party_id,  # /api/parties/{id}/: the directory
        "authorities": incident.authorities.get().pk,
        "processor-relationships": relationship.pk,
        "processor-notices": notice.pk,
        "threats": threat.pk,
        "countdown-revisions": revision.pk,
        "publications": publication.pk,
        "filings": world.filing.pk,
        "waves": world.wave.pk,
        "imports": world.job.pk,
        "awareness-records": awareness.pk,
        "content-versions": world.content.pk,
        "share-links": link.pk,
    }
    secrets = {
        name: tokens.create_api_token(
            organisation=lab,
            user=officer if name == "officer" else viewer,
            role=role,
            name=f"fuzz {name}",
            expires_at=now + timedelta(days=1),
            actor=admin_actor,
            reason="fuzzing",
        ).secret
        for name, role in PERSONAS.items()
    }
    return objects, secrets


# Path parameters that name a seeded object: each is aimed at the object of the collection its
# URL segment names (``/incidents/{incident_pk}/waves/{id}/``: the incident, then the wave). A new
# nested route gets its object seeded above and, if it names it otherwise, its parameter here.
OBJECT_PARAMETERS = {"id", "pk", "incident_pk", "incident_id", "wave_pk", "filing_pk", "threat_pk"}


def _aim(case, objects: dict, auth: dict) -> None:
    """Point most requests at the seeded objects and their current versions.

    Derived from the generated values (not drawn at random), so a failing example shrinks and
    replays: an id ending in 7 stays as generated (mostly a 404); an If-Match of odd length
    becomes the current ETag of what the path names (the others are stale: 412). Invalid ids
    (negative examples, which must be refused) are left alone.
    """
    path_parameters = case.path_parameters or {}
    for name in OBJECT_PARAMETERS & set(path_parameters):
        generated = str(path_parameters[name])
        collection = _collection_of(case.path, name)
        if re.fullmatch("[0-9]+", generated) and not generated.endswith("7") and collection in objects:
            path_parameters[name] = objects[collection]
    headers = case.headers or {}
    if_match = next((name for name in headers if name.lower() == "if-match"), None)
    if if_match is not None and len(str(headers[if_match])) % 2 == 1:
        etag = _current_etag(case.formatted_path, auth)
        if etag is not None:
            headers[if_match] = etag


def _collection_of(path_template: str, parameter: str) -> str | None:
    """The URL segment before ``{parameter}``: ``waves`` for ``{id}`` in ``/incidents/{incident_pk}/waves/{id}/``."""
    segments = path_template.strip("/").split("/")
    position = segments.index("{" + parameter + "}") if "{" + parameter + "}" in segments else 0
    return segments[position - 1] if position > 0 else None


def _current_etag(path: str, auth: dict) -> str | None:
    """The ETag of the nearest readable resource at or above ``path`` (an action such as
    /incidents/1/close/ is changed with the ETag of /incidents/1/)."""
    client = Client(schema.app)
    segments = path.strip("/").split("/")
    while segments:
        response = client.get("/" + "/".join(segments) + "/", headers=auth)
        if response.status_code == 200 and "ETag" in response.headers:
            return response.headers["ETag"]
        segments.pop()
    return None


@pytest.mark.parametrize("persona", list(PERSONAS))
@schema.parametrize()
@settings(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_the_api_keeps_its_schema(case, persona, seeded):
    # function_scoped_fixture: each operation and persona starts from the seeded objects as they
    # were made (its own rolled-back transaction), on purpose; its examples share them (and what
    # earlier examples changed), like real clients do.
    objects, secrets = seeded
    auth = {"Authorization": f"Bearer {secrets[persona]}"}
    _aim(case, objects, auth)
    case.call_and_validate(headers=auth)


def test_the_fuzzed_schema_is_the_served_one(seeded_viewer):
    served = session_client(seeded_viewer).get("/api/schema/?format=json").json()
    assert served == SchemaGenerator().get_schema(request=None, public=True)
