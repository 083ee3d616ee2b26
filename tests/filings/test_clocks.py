"""Filings and decisions move the deadline rows: Art. 33(1) met or closed, Art. 33(4) follow-ups."""

from __future__ import annotations

from datetime import UTC, timedelta

from actions import filings as filing_services
from notifications.models import Deadline, DeadlineKind

UTC = UTC


def authority_deadline(controller):
    return Deadline.objects.get(kind=DeadlineKind.AUTHORITY_NOTIFICATION, party=controller)


def follow_up(controller):
    return Deadline.objects.filter(kind=DeadlineKind.FOLLOW_UP, party=controller).first()


def test_the_initial_filing_meets_the_controllers_authority_clock(submit, controller, complete_register, now):
    assert authority_deadline(controller).met_at is None
    filing = submit(controller)

    deadline = authority_deadline(controller)
    assert deadline.met_at == filing.submitted_at
    assert deadline.is_active and deadline.next_alert_at is None
    assert follow_up(controller) is None  # complete and not phased: nothing more owed


def test_a_withdrawn_initial_filing_no_longer_meets_the_clock(submit, controller, complete_register, now):
    submit(controller, submitted_at=now - timedelta(hours=1))
    submit(controller, filing_type="withdrawal", withdrawal_reason="sent for the wrong incident")

    deadline = authority_deadline(controller)
    assert deadline.met_at is None and deadline.next_alert_at is not None


def test_a_phased_filing_starts_the_follow_up_clock_and_a_follow_up_meets_it(submit, controller, now, settings):
    settings.BREACHTRACK_FOLLOW_UP_TARGET_HOURS = 48
    first = submit(controller, is_phased=True, submitted_at=now - timedelta(hours=1))

    clock = follow_up(controller)
    assert (clock.started_at, clock.due_at, clock.met_at) == (
        first.submitted_at,
        first.submitted_at + timedelta(hours=48),
        None,
    )
    assert not clock.is_legal_deadline  # a target: Art. 33(4) has no number
    assert clock.next_alert_at is not None

    answer = submit(controller, filing_type="follow_up", is_phased=True, submitted_at=now - timedelta(minutes=30))
    clock = follow_up(controller)
    # The follow-up is phased again: a new obligation runs from it.
    assert (clock.started_at, clock.met_at) == (answer.submitted_at, None)


def test_a_complete_follow_up_meets_the_obligation(submit, controller, complete_register, now):
    first = submit(controller, is_phased=True, submitted_at=now - timedelta(hours=1))
    answer = submit(controller, filing_type="follow_up", submitted_at=now - timedelta(minutes=30))

    clock = follow_up(controller)
    assert (clock.started_at, clock.met_at) == (first.submitted_at, answer.submitted_at)
    assert clock.next_alert_at is None


def test_a_material_count_change_after_the_filing_starts_the_follow_up_clock(
    submit, controller, complete_register, count, now
):
    filing = submit(controller)
    count(490_000, known_at=now - timedelta(minutes=20))  # about 1 %: not material
    assert follow_up(controller) is None

    count(715_000, known_at=now - timedelta(minutes=10))  # +47 %
    clock = follow_up(controller)
    assert clock.started_at == now - timedelta(minutes=10)
    assert clock.due_at == clock.started_at + timedelta(hours=72) and clock.met_at is None

    answer = submit(controller, filing_type="follow_up", submitted_at=now - timedelta(minutes=5))
    clock = follow_up(controller)
    assert clock.met_at == answer.submitted_at
    assert answer.content["numbers.data_subjects"]["low"] == 715_000 and filing.pk != answer.pk


def test_a_count_known_before_the_filing_but_recorded_after_it_starts_the_clock_at_the_filing(
    submit, controller, complete_register, count, now
):
    filing = submit(controller, submitted_at=now - timedelta(minutes=30))
    count(850_000, high=None, is_at_least=True, known_at=now - timedelta(hours=1))
    assert follow_up(controller).started_at == filing.submitted_at


def test_the_material_threshold_is_a_setting(submit, controller, complete_register, count, now, settings):
    settings.BREACHTRACK_FOLLOW_UP_MATERIAL_CHANGE_PERCENT = 50
    submit(controller)
    count(715_000, known_at=now - timedelta(minutes=10))
    assert follow_up(controller) is None


def test_deciding_not_to_notify_closes_the_authority_clock_without_meeting_it(incident, controller, officer, now):
    filing_services.record_decision_not_to_notify(
        incident,
        controller=controller,
        decided_at=now,
        risk_basis="unlikely_risk",
        reasoning="Only business contact data of two staff.",
        actor=officer,
        reason="DPO decision",
    )
    deadline = authority_deadline(controller)
    assert not deadline.is_active
    assert deadline.met_at is None and deadline.next_alert_at is None


def test_the_follow_up_target_and_threshold_default_to_72_hours_and_10_percent():
    from django.conf import settings

    assert settings.BREACHTRACK_FOLLOW_UP_TARGET_HOURS == 72
    assert settings.BREACHTRACK_FOLLOW_UP_MATERIAL_CHANGE_PERCENT == 10
