"""Art. 34 assessments: historied, superseding, and the data-subject clock they drive."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from actions import communications as services
from communications.models import CommunicationAssessment
from notifications.models import Deadline, DeadlineKind


def _clock(controller):
    return Deadline.objects.get(kind=DeadlineKind.DATA_SUBJECT_COMMUNICATION, party=controller)


def test_a_high_risk_without_exemption_starts_a_72_hour_target_from_the_decision(assess, controller, now):
    assessment = assess()
    deadline = _clock(controller)
    assert deadline.started_at == assessment.decided_at == now - timedelta(hours=1)
    assert deadline.due_at == deadline.started_at + timedelta(hours=72)
    assert deadline.is_legal_deadline is False and deadline.is_active and deadline.met_at is None
    assert assessment.history.count() == 1 and assessment.history.first().history_user is not None


def test_the_target_follows_the_setting(assess, controller, settings):
    settings.BREACHTRACK_DATA_SUBJECT_TARGET_HOURS = 24
    assessment = assess()
    assert _clock(controller).due_at == assessment.decided_at + timedelta(hours=24)


def test_a_decision_not_to_communicate_is_a_reasoned_entry_without_a_clock(assess, controller):
    assessment = assess(is_high_risk=False, reasoning="only encrypted backups, key safe")
    assert assessment.pk and not assessment.requires_communication
    assert not Deadline.objects.filter(kind=DeadlineKind.DATA_SUBJECT_COMMUNICATION).exists()


def test_a_decision_without_reasoning_is_refused_and_writes_nothing(assess):
    with pytest.raises(ValidationError) as error:
        assess(is_high_risk=False, reasoning="  ")
    assert error.value.error_dict["reasoning"][0].code == "required"
    assert not CommunicationAssessment.objects.exists()


def test_an_exemption_needs_its_reasoning(assess):
    with pytest.raises(ValidationError) as error:
        assess(exemption="unintelligible")
    assert error.value.error_dict["exemption_reasoning"][0].code == "required"


def test_a_later_exemption_supersedes_and_closes_the_clock_without_meeting_it(assess, controller):
    first = assess()
    second = assess(exemption="subsequent_measures", exemption_reasoning="all accounts reset, data recovered")
    assert services.current_assessment(controller) == second
    assert CommunicationAssessment.objects.filter(pk=first.pk).exists()  # kept
    deadline = _clock(controller)
    assert deadline.is_active is False and deadline.met_at is None and deadline.next_alert_at is None


def test_the_first_sent_wave_meets_the_clock(assess, plan, controller, officer, now):
    assess()
    wave = plan()
    later = plan(cohort_label="participants 2018")
    services.mark_wave_sent(wave, sent_at=now - timedelta(minutes=30), actor=officer, reason="posted", now=now)
    services.mark_wave_sent(later, sent_at=now - timedelta(minutes=5), actor=officer, reason="posted", now=now)
    deadline = _clock(controller)
    assert deadline.met_at == now - timedelta(minutes=30) and deadline.next_alert_at is None


def test_exemption_c_is_met_only_by_a_public_communication(assess, plan, controller, officer, now):
    assess(exemption="disproportionate_effort", exemption_reasoning="no addresses for 2017 cohort")
    letter = plan()
    services.mark_wave_sent(letter, sent_at=now - timedelta(minutes=30), actor=officer, reason="posted", now=now)
    assert _clock(controller).is_active and _clock(controller).met_at is None
    notice = plan(channel="website", cohort_label="everyone screened since 2017")
    services.mark_wave_sent(notice, sent_at=now - timedelta(minutes=10), actor=officer, reason="published", now=now)
    assert _clock(controller).met_at == now - timedelta(minutes=10)


def test_an_authority_order_starts_the_clock_from_the_order_even_without_high_risk(assess, controller, now):
    ordered_at = now - timedelta(hours=3)
    assess(
        is_high_risk=False,
        reasoning="we judged the risk low",
        authority_decision="ordered",
        authority_decided_at=ordered_at,
        authority_reference="AP-2025-123",
    )
    deadline = _clock(controller)
    assert deadline.started_at == ordered_at and deadline.is_active


def test_the_authority_finding_an_exemption_closes_the_clock(assess, controller, now):
    assess()
    assess(
        exemption="unintelligible",
        exemption_reasoning="AES-256, key not compromised",
        authority_decision="exemption_applies",
        authority_decided_at=now - timedelta(minutes=5),
        authority_reference="AP-1",
    )
    assert _clock(controller).is_active is False


def test_an_authority_decision_needs_its_date(assess):
    with pytest.raises(ValidationError) as error:
        assess(authority_decision="ordered")
    assert error.value.error_dict["authority_decided_at"][0].code == "required"


def test_a_decision_in_the_future_is_refused(assess, now):
    with pytest.raises(ValidationError) as error:
        assess(decided_at=now + timedelta(days=1))
    assert error.value.error_dict["decided_at"][0].code == "future"


def test_only_a_controller_is_assessed(incident, processor_and_controller, officer, now):
    processor = processor_and_controller[0]
    with pytest.raises(ValidationError) as error:
        services.record_assessment(
            incident,
            controller=processor,
            is_high_risk=True,
            reasoning="x",
            decided_by_name="A",
            decided_by_role="DPO",
            decided_at=now,
            actor=officer,
            reason="r",
            now=now,
        )
    assert error.value.error_dict["controller"][0].code == "not_controller"


@pytest.mark.parametrize("persona", ["lawyer", "viewer", "outsider"])
def test_only_a_privacy_officer_records_an_assessment(persona, request, incident, controller, now):
    actor = request.getfixturevalue(persona)
    with pytest.raises(PermissionDenied):
        services.record_assessment(
            incident,
            controller=controller,
            is_high_risk=True,
            reasoning="x",
            decided_by_name="A",
            decided_by_role="DPO",
            decided_at=now,
            actor=actor,
            reason="r",
            now=now,
        )
    assert not CommunicationAssessment.objects.exists()


def test_a_decision_before_the_breach_started_is_refused(assess, incident):
    with pytest.raises(ValidationError) as error:
        assess(decided_at=incident.occurred_from_at - timedelta(days=1))
    assert error.value.error_dict["decided_at"][0].code == "before_start"
    assert not CommunicationAssessment.objects.exists()
