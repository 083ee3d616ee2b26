"""Bad inputs to the register: each refused with a precise field error, and the database unchanged.

Every input goes through the services, as a form or the admin would send it.
"Unchanged" is checked on every row of every table, so both the model rows and
their historical rows are counted (and compared) before and after.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.apps import apps
from django.conf import settings
from django.core.exceptions import ValidationError

from actions import incidents as services
from incidents.models import AffectedEstimate, AwarenessRecord, Incident
from organisations import services as org_services

UTC = UTC
START = datetime(2025, 7, 3, 22, 0, tzinfo=UTC)  # the incident fixture's occurred_from_at


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def database_state() -> dict[str, list[dict]]:
    """Every row of every table (historical ones included)."""
    return {model._meta.label: list(model._base_manager.order_by("pk").values()) for model in apps.get_models()}


def row_counts(state: dict[str, list[dict]]) -> dict[str, int]:
    return {label: len(rows) for label, rows in state.items()}


def refused(call) -> ValidationError:
    """Run ``call``, which must raise ValidationError and leave every table as it was."""
    before = database_state()
    with pytest.raises(ValidationError) as error:
        call()
    after = database_state()
    assert row_counts(after) == row_counts(before)
    assert after == before
    return error.value


def codes(error: ValidationError, field: str) -> list[str | None]:
    return [item.code for item in error.error_dict[field]]


def messages(error: ValidationError, field: str) -> list[str]:
    return [message for item in error.error_dict[field] for message in item.messages]


@pytest.fixture
def parties(processor_and_controller):
    return processor_and_controller


@pytest.fixture
def other_incident_controller(lab, officer, now):
    """A controller on another incident of the same organisation."""
    other = services.create_incident(organisation=lab, title="Misdirected letter", actor=officer, reason="report")
    party = org_services.create_party(lab, name="Municipal Health Service", actor=officer, reason="directory")
    return services.add_party(other, party=party, role="controller", actor=officer, reason="parties")


@pytest.fixture
def other_organisation_controller(other_org, outsider, now):
    """A controller on an incident of another organisation."""
    other = services.create_incident(organisation=other_org, title="Phishing", actor=outsider, reason="report")
    party = org_services.create_party(other_org, name="Their Client", actor=outsider, reason="directory")
    return services.add_party(other, party=party, role="controller", actor=outsider, reason="parties")


def record_awareness(incident, party, officer, **facts):
    facts.setdefault("source", "own_detection")
    return lambda: services.record_awareness(incident, party=party, actor=officer, reason="aware", **facts)


def record_estimate(incident, officer, **facts):
    facts = {"measure": "data_subjects", "low": 485_000, "known_at": at(2025, 8, 10), "source": "lab", **facts}
    return lambda: services.record_estimate(incident, actor=officer, reason="count", **facts)


# --- the order of the time facts -------------------------------------------------------------


def test_awareness_before_the_breach_started_is_refused(incident, parties, officer):
    processor, _, _ = parties
    error = refused(record_awareness(incident, processor, officer, aware_at=START - timedelta(hours=1)))
    assert codes(error, "aware_at") == ["before_start"]
    assert messages(error, "aware_at") == ["Awareness cannot come before the breach started."]


def test_a_processor_notice_before_the_breach_started_is_refused_on_its_own_field(incident, parties, officer):
    """The derived awareness would be refused anyway; the error must name the notice's field."""
    _, _, relationship = parties
    error = refused(
        lambda: services.record_processor_notice(
            relationship,
            informed_at=START - timedelta(days=2),
            channel="email",
            informed_by="lab",
            actor=officer,
            reason="notice",
        )
    )
    assert list(error.error_dict) == ["informed_at"]


