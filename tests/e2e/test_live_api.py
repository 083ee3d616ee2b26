"""Schemathesis, stateful, against a live gunicorn in production mode on PostgreSQL and Redis.

tests/api/test_fuzz.py fuzzes each operation alone, in this process. Here the API runs as it is
deployed: ``BREACHTRACK_MODE=production``, gunicorn with two workers (scripts/run's command line),
a throw-away PostgreSQL database, a private redis-server as the broker, collected static files.
The test talks to it over HTTP, as an integration would, with an officer's API token and the
``X-Forwarded-Proto: https`` a TLS proxy adds (``BEHIND_TLS_PROXY=true``; without it production
redirects every plain-HTTP request to HTTPS).

Stateful: Schemathesis follows the schema's OpenAPI links (``api.schema.add_links``) from each
create to the reads and changes of what it made, with the new object's id and its ETag as
If-Match: ``POST /api/incidents/`` → ``POST /api/incidents/{id}/awareness/`` →
``PATCH /api/awareness-records/{id}/``, ``POST …/waves/`` → ``POST …/waves/{id}/counts/``, …

Checks (tests/api/fuzz_checks.py): no 5xx; every status, content type, header and body is one the
schema documents for the operation; valid input is not refused with an undocumented status.

Bounded and reproducible: ``BREACHTRACK_LIVE_FUZZ_SCENARIOS`` scenarios (default 200) of at most
``BREACHTRACK_LIVE_FUZZ_STEPS`` calls (default 10), derandomized (with some 70 operations, fewer scenarios rarely chain a
create and the links it offers). The scenarios take about 30 s on
two busy cores; the setup (migration, collectstatic, gunicorn's start) takes longer. A failure
prints the calls as curl commands and the server's logs.
"""

from __future__ import annotations

import os
import uuid

import pytest
import requests
import schemathesis
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, Phase
from hypothesis import settings as hypothesis_settings
from hypothesis.errors import FlakyStrategyDefinition
from schemathesis.config import SchemathesisConfig

from tests.api.fuzz_checks import CHECKS
from tests.e2e.stack import Stack
from tests.production_env import production_env

SCENARIOS = int(os.environ.get("BREACHTRACK_LIVE_FUZZ_SCENARIOS", "200"))
STEPS = int(os.environ.get("BREACHTRACK_LIVE_FUZZ_STEPS", "10"))
# The properties asked of every answer, named (they are Schemathesis' defaults too): no 5xx, and
# the status, content type, headers and body the schema documents for the operation.
REQUIRED_CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_headers_conformance",
    "response_schema_conformance",
)
# What a TLS proxy in front of gunicorn adds to every request (see BEHIND_TLS_PROXY in settings).
PROXY_HEADERS = {"X-Forwarded-Proto": "https"}


@pytest.fixture
def live_api(tmp_path, processes, redis_server, migrated_postgres):
    """gunicorn (2 workers) in production mode; ``(base URL, an officer's API token)``."""
    environment = production_env(
        tmp_path,
        DATABASE_URL=migrated_postgres.url,
        CELERY_BROKER_URL=redis_server.url,
        ALLOWED_HOSTS="127.0.0.1",
        BEHIND_TLS_PROXY="true",
    )
    del environment["BREACHTRACK_VAR_DIR"]  # the stack's own
    stack = Stack(
        tmp_path,
        processes=processes,
        database_url=migrated_postgres.url,
        broker_url=redis_server.url,
        extra_env=environment,
    )
    stack.collectstatic()
    [persona] = stack.scenario("api_officer", tag=uuid.uuid4().hex[:8])
    return stack.start_web(workers=2), persona["token"]


def _state_machine(base_url: str, token: str):
    headers = {"Authorization": f"Bearer {token}", **PROXY_HEADERS}
    served = requests.get(f"{base_url}/api/schema/?format=json", headers=headers, timeout=30)
    assert served.status_code == 200, served.text
    checks = {**CHECKS, **{name: {**CHECKS.get(name, {}), "enabled": True} for name in REQUIRED_CHECKS}}
    config = SchemathesisConfig.from_dict({"generation": {"deterministic": True}, "checks": checks})
    schema = schemathesis.openapi.from_dict(served.json(), config=config)
    schema.config.base_url = base_url
    answered = []

    class LiveAPI(schema.as_state_machine()):
        def get_call_kwargs(self, case):
            return {"headers": headers, "timeout": 30}

        def after_call(self, response, case):
            answered.append((case.method.upper(), case.path, response.status_code))

    return LiveAPI, answered


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.slow
def test_a_live_production_server_keeps_its_schema_along_its_links(live_api):
    base_url, token = live_api
    machine, answered = _state_machine(base_url, token)

    # Hypothesis ends a run when two scenarios with the same choices drew differently: which rules
    # are enabled depends on what the live server answered before, and its state persists across
    # scenarios (references, idempotency keys), so the same choices can meet a different server.
    # That is this test's limit, not the API's: every call made until then went through the checks
    # (a failed check raises its own error, never this one: only the generate phase runs). Nor is a
    # run that ends without making an incident a failure of the API: its bodies are drawn at random,
    # and most fail validation (a 400, as they should). So a run cut short, or one whose calls do not
    # yet add up to a non-vacuous run (below), is followed by another with fresh random choices, up
    # to eight runs; the calls of every run count.
    def non_vacuous() -> bool:
        followed = {(m, p) for m, p, code in answered if "{" in p and 200 <= code < 300}
        return ("POST", "/api/incidents/", 201) in answered and len(followed) >= 3 and len(answered) >= SCENARIOS

    for _attempt in range(8):
        try:
            machine.run(
                settings=hypothesis_settings(
                    max_examples=SCENARIOS,
                    stateful_step_count=STEPS,
                    derandomize=_attempt == 0,
                    deadline=None,
                    database=None,
                    phases=[Phase.generate],
                    suppress_health_check=list(HealthCheck),
                )
            )
        except FlakyStrategyDefinition:
            pass
        if non_vacuous():
            break
    # Not vacuous: incidents were made, and calls that followed a link reached what they made.
    assert ("POST", "/api/incidents/", 201) in answered, sorted(set(answered))
    followed = {(method, path) for method, path, code in answered if "{" in path and 200 <= code < 300}
    assert len(followed) >= 3, sorted(set(answered))


def test_the_served_schema_links_each_create_to_what_it_made():
    """The links the stateful run follows are in the schema (a schema without them would leave the
    run above testing single calls only, and passing)."""
    document = SchemaGenerator().get_schema(request=None, public=True)
    links = document["paths"]["/api/incidents/"]["post"]["responses"]["201"]["links"]
    assert links["incidents_partial_update"]["parameters"] == {
        "path.id": "$response.body#/id",
        "header.If-Match": "$response.header.ETag",
    }
    assert links["incidents_waves_create"]["parameters"] == {"path.incident_pk": "$response.body#/id"}
    awareness = document["paths"]["/api/incidents/{id}/awareness/"]["post"]["responses"]["201"]["links"]
    assert awareness["awareness_records_partial_update"]["parameters"]["path.id"] == "$response.body#/id"
    imports = document["paths"]["/api/incidents/{incident_pk}/waves/{id}/imports/"]["post"]["responses"]["202"]
    assert imports["links"]["incidents_waves_imports_retrieve"]["parameters"] == {
        "path.incident_pk": "$request.path.incident_pk",
        "path.wave_pk": "$request.path.id",
        "path.id": "$response.body#/id",
    }
