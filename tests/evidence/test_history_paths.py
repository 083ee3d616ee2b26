"""Complete history: every path that writes history names an actor and a reason (issue 5, item 1).

The paths, and what each record carries (the map; README "History" says the same in short):

======================  ==============================================  ================================
path                    actor                                           reason
======================  ==============================================  ================================
admin (add / change)    the logged-in member (request.user), passed     the form's required "Reason for
                        to the service by ``save_through_service``      this change" (admin_base)
admin actions           none exist: ``actions = None`` on every         —
                        admin, ``delete_selected`` disabled
web views (ledger       request.user, passed to the service             the form's required reason
upload, sync)
web side effects        request.user (simple-history middleware)        "<METHOD> <path>" default
                                                                        (HistoryReasonMiddleware)
services called         the ``actor=`` argument (keyword-only,          ``reason=`` (refused if blank)
directly                refused if None)
Celery tasks            the person the work is for where known (a       theirs; else
                        queued import: the uploader); else              "Celery task <name>"
                        ``system:task:<name>`` (organisations.actors)
  sweep, deliver,       write derived state only (Deadline, AlertEvent, —
  fail_stale_import     Notification, Delivery, ImportJob): no history
management commands     ``system:command:<name>`` unless the code       "manage.py <name>" unless given
                        names one (load_demo: ``system:demo`` for
                        tenants and users, the tenants' officers for
                        the register)
loaddata / fixtures     the command's actor (``system:command:          "manage.py loaddata"
                        loaddata``): breachtrack.history writes the
                        record simple-history skips for raw saves
ledger CSV import       the uploader (sync, or through the task)        the upload's reason
migrations              ``system:migration`` (0002 seeds the            "seeded reference data
                        authorities)                                    (migration 0002)"
API (issue 6)           not built yet: its tests use                    —
                        ``tests.evidence.history_paths`` and are
                        listed in ``API_PATH_TESTS`` below
======================  ==============================================  ================================

Defence in depth: breachtrack.history refuses an unattributed write before it reaches the
database, and the history tables' triggers (evidence.triggers.install_attribution) refuse an
unattributed record that reaches it anyway.
"""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.db import models
from django.urls import reverse

from breachtrack.admin_base import BreachTrackAdmin
from breachtrack.history import acting_as
from organisations.models import User

from .history_paths import form_values, recording_history, unattributed

PASSWORD = "correct horse battery staple"


def admin_url(model, view: str, *args) -> str:
    opts = model._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_{view}", args=args)


HISTORIED_ADMINS = sorted(
    ((model, model_admin) for model, model_admin in admin.site._registry.items() if hasattr(model, "history")),
    key=lambda pair: pair[0]._meta.label,
)


def label(pair) -> str:
    return pair[0]._meta.label


@pytest.fixture
def superuser(admin_actor):
    # Superusers come from createsuperuser, never from a service.
    with acting_as(admin_actor, "test persona"):
        return User.objects.create_superuser("root", "root@breachtrack.example", PASSWORD)


# Admin forms whose change is not a plain text field: the form values that make a real change.
FORM_CHANGES = {
    "access.ShareLink": {"revoke": "on"},
    "incidents.Publication": {"reassessment_outcome": "Reassessed: the letters already cover this leak."},
    "organisations.AlertPolicy": {"thresholds_before_minutes": "240, 30"},
    "organisations.Membership": {"role": "legal"},
}


def editable_text_field(model, values: dict) -> models.Field | None:
    """A plain text column the form offers: changing it is a real, harmless change."""
    for field in model._meta.concrete_fields:
        if type(field) in (models.CharField, models.TextField) and not field.choices and field.name in values:
            return field
    return None


def amended(value: str, field: models.Field) -> str:
    suffix = " (amended)"
    limit = field.max_length or 10_000
    return (value[: limit - len(suffix)] + suffix) if value else "amended"


