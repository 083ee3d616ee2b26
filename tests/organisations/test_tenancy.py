"""Tenancy: ``visible_to`` scopes every tenant-owned model to the person's organisations.

Both organisations get a full register (incident, parties, authority,
processing relationship, processor notice with its derived awareness, an own
awareness record, an estimate), made through the services, so a leak in any
model's tenant lookup shows as the other organisation's rows.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError

from actions import incidents as services
from actions.notes import add_note
from breachtrack.history import HistoryBypassError, acting_as, update_with_history
from incidents.models import (
    AffectedEstimate,
    AwarenessRecord,
    Incident,
    IncidentAuthority,
    IncidentNote,
    IncidentParty,
    ProcessingRelationship,
    ProcessorNotice,
)
from organisations import services as org_services
from organisations.models import Membership, Organisation, Role, User

UTC = UTC
TENANT_MODELS = [
    Incident,
    IncidentParty,
    IncidentAuthority,
    ProcessingRelationship,
    ProcessorNotice,
    AwarenessRecord,
    AffectedEstimate,
    IncidentNote,
]


def build_register(organisation: Organisation, officer, authority) -> dict[type, set[int]]:
    """A complete small register for ``organisation``; returns the primary keys per model."""
    incident = services.create_incident(
        organisation=organisation,
        title=f"Breach at {organisation.name}",
        occurred_from_at=datetime(2025, 7, 3, 22, 0, tzinfo=UTC),
        actor=officer,
        reason="first report",
    )
    client = org_services.create_party(
        organisation, name=f"Client of {organisation.name}", actor=officer, reason="directory"
    )
    processor = services.add_party(
        incident, party=organisation.parties.get(is_self=True), role="processor", actor=officer, reason="parties"
    )
    controller = services.add_party(incident, party=client, role="controller", actor=officer, reason="parties")
    services.add_authority(incident, authority=authority, role="lead", actor=officer, reason="lead authority")
    relationship = services.link_processor(
        incident, processor=processor, controller=controller, actor=officer, reason="dpa"
    )
    services.record_awareness(
        incident,
        party=processor,
        aware_at=datetime(2025, 8, 5, 10, 0, tzinfo=UTC),
        source="own_detection",
        actor=officer,
        reason="own detection",
    )
    services.record_processor_notice(
        relationship,
        informed_at=datetime(2025, 8, 6, 9, 0, tzinfo=UTC),
        channel="email",
        informed_by="the processor",
        actor=officer,
        reason="notice",
    )
    services.record_estimate(
        incident,
        measure="data_subjects",
        low=485_000,
        known_at=datetime(2025, 8, 10, tzinfo=UTC),
        source="processor",
        actor=officer,
        reason="first count",
    )
    add_note(incident, body=f"Call with {client.name}", actor=officer, reason="call notes")
    return {
        model: set(
            model.objects.filter(**{model.objects.none().tenant_lookup: organisation}).values_list("pk", flat=True)
        )
        for model in TENANT_MODELS
    }


@pytest.fixture
def lab_rows(lab, officer, dutch_ap, now):
    return build_register(lab, officer, dutch_ap)


@pytest.fixture
def other_rows(other_org, outsider, dutch_ap, now):
    return build_register(other_org, outsider, dutch_ap)


def visible(user, **kwargs) -> dict[type, set[int]]:
    return {
        model: set(model.objects.visible_to(user, **kwargs).values_list("pk", flat=True)) for model in TENANT_MODELS
    }


def nothing() -> dict[type, set[int]]:
    return {model: set() for model in TENANT_MODELS}


def test_the_fixture_registers_have_rows_in_every_tenant_model(lab_rows, other_rows):
    for rows in (lab_rows, other_rows):
        assert all(rows[model] for model in TENANT_MODELS), rows
    assert all(not lab_rows[model] & other_rows[model] for model in TENANT_MODELS)


@pytest.mark.parametrize("persona", ["officer", "lawyer", "viewer"])
def test_every_member_of_the_lab_sees_exactly_the_labs_rows(persona, request, lab_rows, other_rows):
    user = request.getfixturevalue(persona)
    assert visible(user) == lab_rows


def test_the_outsider_sees_none_of_the_labs_rows(outsider, lab_rows, other_rows):
    seen = visible(outsider)
    assert seen == other_rows
    assert all(not seen[model] & lab_rows[model] for model in TENANT_MODELS)


def test_an_outsider_without_any_register_sees_nothing(outsider, lab_rows):
    assert visible(outsider) == nothing()


def test_an_anonymous_user_sees_nothing(lab_rows, other_rows):
    assert visible(AnonymousUser()) == nothing()
    assert visible(None) == nothing()


def test_a_deactivated_user_sees_nothing_even_through_a_copy_loaded_before(officer, admin_actor, lab_rows):
    loaded_before = User.objects.get(pk=officer.pk)
    org_services.deactivate_user(officer, actor=admin_actor, reason="left the company")
    assert visible(officer) == nothing()
    assert loaded_before.is_active  # the stale copy still says active: the database decides
    assert visible(loaded_before) == nothing()


def test_a_deactivated_membership_sees_nothing(officer, lab, admin_actor, lab_rows):
    changed = update_with_history(
        Membership.objects.filter(user=officer, organisation=lab),
        actor=admin_actor,
        reason="moved to another team",
        is_active=False,
    )
    assert changed == 1
    assert visible(officer) == nothing()


def test_a_superuser_sees_every_organisations_rows(superuser, lab_rows, other_rows):
    assert visible(superuser) == {model: lab_rows[model] | other_rows[model] for model in TENANT_MODELS}


def test_the_roles_filter_keeps_only_members_with_those_roles(officer, lawyer, viewer, lab_rows):
    assert visible(officer, roles=[Role.PRIVACY_OFFICER]) == lab_rows
    assert visible(lawyer, roles=[Role.PRIVACY_OFFICER]) == nothing()
    assert visible(lawyer, roles=[Role.LEGAL, Role.PRIVACY_OFFICER]) == lab_rows
    assert visible(viewer, roles={Role.LEGAL}) == nothing()


def test_the_roles_filter_applies_to_a_superuser_too(superuser, lab_rows):
    assert visible(superuser, roles=[Role.PRIVACY_OFFICER]) == nothing()


def test_visible_to_does_not_loosen_a_filtered_queryset(officer, lab_rows, other_rows):
    incident_pk = min(lab_rows[Incident])
    scoped = Incident.objects.filter(pk=incident_pk).visible_to(officer)
    assert list(scoped.values_list("pk", flat=True)) == [incident_pk]
    assert not Incident.objects.filter(pk__in=other_rows[Incident]).visible_to(officer).exists()


# --- users are deactivated, never deleted -------------------------------------------------


def test_a_user_cannot_be_deleted(officer):
    with pytest.raises(ValidationError, match="deactivated, never deleted"):
        officer.delete()
    assert User.objects.filter(pk=officer.pk).exists()


def test_a_user_cannot_be_deleted_through_a_queryset_either(admin_actor, superuser, lab):
    """A queryset delete skips User.delete(); the user's records would lose their actor."""
    with acting_as(superuser, "a change to attribute"):
        org_services.update_party(
            lab.parties.get(is_self=True), actor=superuser, reason="new phone", contact_phone="+31 20 000 0000"
        )
    with acting_as(admin_actor, "clean-up"), pytest.raises((ValidationError, HistoryBypassError)):
        User.objects.filter(pk=superuser.pk).delete()
    assert User.objects.filter(pk=superuser.pk).exists()
    assert lab.parties.get(is_self=True).history.first().history_user_id == superuser.pk


def test_deactivate_user_keeps_the_user_and_records_who_and_why(officer, admin_actor):
    org_services.deactivate_user(officer, actor=admin_actor, reason="left the company")
    kept = User.objects.get(pk=officer.pk)
    assert kept.is_active is False
    record = kept.history.first()
    assert (record.is_active, record.history_type) == (False, "~")
    assert (record.history_user, record.history_change_reason) == (admin_actor, "left the company")
    assert kept.history.count() == 2  # created, deactivated


def test_only_an_administrator_can_deactivate_a_user(officer, lawyer):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        org_services.deactivate_user(lawyer, actor=officer, reason="not my call")
    assert User.objects.get(pk=lawyer.pk).is_active
