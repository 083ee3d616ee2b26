"""Idempotency-Key under concurrency, on PostgreSQL: real threads, real row locks, no mocks.

Two shapes: a duplicate that arrives while the first request is held in flight (the first is
made to wait on a lock of the incident row held by the test: it has claimed its key, then waits
inside its service), and two identical requests released at the same instant by a barrier.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connection, connections, transaction

from api.models import IdempotencyKey
from communications.models import CommunicationWave, ImportJob
from filings.models import AuthorityFiling
from incidents.models import Incident
from tests.api.conftest import REASON, recipients_csv, token_client

REPO_ROOT = Path(__file__).resolve().parent.parent.parent


def wait_for(condition, timeout=20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        time.sleep(0.02)


class IncidentLock:
    """Holds the incident row locked (SELECT … FOR UPDATE) in a thread until released."""

    def __init__(self, incident_pk: int):
        self.incident_pk = incident_pk
        self.held, self.release = threading.Event(), threading.Event()
        self.thread = threading.Thread(target=self._hold)

    def _hold(self):
        try:
            with transaction.atomic():
                Incident.objects.select_for_update().get(pk=self.incident_pk)
                self.held.set()
                self.release.wait(timeout=30)
        finally:
            connections.close_all()

    def __enter__(self):
        self.thread.start()
        assert self.held.wait(timeout=10)
        return self

    def __exit__(self, *exc):
        self.release.set()
        self.thread.join(timeout=30)


def in_thread(call) -> tuple[threading.Thread, list]:
    answers = []

    def work():
        try:
            answers.append(call())
        finally:
            connections.close_all()

    thread = threading.Thread(target=work)
    thread.start()
    return thread, answers


def race(calls) -> list:
    barrier = threading.Barrier(len(calls))
    answers = []

    def work(call):
        try:
            barrier.wait(timeout=10)
            answers.append(call())
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return answers


def follow_up(world, now) -> dict:
    return {
        "controller": world.controller.pk,
        "authority": world.authority.pk,
        "filing_type": "follow_up",
        "submitted_at": (now - timedelta(minutes=5)).isoformat(),
        "channel": "ap_form",
        "reason": REASON,
    }


@pytest.fixture
def secret(world, officer, lab, make_token):
    return make_token(officer, lab, "privacy_officer").secret


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_duplicate_filing_while_the_first_is_in_flight_is_a_409_then_a_replay(world, secret, now):
    url = f"/api/incidents/{world.incident.pk}/filings/"
    post = lambda: token_client(secret).post(url, follow_up(world, now), format="json", HTTP_IDEMPOTENCY_KEY="k1")  # noqa: E731
    before = (AuthorityFiling.objects.count(), AuthorityFiling.history.count())
    with IncidentLock(world.incident.pk):
        first, answers = in_thread(post)
        wait_for(lambda: IdempotencyKey.objects.filter(key="k1", state="in_flight").exists())
        duplicate = post()
        assert duplicate.status_code == 409
        assert AuthorityFiling.objects.count() == before[0]
    first.join(timeout=30)
    assert answers[0].status_code == 201
    replay = post()
    assert replay.status_code == 201 and replay["Idempotent-Replayed"] == "true" and replay.json() == answers[0].json()
    assert (AuthorityFiling.objects.count(), AuthorityFiling.history.count()) == (before[0] + 1, before[1] + 1)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_identical_filings_at_the_same_instant_make_one_filing(world, secret, now):
    url = f"/api/incidents/{world.incident.pk}/filings/"
    before = AuthorityFiling.objects.count()
    answers = race(
        [lambda: token_client(secret).post(url, follow_up(world, now), format="json", HTTP_IDEMPOTENCY_KEY="same")] * 2
    )
    codes = sorted(answer.status_code for answer in answers)
    assert codes in ([201, 201], [201, 409])
    assert (
        AuthorityFiling.objects.count() == before + 1
        and AuthorityFiling.history.filter(filing_type="follow_up").count() == 1
    )


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_duplicate_wave_while_the_first_is_in_flight_is_a_409_then_a_replay(world, secret, now):
    url = f"/api/incidents/{world.incident.pk}/waves/"
    body = {
        "controller": world.controller.pk,
        "content_version": world.content.pk,
        "cohort_label": "participants 2019",
        "channel": "letter",
        "planned_at": now.isoformat(),
        "reason": REASON,
    }
    post = lambda: token_client(secret).post(url, body, format="json", HTTP_IDEMPOTENCY_KEY="w1")  # noqa: E731
    before = (CommunicationWave.objects.count(), CommunicationWave.history.count())
    with IncidentLock(world.incident.pk):
        first, answers = in_thread(post)
        wait_for(lambda: IdempotencyKey.objects.filter(key="w1", state="in_flight").exists())
        assert post().status_code == 409
    first.join(timeout=30)
    assert answers[0].status_code == 201
    assert post()["Idempotent-Replayed"] == "true"
    assert (CommunicationWave.objects.count(), CommunicationWave.history.count()) == (before[0] + 1, before[1] + 1)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_identical_imports_at_the_same_instant_queue_one_job(world, secret):
    from django.core.files.uploadedfile import SimpleUploadedFile

    url = f"/api/incidents/{world.incident.pk}/waves/{world.wave.pk}/imports/"
    data = recipients_csv(5, start=300_000_000)

    def post():
        body = {"file": SimpleUploadedFile("cohort.csv", data, content_type="text/csv"), "reason": REASON}
        return token_client(secret).post(url, body, format="multipart", HTTP_IDEMPOTENCY_KEY="i1")

    before = ImportJob.objects.count()
    answers = race([post, post])
    assert sorted(answer.status_code for answer in answers) in ([202, 202], [202, 409])
    assert ImportJob.objects.count() == before + 1
    replay = post()
    assert replay.status_code == 202 and replay["Idempotent-Replayed"] == "true"
    assert ImportJob.objects.count() == before + 1


# A worker of its own: a separate Python process that sends one POST (time frozen like the test's)
# and is killed while the POST waits inside its operation, before it can answer or clean up.
WORKER = """
import json, os, sys
from datetime import datetime

