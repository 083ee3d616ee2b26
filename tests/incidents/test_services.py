"""The breach-register services: references, partial updates, status rules, derived awareness, roles, reasons.

Every write goes through actions.incidents (and the party directory through
organisations.services); "writes nothing" is checked against every row of
every table, historical tables included.
"""

from __future__ import annotations

import inspect
from datetime import UTC, datetime
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.core.exceptions import PermissionDenied, ValidationError

from actions import incidents as services
from breachtrack.history import bulk_create_with_history
from incidents.choices import AwarenessSource, Status
from incidents.models import AwarenessRecord, Incident, IncidentReferenceCounter, ProcessorNotice
from organisations import services as org_services
from organisations.models import Authority

UTC = UTC


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def database_state() -> dict[str, list[dict]]:
    """Every row of every table (historical ones included)."""
    return {model._meta.label: list(model._base_manager.order_by("pk").values()) for model in apps.get_models()}


def field_errors(error: ValidationError) -> dict[str, list[tuple[str | None, str]]]:
    return {
        field: [(item.code, message) for item in items for message in item.messages]
        for field, items in error.error_dict.items()
    }


@pytest.fixture
def register(incident, lab, officer, processor_and_controller, dutch_ap):
    """The lab's incident with parties, a relationship, awareness, a notice and an estimate."""
    processor, controller, relationship = processor_and_controller
    incident = services.update_incident(incident, actor=officer, reason="contained", contained_at=at(2025, 8, 7, 18, 0))
    services.add_authority(incident, authority=dutch_ap, role="lead", actor=officer, reason="lead authority")
    own_awareness = services.record_awareness(
        incident,
        party=processor,
        aware_at=at(2025, 8, 5, 10, 0),
        source="own_detection",
        actor=officer,
        reason="own detection",
    )
    notice = services.record_processor_notice(
        relationship,
        informed_at=at(2025, 8, 6, 9, 0),
        channel="email",
        informed_by="lab security officer",
        received_by="programme DPO",
        evidence="mail 2025-08-06",
        actor=officer,
        reason="notice to the programme",
    )
    estimate = services.record_estimate(
        incident,
        measure="data_subjects",
        low=485_000,
        known_at=at(2025, 8, 10),
        source="lab",
        actor=officer,
        reason="first count",
    )
    hospital = org_services.create_party(lab, name="Regional Hospital", actor=officer, reason="directory")
    spare_controller = services.add_party(incident, party=hospital, role="controller", actor=officer, reason="parties")
    second = org_services.create_party(lab, name="Second Programme", actor=officer, reason="directory")
    second_controller = services.add_party(incident, party=second, role="controller", actor=officer, reason="parties")
    # Not told yet: record_processor_notice's turn (one notice per processor and controller).
    untold = services.link_processor(
        incident, processor=processor, controller=second_controller, actor=officer, reason="dpa"
    )
    return SimpleNamespace(
        lab=lab,
        incident=incident,
        processor=processor,
        controller=controller,
        relationship=relationship,
        own_awareness=own_awareness,
        notice=notice,
        estimate=estimate,
        spare_controller=spare_controller,
        untold=untold,
        spare_party=org_services.create_party(lab, name="General Practice", actor=officer, reason="directory"),
        hospital=hospital,
        authority=Authority.objects.get(code="be-gba"),
    )


