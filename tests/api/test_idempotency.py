"""Idempotency-Key: a retried POST is executed once, answered the same, and never forks a chain."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import timedelta

import pytest
from django.db import connection
from rest_framework.parsers import JSONParser
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from api.idempotency import advisory_lock_id, fingerprint, purge_expired
from api.models import ApiToken, IdempotencyKey
from api.tasks import purge_idempotency_keys
from filings.models import AuthorityFiling
from tests.api.conftest import REASON, session_client, token_client


def filings_url(world) -> str:
    return f"/api/incidents/{world.incident.pk}/filings/"


def follow_up(world, now, **extra) -> dict:
    return {
        "controller": world.controller.pk,
        "authority": world.authority.pk,
        "filing_type": "follow_up",
        "submitted_at": (now - timedelta(minutes=5)).isoformat(),
        "channel": "ap_form",
        "reason": REASON,
        **extra,
    }


def counts() -> tuple[int, int]:
    return AuthorityFiling.objects.count(), AuthorityFiling.history.count()


def test_a_replay_after_success_returns_the_stored_answer_and_creates_nothing(world, officer, now):
    client = session_client(officer)
    first = client.post(filings_url(world), follow_up(world, now), format="json", HTTP_IDEMPOTENCY_KEY="retry-1")
    assert first.status_code == 201 and "Idempotent-Replayed" not in first
    after_first = counts()
    replay = client.post(filings_url(world), follow_up(world, now), format="json", HTTP_IDEMPOTENCY_KEY="retry-1")
    assert replay.status_code == 201 and replay["Idempotent-Replayed"] == "true"
    assert replay.json() == first.json() and replay["Location"] == first["Location"]
    assert counts() == after_first  # no second filing, no second history row


def test_the_same_key_with_another_body_is_a_422_that_names_the_problem(world, officer, now):
    client = session_client(officer)
    client.post(filings_url(world), follow_up(world, now), format="json", HTTP_IDEMPOTENCY_KEY="k")
    before = counts()
    other = client.post(
        filings_url(world), follow_up(world, now, is_phased=True), format="json", HTTP_IDEMPOTENCY_KEY="k"
    )
    assert other.status_code == 422 and other.json()["detail"].startswith("This Idempotency-Key was used")
    assert counts() == before


def test_without_a_key_each_post_is_executed(world, officer, now):
    client = session_client(officer)
    assert client.post(filings_url(world), follow_up(world, now), format="json").status_code == 201
    # The same body again is a second follow-up (a client that wants one sends a key).
    assert client.post(filings_url(world), follow_up(world, now), format="json").status_code == 201
    assert AuthorityFiling.objects.filter(filing_type="follow_up").count() == 2


@pytest.mark.parametrize("key", ["", " ", "x" * 256, "naïve", "tab\there"])
def test_a_malformed_key_is_a_400_and_nothing_is_written(world, officer, now, key):
    before = counts()
    response = session_client(officer).post(
        filings_url(world), follow_up(world, now), format="json", HTTP_IDEMPOTENCY_KEY=key
    )
    assert response.status_code == 400 and "Idempotency-Key" in response.json()["detail"]
    assert counts() == before and not IdempotencyKey.objects.exists()


def test_a_key_of_255_characters_is_accepted(world, officer, now):
    response = session_client(officer).post(
        filings_url(world), follow_up(world, now), format="json", HTTP_IDEMPOTENCY_KEY="k" * 255
    )
    assert response.status_code == 201 and IdempotencyKey.objects.get().state == "done"


def test_a_refused_request_releases_its_key_so_the_fixed_request_may_use_it(world, officer, now):
    client = session_client(officer)
    future = follow_up(world, now, submitted_at=(now + timedelta(hours=1)).isoformat())
    refused = client.post(filings_url(world), future, format="json", HTTP_IDEMPOTENCY_KEY="fix-me")
    assert refused.status_code == 400 and "submitted_at" in refused.json()["fields"]
    assert not IdempotencyKey.objects.exists()
    fixed = client.post(filings_url(world), follow_up(world, now), format="json", HTTP_IDEMPOTENCY_KEY="fix-me")
    assert fixed.status_code == 201


def test_keys_belong_to_their_caller_a_token_and_its_users_session_do_not_share_them(
    world, officer, lab, make_token, now
):
    session = session_client(officer)
    token = token_client(make_token(officer, lab, "privacy_officer").secret)
    assert (
        session.post(filings_url(world), follow_up(world, now), format="json", HTTP_IDEMPOTENCY_KEY="same").status_code
        == 201
    )
    second = token.post(filings_url(world), follow_up(world, now), format="json", HTTP_IDEMPOTENCY_KEY="same")
    assert second.status_code == 201 and "Idempotent-Replayed" not in second
    callers = set(IdempotencyKey.objects.values_list("caller", flat=True))
    assert callers == {f"user:{officer.pk}", f"token:{ApiToken.objects.get().pk}"}


def dead_claim(world, officer, body, now, key) -> IdempotencyKey:
    """The row a request leaves when it dies after claiming its key (its own work rolled back)."""
    raw = APIRequestFactory().post(filings_url(world), body, format="json")
    return IdempotencyKey.objects.create(
        organisation=world.incident.organisation,
        caller=f"user:{officer.pk}",
        key=key,
        fingerprint=fingerprint(Request(raw, parsers=[JSONParser()])),
        method="POST",
        path=filings_url(world),
        claim="old",
        claimed_at=now,
        expires_at=now + timedelta(hours=24),
    )


@contextmanager
def claim_alive(world, officer, key):
    """The request that claimed ``key`` is still running: on PostgreSQL it holds the key's advisory
    lock, on a connection of its own, until it answers (SQLite has no such lock: the claim is all)."""
    if connection.vendor != "postgresql":
        yield
        return
    lock = advisory_lock_id(organisation_id=world.incident.organisation_id, caller=f"user:{officer.pk}", key=key)
    its_connection = connection.copy()
    try:
        with its_connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(%s)", [lock])
        yield
    finally:
        its_connection.close()


def test_a_key_in_flight_is_a_409_and_nothing_is_written(world, officer, now):
    body = follow_up(world, now)
    dead_claim(world, officer, body, now, "slow")
    before = counts()
    with claim_alive(world, officer, "slow"):
        again = session_client(officer).post(filings_url(world), body, format="json", HTTP_IDEMPOTENCY_KEY="slow")
    assert again.status_code == 409
    assert again.json()["detail"].startswith("A request with this Idempotency-Key is still running")
    assert counts() == before and IdempotencyKey.objects.get().claim == "old"


def test_a_key_left_in_flight_by_a_dead_request_is_taken_over_after_the_limit(
    world, officer, now, time_machine, settings
):
    body = follow_up(world, now)
    dead_claim(world, officer, body, now, "dead")
    time_machine.move_to(now + timedelta(seconds=settings.BREACHTRACK_API_IDEMPOTENCY_IN_FLIGHT_SECONDS), tick=False)
    taken = session_client(officer).post(filings_url(world), body, format="json", HTTP_IDEMPOTENCY_KEY="dead")
    assert taken.status_code == 201
    row = IdempotencyKey.objects.get()
    assert row.state == "done" and row.claim != "old" and row.response_body["id"] == taken.json()["id"]
    assert AuthorityFiling.objects.filter(filing_type="follow_up").count() == 1


@pytest.mark.postgres
def test_a_key_left_in_flight_by_a_request_that_is_gone_is_taken_over_at_once_on_postgresql(world, officer, now):
    """Its request died (no connection holds the key's lock): the retry is executed, not a 409."""
    body = follow_up(world, now)
    dead_claim(world, officer, body, now, "crashed")
    retry = session_client(officer).post(filings_url(world), body, format="json", HTTP_IDEMPOTENCY_KEY="crashed")
    assert retry.status_code == 201 and "Idempotent-Replayed" not in retry
    row = IdempotencyKey.objects.get()
    assert row.state == "done" and row.claim != "old" and row.response_body["id"] == retry.json()["id"]
    assert AuthorityFiling.objects.filter(filing_type="follow_up").count() == 1
    replay = session_client(officer).post(filings_url(world), body, format="json", HTTP_IDEMPOTENCY_KEY="crashed")
    assert replay.status_code == 201 and replay["Idempotent-Replayed"] == "true"
    assert AuthorityFiling.objects.filter(filing_type="follow_up").count() == 1


def test_a_request_holding_its_key_gives_it_back_when_it_answers(world, officer, now):
    """The key's lock lives as long as its request: a later duplicate replays, never a stale 409."""
    client = session_client(officer)
    first = client.post(filings_url(world), follow_up(world, now), format="json", HTTP_IDEMPOTENCY_KEY="held")
    refused = client.post(
        filings_url(world), follow_up(world, now, is_phased=True), format="json", HTTP_IDEMPOTENCY_KEY="held"
    )
    replay = client.post(filings_url(world), follow_up(world, now), format="json", HTTP_IDEMPOTENCY_KEY="held")
    assert (first.status_code, refused.status_code, replay.status_code) == (201, 422, 201)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()")
            assert cursor.fetchone()[0] == 0


def test_an_expired_key_is_forgotten_and_the_request_executed_again(world, officer, now, time_machine, settings):
    client = session_client(officer)
    body = follow_up(world, now)
    assert client.post(filings_url(world), body, format="json", HTTP_IDEMPOTENCY_KEY="day-old").status_code == 201
    time_machine.move_to(now + timedelta(hours=settings.BREACHTRACK_API_IDEMPOTENCY_TTL_HOURS, seconds=1), tick=False)
    client = session_client(officer)  # a day later: the session (SESSION_COOKIE_AGE) has ended, sign in again
    again = client.post(filings_url(world), body, format="json", HTTP_IDEMPOTENCY_KEY="day-old")
    assert again.status_code == 201 and "Idempotent-Replayed" not in again
    assert AuthorityFiling.objects.filter(filing_type="follow_up").count() == 2


def test_the_beat_task_purges_expired_keys_only(world, officer, now, time_machine, settings):
    client = session_client(officer)
    client.post(filings_url(world), follow_up(world, now), format="json", HTTP_IDEMPOTENCY_KEY="old")
    time_machine.move_to(now + timedelta(hours=23), tick=False)
    client = session_client(officer)  # the first session (SESSION_COOKIE_AGE) has ended by now
    client.post(filings_url(world), follow_up(world, now), format="json", HTTP_IDEMPOTENCY_KEY="young")
    time_machine.move_to(now + timedelta(hours=24, seconds=1), tick=False)
    assert purge_idempotency_keys() == 1
    assert list(IdempotencyKey.objects.values_list("key", flat=True)) == ["young"]
    assert purge_expired(now=now + timedelta(hours=48)) == 1 and not IdempotencyKey.objects.exists()


def test_the_schema_documents_the_header_on_each_creating_post(officer):
    schema = session_client(officer).get("/api/schema/?format=json").json()
    for path, method in (
        ("/api/incidents/{incident_pk}/filings/", "post"),
        ("/api/incidents/{incident_pk}/waves/", "post"),
        ("/api/incidents/{incident_pk}/waves/{id}/imports/", "post"),
        ("/api/incidents/{incident_pk}/decisions-not-to-notify/", "post"),
    ):
        operation = schema["paths"][path][method]
        assert "Idempotency-Key" in [p["name"] for p in operation["parameters"] if p["in"] == "header"], path
        assert {"409", "422"} <= set(operation["responses"]), path


def test_the_key_table_has_its_unique_constraint_in_the_database(db):
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, IdempotencyKey._meta.db_table)
    assert any(c["unique"] and c["columns"] == ["organisation_id", "caller", "key"] for c in constraints.values())


