"""Watching the watcher: /healthz and the banner when the deadline sweep stops."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from actions.sweep import database_now, sweep
from notifications.health import SweepHealth, max_heartbeat_age, sweep_health

BANNER = "Deadline alerts are not being checked"
NOW_ISH = database_now  # the clock the sweep writes with and health reads with


def _swept(ago: timedelta = timedelta(0)) -> None:
    """A real sweep whose heartbeat is ``ago`` old (time standing still, as in the frozen tests)."""
    sweep(now_func=lambda: NOW_ISH() - ago)


def _heartbeat_reads(queries) -> int:
    return sum("notifications_sweepheartbeat" in query["sql"] for query in queries)


# --- The rule ---------------------------------------------------------------------------------------


def test_the_limit_is_three_sweep_intervals(settings):
    settings.BREACHTRACK_SWEEP_INTERVAL_SECONDS = 20
    assert max_heartbeat_age() == timedelta(seconds=60)


@pytest.mark.parametrize(
    ("age", "state"),
    [
        (timedelta(0), "ok"),
        (timedelta(seconds=45), "ok"),
        (timedelta(seconds=46), "stale"),
        (timedelta(days=2), "stale"),
    ],
)
def test_a_heartbeat_older_than_the_limit_is_stale(now, age, state):
    health = SweepHealth(last_sweep_at=now - age, checked_at=now, max_age=timedelta(seconds=45))
    assert (health.state, health.is_failing) == (state, state != "ok")


def test_no_heartbeat_at_all_is_never_and_failing(now):
    health = SweepHealth(last_sweep_at=None, checked_at=now, max_age=timedelta(seconds=45))
    assert (health.state, health.is_failing, health.age) == ("never", True, None)
    assert "the last check was never" in health.banner()


def test_the_banner_counts_whole_minutes(now):
    health = SweepHealth(
        last_sweep_at=now - timedelta(minutes=10, seconds=59), checked_at=now, max_age=timedelta(seconds=45)
    )
    assert health.banner() == (
        "Deadline alerts are not being checked: the last check was 10 minutes ago. "
        "Deadlines are still computed, but nobody will be alerted."
    )
    one = SweepHealth(last_sweep_at=now - timedelta(seconds=61), checked_at=now, max_age=timedelta(seconds=45))
    assert "the last check was 1 minute ago." in one.banner()


def test_health_reads_the_heartbeat_against_the_database_clock_in_one_query(db, now, django_assert_num_queries):
    _swept(timedelta(minutes=10))
    with django_assert_num_queries(1):
        health = sweep_health()
    assert health.state == "stale"
    assert health.age == timedelta(minutes=10)


# --- /healthz ---------------------------------------------------------------------------------------


def test_healthz_is_ok_with_a_fresh_heartbeat(client, db, django_assert_max_num_queries):
    _swept()
    with django_assert_max_num_queries(2):  # the database check and the heartbeat
        response = client.get(reverse("incidents:healthz"))
    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["problems"], body["database"], body["sweep"]["status"]) == ("ok", [], "ok", "ok")
    assert body["sweep"]["last_sweep_at"] is not None
    assert 0 <= body["sweep"]["age_seconds"] <= body["sweep"]["max_age_seconds"] == 45


def test_healthz_fails_when_the_sweep_stopped(client, db, now):
    _swept(timedelta(minutes=10))
    response = client.get(reverse("incidents:healthz"))
    assert response.status_code == 503
    body = response.json()
    assert (body["status"], body["problems"], body["database"]) == ("failing", ["sweep_stale"], "ok")
    assert body["sweep"]["age_seconds"] == 600
    assert "600 s ago" in body["sweep"]["detail"]


def test_healthz_fails_on_a_fresh_install_until_the_first_sweep(client, db):
    response = client.get(reverse("incidents:healthz"))
    assert response.status_code == 503
    body = response.json()
    assert (body["problems"], body["sweep"]["status"], body["sweep"]["last_sweep_at"]) == (
        ["sweep_never"],
        "never",
        None,
    )
    assert "scripts/run" in body["sweep"]["detail"]
    _swept()
    assert client.get(reverse("incidents:healthz")).status_code == 200


def test_a_sweep_after_an_outage_clears_the_failure(client, db, now):
    _swept(timedelta(hours=3))
    assert client.get(reverse("incidents:healthz")).status_code == 503
    _swept()
    assert client.get(reverse("incidents:healthz")).status_code == 200


# --- The banner -------------------------------------------------------------------------------------


def test_no_banner_while_the_sweep_runs(client, officer, incident):
    _swept()
    client.force_login(officer)
    for url in (reverse("incidents:list"), reverse("incidents:detail", args=[incident.pk]), reverse("admin:index")):
        response = client.get(url)
        assert response.status_code == 200
        assert BANNER not in response.content.decode(), url


def test_the_banner_shows_on_the_register_and_in_the_admin_when_the_sweep_stopped(client, viewer, incident, now):
    _swept(timedelta(minutes=10))
    client.force_login(viewer)
    urls = [
        reverse("incidents:list"),
        reverse("incidents:detail", args=[incident.pk]),
        reverse("admin:index"),
        reverse("admin:incidents_incident_change", args=[incident.pk]),
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        assert (
            "Deadline alerts are not being checked: the last check was 10 minutes ago." in response.content.decode()
        ), url


def test_the_banner_says_never_on_a_fresh_install(client, officer):
    client.force_login(officer)
    content = client.get(reverse("incidents:list")).content.decode()
    assert "the last check was never" in content


def test_people_who_are_not_logged_in_see_no_banner_and_cost_no_query(client, db):
    with CaptureQueriesContext(connection) as captured:
        response = client.get(reverse("admin:login"))
    assert response.status_code == 200
    assert BANNER not in response.content.decode()
    assert _heartbeat_reads(captured.captured_queries) == 0


@pytest.mark.parametrize("page", ["list", "admin"])
def test_a_page_reads_the_heartbeat_once(client, officer, incident, now, page):
    _swept(timedelta(minutes=10))
    client.force_login(officer)
    url = (
        reverse("incidents:list") if page == "list" else reverse("admin:incidents_incident_change", args=[incident.pk])
    )
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert BANNER in response.content.decode()
    assert _heartbeat_reads(captured.captured_queries) == 1
