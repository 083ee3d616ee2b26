"""The deadlines and sweep management commands."""

from __future__ import annotations

import json
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from notifications.models import AlertEvent
from rules.deadlines import current_alert, rule_for


def _run(*args) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_deadlines_as_json_is_parseable_with_iso_utc_instants(aware_controller, incident, now):
    rows = json.loads(_run("deadlines", "--incident", str(incident.pk), "--format", "json"))
    assert rows == [
        {
            "incident": incident.reference,
            "kind": "authority_notification",
            "party": "National Screening Programme",
            "due_at": "2025-08-23T10:00:00Z",
            "outer_bound_at": "2025-08-23T11:00:00Z",  # Reg. 1182/71: floor(10:00) + 73 h
            "state": "pending",
            "met_at": None,
            "next_alert_at": "2025-08-21T10:00:00Z",
            "next_alert": "before:48h",
        }
    ]


def test_deadlines_as_a_table_shows_the_state_at_now(aware_controller, time_machine, now):
    time_machine.move_to(now + timedelta(hours=71), tick=False)
    output = _run("deadlines")
    header, row = output.splitlines()
    assert header.split() == [
        "incident",
        "kind",
        "party",
        "due_at",
        "outer_bound_at",
        "state",
        "met_at",
        "next_alert_at",
        "next_alert",
    ]
    assert "authority_notification" in row and "2025-08-23T10:00:00Z" in row and "overdue" in row
    assert "2025-08-23T11:00:00Z" in row  # the outer bound, beside the due moment


def test_deadlines_says_so_when_there_are_none(db):
    assert _run("deadlines") == "No deadlines.\n"
    assert json.loads(_run("deadlines", "--format", "json")) == []


def test_deadlines_refuses_an_unknown_incident(db):
    with pytest.raises(CommandError, match="no incident 999"):
        _run("deadlines", "--incident", "999")


def test_the_sweep_command_records_due_alerts_and_says_how_many(aware_controller, time_machine, now):
    moment = now + timedelta(hours=22)
    time_machine.move_to(moment, tick=False)
    assert _run("sweep") == "Recorded 1 alert(s).\nRe-queued 0 delivery(ies).\n"  # fan-out queued the officer's
    assert _run("sweep") == "Recorded 0 alert(s).\nRe-queued 0 delivery(ies).\n"
    event = AlertEvent.objects.get()
    # The command reads the database clock: time-machine moves it on SQLite (this machine's
    # clock) but not on PostgreSQL, where the real date makes the clock long overdue.
    assert event.label == current_alert(rule_for(event.deadline), event.due_at, event.fired_at)[0]
    if connection.vendor == "sqlite":
        assert (event.label, event.fired_at) == ("before:48h", moment)
        time_machine.move_to(moment + timedelta(minutes=5), tick=False)  # the queued task may have been lost
        assert _run("sweep") == "Recorded 0 alert(s).\nRe-queued 1 delivery(ies).\n"


def test_a_processor_notice_clock_names_both_ends_of_the_relationship(
    processor_and_controller, record_awareness, incident, now
):
    from datetime import timedelta

    processor, _controller, _relationship = processor_and_controller
    record_awareness(processor, now - timedelta(hours=3))
    rows = json.loads(_run("deadlines", "--incident", str(incident.pk), "--format", "json"))
    notice_rows = [row for row in rows if row["kind"] == "processor_notice"]
    assert [row["party"] for row in notice_rows] == ["Example Diagnostics B.V. → National Screening Programme"]