def test_beat_purges_the_keys_hourly(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["purge-idempotency-keys"]
    assert entry["task"] == purge_idempotency_keys.name == "api.purge_idempotency_keys"


def _register_posts(world, officer, now) -> list[tuple[str, dict, type]]:
    """The register's creating POSTs: a new incident, a party, an awareness record, an estimate."""
    from incidents.models import AffectedEstimate, AwarenessRecord, Incident, IncidentParty
    from organisations import services as org_services

    incident = world.incident
    party = org_services.create_party(
        incident.organisation, name="Third Controller", country="NL", actor=officer, reason="directory"
    )
    return [
        ("/api/incidents/", {"title": "Phishing wave", "reason": REASON}, Incident),
        (
            f"/api/incidents/{incident.pk}/parties/",
            {"party": party.pk, "role": "controller", "reason": REASON},
            IncidentParty,
        ),
        (
            f"/api/incidents/{incident.pk}/awareness/",
            {
                "party": world.controller.pk,
                "aware_at": (now - timedelta(hours=1)).isoformat(),
                "source": "own_detection",
                "reason": REASON,
            },
            AwarenessRecord,
        ),
        (
            f"/api/incidents/{incident.pk}/estimates/",
            {"measure": "records", "low": 1_300_000, "known_at": now.isoformat(), "source": "count", "reason": REASON},
            AffectedEstimate,
        ),
    ]


def test_a_retried_register_create_is_executed_once(world, officer, now):
    """A client that lost the answer to a new incident, party, awareness record or estimate sends
    it again with its key: the first answer comes back, and nothing is written twice."""
    client = session_client(officer)
    for url, body, model in _register_posts(world, officer, now):
        first = client.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY=f"register {url}")
        assert first.status_code == 201, (url, first.json())
        written = (model.objects.count(), model.history.count())
        replay = client.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY=f"register {url}")
        assert replay.status_code == 201 and replay["Idempotent-Replayed"] == "true", url
        assert replay.json() == first.json() and replay["ETag"] == first["ETag"], url
        assert (model.objects.count(), model.history.count()) == written, url
        other = client.post(url, {**body, "reason": "another"}, format="json", HTTP_IDEMPOTENCY_KEY=f"register {url}")
        assert other.status_code == 422, url


def test_the_schema_documents_the_header_on_the_register_and_art34_creates(officer):
    schema = session_client(officer).get("/api/schema/?format=json").json()
    for path in (
        "/api/incidents/",
        "/api/incidents/{id}/parties/",
        "/api/incidents/{id}/awareness/",
        "/api/incidents/{id}/estimates/",
        "/api/incidents/{id}/assessments/",
        "/api/incidents/{id}/content-versions/",
    ):
        operation = schema["paths"][path]["post"]
        assert "Idempotency-Key" in [p["name"] for p in operation["parameters"] if p["in"] == "header"], path
        assert {"409", "422"} <= set(operation["responses"]), path