# --- Admin ------------------------------------------------------------------------------------
# Every historied model is edited in the admin by members; every save goes through a service
# with actor=request.user and the reason typed into the form.
from tests.test_history_guard import every_historied_table_has_rows  # noqa: E402,F401  (the fixture)


def admin_user(model_admin, officer, superuser):
    return superuser if model_admin.managed_by_superusers else officer


def test_every_historied_model_is_in_the_admin():
    from simple_history.models import registered_models

    assert {model for model, _ in HISTORIED_ADMINS} == set(registered_models.values())


@pytest.mark.parametrize("pair", HISTORIED_ADMINS, ids=label)
def test_every_historied_admin_saves_through_a_service_and_offers_no_bulk_action(pair, rf, superuser):
    model, model_admin = pair
    assert isinstance(model_admin, BreachTrackAdmin)
    request = rf.get(admin_url(model, "changelist"))
    request.user = superuser
    assert model_admin.get_actions(request) == {}, "an admin action would change rows without a typed reason"
    if type(model_admin).save_through_service is BreachTrackAdmin.save_through_service:
        # A read-only record (an import batch): nobody adds or changes it here.
        assert not model_admin.has_add_permission(request)
        assert not model_admin.has_change_permission(request, model())


@pytest.mark.parametrize("pair", HISTORIED_ADMINS, ids=label)
def test_every_historied_admins_add_form_requires_a_reason(pair, client, officer, superuser):
    model, model_admin = pair
    client.force_login(admin_user(model_admin, officer, superuser))
    response = client.get(admin_url(model, "add"))
    if response.status_code == 403:  # read-only records: nothing to add, so nothing to give a reason for
        assert not model_admin.editable_after_creation(model())
        return
    assert response.status_code == 200
    form = response.context["adminform"].form
    assert form.fields["change_reason"].required
    assert "change_reason" in form_values(response.content.decode(), f"{model._meta.model_name}_form")


@pytest.mark.parametrize("pair", HISTORIED_ADMINS, ids=label)
def test_an_admin_change_records_the_member_and_the_reason_they_typed(pair, client, officer, superuser, every_historied_table_has_rows):
    model, model_admin = pair
    user = admin_user(model_admin, officer, superuser)
    client.force_login(user)
    obj = model._default_manager.order_by("pk").first()
    url = admin_url(model, "change", obj.pk)
    page = client.get(url)
    assert page.status_code == 200
    values = form_values(page.content.decode(), f"{model._meta.model_name}_form")
    if not model_admin.editable_after_creation(obj):
        # Append-only rows: the page is read-only and a forged POST is refused, writing nothing.
        assert "change_reason" not in values
        with recording_history() as recorded:
            response = client.post(url, {"change_reason": "forged"})
        assert (response.status_code, list(recorded)) == (403, [])
        return
    field = editable_text_field(model, values)
    change = FORM_CHANGES.get(model._meta.label) or (field and {field.name: amended(values[field.name][0], field)})
    assert change, f"{model._meta.label}: no plain text field to change in its admin form: add it to FORM_CHANGES"
    values.update({name: [value] for name, value in change.items()})
    values.pop("change_reason", None)
    with recording_history() as refused:
        response = client.post(url, values)
    assert response.status_code == 200 and "change_reason" in response.context["adminform"].form.errors
    assert list(refused) == []
    values["change_reason"] = [f"corrected {', '.join(change)} of the {model._meta.verbose_name}"]
    with recording_history() as recorded:
        response = client.post(url, values)
    assert response.status_code == 302, response.context and response.context["adminform"].form.errors
    assert recorded, "the change wrote no history"
    assert unattributed(recorded) == []
    mine = [record for record in recorded if record.instance_type is model and record.id == obj.pk]
    assert [(r.history_user, r.history_change_reason) for r in mine] == [(user, values["change_reason"][0])]
    if model._meta.label not in FORM_CHANGES:
        assert getattr(mine[0], field.attname) == change[field.name]
