"""An organisation's alert policy drives the real sweep: its ladder, its tenancy, its cost."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from actions import incidents as services
from actions.alert_policies import reset_alert_policy, set_alert_policy
from actions.sweep import sweep
from notifications.models import Deadline
from organisations import services as org_services
from rules.deadlines import rule_for

KIND = "authority_notification"


def _policy(organisation, actor, thresholds=(240, 30), repeat=120, reason="board decision"):
    return set_alert_policy(
        organisation,
        KIND,
        thresholds_before_minutes=list(thresholds),
        overdue_repeat_minutes=repeat,
        actor=actor,
        reason=reason,
    )


def _sweep_at(time_machine, moment) -> int:
    time_machine.move_to(moment, tick=False)
    return sweep(now_func=timezone.now)


def _labels(deadline) -> list[str]:
    return list(deadline.alerts.order_by("fired_at", "pk").values_list("label", flat=True))


def _pending(deadline) -> tuple[str, object]:
    deadline.refresh_from_db()
    return deadline.next_alert_label, deadline.next_alert_at


def test_a_custom_ladder_fires_exactly_its_alerts_through_the_sweep(aware_controller, lab, officer, time_machine, now):
    _policy(lab, officer)  # 4 h and 30 min before, then every 2 h overdue
    deadline = Deadline.objects.get(party=aware_controller)
    due = deadline.due_at
    ladder = [
        ("before:4h", due - timedelta(hours=4)),
        ("before:30m", due - timedelta(minutes=30)),
        ("due", due),
        ("overdue:2h", due + timedelta(hours=2)),
        ("overdue:4h", due + timedelta(hours=4)),
    ]
    # The default rungs (48, 24, 12, 6 and 1 h before) pass without an alert.
    for hours in (48, 24, 12, 6):
        assert _sweep_at(time_machine, due - timedelta(hours=hours)) == 0
    for index, (_label, moment) in enumerate(ladder):
        assert _sweep_at(time_machine, moment - timedelta(seconds=1)) == 0
        assert _sweep_at(time_machine, moment) == 1
        assert _labels(deadline) == [name for name, _at in ladder[: index + 1]]
    assert _sweep_at(time_machine, due + timedelta(hours=5)) == 0
    assert _pending(deadline) == ("overdue:6h", due + timedelta(hours=6))


def test_a_ladder_without_overdue_repeats_goes_quiet_after_the_due_moment(aware_controller, lab, officer, now):
    _policy(lab, officer, thresholds=(60,), repeat=None)
    deadline = Deadline.objects.get(party=aware_controller)
    assert sweep(now_func=lambda: deadline.due_at) == 1
    assert sweep(now_func=lambda: deadline.due_at + timedelta(days=3)) == 0
    assert _labels(deadline) == ["due"]
    assert _pending(deadline) == ("", None)


def test_another_organisations_clocks_keep_the_default_ladder(aware_controller, lab, officer, other_org, outsider, now):
    theirs = services.create_incident(organisation=other_org, title="Lost laptop", actor=outsider, reason="report")
    controller = services.add_party(
        theirs, party=other_org.parties.get(is_self=True), role="controller", actor=outsider, reason="p"
    )
    services.record_awareness(
        theirs,
        party=controller,
        aware_at=now - timedelta(hours=2),
        source="own_detection",
        actor=outsider,
        reason="aware",
    )
    _policy(lab, officer)
    ours, their_deadline = Deadline.objects.get(party=aware_controller), Deadline.objects.get(incident=theirs)
    assert _pending(ours)[0] == "before:4h"
    assert _pending(their_deadline) == ("before:48h", their_deadline.due_at - timedelta(hours=48))
    assert sweep(now_func=lambda: their_deadline.due_at - timedelta(hours=48)) == 1
    assert _labels(their_deadline) == ["before:48h"] and _labels(ours) == []


def test_a_policy_change_moves_the_pending_alert_of_running_clocks(aware_controller, lab, officer, now):
    deadline = Deadline.objects.get(party=aware_controller)
    assert _pending(deadline) == ("before:48h", deadline.due_at - timedelta(hours=48))
    _policy(lab, officer)
    assert _pending(deadline) == ("before:4h", deadline.due_at - timedelta(hours=4))
    reset_alert_policy(lab, KIND, actor=officer, reason="back to defaults")
    assert _pending(deadline) == ("before:48h", deadline.due_at - timedelta(hours=48))


def test_a_policy_change_does_not_replay_a_threshold_already_recorded(
    aware_controller, lab, officer, time_machine, now
):
    deadline = Deadline.objects.get(party=aware_controller)
    due = deadline.due_at
    assert _sweep_at(time_machine, due - timedelta(hours=24)) == 1  # the late sweep records the current state
    assert _labels(deadline) == ["before:24h"]

    time_machine.move_to(due - timedelta(hours=20), tick=False)
    _policy(lab, officer, thresholds=(24 * 60, 60))  # 'before:24h' is the current state and already recorded
    assert _pending(deadline) == ("before:1h", due - timedelta(hours=1))

    _policy(lab, officer, thresholds=(22 * 60, 60), reason="earlier warning")  # a new current state: once, at once
    assert _pending(deadline) == ("before:22h", due - timedelta(hours=22))
    assert _sweep_at(time_machine, due - timedelta(hours=20)) == 1
    assert _sweep_at(time_machine, due - timedelta(hours=2)) == 0
    assert _labels(deadline) == ["before:24h", "before:22h"]


def test_a_change_of_another_kind_or_organisation_leaves_the_clock_alone(
    aware_controller, lab, officer, other_org, outsider
):
    deadline = Deadline.objects.get(party=aware_controller)
    before = _pending(deadline)
    set_alert_policy(lab, "follow_up", thresholds_before_minutes=[60], actor=officer, reason="other kind")
    set_alert_policy(other_org, KIND, thresholds_before_minutes=[60], actor=outsider, reason="their own")
    assert _pending(deadline) == before


def test_a_refused_change_moves_no_alert(aware_controller, lab, officer):
    deadline = Deadline.objects.get(party=aware_controller)
    before = _pending(deadline)
    with pytest.raises(Exception):
        _policy(lab, officer, thresholds=(60, 60))
    assert _pending(deadline) == before


def test_a_processing_agreements_own_target_still_wins_but_the_ladder_follows_the_policy(
    processor_and_controller,
    record_awareness,
    lab,
    officer,
    now,
):
    processor, _controller, relationship = processor_and_controller
    record_awareness(processor, now - timedelta(hours=1))
    deadline = Deadline.objects.get(relationship=relationship)
    assert (
        deadline.due_at - deadline.started_at
        == timedelta(hours=relationship.notice_target_hours)
        == timedelta(hours=24)
    )
    set_alert_policy(
        lab,
        "processor_notice",
        thresholds_before_minutes=[120],
        target_hours=36,
        actor=officer,
        reason="contract review",
    )
    deadline.refresh_from_db()
    assert deadline.due_at - deadline.started_at == timedelta(hours=24)
    assert _pending(deadline) == ("before:2h", deadline.due_at - timedelta(hours=2))


def test_rule_for_a_row_read_without_annotations_still_finds_the_policy(aware_controller, lab, officer):
    _policy(lab, officer)
    deadline = Deadline.objects.get(party=aware_controller)
    rule = rule_for(deadline)
    assert rule.thresholds_before == (timedelta(hours=4), timedelta(minutes=30))
    assert rule_for(Deadline.objects.due(deadline.due_at).get(pk=deadline.pk)) == rule


# --- What the policy costs the sweep --------------------------------------------------------------


def _due_controllers(incident, officer, now, count, prefix):
    for n in range(count):
        party = org_services.create_party(
            incident.organisation, name=f"{prefix} {n}", actor=officer, reason="directory"
        )
        controller = services.add_party(incident, party=party, role="controller", actor=officer, reason="parties")
        services.record_awareness(
            incident,
            party=controller,
            aware_at=now - timedelta(hours=30),
            source="own_detection",
            actor=officer,
            reason="aware",
        )


def _count_sweep(now) -> tuple[int, list[str]]:
    with CaptureQueriesContext(connection) as captured:
        recorded = sweep(now_func=lambda: now)
    return recorded, [query["sql"] for query in captured.captured_queries]


@pytest.mark.parametrize("due_rows", [1, 50])
def test_the_policy_adds_no_query_per_row_to_the_sweep(incident, lab, officer, now, due_rows):
    _policy(lab, officer, thresholds=(48 * 60, 24 * 60))
    sweep(now_func=lambda: now)  # the heartbeat row exists: the steady state
    _recorded, idle = _count_sweep(now)
    _due_controllers(incident, officer, now, 1, "First")
    _recorded, one = _count_sweep(now)

    _due_controllers(incident, officer, now + timedelta(hours=1), due_rows, "Later")
    recorded, many = _count_sweep(now + timedelta(hours=1))
    assert recorded == due_rows
    # One batch: no query per row. The pick, the policies, the claims (one compare-and-set UPDATE
    # for the batch, in a savepoint that a single row does without), the events, the fan-out
    # reads and inserts are one query each whatever the number of rows.
    assert len(one) > len(idle)
    assert len(many) == len(one) + (2 if due_rows > 1 else 0)
    # The policies are read once per batch, on their own, for every organisation of the batch.
    policy_reads = [sql for sql in many if "alertpolicy" in sql.lower()]
    assert len(policy_reads) == 1
    assert not any("notifications_deadline" in sql for sql in policy_reads)