# Every write service, called with valid arguments: only the actor or the reason decides.
WRITES = {
    "create_incident": lambda r, actor, reason: services.create_incident(
        organisation=r.lab, title="Another breach", actor=actor, reason=reason
    ),
    "update_incident": lambda r, actor, reason: services.update_incident(
        r.incident, title="Ransomware at the laboratory (NMDL)", actor=actor, reason=reason
    ),
    "change_status": lambda r, actor, reason: services.change_status(
        r.incident, Status.CONTAINED, actor=actor, reason=reason
    ),
    "add_party": lambda r, actor, reason: services.add_party(
        r.incident, party=r.spare_party, role="controller", actor=actor, reason=reason
    ),
    "add_authority": lambda r, actor, reason: services.add_authority(
        r.incident, authority=r.authority, role="concerned", actor=actor, reason=reason
    ),
    "link_processor": lambda r, actor, reason: services.link_processor(
        r.incident, processor=r.processor, controller=r.spare_controller, actor=actor, reason=reason
    ),
    "record_awareness": lambda r, actor, reason: services.record_awareness(
        r.incident,
        party=r.spare_controller,
        aware_at=at(2025, 8, 8, 9, 0),
        source="third_party",
        actor=actor,
        reason=reason,
    ),
    "correct_awareness": lambda r, actor, reason: services.correct_awareness(
        r.own_awareness, aware_at=at(2025, 8, 5, 8, 0), actor=actor, reason=reason
    ),
    "withdraw_awareness": lambda r, actor, reason: services.withdraw_awareness(
        r.own_awareness, withdrawal_reason="It was a test alert.", actor=actor, reason=reason
    ),
    "record_processor_notice": lambda r, actor, reason: services.record_processor_notice(
        r.untold, informed_at=at(2025, 8, 7, 9, 0), channel="phone", informed_by="lab", actor=actor, reason=reason
    ),
    "correct_processor_notice": lambda r, actor, reason: services.correct_processor_notice(
        r.notice, informed_at=at(2025, 8, 6, 10, 0), actor=actor, reason=reason
    ),
    "record_estimate": lambda r, actor, reason: services.record_estimate(
        r.incident,
        measure="records",
        low=1_000_000,
        known_at=at(2025, 8, 12),
        source="lab",
        actor=actor,
        reason=reason,
    ),
    "create_party": lambda r, actor, reason: org_services.create_party(
        r.lab, name="New Processor", actor=actor, reason=reason
    ),
    "update_party": lambda r, actor, reason: org_services.update_party(
        r.hospital, contact_name="Dr. Example", actor=actor, reason=reason
    ),
}
# The writes on one incident, which a closed incident refuses.
INCIDENT_WRITES = sorted(set(WRITES) - {"create_incident", "change_status", "create_party", "update_party"})


def test_every_write_service_of_the_register_is_covered_here():
    writers = {
        name
        for name, function in inspect.getmembers(services, inspect.isfunction)
        if function.__module__ == services.__name__
        and not name.startswith("_")
        and inspect.signature(function).parameters.get("actor", None) is not None
    }
    assert writers <= set(WRITES), f"write services without role and reason tests: {writers - set(WRITES)}"


# --- references -------------------------------------------------------------------------


def test_references_are_numbered_per_organisation_and_year(incident, lab, officer, outsider, other_org):
    second = services.create_incident(organisation=lab, title="Misdirected letter", actor=officer, reason="report")
    third = services.create_incident(organisation=lab, title="Lost laptop", actor=officer, reason="report")
    elsewhere = services.create_incident(organisation=other_org, title="Phishing", actor=outsider, reason="report")
    assert [incident.reference, second.reference, third.reference] == ["2025-0001", "2025-0002", "2025-0003"]
    assert elsewhere.reference == "2025-0001"


def test_a_new_year_starts_a_new_sequence(incident, lab, officer):
    next_year = services.create_incident(
        organisation=lab, title="New year's breach", actor=officer, reason="report", now=at(2026, 1, 1, 0, 5)
    )
    assert next_year.reference == "2026-0001"


def test_numbering_continues_from_the_incidents_of_that_year_when_its_counter_is_first_made(lab, officer, now):
    """Incidents numbered before the year's counter existed (an upgrade, an import) are never repeated."""
    earlier = [
        Incident(organisation=lab, reference=reference, title=f"Registered as {reference}")
        for reference in ("2025-0007", "2025-0012", "2024-0099", "D-000031")
    ]
    bulk_create_with_history(earlier, Incident, actor=officer, reason="imported from the old register")
    assert not IncidentReferenceCounter.objects.exists()
    created = services.create_incident(organisation=lab, title="Phishing", actor=officer, reason="report")
    following = services.create_incident(organisation=lab, title="Lost laptop", actor=officer, reason="report")
    assert [created.reference, following.reference] == ["2025-0013", "2025-0014"]
    counter = IncidentReferenceCounter.objects.get()
    assert (counter.organisation, counter.year, counter.last_number) == (lab, 2025, 14)


def test_a_refused_create_takes_no_number(incident, lab, officer):
    with pytest.raises(ValidationError):
        services.create_incident(
            organisation=lab,
            title="Backwards",
            occurred_from_at=at(2025, 8, 2),
            occurred_until_at=at(2025, 8, 1),
            actor=officer,
            reason="report",
        )
    second = services.create_incident(organisation=lab, title="Lost laptop", actor=officer, reason="report")
    assert second.reference == "2025-0002"
    assert IncidentReferenceCounter.objects.get(organisation=lab, year=2025).last_number == 2


def test_creating_an_incident_records_who_and_why(incident, officer):
    record = incident.history.get()
    assert (record.history_type, record.history_user, record.history_change_reason) == ("+", officer, "first report")
    assert record.reference == "2025-0001"


# --- update_incident ---------------------------------------------------------------------


