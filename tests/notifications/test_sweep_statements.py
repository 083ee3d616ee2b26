"""What an idle sweep costs (a probe and the heartbeat), and the row INSERT the fan-out writes with."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from actions.sweep import sweep
from breachtrack.history import insert_rows_without_history
from incidents.models import Incident
from notifications.delivery import dispatch_due_deliveries
from notifications.models import AlertEvent, Deadline, Notification, SweepHeartbeat


def test_an_idle_sweep_is_one_probe_and_the_heartbeat(aware_controller, now):
    sweep(now_func=lambda: now)  # the heartbeat row exists: the steady state
    deadline = Deadline.objects.get(party=aware_controller)
    assert deadline.next_alert_at > now  # nothing due
    later = now + timedelta(seconds=15)
    with CaptureQueriesContext(connection) as captured:
        assert sweep(now_func=lambda: later) == 0
    statements = [query["sql"] for query in captured.captured_queries]
    assert len(statements) == 2, statements
    assert statements[0].startswith("SELECT 1 FROM") and "LIMIT 1" in statements[0]
    assert statements[1].startswith("UPDATE") and "notifications_sweepheartbeat" in statements[1]
    beat = SweepHeartbeat.objects.get()
    assert (beat.last_sweep_at, beat.last_found) == (later, 0)


def test_the_first_sweep_creates_the_heartbeat_and_a_due_row_is_still_recorded(aware_controller, now):
    assert not SweepHeartbeat.objects.exists()
    assert sweep(now_func=lambda: now) == 0
    assert SweepHeartbeat.objects.get().last_sweep_at == now
    deadline = Deadline.objects.get(party=aware_controller)
    due = deadline.next_alert_at
    assert sweep(now_func=lambda: due) == 1  # the probe says yes, the pick claims it
    assert list(AlertEvent.objects.values_list("deadline_id", "label")) == [(deadline.pk, "before:48h")]
    assert SweepHeartbeat.objects.get().last_found == 1


def test_a_dispatcher_pass_that_finds_nothing_is_one_statement(db, now):
    with CaptureQueriesContext(connection) as captured:
        assert dispatch_due_deliveries(now) == []
    assert len(captured) == 1


def test_rows_inserted_without_history_come_back_with_the_columns_asked_for(alert, officer, lawyer, now):
    Notification.objects.all().delete()
    returned = insert_rows_without_history(
        Notification,
        ("user_id", "alert_event_id", "created_at"),
        [(officer.pk, alert.pk, now), (lawyer.pk, alert.pk, now)],
        returning=("pk", "user_id"),
    )
    stored = dict(Notification.objects.values_list("pk", "user_id"))
    assert dict(returned) == stored and set(stored.values()) == {officer.pk, lawyer.pk}
    assert insert_rows_without_history(Notification, ("user_id",), []) == []


def test_a_historied_model_is_refused(db):
    with pytest.raises(TypeError, match="keeps history"):
        insert_rows_without_history(Incident, ("title",), [("Sneaked in",)])
