"""The sweep records each passed threshold once: in order, under races, across failures."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from django.conf import settings
from django.db import OperationalError, connection, connections
from django.utils import timezone

import actions.sweep
from actions import incidents as services
from actions.sweep import database_now, handle_one_due_deadline, sweep
from notifications.models import AlertEvent, Deadline, SweepHeartbeat
from organisations import services as org_services


def _sweep_at(time_machine, moment) -> int:
    time_machine.move_to(moment, tick=False)
    return sweep(now_func=timezone.now)


def _labels(deadline) -> list[str]:
    return list(deadline.alerts.order_by("fired_at", "pk").values_list("label", flat=True))


def test_thresholds_fire_in_order_exactly_once_each_as_time_advances(aware_controller, time_machine, now):
    deadline = Deadline.objects.get(party=aware_controller)
    due = deadline.due_at
    ladder = [
        ("before:48h", due - timedelta(hours=48)),
        ("before:24h", due - timedelta(hours=24)),
        ("before:12h", due - timedelta(hours=12)),
        ("before:6h", due - timedelta(hours=6)),
        ("before:1h", due - timedelta(hours=1)),
        ("due", due),
        ("overdue:12h", due + timedelta(hours=12)),
        ("overdue:24h", due + timedelta(hours=24)),
    ]
    assert _sweep_at(time_machine, now) == 0
    for index, (_label, moment) in enumerate(ladder):
        assert _sweep_at(time_machine, moment - timedelta(seconds=1)) == 0
        assert _sweep_at(time_machine, moment) == 1
        assert _sweep_at(time_machine, moment + timedelta(minutes=5)) == 0
        assert _labels(deadline) == [name for name, _at in ladder[: index + 1]]
    event = deadline.alerts.get(label="due")
    assert (event.due_at, event.fired_at) == (due, due)


def test_handle_one_says_whether_it_found_work(aware_controller, now):
    later = now + timedelta(hours=22)
    assert handle_one_due_deadline(now=later) is True
    assert handle_one_due_deadline(now=later) is False


def test_a_clock_first_computed_after_its_thresholds_alerts_once_for_its_current_state(
    processor_and_controller, record_awareness, now
):
    _processor, controller, _relationship = processor_and_controller
    record_awareness(controller, now - timedelta(hours=100))  # due 28 hours ago

    assert sweep(now_func=lambda: now) == 1
    deadline = Deadline.objects.get(party=controller)
    assert _labels(deadline) == ["overdue:24h"]
    assert (deadline.next_alert_label, deadline.next_alert_at) == ("overdue:36h", deadline.due_at + timedelta(hours=36))
    assert sweep(now_func=lambda: now) == 0


def test_a_late_sweep_records_the_current_state_not_every_missed_threshold(aware_controller, now):
    deadline = Deadline.objects.get(party=aware_controller)
    assert sweep(now_func=lambda: deadline.due_at + timedelta(hours=1)) == 1
    assert _labels(deadline) == ["due"]


def test_a_met_deadline_raises_no_alert(processor_and_controller, record_awareness, officer, now):
    processor, _controller, relationship = processor_and_controller
    record_awareness(processor, now - timedelta(hours=1))
    services.record_processor_notice(
        relationship, informed_at=now, channel="phone", informed_by="lab DPO", actor=officer, reason="notice"
    )
    assert sweep(now_func=lambda: now + timedelta(days=30)) == 1  # the controller's own Art. 33(1) clock only
    assert AlertEvent.objects.get().deadline.kind == "authority_notification"


def test_a_corrected_awareness_gets_fresh_alerts(aware_controller, officer, now):
    deadline = Deadline.objects.get(party=aware_controller)
    first_due = deadline.due_at
    assert sweep(now_func=lambda: now + timedelta(hours=22)) == 1
    record = aware_controller.awareness_records.get()
    services.correct_awareness(record, aware_at=now - timedelta(hours=3), actor=officer, reason="an hour earlier")

    assert sweep(now_func=lambda: now + timedelta(hours=22)) == 1
    assert sorted(deadline.alerts.values_list("label", "due_at")) == [
        ("before:48h", first_due - timedelta(hours=1)),
        ("before:48h", first_due),
    ]


def test_a_sweep_that_raises_pushes_the_row_an_hour_ahead_and_the_next_records_it_once(
    aware_controller, time_machine, monkeypatch, now
):
    deadline = Deadline.objects.get(party=aware_controller)
    moment = deadline.next_alert_at
    original = actions.sweep.insert_rows_without_history
    calls = []

    def fail_for_this_sweep(model, *args, **kwargs):
        # The batch fails, and so does the row-by-row redo of that batch.
        calls.append(model)
        if model is AlertEvent and len(calls) <= 2:
            raise RuntimeError("mail server on fire")
        return original(model, *args, **kwargs)

    monkeypatch.setattr(actions.sweep, "insert_rows_without_history", fail_for_this_sweep)
    time_machine.move_to(moment, tick=False)
    with pytest.raises(RuntimeError):
        sweep(now_func=timezone.now)
    deadline.refresh_from_db()
    assert deadline.next_alert_at == moment + timedelta(hours=1)
    assert deadline.next_alert_label == "before:48h"  # the claim was rolled back with the failure
    assert not AlertEvent.objects.exists()

    assert _sweep_at(time_machine, moment + timedelta(minutes=30)) == 0
    assert _sweep_at(time_machine, moment + timedelta(hours=1)) == 1
    assert _sweep_at(time_machine, moment + timedelta(hours=1)) == 0
    assert _labels(deadline) == ["before:48h"]


def test_the_unique_constraint_stops_a_second_record_of_the_same_threshold(aware_controller, now):
    deadline = Deadline.objects.get(party=aware_controller)
    AlertEvent.objects.create(deadline=deadline, label="before:48h", due_at=deadline.due_at, fired_at=now)
    # As if a recompute raced the sweep and put the recorded threshold back.
    Deadline.objects.filter(pk=deadline.pk).update(next_alert_at=now, next_alert_label="before:48h")

    assert sweep(now_func=lambda: deadline.due_at - timedelta(hours=48)) == 0
    assert deadline.alerts.count() == 1
    deadline.refresh_from_db()
    assert deadline.next_alert_label == "before:24h"


def _many_due_deadlines(incident, officer, record_awareness, now, count=6, hours_ago=30):
    for n in range(count):
        party = org_services.create_party(
            incident.organisation, name=f"Controller {n}", country="NL", actor=officer, reason="directory"
        )
        controller = services.add_party(incident, party=party, role="controller", actor=officer, reason="parties")
        record_awareness(controller, now - timedelta(hours=hours_ago))  # 30: 'before:48h' passed, due at once
    return count


def _sweep_waiting_for_sqlite(moment) -> int:
    """sweep(), retried while SQLite's shared-cache test database reports 'table is locked'.

    The in-memory test database shares its cache between threads, and in that mode SQLite
    answers a lock conflict at once instead of waiting out the busy timeout the file database
    in production has; retrying stands in for that wait. PostgreSQL needs no retry.
    """
    for _attempt in range(200):
        try:
            return sweep(now_func=lambda: moment)
        except OperationalError as error:
            if connection.vendor != "sqlite" or "locked" not in str(error):
                raise
            time.sleep(0.01)
    raise AssertionError("SQLite stayed locked")


def _race(moment, workers=2) -> list[int]:
    barrier = threading.Barrier(workers)
    results, errors = [], []

    def work():
        try:
            barrier.wait(timeout=10)
            results.append(_sweep_waiting_for_sqlite(moment))
        except Exception as error:  # reported by the test below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    return results


@pytest.mark.django_db(transaction=True)
def test_it_alerts_once_per_threshold_when_two_sweeps_race(incident, officer, record_awareness, now):
    count = _many_due_deadlines(incident, officer, record_awareness, now)
    # SQLite: no SKIP LOCKED, the compare-and-set decides; PostgreSQL: each worker skips the
    # rows the other holds, with its own connection.
    assert connection.features.has_select_for_update_skip_locked == (connection.vendor == "postgresql")

    # Counted in the table: a sweep retried after a SQLite lock loses its return value.
    _race(now)
    assert AlertEvent.objects.count() == count
    _race(now + timedelta(hours=24))
    assert AlertEvent.objects.count() == 2 * count
    assert sorted(set(AlertEvent.objects.values_list("label", flat=True))) == ["before:24h", "before:48h"]
    for deadline in Deadline.objects.all():
        assert _labels(deadline) == ["before:48h", "before:24h"]


def test_a_sweep_with_nothing_due_does_a_constant_small_number_of_queries(
    incident, officer, record_awareness, now, django_assert_max_num_queries
):
    sweep(now_func=lambda: now)  # the first sweep creates the heartbeat row
    # Steady state: the due-row lookup and the heartbeat UPDATE, each inside its savepoint
    # (SAVEPOINT + RELEASE); on PostgreSQL also the heartbeat's SET LOCAL synchronous_commit.
    limit = 6 + (1 if connection.vendor == "postgresql" else 0)
    with django_assert_max_num_queries(limit):
        assert sweep(now_func=lambda: now) == 0
    _many_due_deadlines(incident, officer, record_awareness, now, count=5, hours_ago=0)  # none due yet
    with django_assert_max_num_queries(limit):
        assert sweep(now_func=lambda: now) == 0


def test_the_heartbeat_is_written_by_every_sweep(aware_controller, now):
    sweep(now_func=lambda: now)
    assert (SweepHeartbeat.objects.get().last_sweep_at, SweepHeartbeat.objects.get().last_found) == (now, 0)
    later = now + timedelta(hours=22)
    sweep(now_func=lambda: later)
    beat = SweepHeartbeat.objects.get()
    assert (beat.pk, beat.last_sweep_at, beat.last_found) == (1, later, 1)


def test_the_database_clock_is_an_aware_utc_instant(db):
    instant = database_now()
    assert instant.utcoffset() == timedelta(0)
    assert abs(instant - timezone.now()) < timedelta(minutes=5)


def test_the_beat_schedule_runs_the_sweep_task(db):
    from ops.tasks.notifications import sweep_deadlines

    assert settings.CELERY_BEAT_SCHEDULE["sweep-deadlines"]["task"] == sweep_deadlines.name == "actions.sweep"
    assert settings.CELERY_BEAT_SCHEDULE["sweep-deadlines"]["schedule"] == 15
    assert sweep_deadlines.acks_late
    assert sweep_deadlines() == 0