def test_update_incident_changes_only_the_given_fields(incident, officer):
    loaded_before = Incident.objects.get(pk=incident.pk)
    services.update_incident(incident, description="Encrypted by ransomware.", actor=officer, reason="facts")
    # A copy loaded before that change must not overwrite it when it changes another field.
    services.update_incident(loaded_before, title="Ransomware at the laboratory (NMDL)", actor=officer, reason="rename")
    stored = Incident.objects.get(pk=incident.pk)
    assert (stored.title, stored.description) == ("Ransomware at the laboratory (NMDL)", "Encrypted by ransomware.")
    assert stored.occurred_from_at == at(2025, 7, 3, 22, 0)
    newest, previous = stored.history.all()[:2]
    assert newest.diff_against(previous, excluded_fields=["updated_at"]).changed_fields == ["title"]


def test_update_incident_records_a_history_row_with_actor_and_reason(incident, officer):
    services.update_incident(incident, title="Ransomware (NMDL)", actor=officer, reason="title as in the press")
    assert incident.history.count() == 2
    record = incident.history.first()
    assert (record.history_type, record.title) == ("~", "Ransomware (NMDL)")
    assert (record.history_user, record.history_change_reason) == (officer, "title as in the press")


def test_a_new_instant_gets_the_zone_of_the_person_who_typed_it(incident, officer):
    updated = services.update_incident(incident, detected_at=at(2025, 8, 5, 10, 0), actor=officer, reason="detected")
    assert updated.detected_tz == officer.time_zone == "Europe/Amsterdam"


@pytest.mark.parametrize("field", ["reference", "status", "organisation", "created_at"])
def test_update_incident_refuses_fields_that_have_their_own_service_or_never_change(incident, officer, field):
    before = database_state()
    with pytest.raises(ValidationError) as refused:
        services.update_incident(incident, actor=officer, reason="sneaky", **{field: "x"})
    assert field in refused.value.error_dict
    assert database_state() == before


# --- status -----------------------------------------------------------------------------


@pytest.fixture
def complete_register(register, officer):
    """The register with everything Art. 33(5) asks for, ready to close."""
    services.update_incident(
        register.incident,
        description="The laboratory's systems were encrypted and data was exfiltrated.",
        is_confidentiality_breach=True,
        cause="ransomware",
        discovery_method="own_monitoring",
        detected_at=at(2025, 8, 5, 10, 0),
        data_categories=["identity", "health", "national_id"],
        data_subject_categories=["patients"],
        likely_consequences="Identity fraud, disclosure of health data.",
        risk_level="high",
        risk_reasoning="Health data and national identifiers of hundreds of thousands.",
        measures_containment="Systems isolated, backups restored.",
        notification_decision="notify",
        notification_reasoning="High risk to data subjects.",
        actor=officer,
        reason="register complete",
    )
    return register


def test_closing_refuses_an_incomplete_register_with_an_error_for_each_gap(incident, officer):
    before = database_state()
    with pytest.raises(ValidationError) as refused:
        services.change_status(incident, Status.CLOSED, actor=officer, reason="done")
    errors = field_errors(refused.value)
    for gap in ("description", "cause", "detected_at", "data_categories", "risk_level", "awareness", "estimates"):
        assert gap in errors, gap
    assert errors["cause"] == [(None, "Record the cause.")]
    assert "occurred_from_at" not in errors  # recorded when the incident was created
    assert database_state() == before


def test_closing_succeeds_once_the_register_is_complete(complete_register, officer):
    closed = services.change_status(
        complete_register.incident, Status.CLOSED, actor=officer, reason="register complete"
    )
    assert Incident.objects.get(pk=closed.pk).status == Status.CLOSED
    record = closed.history.first()
    assert (record.status, record.history_user, record.history_change_reason) == (
        "closed",
        officer,
        "register complete",
    )


def test_an_ongoing_breach_cannot_be_closed(complete_register, officer):
    services.update_incident(complete_register.incident, is_ongoing=True, actor=officer, reason="still leaking")
    with pytest.raises(ValidationError) as refused:
        services.change_status(complete_register.incident, Status.CLOSED, actor=officer, reason="done")
    assert set(refused.value.error_dict) == {"is_ongoing"}


