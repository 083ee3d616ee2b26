"""History is evidence: the runtime guard in breachtrack.history.

Every historied model refuses the writes that leave no history (update,
bulk_create, bulk_update, F() expressions); the *_with_history helpers do the
same work with one record per row; no record is ever written by "nobody":
requests, commands and Celery tasks all have a named actor.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from celery import shared_task
from django.apps import apps
from django.core.management import call_command
from django.db import models
from django.db.models import F
from simple_history.models import registered_models

from actions import extortion as extortion_services
from actions import incidents as services
from actions.alert_policies import set_alert_policy
from actions.filings import record_decision_not_to_notify, submit_filing
from actions.notifications import create_webhook_endpoint
from breachtrack.history import (
    HistoryBypassError,
    UnknownActorError,
    acting_as,
    bulk_create_with_history,
    bulk_update_with_history,
    update_with_history,
    with_system_actor,
)
from incidents.models import AffectedEstimate, AwarenessRecord, Incident
from organisations.models import Authority, Party, User
from organisations.services import create_party

UTC = UTC

HISTORIED_MODELS = sorted(
    (model for model in apps.get_models() if hasattr(model, "history")), key=lambda model: model._meta.label
)


def label(model) -> str:
    return model._meta.label


def database_state() -> dict[str, list[dict]]:
    """Every row of every table, so "writes nothing" means exactly that."""
    return {label(model): list(model._base_manager.order_by("pk").values()) for model in apps.get_models()}


def text_field(model) -> models.Field:
    """A plain, non-unique text column of ``model``: a harmless target for a refused write."""
    return next(
        field
        for field in model._meta.concrete_fields
        if isinstance(field, models.CharField | models.TextField) and not field.unique and not field.primary_key
    )


@pytest.fixture
def every_historied_table_has_rows(
    processor_and_controller, officer, lawyer, dutch_ap, admin_actor, monkeypatch, tmp_path
):
    """One row or more in each historied table, made through the services."""
    processor, controller, relationship = processor_and_controller
    incident = processor.incident
    _regime_facts(incident, officer, monkeypatch, tmp_path)
    services.add_authority(incident, authority=dutch_ap, role="lead", actor=officer, reason="lead authority")
    services.record_processor_notice(
        relationship,
        informed_at=datetime(2025, 8, 6, 9, 0, tzinfo=UTC),
        channel="email",
        informed_by="lab",
        actor=officer,
        reason="notice",
    )
    services.record_estimate(
        incident,
        measure="data_subjects",
        low=485_000,
        known_at=datetime(2025, 8, 10, tzinfo=UTC),
        source="lab",
        actor=officer,
        reason="first count",
    )
    set_alert_policy(incident.organisation, "follow_up", thresholds_before_minutes=[60], actor=officer, reason="policy")
    threat = extortion_services.record_threat(
        incident,
        actor_name="Kraken",
        first_contact_at=datetime(2025, 8, 10, tzinfo=UTC),
        channel="leak_site",
        actor=officer,
        reason="threat",
    )
    extortion_services.revise_countdown(
        threat,
        kind="set",
        announced_at=datetime(2025, 8, 10, tzinfo=UTC),
        deadline_at=datetime(2025, 8, 28, tzinfo=UTC),
        actor=officer,
        reason="countdown",
    )
    extortion_services.record_publication(
        incident,
        threat=threat,
        published_at=datetime(2025, 8, 15, tzinfo=UTC),
        location="leak site",
        actor=officer,
        reason="leak",
    )
    create_webhook_endpoint(incident.organisation, url="https://hooks.lab.example/bt", actor=officer, reason="alerts")
    record_decision_not_to_notify(
        incident,
        controller=controller,
        decided_at=datetime(2025, 8, 7, tzinfo=UTC),
        risk_basis="unlikely_risk",
        reasoning="first view",
        actor=officer,
        reason="decision",
    )
    submit_filing(
        incident,
        controller=controller,
        authority=dutch_ap,
        filing_type="initial",
        is_phased=True,
        channel="ap_form",
        submitted_at=datetime(2025, 8, 11, tzinfo=UTC),
        delay_reasons="told late",
        actor=officer,
        reason="filed",
    )
    from tests.communications.objects import communications_lab_objects

    communications_lab_objects(incident, controller, officer)
    from actions.sharing import create_share_link

    create_share_link(
        incident,
        export_kind="deadlines_ics",
        recipient="AP",
        expires_at=datetime(2025, 9, 1, tzinfo=UTC),
        actor=officer,
        reason="AP asked",
    )
    from api.tokens import create_api_token

    create_api_token(
        organisation=incident.organisation,
        user=officer,
        role="viewer",
        name="SIEM",
        expires_at=datetime(2025, 9, 1, tzinfo=UTC),
        actor=admin_actor,
        reason="integration",
    )
    from actions.notes import add_note

    add_note(
        incident,
        body="Counsel advised on the notification wording.",
        is_legally_privileged=True,
        actor=lawyer,
        reason="advice on file",
    )
    empty = [label(model) for model in HISTORIED_MODELS if not model._base_manager.exists()]
    assert empty == []


def _regime_facts(incident, officer, monkeypatch, tmp_path):
    """The facts of other notification regimes, and a report made under one (the tests' NIS2)."""
    from actions import regimes
    from tests.regimes.conftest import use_test_catalogue

    use_test_catalogue(monkeypatch, tmp_path)
    when = datetime(2025, 8, 10, tzinfo=UTC)
    regimes.set_organisation_profile(incident.organisation, entity_tags=["nis2_essential"], actor=officer, reason="p")
    regimes.record_anchor(incident, kind="detection", occurred_at=when, actor=officer, reason="detected")
    regimes.set_determination(incident, name="significant", value=True, actor=officer, reason="significant")
    regimes.record_places(incident, counts={"NL": 485_000}, as_of=when, actor=officer, reason="places")
    regimes.decide_regime(incident, regime="nis2", applies=True, reasoning="essential", actor=officer, reason="d")
    regimes.record_regime_report_filing(
        incident, regime="nis2", report="early_warning", submitted_at=when, actor=officer, reason="filed"
    )


# --- which models are historied -----------------------------------------------------


def test_the_historied_models_are_exactly_those_registered_with_simple_history():
    assert set(HISTORIED_MODELS) == set(registered_models.values())
    assert {Incident, AwarenessRecord, AffectedEstimate, Party, User, Authority} <= set(HISTORIED_MODELS)


# --- bulk writes are refused ----------------------------------------------------------


@pytest.mark.parametrize("model", HISTORIED_MODELS, ids=label)
def test_every_historied_models_default_manager_refuses_update(model, every_historied_table_has_rows):
    before = database_state()
    field = text_field(model)
    with pytest.raises(HistoryBypassError, match=r"update_with_history"):
        model._default_manager.update(**{field.attname: "tampered"})
    with pytest.raises(HistoryBypassError):
        model._default_manager.filter(pk__isnull=False).update(**{field.attname: "tampered"})
    assert database_state() == before


@pytest.mark.parametrize("model", HISTORIED_MODELS, ids=label)
def test_every_historied_models_default_manager_refuses_bulk_create(model, every_historied_table_has_rows):
    before = database_state()
    with pytest.raises(HistoryBypassError, match=r"bulk_create_with_history"):
        model._default_manager.bulk_create([model()])
    assert database_state() == before


@pytest.mark.parametrize("model", HISTORIED_MODELS, ids=label)
def test_every_historied_models_default_manager_refuses_bulk_update(model, every_historied_table_has_rows):
    before = database_state()
    rows = list(model._default_manager.all()[:2])
    field = text_field(model)
    for row in rows:
        setattr(row, field.attname, "tampered")
    with pytest.raises(HistoryBypassError, match=r"bulk_update_with_history"):
        model._default_manager.bulk_update(rows, [field.name])
    assert database_state() == before


def test_related_managers_refuse_update_too(incident, lab, processor_and_controller):
    before = database_state()
    with pytest.raises(HistoryBypassError):
        lab.incidents.update(title="tampered")
    with pytest.raises(HistoryBypassError):
        incident.parties.update(notes="tampered")
    with pytest.raises(HistoryBypassError):
        lab.parties.bulk_create([Party(owner=lab, name="Sneaked in")])
    assert database_state() == before


def test_the_base_manager_of_every_historied_model_refuses_update_too(every_historied_table_has_rows):
    """Django's ``Model._base_manager`` is a plain Manager unless Meta.base_manager_name says otherwise.

    Each attempt matches no row (``pk__in=[]``), so a manager that lets it
    through changes nothing here, but would change real rows without history.
    """
    silent = []
    for model in HISTORIED_MODELS:
        try:
            model._base_manager.filter(pk__in=[]).update(**{text_field(model).attname: "tampered"})
        except HistoryBypassError:
            continue
        silent.append(label(model))
    assert silent == [], f"Model._base_manager.update() writes no history for: {silent}"


# --- the *_with_history helpers ---------------------------------------------------------


def test_update_with_history_writes_one_record_per_row_with_actor_and_reason(lab, officer):
    parties = [
        Party.objects.get(owner=lab, is_self=True),
        services_create_party(lab, officer, "Screening Programme"),
    ]
    before = {party.pk: party.history.count() for party in parties}
    changed = update_with_history(
        Party.objects.filter(pk__in=[party.pk for party in parties]),
        actor=officer,
        reason="new contact",
        contact_name="Dr. Example",
    )
    assert changed == 2
    for party in parties:
        assert party.history.count() == before[party.pk] + 1
        record = party.history.first()
        assert (record.contact_name, record.history_type) == ("Dr. Example", "~")
        assert (record.history_user, record.history_change_reason) == (officer, "new contact")
        assert Party.objects.get(pk=party.pk).contact_name == "Dr. Example"


def test_bulk_create_with_history_writes_one_record_per_row_with_actor_and_reason(lab, officer):
    created = bulk_create_with_history(
        [Party(owner=lab, name="Processor A"), Party(owner=lab, name="Processor B")],
        Party,
        actor=officer,
        reason="imported from the processing register",
    )
    assert len(created) == 2
    for name in ("Processor A", "Processor B"):
        party = Party.objects.get(owner=lab, name=name)
        records = list(party.history.all())
        assert len(records) == 1
        assert records[0].history_type == "+"
        assert (records[0].history_user, records[0].history_change_reason) == (
            officer,
            "imported from the processing register",
        )


def test_bulk_update_with_history_writes_one_record_per_row_with_actor_and_reason(lab, officer):
    parties = [services_create_party(lab, officer, name) for name in ("Processor A", "Processor B")]
    for party in parties:
        party.contact_email = "security@processor.example"
    bulk_update_with_history(parties, Party, ["contact_email"], actor=officer, reason="new security contact")
    for party in parties:
        assert party.history.count() == 2
        record = party.history.first()
        assert (record.contact_email, record.history_type) == ("security@processor.example", "~")
        assert (record.history_user, record.history_change_reason) == (officer, "new security contact")
        assert Party.objects.get(pk=party.pk).contact_email == "security@processor.example"


@pytest.mark.parametrize(("actor_name", "reason"), [(None, "a reason"), ("officer", ""), ("officer", None)])
def test_the_bulk_helpers_need_an_actor_and_a_reason(lab, officer, actor_name, reason):
    actor = officer if actor_name else None
    before = database_state()
    with pytest.raises(UnknownActorError):
        bulk_create_with_history([Party(owner=lab, name="Processor A")], Party, actor=actor, reason=reason)
    with pytest.raises(UnknownActorError):
        update_with_history(Party.objects.filter(owner=lab), actor=actor, reason=reason, contact_name="x")
    assert database_state() == before


def services_create_party(lab, officer, name):
    return create_party(lab, name=name, actor=officer, reason="directory")


# --- F() expressions -------------------------------------------------------------------


@pytest.fixture
def estimate(incident, officer):
    return services.record_estimate(
        incident,
        measure="data_subjects",
        low=485_000,
        known_at=datetime(2025, 8, 10, tzinfo=UTC),
        source="lab",
        actor=officer,
        reason="first count",
    )


def test_saving_an_f_expression_on_a_historied_model_raises_history_bypass_error(estimate, officer):
    estimate.low = F("low") + 1
    with acting_as(officer, "count one more"), pytest.raises(HistoryBypassError, match="F\\(\\)"):
        estimate.save()


def test_saving_an_f_expression_on_a_historied_model_writes_nothing(estimate, officer):
    before = database_state()
    estimate.low = F("low") + 1
    with acting_as(officer, "count one more"), pytest.raises(HistoryBypassError):
        estimate.save()
    after = database_state()
    assert after[label(AffectedEstimate)] == before[label(AffectedEstimate)], "the row changed without history"
    assert after == before


def test_update_with_history_refuses_an_f_expression_and_writes_nothing(estimate, officer):
    before = database_state()
    with pytest.raises(HistoryBypassError):
        update_with_history(
            AffectedEstimate.objects.filter(pk=estimate.pk), actor=officer, reason="+1", low=F("low") + 1
        )
    assert database_state() == before


# --- the actor is never unknown ---------------------------------------------------------


def test_a_save_without_an_actor_raises_unknown_actor_error(lab):
    with pytest.raises(UnknownActorError, match="without an actor"):
        Incident(organisation=lab, title="Typed in a shell", reference="2025-9999").save()


def test_a_save_without_an_actor_writes_nothing(lab):
    before = database_state()
    with pytest.raises(UnknownActorError):
        Incident(organisation=lab, title="Typed in a shell", reference="2025-9999").save()
    after = database_state()
    assert after[label(Incident)] == before[label(Incident)], "the incident was stored without any history"
    assert after == before


def test_a_save_with_an_actor_but_no_reason_raises_unknown_actor_error(lab, officer):
    with acting_as(officer), pytest.raises(UnknownActorError, match="without a change reason"):
        Party(owner=lab, name="No reason given").save()


def test_acting_as_a_name_attributes_to_a_deactivated_system_user(lab):
    with acting_as("importer", "imported from the processing register"):
        Party(owner=lab, name="Imported Processor").save()
    record = Party.objects.get(owner=lab, name="Imported Processor").history.get()
    actor = record.history_user
    assert actor.username == "system:importer"
    assert record.history_change_reason == "imported from the processing register"
    assert (actor.is_active, actor.is_system_actor, actor.has_usable_password()) == (False, True, False)
    own_record = actor.history.get()
    assert (own_record.history_user, own_record.history_change_reason) == (actor, "system actor created on first use")


def test_a_later_save_is_attributed_to_its_own_actor_not_to_the_previous_writer(lab, officer):
    """An object saved once by a service and later by someone else must not inherit the first actor."""
    party = services_create_party(lab, officer, "Screening Programme")
    with acting_as("importer", "contact refreshed from the processing register"):
        party.contact_name = "Dr. Example"
        party.save()
    record = party.history.first()
    assert record.contact_name == "Dr. Example"
    assert (record.history_user.username, record.history_change_reason) == (
        "system:importer",
        "contact refreshed from the processing register",
    )


def test_the_same_system_actor_is_reused(lab):
    with acting_as("importer", "first batch"):
        Party(owner=lab, name="First").save()
    with acting_as("importer", "second batch"):
        Party(owner=lab, name="Second").save()
    assert User.objects.filter(username="system:importer").count() == 1


def test_with_system_actor_names_the_actor_of_a_function(lab):
    @with_system_actor("nightly-import", "nightly import")
    def import_one():
        Party(owner=lab, name="Nightly").save()

    import_one()
    record = Party.objects.get(owner=lab, name="Nightly").history.get()
    assert (record.history_user.username, record.history_change_reason) == ("system:nightly-import", "nightly import")


def test_a_management_commands_writes_are_attributed_to_the_command(db):
    call_command("createsuperuser", "--noinput", username="root", email="root@breachtrack.example", verbosity=0)
    record = User.objects.get(username="root").history.get()
    assert record.history_user.username == "system:command:createsuperuser"
    assert record.history_user.is_system_actor
    assert record.history_change_reason == "manage.py createsuperuser"


@shared_task
def create_party_plainly(organisation_id: int, name: str) -> int:
    """A task that saves a historied model with no explicit actor: the task itself must be named."""
    party = Party(owner_id=organisation_id, name=name)
    party.save()
    return party.pk


def test_a_celery_tasks_writes_are_attributed_to_the_task(lab):
    result = create_party_plainly.apply(args=(lab.pk, "Made by a task"))
    assert result.successful(), result.traceback
    record = Party.objects.get(pk=result.result).history.get()
    assert record.history_user.username == f"system:task:{create_party_plainly.name}"
    assert record.history_change_reason == f"Celery task {create_party_plainly.name}"


def test_the_task_actor_does_not_outlive_the_task(lab):
    create_party_plainly.apply(args=(lab.pk, "Made by a task"))
    with pytest.raises(UnknownActorError):
        Party(owner=lab, name="After the task").save()
