"""One truth per fact: a controller's awareness from its processor IS the processor's notice.

Recording either records both, linked, never twice; a second awareness for the same party and
source is refused as what it is (a correction of the first, or a mistake), with nothing written.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError

from actions import incidents as services
from incidents.models import AwarenessRecord, ProcessorNotice
from notifications.models import Deadline, DeadlineKind
from organisations import services as org_services
from organisations.services import save_with_history
from readers.timeline import Audience, incident_timeline

H = timedelta(hours=1)


def database_state() -> dict[str, list[dict]]:
    return {model._meta.label: list(model._base_manager.order_by("pk").values()) for model in apps.get_models()}


@pytest.fixture
def processor_aware(incident, officer, processor_and_controller, now):
    processor, controller, relationship = processor_and_controller
    services.record_awareness(
        incident, party=processor, aware_at=now - 30 * H, source="own_detection", actor=officer, reason="SOC alert"
    )
    return processor, controller, relationship


def test_awareness_from_the_processor_records_the_notice_and_meets_the_processor_clock(
    incident, officer, processor_aware, now
):
    processor, controller, relationship = processor_aware
    awareness = services.record_awareness(
        incident,
        party=controller,
        aware_at=now - 20 * H,
        aware_tz="Europe/Amsterdam",
        source="processor_notice",
        asserted_by="programme DPO",
        evidence="mail 2025-08-19",
        channel="email",
        actor=officer,
        reason="the lab's e-mail",
    )
    notice = ProcessorNotice.objects.get(relationship=relationship)
    assert awareness.processor_notice == notice
    assert (notice.informed_at, notice.informed_tz, notice.channel) == (now - 20 * H, "Europe/Amsterdam", "email")
    assert (notice.received_by, notice.evidence) == ("programme DPO", "mail 2025-08-19")
    assert notice.informed_by == processor.party.name
    assert AwarenessRecord.objects.filter(party=controller).count() == 1
    clock = Deadline.objects.get(kind=DeadlineKind.PROCESSOR_NOTICE, relationship=relationship)
    assert clock.met_at == now - 20 * H  # informed: no longer "not informed yet · over target"
    assert notice.history.get().history_change_reason == "the lab's e-mail"


def test_the_notice_recorded_afterwards_is_refused_as_a_correction_and_writes_nothing(
    incident, officer, processor_aware, now
):
    _processor, controller, relationship = processor_aware
    services.record_awareness(
        incident, party=controller, aware_at=now - 20 * H, source="processor_notice", actor=officer, reason="told"
    )
    before = database_state()
    with pytest.raises(ValidationError) as refused:
        services.record_processor_notice(
            relationship, informed_at=now - 19 * H, channel="phone", informed_by="CEO", actor=officer, reason="again"
        )
    [error] = refused.value.error_dict["informed_at"]
    assert error.code == "repeated" and "Does this one correct it?" in error.message
    assert database_state() == before


def test_the_awareness_recorded_after_the_notice_is_refused_as_a_correction(incident, officer, processor_aware, now):
    _processor, controller, relationship = processor_aware
    services.record_processor_notice(
        relationship, informed_at=now - 20 * H, channel="phone", informed_by="CEO", actor=officer, reason="told"
    )
    before = database_state()
    with pytest.raises(ValidationError) as refused:
        services.record_awareness(
            incident, party=controller, aware_at=now - 18 * H, source="processor_notice", actor=officer, reason="again"
        )
    [error] = refused.value.error_dict["source"]
    assert error.code == "repeated" and "correct that notice" in error.message
    assert database_state() == before


def test_a_second_awareness_for_the_same_party_and_source_asks_whether_it_corrects_the_first(
    incident, officer, processor_aware, now
):
    processor, _controller, _relationship = processor_aware
    before = database_state()
    with pytest.raises(ValidationError) as refused:
        services.record_awareness(
            incident, party=processor, aware_at=now - 29 * H, source="own_detection", actor=officer, reason="again"
        )
    [error] = refused.value.error_dict["source"]
    assert error.code == "repeated"
    assert "Does this one correct it?" in error.message and "Correct awareness" in error.message
    assert "2025-08-19 08:00 Europe/Amsterdam" in error.message  # the first one, as it was entered
    assert database_state() == before


def test_another_source_and_a_withdrawn_record_do_not_count_as_a_repeat(incident, officer, processor_aware, now):
    processor, _controller, _relationship = processor_aware
    services.record_awareness(
        incident, party=processor, aware_at=now - 28 * H, source="threat_actor", actor=officer, reason="leak site"
    )
    first = AwarenessRecord.objects.get(party=processor, source="own_detection")
    services.withdraw_awareness(first, withdrawal_reason="a test alert", actor=officer, reason="wrong")
    services.record_awareness(
        incident, party=processor, aware_at=now - 27 * H, source="own_detection", actor=officer, reason="real one"
    )
    assert AwarenessRecord.objects.filter(party=processor).count() == 3


def test_a_correction_cannot_turn_a_record_into_a_repeat_or_a_notice(incident, officer, processor_aware, now):
    processor, _controller, _relationship = processor_aware
    other = services.record_awareness(
        incident, party=processor, aware_at=now - 28 * H, source="threat_actor", actor=officer, reason="leak site"
    )
    for source, code in (("own_detection", "repeated"), ("processor_notice", "derived")):
        with pytest.raises(ValidationError) as refused:
            services.correct_awareness(other, source=source, actor=officer, reason="fix")
        assert [e.code for e in refused.value.error_dict["source"]] == [code]


def test_awareness_from_a_processor_needs_a_processor_of_that_controller(incident, officer, lab, now):
    hospital = org_services.create_party(lab, name="Hospital", actor=officer, reason="directory")
    controller = services.add_party(incident, party=hospital, role="controller", actor=officer, reason="parties")
    before = database_state()
    with pytest.raises(ValidationError) as refused:
        services.record_awareness(
            incident, party=controller, aware_at=now - H, source="processor_notice", actor=officer, reason="told"
        )
    [error] = refused.value.error_dict["processor"]
    assert error.code == "no_processor" and "Add the processor" in error.message
    assert database_state() == before


def test_with_two_processors_the_one_that_told_must_be_named(incident, officer, lab, processor_aware, now):
    _processor, controller, relationship = processor_aware
    it_party = org_services.create_party(lab, name="IT supplier", actor=officer, reason="directory")
    second = services.add_party(incident, party=it_party, role="processor", actor=officer, reason="parties")
    other = services.link_processor(incident, processor=second, controller=controller, actor=officer, reason="dpa")
    with pytest.raises(ValidationError) as refused:
        services.record_awareness(
            incident, party=controller, aware_at=now - H, source="processor_notice", actor=officer, reason="told"
        )
    assert [e.code for e in refused.value.error_dict["processor"]] == ["ambiguous"]
    awareness = services.record_awareness(
        incident,
        party=controller,
        relationship=other,
        aware_at=now - H,
        source="processor_notice",
        actor=officer,
        reason="told",
    )
    assert awareness.processor_notice.relationship == other
    assert not relationship.notices.exists()


def test_a_notice_adopts_an_unlinked_awareness_from_before_this_rule(incident, officer, processor_aware, now):
    """Rows written before the rule: the notice links the controller's record instead of doubling it."""
    _processor, controller, relationship = processor_aware
    old = save_with_history(
        AwarenessRecord(
            incident=incident,
            party=controller,
            aware_at=now - 21 * H,
            aware_tz="UTC",
            source="processor_notice",
            recorded_by=officer,
        ),
        actor=officer,
        reason="recorded before the rule",
    )
    notice = services.record_processor_notice(
        relationship, informed_at=now - 20 * H, channel="email", informed_by="CEO", actor=officer, reason="the mail"
    )
    assert list(AwarenessRecord.objects.filter(party=controller)) == [old]
    old.refresh_from_db()
    assert old.processor_notice == notice and old.aware_at == now - 20 * H
    assert old.history.last().aware_at == now - 21 * H  # the old value is kept


def test_the_timeline_shows_the_controllers_awareness_once_beside_its_notice(incident, officer, processor_aware, now):
    _processor, controller, relationship = processor_aware
    services.record_awareness(
        incident, party=controller, aware_at=now - 20 * H, source="processor_notice", actor=officer, reason="told"
    )
    with pytest.raises(ValidationError):
        services.record_processor_notice(
            relationship, informed_at=now - 20 * H, channel="email", informed_by="CEO", actor=officer, reason="again"
        )
    entries = incident_timeline(incident, audience=Audience.REGULATOR)
    aware = [e for e in entries if e.kind == "awareness" and controller.party.name in e.summary]
    notices = [e for e in entries if e.kind == "processor_notice"]
    assert [e.event_at for e in aware] == [now - 20 * H]
    assert [e.event_at for e in notices] == [now - 20 * H]