def test_a_closed_incident_refuses_update_until_it_is_reopened(complete_register, officer):
    incident = complete_register.incident
    services.change_status(incident, Status.CLOSED, actor=officer, reason="register complete")
    before = database_state()
    with pytest.raises(ValidationError) as refused:
        services.update_incident(incident, title="Changed after closing", actor=officer, reason="late edit")
    assert refused.value.code == "closed"
    assert database_state() == before

    services.change_status(incident, Status.OPEN, actor=officer, reason="new facts from the forensic report")
    updated = services.update_incident(incident, title="Changed after reopening", actor=officer, reason="late edit")
    assert Incident.objects.get(pk=incident.pk).title == "Changed after reopening"
    statuses = [record.status for record in updated.history.all()[:3]]
    assert statuses == ["open", "open", "closed"]  # edit, reopen, close: newest first
    assert updated.history.all()[1].history_change_reason == "new facts from the forensic report"


@pytest.mark.parametrize("write", INCIDENT_WRITES)
def test_a_closed_incident_refuses_every_write_even_from_copies_loaded_before_it_closed(
    complete_register, officer, write
):
    services.change_status(complete_register.incident, Status.CLOSED, actor=officer, reason="register complete")
    before = database_state()
    with pytest.raises(ValidationError) as refused:
        WRITES[write](complete_register, officer, "too late")  # its objects were loaded while the incident was open
    assert refused.value.code == "closed"
    assert database_state() == before


def test_contained_status_needs_contained_at(incident, officer):
    with pytest.raises(ValidationError) as refused:
        services.change_status(incident, Status.CONTAINED, actor=officer, reason="contained")
    assert list(refused.value.error_dict) == ["contained_at"]
    assert Incident.objects.get(pk=incident.pk).status == Status.OPEN

    services.update_incident(incident, contained_at=at(2025, 8, 7, 18, 0), actor=officer, reason="contained")
    contained = services.change_status(incident, Status.CONTAINED, actor=officer, reason="contained")
    assert Incident.objects.get(pk=contained.pk).status == Status.CONTAINED


def test_an_unknown_status_is_refused(incident, officer):
    with pytest.raises(ValidationError) as refused:
        services.change_status(incident, "archived", actor=officer, reason="tidy")
    assert list(refused.value.error_dict) == ["status"]


# --- processor notices and derived awareness --------------------------------------------------


def test_a_processor_notice_also_records_the_controllers_awareness(register, officer):
    notice = register.notice
    awareness = AwarenessRecord.objects.get(processor_notice=notice)
    assert awareness.party == register.controller
    assert awareness.incident == register.incident
    assert awareness.source == AwarenessSource.PROCESSOR_NOTICE
    assert (awareness.aware_at, awareness.aware_tz) == (notice.informed_at, notice.informed_tz)
    assert awareness.aware_at == at(2025, 8, 6, 9, 0)
    assert (awareness.asserted_by, awareness.evidence) == ("programme DPO", "mail 2025-08-06")
    assert awareness.recorded_by == officer
    for row in (notice, awareness):
        record = row.history.get()
        assert (record.history_user, record.history_change_reason) == (officer, "notice to the programme")


def test_correcting_a_processor_notice_moves_the_derived_awareness(register, officer):
    services.correct_processor_notice(
        register.notice,
        informed_at=at(2025, 8, 6, 7, 30),
        informed_tz="Europe/Brussels",
        actor=officer,
        reason="the e-mail header says 09:30 Brussels time",
    )
    notice = ProcessorNotice.objects.get(pk=register.notice.pk)
    awareness = AwarenessRecord.objects.get(processor_notice=notice)
    assert (notice.informed_at, notice.informed_tz) == (at(2025, 8, 6, 7, 30), "Europe/Brussels")
    assert (awareness.aware_at, awareness.aware_tz) == (at(2025, 8, 6, 7, 30), "Europe/Brussels")
    record = awareness.history.first()
    assert record.aware_at == at(2025, 8, 6, 7, 30)
    assert record.history_change_reason == "the e-mail header says 09:30 Brussels time"


def test_correcting_other_facts_of_a_notice_leaves_the_awareness_alone(register, officer):
    awareness = AwarenessRecord.objects.get(processor_notice=register.notice)
    services.correct_processor_notice(register.notice, summary="Told by phone first.", actor=officer, reason="detail")
    assert awareness.history.count() == 1


def test_a_derived_awareness_cannot_be_withdrawn_on_its_own(register, officer):
    derived = AwarenessRecord.objects.get(processor_notice=register.notice)
    with pytest.raises(ValidationError) as refused:
        services.withdraw_awareness(derived, withdrawal_reason="wrong", actor=officer, reason="wrong")
    assert refused.value.code == "derived"
    assert not AwarenessRecord.objects.get(pk=derived.pk).is_withdrawn


