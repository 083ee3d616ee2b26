"""Organisation, account and membership services: who may change what."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from organisations import services
from organisations.models import Authority


def test_an_administrator_updates_an_organisation_with_history(lab, admin_actor):
    services.update_organisation(lab, dpo_name="A. de Vries", actor=admin_actor, reason="new DPO")
    lab.refresh_from_db()
    record = lab.history.first()
    assert lab.dpo_name == "A. de Vries"
    assert (record.history_user, record.history_change_reason) == (admin_actor, "new DPO")


def test_a_privacy_officer_cannot_update_their_organisation_record(lab, officer):
    with pytest.raises(PermissionDenied):
        services.update_organisation(lab, name="Renamed", actor=officer, reason="try")
    lab.refresh_from_db()
    assert lab.name == "Example Diagnostics B.V."


def test_ending_a_membership_keeps_it_and_its_history(lab, officer, admin_actor):
    membership = officer.memberships.get(organisation=lab)
    services.update_membership(membership, is_active=False, actor=admin_actor, reason="left the company")
    membership.refresh_from_db()
    assert membership.is_active is False
    assert membership.history.first().history_change_reason == "left the company"


def test_a_person_may_change_their_own_time_zone_but_not_their_privileges(officer):
    services.update_user(officer, time_zone="Europe/London", actor=officer, reason="moved")
    officer.refresh_from_db()
    assert officer.time_zone == "Europe/London"
    with pytest.raises(PermissionDenied):
        services.update_user(officer, is_active=False, actor=officer, reason="try")


def test_privileges_are_never_set_through_update_user(officer, admin_actor):
    with pytest.raises(ValidationError) as refused:
        services.update_user(officer, is_superuser=True, actor=admin_actor, reason="try")
    assert refused.value.error_dict["is_superuser"][0].code == "not_editable"
    officer.refresh_from_db()
    assert officer.is_superuser is False


def test_an_unknown_time_zone_is_refused_on_its_field(officer):
    with pytest.raises(ValidationError) as refused:
        services.update_user(officer, time_zone="Mars/Olympus", actor=officer, reason="typo")
    assert "time_zone" in refused.value.error_dict


def test_an_administrator_records_a_new_authority(admin_actor, officer):
    authority = services.save_authority(
        None, code="dk-dt", name="Datatilsynet", country="DK", actor=admin_actor, reason="new concerned authority"
    )
    assert Authority.objects.get(code="dk-dt").history.first().history_user == admin_actor
    with pytest.raises(PermissionDenied):
        services.save_authority(authority, name="x", actor=officer, reason="try")