def test_a_processor_notice_before_the_processors_own_awareness_is_refused(incident, parties, officer):
    processor, _, relationship = parties
    services.record_awareness(
        incident, party=processor, aware_at=at(2025, 8, 5, 10, 0), source="own_detection", actor=officer, reason="aware"
    )
    error = refused(
        lambda: services.record_processor_notice(
            relationship,
            informed_at=at(2025, 8, 5, 9, 0),
            channel="email",
            informed_by="lab",
            actor=officer,
            reason="notice",
        )
    )
    assert list(error.error_dict) == ["informed_at"]


def test_correcting_a_processor_notice_to_before_the_breach_is_refused_on_its_own_field(incident, parties, officer):
    _, _, relationship = parties
    notice = services.record_processor_notice(
        relationship,
        informed_at=at(2025, 8, 6, 9, 0),
        channel="email",
        informed_by="lab",
        actor=officer,
        reason="notice",
    )
    error = refused(
        lambda: services.correct_processor_notice(
            notice, informed_at=START - timedelta(days=1), actor=officer, reason="fix"
        )
    )
    assert list(error.error_dict) == ["informed_at"]


def test_the_end_before_the_start_is_refused(incident, officer):
    error = refused(
        lambda: services.update_incident(
            incident, occurred_until_at=START - timedelta(minutes=1), actor=officer, reason="end"
        )
    )
    assert codes(error, "occurred_until_at") == ["before_start"]


def test_detection_before_the_start_is_refused(incident, officer):
    error = refused(
        lambda: services.update_incident(
            incident, detected_at=START - timedelta(days=1), actor=officer, reason="detected"
        )
    )
    assert codes(error, "detected_at") == ["before_start"]
    assert messages(error, "detected_at") == ["A breach cannot be detected before it started."]


def test_containment_before_the_start_is_refused(incident, officer):
    error = refused(
        lambda: services.update_incident(
            incident, contained_at=START - timedelta(days=1), actor=officer, reason="contained"
        )
    )
    assert codes(error, "contained_at") == ["before_start"]


def test_the_investigation_before_detection_is_refused(incident, officer):
    error = refused(
        lambda: services.update_incident(
            incident,
            detected_at=at(2025, 8, 5, 10, 0),
            investigation_started_at=at(2025, 8, 5, 9, 0),
            actor=officer,
            reason="timeline",
        )
    )
    assert list(error.error_dict) == ["investigation_started_at"]
    assert messages(error, "investigation_started_at") == ["The investigation cannot start before detection."]


def test_the_investigation_before_an_already_stored_detection_is_refused(incident, officer):
    services.update_incident(incident, detected_at=at(2025, 8, 5, 10, 0), actor=officer, reason="detected")
    error = refused(
        lambda: services.update_incident(
            incident, investigation_started_at=at(2025, 8, 4), actor=officer, reason="investigation"
        )
    )
    assert codes(error, "investigation_started_at") == ["before_start"]


def test_an_ongoing_breach_with_an_end_is_refused(incident, officer):
    error = refused(
        lambda: services.update_incident(
            incident, is_ongoing=True, occurred_until_at=at(2025, 7, 5), actor=officer, reason="x"
        )
    )
    assert codes(error, "occurred_until_at") == ["ongoing"]


def test_marking_a_breach_with_an_end_as_ongoing_is_refused(incident, officer):
    services.update_incident(incident, occurred_until_at=at(2025, 7, 5), actor=officer, reason="ended")
    error = refused(lambda: services.update_incident(incident, is_ongoing=True, actor=officer, reason="still going"))
    assert codes(error, "occurred_until_at") == ["ongoing"]


def test_moving_the_start_after_an_existing_awareness_is_refused(incident, parties, officer):
    processor, _, _ = parties
    services.record_awareness(
        incident, party=processor, aware_at=at(2025, 8, 5, 10, 0), source="own_detection", actor=officer, reason="aware"
    )
    error = refused(
        lambda: services.update_incident(incident, occurred_from_at=at(2025, 8, 6), actor=officer, reason="later start")
    )
    assert codes(error, "occurred_from_at") == ["after_awareness"]
    assert "2025-08-05T10:00:00+00:00" in messages(error, "occurred_from_at")[0]


