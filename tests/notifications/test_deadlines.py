"""Deadline rows follow the facts: recomputed by every service that changes a clock's input."""

from __future__ import annotations

from datetime import timedelta

from actions import incidents as services
from notifications.models import AlertEvent, Deadline, DeadlineKind
from rules import clocks


def test_the_deadline_kinds_are_the_clock_rules():
    assert set(DeadlineKind.values) == set(clocks.DEFAULT_RULES)
    # Legal clocks and "without undue delay" targets cite their article; the threat actor's
    # countdown has none and says so instead.
    for kind, label in DeadlineKind.choices:
        assert "Art." in label or "not a legal deadline" in label, kind


def test_recording_awareness_starts_an_authority_deadline_for_each_controller(
    incident, officer, lab, processor_and_controller, record_awareness, now
):
    from organisations import services as org_services

    _processor, controller, _relationship = processor_and_controller
    other = org_services.create_party(lab, name="Regional Hospital", country="NL", actor=officer, reason="directory")
    joint = services.add_party(incident, party=other, role="joint_controller", actor=officer, reason="parties")
    aware_at = now - timedelta(hours=2)
    record_awareness(controller, aware_at)
    record_awareness(joint, now - timedelta(hours=1))

    rows = {row.party_id: row for row in Deadline.objects.filter(kind=DeadlineKind.AUTHORITY_NOTIFICATION)}
    assert set(rows) == {controller.pk, joint.pk}
    deadline = rows[controller.pk]
    assert deadline.started_at == aware_at
    assert deadline.due_at == aware_at + timedelta(hours=72)
    assert deadline.is_legal_deadline and deadline.met_at is None
    assert (deadline.next_alert_label, deadline.next_alert_at) == ("before:48h", aware_at + timedelta(hours=24))
    assert rows[joint.pk].due_at == now + timedelta(hours=71)


def test_a_party_without_awareness_has_no_deadline(incident, processor_and_controller):
    assert not Deadline.objects.filter(incident=incident).exists()


def test_correcting_awareness_recomputes_due_at_and_the_next_alert(aware_controller, officer, now):
    record = aware_controller.awareness_records.get()
    services.correct_awareness(record, aware_at=now - timedelta(hours=30), actor=officer, reason="earlier e-mail found")

    deadline = Deadline.objects.get(party=aware_controller)
    assert deadline.due_at == now + timedelta(hours=42)
    # 48h before due passed 6 hours ago: the current state alerts once, at the next sweep.
    assert (deadline.next_alert_label, deadline.next_alert_at) == ("before:48h", now - timedelta(hours=6))


def test_a_corrected_awareness_moves_the_deadline_and_its_history_shows_old_and_new(aware_controller, officer, now):
    record = aware_controller.awareness_records.get()
    old_aware_at = record.aware_at
    services.correct_awareness(record, aware_at=now - timedelta(hours=30), actor=officer, reason="earlier e-mail found")

    assert Deadline.objects.get(party=aware_controller).due_at == now - timedelta(hours=30) + timedelta(hours=72)
    newest, previous = record.history.order_by("-history_id")[:2]
    assert (previous.aware_at, newest.aware_at) == (old_aware_at, now - timedelta(hours=30))
    assert (newest.history_user, newest.history_change_reason) == (officer, "earlier e-mail found")
    change = newest.diff_against(previous)
    assert [(c.field, c.old, c.new) for c in change.changes if c.field == "aware_at"] == [
        ("aware_at", old_aware_at, now - timedelta(hours=30))
    ]


def test_an_earlier_awareness_record_moves_the_clock_and_a_later_one_does_not(aware_controller, record_awareness, now):
    # Other sources (one record per party and source: the same source twice is a correction).
    record_awareness(aware_controller, now - timedelta(hours=1), reason="later, irrelevant", source="third_party")
    assert Deadline.objects.get(party=aware_controller).due_at == now + timedelta(hours=70)
    record_awareness(aware_controller, now - timedelta(hours=3), reason="earlier", source="threat_actor")
    assert Deadline.objects.get(party=aware_controller).due_at == now + timedelta(hours=69)


def test_withdrawing_the_only_awareness_deactivates_the_deadline_and_keeps_its_alerts(
    aware_controller, officer, record_awareness, now
):
    deadline = Deadline.objects.get(party=aware_controller)
    AlertEvent.objects.create(deadline=deadline, label="before:48h", due_at=deadline.due_at, fired_at=now)
    record = aware_controller.awareness_records.get()
    services.withdraw_awareness(record, withdrawal_reason="wrong party", actor=officer, reason="mistake")

    deadline.refresh_from_db()
    assert not deadline.is_active
    assert (deadline.next_alert_at, deadline.next_alert_label) == (None, "")
    assert deadline.alerts.count() == 1

    record_awareness(aware_controller, now - timedelta(hours=1), reason="now really aware")
    deadline.refresh_from_db()
    assert deadline.is_active and deadline.due_at == now + timedelta(hours=71)
    assert deadline.next_alert_at == now + timedelta(hours=23)