def test_a_derived_awareness_cannot_be_corrected_on_its_own(register, officer):
    """The notice and its awareness must never disagree: a correction goes through the notice."""
    derived = AwarenessRecord.objects.get(processor_notice=register.notice)
    before = database_state()
    with pytest.raises(ValidationError) as refused:
        services.correct_awareness(derived, aware_at=at(2025, 8, 6, 12, 0), actor=officer, reason="later, really")
    assert refused.value.code == "derived"
    assert database_state() == before


# --- awareness corrections and withdrawals -------------------------------------------------


def test_correct_awareness_keeps_the_old_value_in_history(register, officer):
    record = register.own_awareness
    services.correct_awareness(record, aware_at=at(2025, 8, 5, 8, 0), actor=officer, reason="SOC log shows 10:00 CEST")
    assert AwarenessRecord.objects.get(pk=record.pk).aware_at == at(2025, 8, 5, 8, 0)
    newest = record.history.first()
    oldest = record.history.last()
    assert (oldest.aware_at, newest.aware_at) == (at(2025, 8, 5, 10, 0), at(2025, 8, 5, 8, 0))
    diff = newest.diff_against(oldest)
    changes = {change.field: (change.old, change.new) for change in diff.changes}
    assert changes["aware_at"] == (at(2025, 8, 5, 10, 0), at(2025, 8, 5, 8, 0))
    assert (newest.history_user, newest.history_change_reason) == (officer, "SOC log shows 10:00 CEST")


@pytest.mark.parametrize("withdrawal_reason", ["", "   "])
def test_withdraw_awareness_requires_a_withdrawal_reason(register, officer, withdrawal_reason):
    before = database_state()
    with pytest.raises(ValidationError) as refused:
        services.withdraw_awareness(
            register.own_awareness, withdrawal_reason=withdrawal_reason, actor=officer, reason="wrong"
        )
    assert [code for code, _ in field_errors(refused.value)["withdrawal_reason"]] == ["required"]
    assert database_state() == before


def test_withdraw_awareness_keeps_the_record_marked(register, officer):
    services.withdraw_awareness(
        register.own_awareness, withdrawal_reason="It was a test alert.", actor=officer, reason="test alert"
    )
    kept = AwarenessRecord.objects.get(pk=register.own_awareness.pk)
    assert (kept.is_withdrawn, kept.withdrawal_reason) == (True, "It was a test alert.")
    record = kept.history.first()
    assert (record.is_withdrawn, record.history_user, record.history_change_reason) == (True, officer, "test alert")


# --- roles --------------------------------------------------------------------------------


@pytest.mark.parametrize("write", sorted(WRITES))
def test_the_officer_may_do_every_write_and_it_is_recorded(register, officer, write):
    # The positive twin of the refusals below: the same call succeeds for the officer.
    row = WRITES[write](register, officer, "as the privacy officer")
    record = row.history.first()
    assert (record.history_user, record.history_change_reason) == (officer, "as the privacy officer")


@pytest.mark.parametrize("write", sorted(WRITES))
def test_viewers_lawyers_and_outsiders_are_refused_every_write(register, viewer, lawyer, outsider, write):
    before = database_state()
    for persona in (viewer, lawyer, outsider):
        with pytest.raises(PermissionDenied):
            WRITES[write](register, persona, "not my role")
    assert database_state() == before


@pytest.mark.parametrize("write", sorted(WRITES))
def test_a_deactivated_officer_is_refused_every_write(register, officer, admin_actor, write):
    org_services.deactivate_user(officer, actor=admin_actor, reason="left the company")
    before = database_state()
    with pytest.raises(PermissionDenied):
        WRITES[write](register, officer, "after leaving")
    assert database_state() == before


# --- reasons --------------------------------------------------------------------------------


@pytest.mark.parametrize("write", sorted(WRITES))
def test_a_missing_or_blank_reason_is_refused_and_writes_nothing(register, officer, write):
    before = database_state()
    for reason in (None, "", "   \n"):
        with pytest.raises(ValidationError) as refused:
            WRITES[write](register, officer, reason)
        assert list(refused.value.error_dict) == ["reason"], reason
        assert "Give a reason" in refused.value.error_dict["reason"][0].messages[0]
    assert database_state() == before


def test_a_refused_reason_carries_the_required_code(incident, officer):
    with pytest.raises(ValidationError) as refused:
        services.update_incident(incident, title="x", actor=officer, reason="")
    assert [item.code for item in refused.value.error_dict["reason"]] == ["required"]


def test_a_reason_is_stored_without_surrounding_whitespace(incident, officer):
    services.update_incident(incident, title="Renamed", actor=officer, reason="  typo in the title \n")
    assert incident.history.first().history_change_reason == "typo in the title"
