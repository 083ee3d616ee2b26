"""The threat actor's countdown as an operational clock, through the real sweep.

It alerts 24 h, 6 h and 1 h before the actor's deadline and at it, never after; a revision moves
the clock (alerts already recorded for the old moment stay); a withdrawal stops it; and no
extortion fact ever changes a legal (authority) or processor deadline row.
"""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command

from actions import extortion
from actions.sweep import sweep
from notifications.models import AlertEvent, Deadline, DeadlineKind
from rules import clocks
from rules.deadlines import rule_for

H = timedelta(hours=1)


@pytest.fixture
def threat(incident, officer, now):
    return extortion.record_threat(
        incident,
        actor_name="Kraken Collective",
        first_contact_at=now - 72 * H,
        channel="leak_site",
        demand_amount=Decimal("1100000"),
        demand_currency="EUR",
        actor=officer,
        reason="listed on the leak site",
    )


@pytest.fixture
def countdown(threat, officer, now):
    """Set 72 h ago, due 48 h from now."""
    return extortion.revise_countdown(
        threat,
        kind="set",
        announced_at=now - 72 * H,
        deadline_at=now + 48 * H,
        source="leak site",
        actor=officer,
        reason="countdown on the leak site",
    )


def countdown_row(threat) -> Deadline:
    return Deadline.objects.get(kind=DeadlineKind.EXTORTION_COUNTDOWN, extortion_threat=threat)


def alerts(threat) -> list[tuple[str, object]]:
    return list(
        AlertEvent.objects.filter(deadline__extortion_threat=threat)
        .order_by("fired_at", "pk")
        .values_list("label", "due_at")
    )


def sweep_at(moment) -> int:
    return sweep(now_func=lambda: moment)


def test_the_countdown_rule_is_operational_with_three_warnings_and_no_overdue_repeats():
    rule = clocks.DEFAULT_RULES[DeadlineKind.EXTORTION_COUNTDOWN]
    assert not rule.is_legal_deadline
    assert rule.thresholds_before == (24 * H, 6 * H, 1 * H)
    assert rule.overdue_repeat is None
    assert "not a legal deadline" in DeadlineKind.EXTORTION_COUNTDOWN.label


def test_the_row_carries_the_duration_from_announcement_to_deadline(countdown, threat, now):
    row = countdown_row(threat)
    assert (row.started_at, row.due_at) == (now - 72 * H, now + 48 * H)
    assert rule_for(row).duration == 120 * H
    assert row.is_active and not row.is_legal_deadline


def test_the_sweep_alerts_at_each_threshold_and_at_the_deadline_then_stops(countdown, threat, now):
    due = now + 48 * H
    assert sweep_at(now) == 0
    for moment, label in (
        (due - 24 * H, "before:24h"),
        (due - 6 * H, "before:6h"),
        (due - H, "before:1h"),
        (due, "due"),
    ):
        assert sweep_at(moment) == 1, label
        assert sweep_at(moment) == 0  # a second sweep records nothing twice
    assert alerts(threat) == [("before:24h", due), ("before:6h", due), ("before:1h", due), ("due", due)]
    assert sweep_at(due + 400 * H) == 0  # no overdue repeats for an actor's deadline
    assert countdown_row(threat).next_alert_at is None


def test_an_extension_moves_the_clock_and_keeps_the_alerts_of_the_old_moment(
    countdown, threat, officer, now, time_machine
):
    old_due, new_due = now + 48 * H, now + 120 * H
    assert sweep_at(old_due - 24 * H) == 1
    time_machine.move_to(now + 25 * H, tick=False)
    extortion.revise_countdown(
        threat,
        kind="extended",
        announced_at=now + 25 * H,
        deadline_at=new_due,
        actor=officer,
        reason="extended on the site",
    )

    row = countdown_row(threat)
    assert (row.started_at, row.due_at) == (now + 25 * H, new_due)
    assert (row.next_alert_label, row.next_alert_at) == ("before:24h", new_due - 24 * H)
    assert sweep_at(old_due) == 0  # the old moment is gone
    assert sweep_at(new_due - 24 * H) == 1
    assert alerts(threat) == [("before:24h", old_due), ("before:24h", new_due)]