def test_moving_the_start_after_a_withdrawn_awareness_is_allowed(incident, parties, officer):
    processor, _, _ = parties
    record = services.record_awareness(
        incident, party=processor, aware_at=at(2025, 8, 5, 10, 0), source="own_detection", actor=officer, reason="aware"
    )
    services.withdraw_awareness(record, withdrawal_reason="test alert", actor=officer, reason="wrong")
    services.update_incident(incident, occurred_from_at=at(2025, 8, 6), actor=officer, reason="later start")
    assert Incident.objects.get(pk=incident.pk).occurred_from_at == at(2025, 8, 6)


# --- instants in the future --------------------------------------------------------------------


def skew() -> timedelta:
    return timedelta(seconds=settings.BREACHTRACK_CLOCK_SKEW_SECONDS)


def test_the_clock_skew_setting_is_a_few_minutes():
    assert timedelta(0) < skew() <= timedelta(minutes=15)


def _future_writes(incident, parties, officer, instant):
    processor, _, relationship = parties
    return {
        "detected_at": lambda: services.update_incident(
            incident, detected_at=instant, actor=officer, reason="detected"
        ),
        "aware_at": record_awareness(incident, processor, officer, aware_at=instant),
        "informed_at": lambda: services.record_processor_notice(
            relationship, informed_at=instant, channel="email", informed_by="lab", actor=officer, reason="notice"
        ),
        "known_at": record_estimate(incident, officer, known_at=instant),
    }


@pytest.mark.parametrize("field", ["detected_at", "aware_at", "informed_at", "known_at"])
def test_an_instant_beyond_the_clock_skew_is_refused(incident, parties, officer, now, field):
    beyond = now + skew() + timedelta(seconds=1)
    error = refused(_future_writes(incident, parties, officer, beyond)[field])
    assert codes(error, field) == ["future"]
    assert messages(error, field) == ["This instant lies in the future."]


@pytest.mark.parametrize("field", ["detected_at", "aware_at", "informed_at", "known_at"])
def test_an_instant_within_the_clock_skew_is_accepted(incident, parties, officer, now, field):
    row = _future_writes(incident, parties, officer, now + skew())[field]()
    assert row.history.count() >= 1


# --- counts ----------------------------------------------------------------------------------


def test_a_negative_count_is_refused(incident, officer):
    error = refused(record_estimate(incident, officer, low=-1))
    assert "negative" in codes(error, "low")
    assert "A count cannot be negative." in messages(error, "low")


def test_a_negative_upper_bound_is_refused(incident, officer):
    error = refused(record_estimate(incident, officer, low=0, high=-1))
    assert "high" in error.error_dict


def test_a_lower_bound_above_the_upper_bound_is_refused(incident, officer):
    error = refused(record_estimate(incident, officer, low=941_000, high=715_000))
    assert codes(error, "high") == ["min_gt_max"]
    assert list(error.error_dict) == ["high"]


def test_an_equal_lower_and_upper_bound_is_accepted(incident, officer):
    estimate = record_estimate(incident, officer, low=715_000, high=715_000)()
    assert AffectedEstimate.objects.get(pk=estimate.pk).display_value == "715,000"


# --- parties of someone else ------------------------------------------------------------------


def test_a_party_of_another_organisation_cannot_be_added(incident, other_org, officer):
    stranger = other_org.parties.get(is_self=True)
    error = refused(
        lambda: services.add_party(incident, party=stranger, role="controller", actor=officer, reason="parties")
    )
    assert messages(error, "party") == ["Unknown party."]


@pytest.mark.parametrize("foreign", ["other_incident_controller", "other_organisation_controller"])
def test_link_processor_refuses_a_controller_of_another_incident(incident, parties, officer, foreign, request):
    processor, _, _ = parties
    controller = request.getfixturevalue(foreign)
    error = refused(
        lambda: services.link_processor(
            incident, processor=processor, controller=controller, actor=officer, reason="dpa"
        )
    )
    assert messages(error, "controller") == ["Unknown party."]


