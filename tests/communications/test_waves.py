"""Content versions (the Art. 34(2) checklist, frozen once sent) and waves."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from actions import communications as services
from communications.models import CommunicationWave, ContentVersion


def test_versions_are_numbered_per_language(incident, officer, content):
    second = services.create_content_version(incident, language="nl", title="v2", text="…", actor=officer, reason="fix")
    english = services.create_content_version(
        incident, language="en", title="Letter", text="…", actor=officer, reason="en"
    )
    assert (content.version, second.version, english.version) == (1, 2, 1)


def test_incomplete_content_is_refused_for_sending_and_names_what_is_missing(incident, officer, plan, now):
    draft = services.create_content_version(
        incident,
        language="nl",
        title="Concept",
        text="Er is iets gebeurd.",
        describes_nature=True,
        actor=officer,
        reason="draft",
    )
    assert [flag for flag, _label in draft.missing_elements] == [
        "names_contact_point",
        "describes_consequences",
        "describes_measures",
    ]
    wave = plan(content_version=draft)
    with pytest.raises(ValidationError) as error:
        services.mark_wave_sent(wave, sent_at=now, actor=officer, reason="posted", now=now)
    refusal = error.value.error_dict["content_version"][0]
    assert refusal.code == "incomplete_content" and "Art. 33(3)(c)" in refusal.message
    wave.refresh_from_db()
    draft.refresh_from_db()
    assert wave.sent_at is None and not draft.is_frozen


def test_content_is_frozen_once_a_wave_using_it_was_sent(officer, content, plan, now):
    services.update_content_version(content, text="Beste deelnemer, (gecorrigeerd)", actor=officer, reason="typo")
    wave = plan()
    services.mark_wave_sent(wave, sent_at=now, actor=officer, reason="posted", now=now)
    content.refresh_from_db()
    assert content.is_frozen
    with pytest.raises(ValidationError) as error:
        services.update_content_version(content, text="changed after sending", actor=officer, reason="oops")
    assert error.value.code == "frozen"
    content.refresh_from_db()
    assert content.text == "Beste deelnemer, (gecorrigeerd)"


def test_a_wave_is_sent_once_and_not_in_the_future(officer, plan, now):
    wave = plan()
    with pytest.raises(ValidationError) as error:
        services.mark_wave_sent(wave, sent_at=now + timedelta(days=1), actor=officer, reason="posted", now=now)
    assert error.value.error_dict["sent_at"][0].code == "future"
    services.mark_wave_sent(wave, sent_at=now, actor=officer, reason="posted", now=now)
    with pytest.raises(ValidationError) as error:
        services.mark_wave_sent(wave, sent_at=now, actor=officer, reason="again", now=now)
    assert error.value.error_dict["sent_at"][0].code == "already_sent"
    assert wave.history.count() == 2


def test_counts_are_recorded_for_a_wave_without_a_ledger(officer, plan):
    wave = plan(channel="phone")
    services.record_wave_counts(
        wave, planned_count=100, sent_count=90, bounced_count=4, actor=officer, reason="call log"
    )
    wave.refresh_from_db()
    assert (wave.planned_count, wave.sent_count, wave.bounced_count) == (100, 90, 4)
    with pytest.raises(ValidationError) as error:
        services.record_wave_counts(wave, sent_count=120, actor=officer, reason="typo")
    assert error.value.error_dict["sent_count"][0].code == "sent_gt_planned"


def test_a_wave_with_another_incidents_content_is_refused(incident, lab, officer, controller, now):
    from actions import incidents as incident_services

    other_incident = incident_services.create_incident(organisation=lab, title="Another", actor=officer, reason="r")
    foreign = services.create_content_version(
        other_incident, language="nl", title="x", text="y", actor=officer, reason="r"
    )
    with pytest.raises(ValidationError) as error:
        services.plan_wave(
            incident,
            controller=controller,
            cohort_label="c",
            channel="letter",
            content_version=foreign,
            planned_at=now,
            actor=officer,
            reason="r",
        )
    assert error.value.error_dict["content_version"][0].code == "other_incident"
    assert not CommunicationWave.objects.exists()


@pytest.mark.parametrize("persona", ["lawyer", "viewer", "outsider"])
def test_only_a_privacy_officer_writes_content_or_waves(persona, request, incident, plan, content, now):
    actor = request.getfixturevalue(persona)
    with pytest.raises(PermissionDenied):
        services.create_content_version(incident, language="en", title="t", text="x", actor=actor, reason="r")
    wave = plan()
    with pytest.raises(PermissionDenied):
        services.mark_wave_sent(wave, sent_at=now, actor=actor, reason="r", now=now)
    assert ContentVersion.objects.count() == 1 and CommunicationWave.objects.get().sent_at is None