import django
import time_machine

django.setup()
from django.test.utils import setup_test_environment

setup_test_environment()
time_machine.travel(datetime.fromisoformat(sys.argv[1]), tick=False).start()
from rest_framework.test import APIClient

client = APIClient()
client.credentials(HTTP_AUTHORIZATION="Bearer " + os.environ["BT_TEST_SECRET"])
client.post(sys.argv[2], json.loads(sys.argv[3]), format="json", HTTP_IDEMPOTENCY_KEY=sys.argv[4])
"""


def backends_waiting_on_a_lock() -> list[int]:
    """The server processes of this test database that wait on a row lock."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
            " AND pid <> pg_backend_pid()"
        )
        return [row[0] for row in cursor.fetchall()]


def backend_alive(pid: int) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE pid = %s", [pid])
        return cursor.fetchone()[0] == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_retry_after_the_first_requests_worker_was_killed_is_executed_at_once(world, secret, now, tmp_path):
    """The first request claims its key, then its worker is killed mid-flight (SIGKILL: nothing of
    it runs any more, its claim stays behind "in flight"). The claim died with its request, so the
    retry is executed at once (not a 409 for 300 s), and once."""
    url = f"/api/incidents/{world.incident.pk}/filings/"
    body = follow_up(world, now)
    settings_dict = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "breachtrack.settings",
        "DATABASE_URL": f"postgres://{settings_dict['USER']}@{settings_dict['HOST']}:{settings_dict['PORT']}"
        f"/{settings_dict['NAME']}",
        "BREACHTRACK_VAR_DIR": str(tmp_path),
        "BT_TEST_SECRET": secret,
    }
    before = (AuthorityFiling.objects.count(), AuthorityFiling.history.count())
    with IncidentLock(world.incident.pk):
        worker = subprocess.Popen(
            [sys.executable, "-c", WORKER, now.isoformat(), url, json.dumps(body), "k-killed"],
            cwd=REPO_ROOT,
            env=env,
        )
        try:
            wait_for(lambda: len(backends_waiting_on_a_lock()) == 1, timeout=60)
            assert IdempotencyKey.objects.get(key="k-killed").state == "in_flight"
            (its_backend,) = backends_waiting_on_a_lock()
        finally:
            worker.kill()
            worker.wait(timeout=30)
    # Its database session ends once the server notices the client is gone (here: as soon as the
    # row it waited for is free and it tries to answer); its transaction rolls back with it.
    wait_for(lambda: not backend_alive(its_backend))
    assert IdempotencyKey.objects.get(key="k-killed").state == "in_flight"  # what the dead request left
    assert (AuthorityFiling.objects.count(), AuthorityFiling.history.count()) == before

    post = lambda: token_client(secret).post(url, body, format="json", HTTP_IDEMPOTENCY_KEY="k-killed")  # noqa: E731
    retry = post()
    assert retry.status_code == 201 and "Idempotent-Replayed" not in retry, retry.json()
    assert IdempotencyKey.objects.get(key="k-killed").state == "done"
    replay = post()
    assert replay.status_code == 201 and replay["Idempotent-Replayed"] == "true" and replay.json() == retry.json()
    assert (AuthorityFiling.objects.count(), AuthorityFiling.history.count()) == (before[0] + 1, before[1] + 1)
