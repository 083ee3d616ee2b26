"""Waves over the API: planned once per Idempotency-Key, changed only against the version read."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from access.models import AccessLog
from actions import communications as services
from communications.models import CommunicationWave, ContentVersion
from tests.api.conftest import REASON, session_client


def url(world, suffix="") -> str:
    return f"/api/incidents/{world.incident.pk}/waves/{suffix}"


def plan_body(world, now, **extra) -> dict:
    return {
        "controller": world.controller.pk,
        "content_version": world.content.pk,
        "cohort_label": "participants 2018",
        "channel": "letter",
        "planned_at": now.isoformat(),
        "reason": REASON,
        **extra,
    }


def counts():
    return CommunicationWave.objects.count(), CommunicationWave.history.count()


def test_a_planned_wave_is_created_once_per_key_and_answered_with_its_etag(world, officer, now):
    client = session_client(officer)
    before = counts()
    first = client.post(url(world), plan_body(world, now), format="json", HTTP_IDEMPOTENCY_KEY="plan-2018")
    assert first.status_code == 201 and first["ETag"] and first["Location"] == url(world, f"{first.json()['id']}/")
    replay = client.post(url(world), plan_body(world, now), format="json", HTTP_IDEMPOTENCY_KEY="plan-2018")
    assert replay.status_code == 201 and replay["Idempotent-Replayed"] == "true" and replay.json() == first.json()
    assert counts() == (before[0] + 1, before[1] + 1)
    wave = CommunicationWave.objects.get(pk=first.json()["id"])
    assert wave.history.get().history_user == officer and wave.planned_tz == "Europe/Amsterdam"


def _read(client, world):
    response = client.get(url(world, f"{world.wave.pk}/"))
    assert response.status_code == 200
    return response


def test_a_change_needs_the_current_etag(world, officer):
    client = session_client(officer)
    etag = _read(client, world)["ETag"]
    target = url(world, f"{world.wave.pk}/")
    missing = client.patch(target, {"cohort_label": "north", "reason": REASON}, format="json")
    assert missing.status_code == 428
    changed = client.patch(target, {"cohort_label": "north", "reason": REASON}, format="json", HTTP_IF_MATCH=etag)
    assert changed.status_code == 200 and changed.json()["cohort_label"] == "north" and changed["ETag"] != etag
    history = world.wave.history.count()
    stale = client.patch(target, {"cohort_label": "south", "reason": REASON}, format="json", HTTP_IF_MATCH=etag)
    assert stale.status_code == 412 and stale.json()["detail"].startswith("Someone changed this")
    world.wave.refresh_from_db()
    assert world.wave.cohort_label == "north" and world.wave.history.count() == history


def test_a_wave_changed_on_the_web_makes_the_api_etag_stale(world, officer):
    client = session_client(officer)
    etag = _read(client, world)["ETag"]
    services.update_wave(world.wave, cohort_label="changed on the web", actor=officer, reason="web")
    response = client.patch(
        url(world, f"{world.wave.pk}/"), {"channel": "email", "reason": REASON}, format="json", HTTP_IF_MATCH=etag
    )
    assert response.status_code == 412


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"planned_at": "2025-08-20T14:00:00"}, "planned_at"),
        ({"channel": "pigeon"}, "channel"),
        ({"content_version": 999_999}, "content_version"),
        ({"sent_count": 5}, "sent_count"),  # counts are recorded apart
        ({"reason": ""}, "reason"),
        ({"planned_tz": "Mars/Olympus"}, "planned_tz"),
    ],
)
def test_bad_changes_are_a_400_and_change_nothing(world, officer, change, field):
    client = session_client(officer)
    etag = _read(client, world)["ETag"]
    before = counts()
    response = client.patch(
        url(world, f"{world.wave.pk}/"),
        {"cohort_label": "x", "reason": REASON, **change},
        format="json",
        HTTP_IF_MATCH=etag,
    )
    assert response.status_code == 400 and field in response.json()["fields"], response.json()
    world.wave.refresh_from_db()
    assert counts() == before and world.wave.cohort_label == "participants 2017"


def test_bad_plans_are_a_400_and_write_nothing(world, officer, now, other_org, outsider):
    client = session_client(officer)
    before = counts()
    for change, field in (
        ({"controller": world.second_controller.pk + 1000}, "controller"),
        ({"planned_at": "yesterday"}, "planned_at"),
        ({"has_ledger": True}, "has_ledger"),
    ):
        response = client.post(url(world), plan_body(world, now, **change), format="json")
        assert response.status_code == 400 and field in response.json()["fields"]
    assert counts() == before


def test_put_is_not_offered(world, officer, now):
    client = session_client(officer)
    etag = _read(client, world)["ETag"]
    response = client.put(url(world, f"{world.wave.pk}/"), plan_body(world, now), format="json", HTTP_IF_MATCH=etag)
    assert response.status_code == 405


def test_marking_sent_freezes_the_content_and_a_second_time_is_refused(world, officer, now):
    client = session_client(officer)
    target = url(world, f"{world.wave.pk}/sent/")
    sent = client.post(target, {"sent_at": (now - timedelta(minutes=1)).isoformat(), "reason": REASON}, format="json")
    assert sent.status_code == 200 and sent.json()["sent_at"] is not None
    assert ContentVersion.objects.get(pk=world.content.pk).is_frozen
    again = client.post(target, {"sent_at": now.isoformat(), "reason": REASON}, format="json")
    assert again.status_code == 400 and again.json()["fields"]["sent_at"] == ["This wave was already marked as sent."]
    future = client.post(
        url(world, f"{world.wave.pk}/sent/"), {"sent_at": "2099-01-01T00:00:00Z", "reason": REASON}, format="json"
    )
    assert future.status_code == 400


def test_counts_need_if_match_and_are_validated(world, officer):
    client = session_client(officer)
    target = url(world, f"{world.wave.pk}/counts/")
    assert client.post(target, {"planned_count": 10, "reason": REASON}, format="json").status_code == 428
    etag = _read(client, world)["ETag"]
    refused = client.post(
        target, {"planned_count": 10, "sent_count": 11, "reason": REASON}, format="json", HTTP_IF_MATCH=etag
    )
    assert refused.status_code == 400 and "sent_count" in refused.json()["fields"]
    done = client.post(
        target, {"planned_count": 10, "sent_count": 9, "reason": REASON}, format="json", HTTP_IF_MATCH=etag
    )
    assert done.status_code == 200 and (done.json()["planned_count"], done.json()["sent_count"]) == (10, 9)
    assert client.post(target, {"reason": REASON}, format="json", HTTP_IF_MATCH=done["ETag"]).status_code == 400


def test_reads_are_logged_and_other_organisations_get_404(world, viewer, outsider, now):
    assert _read(session_client(viewer), world).json()["id"] == world.wave.pk
    assert AccessLog.objects.get(user=viewer).detail == f"API wave {world.wave.pk}"
    client = session_client(outsider)
    for target in (url(world), url(world, f"{world.wave.pk}/"), url(world, f"{world.wave.pk}/counts/")):
        response = client.get(target) if not target.endswith("counts/") else client.post(target, {}, format="json")
        assert response.status_code == 404 and world.wave.cohort_label not in response.content.decode()
    assert client.post(url(world), plan_body(world, now), format="json").status_code == 404


def test_the_list_costs_the_same_queries_at_two_sizes(world, officer, now):
    client = session_client(officer)
    client.get(url(world))

    def add(count):
        for n in range(count):
            services.plan_wave(
                world.incident,
                controller=world.controller,
                cohort_label=f"cohort {n}",
                channel="email",
                content_version=world.content,
                planned_at=now,
                actor=officer,
                reason="wave",
            )

    add(2)
    with CaptureQueriesContext(connection) as small:
        assert len(client.get(url(world)).json()["results"]) == 3
    add(25)
    with CaptureQueriesContext(connection) as large:
        assert len(client.get(url(world)).json()["results"]) == 28
    assert len(small) == len(large) <= 10