@pytest.mark.parametrize("foreign", ["other_incident_controller", "other_organisation_controller"])
def test_an_estimate_refuses_a_controller_of_another_incident(incident, officer, foreign, request):
    controller = request.getfixturevalue(foreign)
    error = refused(record_estimate(incident, officer, party=controller))
    assert codes(error, "party") == ["other_incident"]
    assert messages(error, "party") == ["Unknown party."]


@pytest.mark.parametrize("foreign", ["other_incident_controller", "other_organisation_controller"])
def test_awareness_refuses_a_party_of_another_incident(incident, officer, foreign, request):
    controller = request.getfixturevalue(foreign)
    error = refused(record_awareness(incident, controller, officer, aware_at=at(2025, 8, 5, 10, 0)))
    assert codes(error, "party") == ["other_incident"]
    assert messages(error, "party") == ["Unknown party."]


def test_a_processor_of_another_incident_cannot_be_linked(incident, parties, officer, other_incident_controller):
    _, controller, _ = parties
    error = refused(
        lambda: services.link_processor(
            incident, processor=other_incident_controller, controller=controller, actor=officer, reason="dpa"
        )
    )
    assert messages(error, "processor") == ["Unknown party."]


# --- choices and zones ------------------------------------------------------------------------


def test_an_unknown_data_category_is_refused(incident, officer):
    error = refused(
        lambda: services.update_incident(
            incident, data_categories=["health", "horoscope"], actor=officer, reason="data"
        )
    )
    assert codes(error, "data_categories") == ["invalid_choice"]
    assert messages(error, "data_categories") == ["Unknown choice(s): horoscope."]


def test_an_unknown_data_category_is_refused_when_creating_too(lab, officer, now):
    error = refused(
        lambda: services.create_incident(
            organisation=lab, title="x", data_categories=["zodiac"], actor=officer, reason="report"
        )
    )
    assert codes(error, "data_categories") == ["invalid_choice"]


def test_an_unknown_data_subject_category_is_refused(incident, officer):
    error = refused(
        lambda: services.update_incident(incident, data_subject_categories=["aliens"], actor=officer, reason="data")
    )
    assert codes(error, "data_subject_categories") == ["invalid_choice"]


def test_data_categories_are_stored_sorted_and_without_duplicates(incident, officer):
    services.update_incident(incident, data_categories=["health", "identity", "health"], actor=officer, reason="data")
    assert Incident.objects.get(pk=incident.pk).data_categories == ["health", "identity"]


def test_an_unknown_time_zone_of_an_incident_instant_is_refused(incident, officer):
    error = refused(
        lambda: services.update_incident(
            incident,
            detected_at=at(2025, 8, 5, 10, 0),
            detected_tz="Mars/Olympus_Mons",
            actor=officer,
            reason="detected",
        )
    )
    assert codes(error, "detected_tz") == ["invalid"]
    assert messages(error, "detected_tz") == ["Mars/Olympus_Mons is not a known time zone."]


def test_an_unknown_time_zone_of_an_awareness_is_refused(incident, parties, officer):
    processor, _, _ = parties
    error = refused(
        record_awareness(incident, processor, officer, aware_at=at(2025, 8, 5, 10, 0), aware_tz="Europe/Atlantis")
    )
    assert codes(error, "aware_tz") == ["invalid"]


def test_an_unknown_choice_in_a_single_choice_field_is_refused(incident, officer):
    error = refused(lambda: services.update_incident(incident, cause="bad luck", actor=officer, reason="cause"))
    assert codes(error, "cause") == ["invalid_choice"]


def test_an_unknown_awareness_source_is_refused(incident, parties, officer):
    processor, _, _ = parties
    error = refused(record_awareness(incident, processor, officer, aware_at=at(2025, 8, 5, 10, 0), source="rumour"))
    assert codes(error, "source") == ["invalid_choice"]
    assert not AwarenessRecord.objects.exists()