def test_a_shortened_countdown_runs_from_its_announcement(countdown, threat, officer, now):
    """Announced with 3 h left: the 24 h and 6 h rungs lie before its start and never fire (the
    person recording the announcement is the first to know); 1 h before and the deadline do."""
    extortion.revise_countdown(
        threat,
        kind="shortened",
        announced_at=now,
        deadline_at=now + 3 * H,
        actor=officer,
        reason="deadline brought forward",
    )
    row = countdown_row(threat)
    assert (row.next_alert_label, row.next_alert_at) == ("before:1h", now + 2 * H)
    assert sweep_at(now + H) == 0
    assert sweep_at(now + 2 * H) == 1
    assert sweep_at(now + 3 * H) == 1
    assert alerts(threat) == [("before:1h", now + 3 * H), ("due", now + 3 * H)]


def test_a_countdown_shortened_by_a_revision_recorded_late_alerts_once_for_where_it_stands(
    countdown, threat, officer, now
):
    """Announced 10 h ago with 12 h to run, recorded now (2 h left): one alert, for 'before:6h'."""
    extortion.revise_countdown(
        threat, kind="shortened", announced_at=now - 10 * H, deadline_at=now + 2 * H, actor=officer, reason="seen late"
    )
    row = countdown_row(threat)
    # The passed threshold's own moment: already due, so the next sweep records it.
    assert (row.next_alert_label, row.next_alert_at) == ("before:6h", now - 4 * H)
    assert sweep_at(now) == 1
    assert sweep_at(now + H / 2) == 0
    assert alerts(threat) == [("before:6h", now + 2 * H)]


def test_a_renewal_after_payment_starts_a_fresh_clock_after_the_old_one_ran_out(
    countdown, threat, officer, now, time_machine
):
    assert sweep_at(now + 48 * H) == 1  # the first countdown ends: 'due' (the state at that sweep)
    time_machine.move_to(now + 100 * H, tick=False)
    extortion.revise_countdown(
        threat,
        kind="renewed_after_payment",
        announced_at=now + 99 * H,
        deadline_at=now + 300 * H,
        note="Payment made; a new countdown appeared anyway.",
        actor=officer,
        reason="renewed after payment",
    )
    row = countdown_row(threat)
    assert row.is_active and row.due_at == now + 300 * H
    assert sweep_at(now + 276 * H) == 1
    assert alerts(threat)[-1] == ("before:24h", now + 300 * H)


def test_a_withdrawn_countdown_raises_no_more_alerts(countdown, threat, officer, now):
    assert sweep_at(now + 24 * H) == 1
    extortion.withdraw_countdown(threat, announced_at=now, source="leak site", actor=officer, reason="listing removed")

    row = countdown_row(threat)
    assert (row.is_active, row.next_alert_at, row.next_alert_label) == (False, None, "")
    for moment in (now + 42 * H, now + 47 * H, now + 48 * H, now + 500 * H):
        assert sweep_at(moment) == 0
    assert alerts(threat) == [("before:24h", now + 48 * H)]  # what was detected stays recorded


def test_a_new_countdown_after_a_withdrawal_reactivates_the_same_row(countdown, threat, officer, now, time_machine):
    extortion.withdraw_countdown(threat, announced_at=now, actor=officer, reason="dropped")
    row_id = countdown_row(threat).pk
    time_machine.move_to(now + 2 * H, tick=False)
    extortion.revise_countdown(
        threat, kind="set", announced_at=now + H, deadline_at=now + 50 * H, actor=officer, reason="back"
    )
    row = countdown_row(threat)
    assert (row.pk, row.is_active, row.due_at) == (row_id, True, now + 50 * H)