def test_a_processor_aware_starts_the_processor_notice_deadline_on_the_agreed_target(
    incident, officer, processor_and_controller, record_awareness, now
):
    processor, controller, _relationship = processor_and_controller
    relationship = services.link_processor(
        incident,
        processor=processor,
        controller=services.add_party(
            incident, party=_another_party(incident, officer), role="controller", actor=officer, reason="parties"
        ),
        notice_target_hours=48,
        actor=officer,
        reason="dpa",
    )
    record_awareness(processor, now - timedelta(hours=1))

    rows = {row.relationship_id: row for row in Deadline.objects.filter(kind=DeadlineKind.PROCESSOR_NOTICE)}
    assert rows[processor_and_controller[2].pk].due_at == now + timedelta(hours=23)
    assert rows[relationship.pk].due_at == now + timedelta(hours=47)
    assert not rows[relationship.pk].is_legal_deadline
    # A 48h target gains the 'before:24h' rung; the 24h default starts at 'before:12h'.
    assert rows[relationship.pk].next_alert_label == "before:24h"
    assert rows[processor_and_controller[2].pk].next_alert_label == "before:12h"
    assert rows[relationship.pk].party_id == processor.pk


def _another_party(incident, officer):
    from organisations import services as org_services

    return org_services.create_party(
        incident.organisation, name="Insurer", country="NL", actor=officer, reason="directory"
    )


def test_a_processor_notice_meets_the_processor_notice_deadline(
    processor_and_controller, record_awareness, officer, now
):
    processor, controller, relationship = processor_and_controller
    record_awareness(processor, now - timedelta(hours=5))
    informed_at = now - timedelta(hours=1)
    services.record_processor_notice(
        relationship, informed_at=informed_at, channel="email", informed_by="lab DPO", actor=officer, reason="notice"
    )

    notice_deadline = Deadline.objects.get(kind=DeadlineKind.PROCESSOR_NOTICE)
    assert notice_deadline.met_at == informed_at
    assert (notice_deadline.next_alert_at, notice_deadline.next_alert_label) == (None, "")
    # The notice made the controller aware: its own Art. 33(1) clock starts at the notice.
    authority = Deadline.objects.get(kind=DeadlineKind.AUTHORITY_NOTIFICATION, party=controller)
    assert authority.started_at == informed_at


def test_correcting_the_notice_moves_both_clocks(processor_and_controller, record_awareness, officer, now):
    processor, controller, relationship = processor_and_controller
    record_awareness(processor, now - timedelta(hours=5))
    notice = services.record_processor_notice(
        relationship,
        informed_at=now - timedelta(hours=1),
        channel="email",
        informed_by="lab DPO",
        actor=officer,
        reason="notice",
    )
    services.correct_processor_notice(notice, informed_at=now - timedelta(hours=2), actor=officer, reason="typo")

    assert Deadline.objects.get(kind=DeadlineKind.PROCESSOR_NOTICE).met_at == now - timedelta(hours=2)
    assert Deadline.objects.get(party=controller).due_at == now + timedelta(hours=70)


def test_an_unrelated_change_leaves_the_sweeps_column_alone(aware_controller, incident, officer, now):
    Deadline.objects.filter(party=aware_controller).update(next_alert_label="due")  # as if the sweep moved on
    services.update_incident(incident, title="Ransomware (confirmed)", actor=officer, reason="title")
    assert Deadline.objects.get(party=aware_controller).next_alert_label == "due"


def test_deadlines_are_visible_to_their_organisation_only(aware_controller, officer, outsider):
    assert Deadline.objects.visible_to(officer).count() == 1
    assert not Deadline.objects.visible_to(outsider).exists()
    assert not Deadline.objects.visible_to(None).exists()


def test_a_closed_incident_raises_no_alerts_and_reopening_restores_its_clock(aware_controller, incident, now):
    from notifications.models import Deadline
    from rules.deadlines import recompute_deadlines

    incident.status = "closed"
    recompute_deadlines(incident, now=now)
    row = Deadline.objects.get(incident=incident, party=aware_controller)
    assert (row.is_active, row.next_alert_at) == (False, None)

    incident.status = "open"
    recompute_deadlines(incident, now=now)
    row.refresh_from_db()
    assert row.is_active is True
    assert row.next_alert_at is not None
