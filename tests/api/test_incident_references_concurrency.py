"""Incident references under concurrent creates, on PostgreSQL: real threads, each with its own
connection, real row locks, no mocks.

The server allows 100 connections, shared with the other test runs on the machine, so the 100
creates come from ``THREADS`` threads released together by a barrier, each sending its share.
"""

from __future__ import annotations

import threading

import pytest
from django.db import connections

from incidents.models import Incident, IncidentReferenceCounter
from tests.api.conftest import REASON, token_client

CREATES = 100
THREADS = 25


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_hundred_concurrent_creates_each_get_their_own_reference(officer, lab, make_token, now):
    secret = make_token(officer, lab, "privacy_officer").secret
    barrier = threading.Barrier(THREADS)
    answers, failures = [], []

    def work(thread: int) -> None:
        try:
            client = token_client(secret)
            barrier.wait(timeout=30)
            for k in range(CREATES // THREADS):
                body = {"title": f"Phishing {thread}.{k}", "reason": REASON}
                answers.append(client.post("/api/incidents/", body, format="json"))
        except BaseException as error:  # a 5xx raises in the test client: keep it for the assertion
            failures.append(repr(error))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work, args=(thread,)) for thread in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert failures == []
    assert sorted({answer.status_code for answer in answers}) == [201], [
        answer.json() for answer in answers if answer.status_code != 201
    ][:3]
    references = [answer.json()["reference"] for answer in answers]
    assert len(references) == CREATES
    assert sorted(references) == [f"2025-{number:04d}" for number in range(1, CREATES + 1)]
    assert Incident.objects.filter(organisation=lab).count() == CREATES
    assert IncidentReferenceCounter.objects.get(organisation=lab, year=2025).last_number == CREATES
