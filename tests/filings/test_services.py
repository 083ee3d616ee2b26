"""Submitting filings and deciding not to notify: through the services, refused with nothing written."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from actions import filings as filing_services
from actions import incidents as services
from filings.models import AuthorityFiling, FrozenFilingError, NotificationDecisionRecord
from incidents.models import Incident
from organisations import services as org_services
from readers.filing_content import content_sha256

UTC = UTC


def codes(error: ValidationError) -> dict[str, list[str]]:
    return {field: [e.code for e in errors] for field, errors in error.error_dict.items()}


def nothing_written():
    return AuthorityFiling.objects.count() == 0 and AuthorityFiling.history.count() == 0


# --- A filing as submitted -------------------------------------------------------------------


def test_a_complete_initial_filing_freezes_the_register_with_actor_and_reason(
    submit, controller, complete_register, officer
):
    filing = submit(controller, authority_reference="AP-2025-123")

    assert filing.previous is None and not filing.is_phased
    assert filing.submitted_tz == "Europe/Amsterdam"  # the officer's zone
    assert filing.submitted_by == officer.username
    assert filing.content["nature.description"] == "Criminal group copied screening results."
    assert filing.content["numbers.data_subjects"]["display"] == "≈485,000"
    assert filing.content["contact.name"] == "M. Jansen (privacy desk)"  # the controller's, not the lab's DPO
    assert filing.content["contact.email"] == "privacy@programme.example"
    assert filing.content["controller.name"] == "National Screening Programme"
    assert filing.content_sha256 == content_sha256(filing.content)
    record = filing.history.get()
    assert (record.history_user, record.history_change_reason) == (officer, "filed with the AP")


def test_a_filing_freezes_the_counts_known_at_its_submission_by_when_they_were_known(
    submit, controller, complete_register, count, now
):
    """Known at submission: 715,000 (recorded first) over 485,000; a count known after it: not at all."""
    count(715_000, known_at=now - timedelta(hours=5))
    count(850_000, known_at=now - timedelta(minutes=10), is_at_least=True)  # after the submission below
    filing = submit(controller, submitted_at=now - timedelta(minutes=30), is_phased=True)
    assert filing.content["numbers.data_subjects"]["display"] == "≈715,000"
    later = submit(controller, filing_type="follow_up", submitted_at=now - timedelta(minutes=5))
    assert later.content["numbers.data_subjects"]["display"] == "≥850,000"


def test_the_content_stays_as_submitted_when_the_register_changes(
    submit, controller, complete_register, officer, count
):
    filing = submit(controller)
    services.update_incident(complete_register, description="Rewritten later.", actor=officer, reason="new facts")
    count(715_000, known_at=datetime(2025, 8, 19, 9, 0, tzinfo=UTC))

    filing.refresh_from_db()
    assert filing.content["nature.description"] == "Criminal group copied screening results."
    assert filing.content["numbers.data_subjects"]["low"] == 485_000
    assert filing.content_sha256 == content_sha256(filing.content)


def test_an_incomplete_filing_that_is_not_phased_is_refused_listing_what_is_missing(submit, controller):
    with pytest.raises(ValidationError) as refused:
        submit(controller)

    errors = codes(refused.value)
    assert errors["description"] == ["incomplete"]
    assert errors["estimates"] == ["incomplete", "incomplete"]  # data subjects and records
    assert errors["likely_consequences"] == ["incomplete"]
    assert errors["measures_containment"] == ["incomplete"]
    assert errors["controller.party.contact_email"] == ["incomplete"]  # the programme has no contact yet
    assert "organisation.dpo_email" not in errors
    assert errors["is_phased"] == ["incomplete"]
    assert "(a)" in " ".join(refused.value.message_dict["description"])
    assert nothing_written()


def test_a_processor_filing_for_its_controller_freezes_the_controllers_contact_not_its_own_dpo(
    submit, controller, complete_register, officer
):
    org_services.update_party(
        controller.party, contact_name="", contact_email="", actor=officer, reason="contact left the programme"
    )
    with pytest.raises(ValidationError) as refused:
        submit(controller)

    assert codes(refused.value) == {"controller.party.contact_email": ["incomplete"], "is_phased": ["incomplete"]}
    message = " ".join(refused.value.message_dict["controller.party.contact_email"])
    assert "(b)" in message and "National Screening Programme" in message
    assert nothing_written()


def test_the_organisations_own_dpo_is_the_contact_only_when_it_files_as_the_controller(
    lab, officer, admin_actor, dutch_ap, now
):
    own_breach = services.create_incident(
        organisation=lab,
        title="Laptop lost",
        occurred_from_at=now - timedelta(days=1),
        actor=officer,
        reason="first report",
    )
    services.add_authority(own_breach, authority=dutch_ap, role="lead", actor=officer, reason="lead SA")
    own = services.add_party(
        own_breach, party=lab.parties.get(is_self=True), role="controller", actor=officer, reason="our own data"
    )
    services.record_awareness(
        own_breach, party=own, aware_at=now - timedelta(hours=3), source="own_detection", actor=officer, reason="aware"
    )

    def file(**facts):
        return filing_services.submit_filing(
            own_breach,
            controller=own,
            authority=dutch_ap,
            filing_type="initial",
            submitted_at=now - timedelta(minutes=5),
            channel="ap_form",
            actor=officer,
            reason="filed",
            **facts,
        )

    org_services.update_organisation(lab, dpo_name="", dpo_email="", dpo_phone="", actor=admin_actor, reason="DPO left")
    with pytest.raises(ValidationError) as refused:
        file()
    assert codes(refused.value)["organisation.dpo_email"] == ["incomplete"]
    assert "controller.party.contact_email" not in codes(refused.value)

    org_services.update_organisation(
        lab, dpo_name="J. de Vries", dpo_phone="+31 20 000 0000", actor=admin_actor, reason="DPO appointed"
    )
    filing = file(is_phased=True)
    assert (filing.content["contact.name"], filing.content["contact.phone"]) == ("J. de Vries", "+31 20 000 0000")


def test_an_incomplete_initial_filing_is_accepted_as_a_phased_one(submit, controller):
    filing = submit(controller, is_phased=True)
    assert filing.is_phased and filing.filing_type == "initial"


def test_a_follow_up_chains_to_the_previous_filing_and_may_complete_it(submit, controller, complete_register, now):
    first = submit(controller, is_phased=True, submitted_at=now - timedelta(hours=1))
    second = submit(controller, filing_type="follow_up", submitted_at=now - timedelta(minutes=5))
    assert second.previous == first
    assert not second.is_phased


def test_a_late_initial_filing_without_reasons_for_the_delay_is_refused(
    submit, controller, incident, officer, complete_register, now
):
    # The controller's awareness is the processor's notice: an earlier notice is its correction.
    services.correct_processor_notice(
        controller.awareness_records.get().processor_notice,
        informed_at=datetime(2025, 8, 6, 12, 0, tzinfo=UTC),
        actor=officer,
        reason="the processor's e-mail of 6 August",
    )
    with pytest.raises(ValidationError) as refused:
        submit(controller)
    assert codes(refused.value) == {"delay_reasons": ["required"]}
    assert nothing_written()

    filing = submit(controller, delay_reasons="  The processor's notice lacked the numbers.  ")
    assert filing.delay_reasons == "The processor's notice lacked the numbers."


def test_a_filing_exactly_at_the_72_hours_needs_no_reasons(
    submit, incident, officer, processor_and_controller, complete_register, now
):
    _processor, controller, _relationship = processor_and_controller
    services.record_awareness(
        incident,
        party=controller,
        aware_at=now - timedelta(hours=73),
        source="own_detection",
        actor=officer,
        reason="aware",
    )
    assert submit(controller, submitted_at=now - timedelta(hours=1)).delay_reasons == ""


def test_a_withdrawal_needs_a_reason(submit, controller, complete_register, now):
    initial = submit(controller, submitted_at=now - timedelta(hours=1))
    with pytest.raises(ValidationError) as refused:
        submit(controller, filing_type="withdrawal")
    assert codes(refused.value) == {"withdrawal_reason": ["required"]}
    assert AuthorityFiling.objects.count() == 1

    withdrawal = submit(controller, filing_type="withdrawal", withdrawal_reason="Not a personal-data breach after all.")
    assert withdrawal.previous == initial


def test_the_chain_starts_with_an_initial_filing_and_has_only_one(submit, controller, complete_register, now):
    with pytest.raises(ValidationError) as refused:
        submit(controller, filing_type="follow_up")
    assert codes(refused.value) == {"filing_type": ["no_initial"]}
    submit(controller, submitted_at=now - timedelta(hours=1))
    with pytest.raises(ValidationError) as refused:
        submit(controller)
    assert codes(refused.value) == {"filing_type": ["already_notified"]}


@pytest.mark.parametrize(
    ("submitted", "code"),
    [
        (timedelta(minutes=10), "future"),  # beyond the 5 minutes of clock skew
        (-timedelta(hours=3), "before_awareness"),  # the controller became aware 2 hours ago
        (-timedelta(days=60), "before_start"),
    ],
)
def test_impossible_submission_times_are_refused(submit, controller, complete_register, now, submitted, code):
    with pytest.raises(ValidationError) as refused:
        submit(controller, submitted_at=now + submitted)
    assert code in codes(refused.value)["submitted_at"]
    assert nothing_written()


def test_a_filing_cannot_come_before_the_previous_one(submit, controller, complete_register, now):
    submit(controller, submitted_at=now - timedelta(minutes=10))
    with pytest.raises(ValidationError) as refused:
        submit(controller, filing_type="follow_up", submitted_at=now - timedelta(minutes=20))
    assert codes(refused.value) == {"submitted_at": ["before_previous"]}


def test_a_controller_without_awareness_cannot_file(submit, processor_and_controller, complete_register):
    _processor, controller, _relationship = processor_and_controller
    with pytest.raises(ValidationError) as refused:
        submit(controller)
    assert codes(refused.value)["controller"] == ["no_awareness"]


def test_a_processor_does_not_file_as_controller(submit, processor_and_controller, controller, complete_register):
    processor, _controller, _relationship = processor_and_controller
    with pytest.raises(ValidationError) as refused:
        submit(processor)
    assert codes(refused.value) == {"controller": ["not_controller"]}


# --- Tenancy and roles ---------------------------------------------------------------------


def test_another_organisations_controller_and_an_authority_not_on_the_incident_are_refused(
    submit, controller, complete_register, other_org, outsider, admin_actor, dutch_ap
):
    theirs = services.create_incident(organisation=other_org, title="Lost laptop", actor=outsider, reason="report")
    party = org_services.create_party(other_org, name="Their controller", actor=outsider, reason="directory")
    their_controller = services.add_party(theirs, party=party, role="controller", actor=outsider, reason="parties")
    belgian = org_services.save_authority(
        None,
        code="be-apd",
        name="Autorité de protection des données",
        country="BE",
        actor=admin_actor,
        reason="seed",
    )
    with pytest.raises(ValidationError) as refused:
        submit(their_controller)
    assert codes(refused.value) == {"controller": ["other_incident"]}
    with pytest.raises(ValidationError) as refused:
        submit(controller, authority=belgian)
    assert codes(refused.value) == {"authority": ["not_on_incident"]}
    assert nothing_written()


def test_an_officer_cannot_file_on_another_organisations_incident(other_org, outsider, officer, now):
    theirs = services.create_incident(organisation=other_org, title="Lost laptop", actor=outsider, reason="report")
    with pytest.raises(PermissionDenied):
        filing_services.submit_filing(
            theirs,
            controller=None,
            authority=None,
            filing_type="initial",
            submitted_at=now,
            channel="email",
            actor=officer,
            reason="probe",
        )


@pytest.mark.parametrize("persona", ["lawyer", "viewer"])
def test_legal_and_viewers_cannot_file_or_decide(request, persona, submit, controller, complete_register, now):
    reader = request.getfixturevalue(persona)
    with pytest.raises(PermissionDenied):
        submit(controller, actor=reader)
    with pytest.raises(PermissionDenied):
        filing_services.record_decision_not_to_notify(
            complete_register,
            controller=controller,
            decided_at=now,
            risk_basis="unlikely_risk",
            reasoning="x",
            actor=reader,
            reason="probe",
        )
    assert nothing_written() and not NotificationDecisionRecord.objects.exists()


def test_a_filing_needs_a_reason(submit, controller, complete_register):
    with pytest.raises(ValidationError) as refused:
        submit(controller, reason=" ")
    assert codes(refused.value) == {"reason": ["required"]}
    assert nothing_written()


# --- A submitted filing never changes -----------------------------------------------------------


def test_saving_a_changed_filing_is_refused_and_nothing_is_written(submit, controller, complete_register, officer):
    filing = submit(controller)
    filing.delay_reasons = "added afterwards"
    filing.content = {**filing.content, "nature.description": "prettier"}

    with pytest.raises(FrozenFilingError) as refused:
        org_services.save_with_history(filing, actor=officer, reason="tidy up")

    assert codes(refused.value) == {"delay_reasons": ["frozen"], "content": ["frozen"]}
    stored = AuthorityFiling.objects.get(pk=filing.pk)
    assert (
        stored.delay_reasons == ""
        and stored.content["nature.description"] == "Criminal group copied screening results."
    )
    assert filing.history.count() == 1


def test_a_filing_is_never_deleted(submit, controller, complete_register, officer):
    filing = submit(controller)
    with pytest.raises(FrozenFilingError):
        filing.delete()
    assert AuthorityFiling.objects.filter(pk=filing.pk).exists()


def test_the_authoritys_report_number_is_added_once_with_a_reason(submit, controller, complete_register, officer):
    filing = submit(controller)
    filing = filing_services.add_authority_reference(
        filing, authority_reference=" AP-2025-0815 ", actor=officer, reason="AP confirmation e-mail"
    )
    assert filing.authority_reference == "AP-2025-0815"
    latest = filing.history.latest()
    assert (latest.history_user, latest.history_change_reason) == (officer, "AP confirmation e-mail")

    with pytest.raises(ValidationError) as refused:
        filing_services.add_authority_reference(filing, authority_reference="AP-other", actor=officer, reason="typo")
    assert codes(refused.value) == {"authority_reference": ["frozen"]}
    filing.authority_reference = "AP-other"
    with pytest.raises(FrozenFilingError):
        filing.save()
    assert AuthorityFiling.objects.get(pk=filing.pk).authority_reference == "AP-2025-0815"


# --- Deciding not to notify ---------------------------------------------------------------------


def decide(incident, controller, officer, now, **facts):
    facts.setdefault("decided_at", now - timedelta(minutes=10))
    facts.setdefault("risk_basis", "unintelligible")
    facts.setdefault("reasoning", "The laptop was encrypted with the key held elsewhere.")
    return filing_services.record_decision_not_to_notify(
        incident, controller=controller, actor=officer, reason=facts.pop("reason", "DPO decision"), **facts
    )


def test_a_decision_not_to_notify_is_a_register_entry_with_who_when_and_why(incident, controller, officer, now):
    decision = decide(incident, controller, officer, now, decided_by="J. de Vries (DPO)")

    assert decision.decided_by == "J. de Vries (DPO)" and decision.decided_tz == "Europe/Amsterdam"
    record = decision.history.get()
    assert (record.history_user, record.history_change_reason) == (officer, "DPO decision")
    incident = Incident.objects.get(pk=incident.pk)
    assert incident.notification_decision == "not_required"
    assert incident.notification_reasoning == "The laptop was encrypted with the key held elsewhere."


def test_a_decision_not_to_notify_needs_reasoning_and_a_register_without_risk(incident, controller, officer, now):
    with pytest.raises(ValidationError) as refused:
        decide(incident, controller, officer, now, reasoning="  ")
    assert codes(refused.value) == {"reasoning": ["required"]}
    services.update_incident(
        incident, risk_level="high", risk_reasoning="health data", actor=officer, reason="assessed"
    )
    with pytest.raises(ValidationError) as refused:
        decide(incident, controller, officer, now)
    assert codes(refused.value) == {"risk_basis": ["contradicts_risk_level"]}
    assert not NotificationDecisionRecord.objects.exists()


def test_a_controller_that_notified_cannot_decide_not_to(submit, controller, complete_register, officer, now):
    submit(controller)
    with pytest.raises(ValidationError) as refused:
        decide(complete_register, controller, officer, now, decided_at=now)
    assert codes(refused.value) == {"controller": ["already_notified"]}


def test_a_decision_cannot_predate_awareness_or_lie_in_the_future(incident, controller, officer, now):
    for moment, code in ((now - timedelta(hours=3), "before_awareness"), (now + timedelta(hours=1), "future")):
        with pytest.raises(ValidationError) as refused:
            decide(incident, controller, officer, now, decided_at=moment)
        assert codes(refused.value) == {"decided_at": [code]}


def test_a_recorded_decision_does_not_change(incident, controller, officer, now):
    decision = decide(incident, controller, officer, now)
    decision.reasoning = "rewritten"
    with pytest.raises(FrozenFilingError):
        org_services.save_with_history(decision, actor=officer, reason="rewrite")
    assert NotificationDecisionRecord.objects.get().reasoning.startswith("The laptop")
