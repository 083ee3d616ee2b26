"""Watching the anchoring: /healthz warns when the audit trail has not been anchored for hours.

Real runs against the local TSA (tests/evidence/tsa.py), which fails on demand. A failure is a
warning (status "degraded", HTTP 200): the web keeps serving, monitoring sees the word.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse

from actions import incidents as services
from actions.sweep import database_now, sweep
from evidence.anchor import anchor_chains
from evidence.health import STALE_AFTER_INTERVALS, anchor_health, max_clean_age
from evidence.models import AnchorRun

INTERVAL = timedelta(hours=1)


def healthz(client) -> dict:
    sweep(now_func=database_now)  # the deadline sweep is fine: only the anchoring is judged here
    response = client.get(reverse("incidents:healthz"))
    assert response.status_code == 200, response.content
    return response.json()


@pytest.fixture
def hourly(settings):
    settings.BREACHTRACK_ANCHOR_INTERVAL_SECONDS = int(INTERVAL.total_seconds())


def test_with_anchoring_off_healthz_says_off_and_warns_of_nothing(client, db, settings):
    settings.BREACHTRACK_TSA_URL = None
    body = healthz(client)
    assert body["anchor"] == {"status": "off"}
    assert body["status"] == "ok" and body["warnings"] == []


def test_before_the_first_run_healthz_warns_never(client, anchoring, hourly, incident):
    body = healthz(client)
    assert body["status"] == "degraded" and body["warnings"] == ["anchor_never"] and body["problems"] == []
    assert "has not run yet" in body["anchor"]["detail"]


def test_a_clean_run_makes_it_ok(client, anchoring, hourly, incident, now):
    anchor_chains(now=now)
    body = healthz(client)
    assert body["status"] == "ok" and body["warnings"] == []
    assert body["anchor"]["status"] == "ok" and body["anchor"]["failed_chains"] == 0
    assert body["anchor"]["last_clean_at"] == now.isoformat()


def test_failing_runs_warn_after_three_intervals_with_the_tsas_error_and_recovery_clears_it(
    client, anchoring, hourly, incident, lab, officer, now, time_machine
):
    anchor_chains(now=now)  # anchored today
    # The chain moves: the next day's run has work to do.
    services.update_incident(incident, actor=officer, reason="The count grew.", title=incident.title + " (2)")
    anchoring.mode = "http_500"
    for hours in range(24, 24 + STALE_AFTER_INTERVALS + 1):
        at = now + timedelta(hours=hours)
        time_machine.move_to(at, tick=False)
        anchor_chains(now=at)
        health = anchor_health(now=at)
        expected = "stale" if at - now > max_clean_age() else "ok"
        assert health.state == expected, (hours, health.as_json())
    body = healthz(client)
    assert body["status"] == "degraded" and body["warnings"] == ["anchor_stale"]
    assert body["anchor"]["failed_chains"] >= 1 and "answered HTTP 500" in body["anchor"]["detail"]
    assert AnchorRun.objects.get().last_clean_at == now

    anchoring.mode = "ok"  # the TSA is back: the next run anchors and the warning goes
    later = now + timedelta(hours=24 + STALE_AFTER_INTERVALS + 1)
    time_machine.move_to(later, tick=False)
    anchor_chains(now=later)
    body = healthz(client)
    assert body["status"] == "ok" and body["anchor"]["status"] == "ok" and body["anchor"]["failed_chains"] == 0


def test_a_run_out_of_time_is_not_clean(anchoring, hourly, incident, other_org, now):
    anchor_chains(now=now, budget_seconds=0)  # one chain, then the budget is spent
    run = AnchorRun.objects.get()
    assert run.failed_chains >= 1 and run.last_clean_at is None
    assert "time budget" in run.last_error
    assert anchor_health(now=now).state == "stale"


def test_healthz_reads_the_anchor_state_in_one_query(
    client, anchoring, hourly, incident, now, django_assert_max_num_queries
):
    anchor_chains(now=now)
    sweep(now_func=database_now)
    with django_assert_max_num_queries(3):  # the database check, the heartbeat, the anchoring run
        assert client.get(reverse("incidents:healthz")).status_code == 200