def test_a_countdown_recorded_after_it_ran_out_raises_no_alert(threat, officer, now):
    extortion.revise_countdown(
        threat, kind="set", announced_at=now - 70 * H, deadline_at=now - 2 * H, actor=officer, reason="found later"
    )
    assert not Deadline.objects.filter(kind=DeadlineKind.EXTORTION_COUNTDOWN).exists()
    assert sweep_at(now) == 0


def test_no_extortion_fact_changes_any_authority_or_processor_deadline(
    incident, processor_and_controller, record_awareness, officer, now, time_machine
):
    processor, controller, _relationship = processor_and_controller
    record_awareness(processor, now - 5 * H)
    record_awareness(controller, now - 2 * H)
    legal = Deadline.objects.exclude(kind=DeadlineKind.EXTORTION_COUNTDOWN).order_by("pk")
    before = list(legal.values())
    assert {row["kind"] for row in before} == {DeadlineKind.AUTHORITY_NOTIFICATION, DeadlineKind.PROCESSOR_NOTICE}

    time_machine.move_to(now + H, tick=False)
    threat = extortion.record_threat(
        incident, actor_name="Kraken", first_contact_at=now - 4 * H, channel="leak_site", actor=officer, reason="threat"
    )
    extortion.revise_countdown(
        threat, kind="set", announced_at=now - 4 * H, deadline_at=now + 10 * H, actor=officer, reason="set"
    )
    extortion.revise_countdown(
        threat, kind="extended", announced_at=now - 3 * H, deadline_at=now + 200 * H, actor=officer, reason="ext"
    )
    extortion.revise_countdown(
        threat, kind="shortened", announced_at=now - 2 * H, deadline_at=now + 20 * H, actor=officer, reason="short"
    )
    extortion.record_payment_decision(
        threat,
        payment_decision="paid",
        payment_decided_at=now - H,
        payment_reasoning="board",
        actor=officer,
        reason="paid",
    )
    extortion.revise_countdown(
        threat,
        kind="renewed_after_payment",
        announced_at=now,
        deadline_at=now + 30 * H,
        actor=officer,
        reason="renewed",
    )
    extortion.record_police_report(
        threat, police_reported_at=now, police_reference="PL-1", actor=officer, reason="police"
    )
    extortion.record_publication(
        incident,
        threat=threat,
        published_at=now,
        location="leak site",
        records_count=53_000,
        actor=officer,
        reason="leak",
    )
    extortion.withdraw_countdown(threat, announced_at=now + H, actor=officer, reason="dropped")

    assert list(legal.values()) == before  # every column, updated_at included: not even re-saved
    assert Deadline.objects.filter(kind=DeadlineKind.EXTORTION_COUNTDOWN, is_active=False).count() == 1


def test_the_sweep_alerts_the_legal_clock_and_the_countdown_independently(aware_controller, incident, officer, now):
    threat = extortion.record_threat(
        incident, actor_name="Kraken", first_contact_at=now - 3 * H, channel="leak_site", actor=officer, reason="threat"
    )
    extortion.revise_countdown(
        threat, kind="set", announced_at=now - 3 * H, deadline_at=now + 30 * H, actor=officer, reason="set"
    )
    assert (
        sweep_at(now + 22 * H) == 2
    )  # authority 'before:48h' (due now + 70h) and countdown 'before:24h' (30h - 24h = 6h)
    kinds = set(AlertEvent.objects.values_list("deadline__kind", "label"))
    assert kinds == {
        (DeadlineKind.AUTHORITY_NOTIFICATION, "before:48h"),
        (DeadlineKind.EXTORTION_COUNTDOWN, "before:24h"),
    }


def test_the_deadlines_command_names_the_threat_actor(countdown, threat, now):
    out = StringIO()
    call_command("deadlines", "--format", "json", stdout=out)
    (row,) = json.loads(out.getvalue())
    assert (row["kind"], row["party"], row["state"]) == (
        "extortion_countdown",
        "Kraken Collective (threat actor)",
        "pending",
    )
