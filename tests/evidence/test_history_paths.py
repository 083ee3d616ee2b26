"""Complete history: every path that writes history names an actor and a reason.

The paths, and what each record carries (the map; README.md, "Working on it", says the same in short):

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
                        authorities; communications 0003 separates      (migration 0002)"; the
                        ledger waves' counts: write_migration_history)  migration's own plain reason
API                     the member, or the member a token acts for      the request's ``reason``
                        (tests in tests/api/test_history_paths.py,      (required)
                        listed in ``API_PATH_TESTS`` below)
======================  ==============================================  ================================

Defence in depth: breachtrack.history refuses an unattributed write before it reaches the
database, and the history tables' triggers (evidence.triggers.install_attribution) refuse an
unattributed record that reaches it anyway.
"""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.contrib import admin
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import models
from django.urls import reverse

from organisations.models import User
from web.admin_base import BreachTrackAdmin

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


# Admin forms whose change is not a plain text field: the form values that make a real change.
FORM_CHANGES = {
    "access.ShareLink": {"revoke": "on"},
    "api.ApiToken": {"revoke": "on"},
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


# Historied models deliberately kept out of the admin, each with its own history-path test.
NOT_IN_ADMIN = {
    # The admin's generic history pages would show a privileged note's text to every member;
    # notes are written on /incidents/<id>/notes/ (tests/incidents/test_notes.py, and the web
    # path below).
    "incidents.IncidentNote",
    # The facts of other notification regimes are written through actions.regimes (their history
    # paths: tests/regimes/test_actions.py), on the incident's pages, not in the admin.
    "incidents.IncidentAnchor",
    "incidents.IncidentDetermination",
    "incidents.AffectedPlace",
    "incidents.RegimeDecision",
    "filings.RegimeReportFiling",
}


def test_every_historied_model_is_in_the_admin_or_named_as_kept_out():
    from simple_history.models import registered_models

    in_admin = {model._meta.label for model, _ in HISTORIED_ADMINS}
    historied = {model._meta.label for model in registered_models.values()}
    assert in_admin == historied - NOT_IN_ADMIN
    assert not (in_admin & NOT_IN_ADMIN)


def test_a_note_written_on_its_page_records_the_member_and_the_reason(client, lawyer, incident):
    client.force_login(lawyer)
    with recording_history() as recorded:
        response = client.post(
            reverse("incidents:notes", args=[incident.pk]),
            {
                "body": "Counsel called the programme's DPO.",
                "is_legally_privileged": "on",
                "reason": "call with the programme",
            },
        )
    assert response.status_code in (200, 302), response.content[:500]
    records = recorded.excluding_system_actors()
    assert [r.instance_type._meta.label for r in records] == ["incidents.IncidentNote"]
    assert unattributed(records) == []
    assert (records[0].history_user, records[0].history_change_reason) == (lawyer, "call with the programme")


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
def test_an_admin_change_records_the_member_and_the_reason_they_typed(
    pair, client, officer, superuser, every_historied_table_has_rows
):
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
    # The clock is frozen, so every record has the same history_date: the one before is the lower id.
    before = type(mine[0])._default_manager.filter(id=obj.pk, pk__lt=mine[0].pk).order_by("-pk").first()
    assert before is not None, "a change with no earlier record"
    changed = [
        f.name for f in type(mine[0]).tracked_fields if getattr(mine[0], f.attname) != getattr(before, f.attname)
    ]
    assert set(changed) - {"updated_at"}, "a record of no change"
    if model._meta.label not in FORM_CHANGES:
        assert getattr(mine[0], field.attname) == change[field.name]


# --- Web views --------------------------------------------------------------------------------
@pytest.fixture
def wave(processor_and_controller, incident, officer):
    from tests.communications.objects import communications_lab_objects

    return communications_lab_objects(incident, processor_and_controller[1], officer)[
        "communications.communicationwave"
    ]


def recipients_csv(count: int, start: int = 200_000_000) -> SimpleUploadedFile:
    from tests.communications.conftest import valid_bsns

    lines = ["kind,identifier", *(f"bsn,{bsn}" for bsn in valid_bsns(count, start=start))]
    return SimpleUploadedFile("cohort-2018.csv", ("\n".join(lines) + "\n").encode(), content_type="text/csv")


def test_a_ledger_upload_in_the_web_records_the_officer_and_the_reason_they_typed(client, officer, wave):
    client.force_login(officer)
    url = reverse("communications:upload", args=[wave.pk])
    with recording_history() as recorded:
        response = client.post(
            url, {"kind": "recipients", "file": recipients_csv(3), "reason": "cohort 2018 from the programme"}
        )
    assert response.status_code == 302
    assert recorded.by_model() == {"communications.ImportBatch": 2, "communications.CommunicationWave": 1}
    assert unattributed(recorded) == []
    assert {(r.history_user, r.history_change_reason) for r in recorded} == {
        (officer, "cohort 2018 from the programme")
    }


def test_a_web_post_without_a_reason_writes_no_history(client, officer, wave):
    client.force_login(officer)
    with recording_history() as recorded:
        response = client.post(
            reverse("communications:upload", args=[wave.pk]), {"kind": "recipients", "file": recipients_csv(3)}
        )
    assert response.status_code == 400 and "reason" in response.context["form"].errors  # a refused form is a 400
    assert list(recorded) == []


def test_a_web_request_gives_its_user_and_a_default_reason_to_a_write_that_names_neither(rf, officer, lab):
    """The middleware stack's own context: a view that saved a historied row without actor=..."""
    from django.http import HttpResponse

    from organisations.models import Party
    from web.middleware import HistoryReasonMiddleware

    def view(request):
        Party(owner=lab, name="Saved by a careless view").save()
        return HttpResponse()

    request = rf.post("/parties/new/")
    request.user = officer
    with recording_history() as recorded:
        HistoryReasonMiddleware(view)(request)
    assert [(r.history_user, r.history_change_reason) for r in recorded] == [(officer, "POST /parties/new/")]


# --- Services called directly -----------------------------------------------------------------
def test_a_service_records_its_actor_and_reason(lab, officer, now):
    from actions import incidents as services

    with recording_history() as recorded:
        services.create_incident(
            organisation=lab, title="Lost laptop", actor=officer, reason="reported by the helpdesk"
        )
    assert [(r.instance_type, r.history_user, r.history_change_reason) for r in recorded] == [
        (recorded[0].instance_type, officer, "reported by the helpdesk")
    ]
    assert unattributed(recorded) == []


@pytest.mark.parametrize(
    ("actor_name", "reason"), [(None, "reported by the helpdesk"), ("officer", ""), ("officer", "   ")]
)
def test_a_service_refuses_a_write_without_actor_or_reason_and_writes_nothing(lab, officer, now, actor_name, reason):
    from django.core.exceptions import PermissionDenied, ValidationError

    from actions import incidents as services

    with recording_history() as recorded, pytest.raises((PermissionDenied, ValidationError)):
        services.create_incident(
            organisation=lab, title="Lost laptop", actor=officer if actor_name else None, reason=reason
        )
    assert list(recorded) == []


# --- Celery tasks -----------------------------------------------------------------------------
# Tasks run through Celery's own machinery (``apply``): its task_prerun signal names the task's
# system actor, as in a worker.
DEMO_PASSWORD = "a demo password for the history paths"


@pytest.fixture
def demo(db):
    from ops.demo import load_demo

    return load_demo(DEMO_PASSWORD)


@pytest.fixture
def programme_wave(demo):
    from communications.models import CommunicationWave
    from ops.demo import PROGRAMME

    return CommunicationWave.objects.select_related("incident__organisation").get(
        incident__organisation__name=PROGRAMME
    )


def programme_officer() -> User:
    return User.objects.get(username="programme@demo.example")


def test_the_sweep_and_delivery_tasks_do_their_work_without_any_unattributed_history(demo, mailoutbox):
    """They write derived state (deadlines, alerts, notifications, deliveries): no history today;
    whatever they ever write must still be attributed (to ``system:task:<name>`` by default)."""
    from notifications.models import AlertEvent, Delivery
    from ops.tasks.notifications import deliver, sweep_deadlines

    with recording_history() as recorded:
        swept = sweep_deadlines.apply()
        delivered = [
            deliver.apply(args=(pk,)) for pk in Delivery.objects.filter(channel="email").values_list("pk", flat=True)
        ]
    assert swept.successful() and all(result.successful() for result in delivered)
    assert swept.result > 0 and AlertEvent.objects.count() == swept.result, "the sweep found nothing to do"
    assert delivered and len(mailoutbox) == len(delivered)
    assert unattributed(recorded) == []
    assert {r.history_user.username for r in recorded} <= {
        "system:task:actions.sweep",
        "system:task:notifications.deliver",
    }


def test_a_queued_ledger_import_is_recorded_in_the_uploaders_name_with_their_reason(programme_wave, settings):
    from actions import recipient_imports as jobs
    from communications.models import ImportJob
    from ops.tasks.communications import run_import_job

    officer = programme_officer()
    job = jobs.queue_import(programme_wave, recipients_csv(5), actor=officer, reason="second mailing list from the lab")
    with recording_history() as recorded:
        result = run_import_job.apply(args=(job.pk,))
    assert result.successful() and ImportJob.objects.get(pk=job.pk).state == ImportJob.State.DONE
    assert recorded.by_model() == {"communications.ImportBatch": 2, "communications.CommunicationWave": 1}
    assert unattributed(recorded) == []
    assert {(r.history_user, r.history_change_reason) for r in recorded} == {
        (officer, "second mailing list from the lab")
    }


def test_failing_a_stale_import_job_writes_no_unattributed_history(programme_wave, tmp_path):
    from datetime import timedelta

    from django.utils import timezone

    from communications.models import ImportJob
    from ops.tasks.communications import fail_stale_import_jobs

    spool = tmp_path / "upload.csv"
    spool.write_text("kind,identifier\n")
    job = ImportJob.objects.create(
        wave=programme_wave,
        requested_by=programme_officer(),
        reason="big file",
        file_name="big.csv",
        spool_path=str(spool),
        state=ImportJob.State.WRITING,
        heartbeat_at=timezone.now() - timedelta(days=1),
    )
    with recording_history() as recorded:
        result = fail_stale_import_jobs.apply()
    assert result.result == 1 and ImportJob.objects.get(pk=job.pk).state == ImportJob.State.FAILED
    assert not spool.exists()
    assert unattributed(recorded) == []


# --- Management commands ----------------------------------------------------------------------
def test_load_demo_records_tenants_as_the_demo_actor_and_the_register_as_the_tenants_officers(tmp_path, db):
    password_file = tmp_path / "demo_password"
    password_file.write_text(DEMO_PASSWORD)
    with recording_history() as recorded:
        call_command("load_demo", "--password-file", str(password_file), stdout=StringIO())
    assert len(recorded) > 50
    assert unattributed(recorded) == []
    actors = {r.history_user.username for r in recorded}
    assert actors == {"system:demo", "officer@demo.example", "programme@demo.example"}
    by_demo = {r.instance_type._meta.label for r in recorded if r.history_user.username == "system:demo"}
    assert by_demo <= {
        "organisations.Organisation",
        "organisations.Party",
        "organisations.User",
        "organisations.Membership",
    }


def test_running_load_demo_again_records_the_password_reset_and_the_live_incident_move_with_reasons(tmp_path, demo):
    """Later than the first load, so the live incident is re-placed too, as its officer."""
    password_file = tmp_path / "demo_password"
    password_file.write_text("a new demo password for the history paths")
    with recording_history() as recorded:
        call_command("load_demo", "--password-file", str(password_file), stdout=StringIO())
    assert recorded and unattributed(recorded) == []
    assert {(r.history_user.username, r.history_change_reason) for r in recorded} == {
        ("system:demo", "demo password reset from the password file"),
        ("officer@demo.example", "demo reloaded: live incident placed relative to the new load time"),
    }


def test_the_sweep_command_writes_no_unattributed_history(demo):
    out = StringIO()
    with recording_history() as recorded:
        call_command("sweep", stdout=out)
    assert "Recorded" in out.getvalue() and not out.getvalue().startswith("Recorded 0 ")
    assert unattributed(recorded) == []
    assert {r.history_user.username for r in recorded} <= {"system:command:sweep"}


def test_verify_audit_and_deadlines_only_read(demo):
    with recording_history() as recorded:
        call_command("verify_audit", stdout=StringIO())
        call_command("deadlines", "--format", "json", stdout=StringIO())
    assert list(recorded) == []


def test_a_command_that_saves_without_naming_an_actor_is_attributed_to_the_command(db):
    with recording_history() as recorded:
        call_command("createsuperuser", "--noinput", username="root", email="root@breachtrack.example", verbosity=0)
    assert unattributed(recorded) == []
    assert [(r.history_user.username, r.history_change_reason) for r in recorded.excluding_system_actors()] == [
        ("system:command:createsuperuser", "manage.py createsuperuser")
    ]


# --- loaddata: raw saves get their record too --------------------------------------------------
def test_loaddata_of_a_historied_model_writes_its_history_in_the_commands_name(lab, tmp_path):
    from organisations.models import Party

    fixture = tmp_path / "parties.json"
    fixture.write_text(
        json.dumps(
            [
                {
                    "model": "organisations.party",
                    "fields": {"owner": lab.pk, "name": "Loaded Processor", "country": "BE"},
                },
            ]
        )
    )
    with recording_history() as recorded:
        call_command("loaddata", str(fixture), verbosity=0)
    party = Party.objects.get(owner=lab, name="Loaded Processor")
    assert [
        (r.id, r.history_type, r.history_user.username, r.history_change_reason)
        for r in recorded.excluding_system_actors()
    ] == [(party.pk, "+", "system:command:loaddata", "manage.py loaddata")]
    assert unattributed(recorded) == []
    from evidence.verify import verify

    assert verify().ok, "the loaded row's record is not chained"


def test_loaddata_over_an_existing_row_records_a_change(lab, tmp_path):
    from organisations.models import Party

    party = lab.parties.get(is_self=True)
    fixture = tmp_path / "party.json"
    fixture.write_text(
        json.dumps(
            [
                {
                    "model": "organisations.party",
                    "pk": party.pk,
                    "fields": {
                        "owner": lab.pk,
                        "name": party.name,
                        "country": "NL",
                        "contact_name": "Restored Contact",
                        "is_self": True,
                    },
                },
            ]
        )
    )
    call_command("loaddata", str(fixture), verbosity=0)
    record = party.history.first()
    assert (record.history_type, record.contact_name, record.history_user.username) == (
        "~",
        "Restored Contact",
        "system:command:loaddata",
    )
    assert Party.objects.get(pk=party.pk).contact_name == "Restored Contact"


def test_deserialising_a_historied_row_outside_any_command_is_refused_and_writes_nothing(lab):
    from django.core import serializers

    from breachtrack.history import UnknownActorError
    from organisations.models import Party

    data = json.dumps(
        [{"model": "organisations.party", "fields": {"owner": lab.pk, "name": "Sneaked in", "country": "NL"}}]
    )
    with recording_history() as recorded, pytest.raises(UnknownActorError):
        for obj in serializers.deserialize("json", data):
            obj.save()
    assert list(recorded) == [] and not Party.objects.filter(name="Sneaked in").exists()


# --- Migrations -------------------------------------------------------------------------------
def test_the_authorities_seeded_by_migration_carry_the_migration_actor_and_reason(db):
    from organisations.models import Authority

    seeded = list(Authority.history.filter(history_type="+", history_user__username="system:migration"))
    assert {r.code for r in seeded} == set(Authority.objects.values_list("code", flat=True)) and seeded
    assert unattributed(seeded) == []
    assert {r.history_change_reason for r in seeded} == {"seeded reference data (migration 0002)"}
    actor = User.objects.get(username="system:migration")
    assert (actor.is_system_actor, actor.is_active, actor.has_usable_password()) == (True, False, False)


# --- The API --------------------------------------------------------------------------------
# Each of the API's writing endpoints gets a test like the web ones above: a real
# request as a member, wrapped in ``recording_history()``, asserting ``unattributed(...) == []``
# and the member and reason on the records. List those tests here.
API_PATH_TESTS: list = [
    "tests/api/test_history_paths.py::test_an_api_create_by_session_records_the_member_and_the_requests_reason",
    "tests/api/test_history_paths.py::test_an_api_change_by_token_records_the_tokens_member_and_the_requests_reason",
    "tests/api/test_history_paths.py::test_an_api_write_refused_for_want_of_a_reason_records_nothing",
]


def api_routes() -> list[str]:
    from django.urls import get_resolver

    return [str(pattern.pattern) for pattern in get_resolver().url_patterns if str(pattern.pattern).startswith("api/")]


def test_an_api_has_history_path_tests_as_soon_as_it_exists():
    """A tripwire: the API is one more path that writes history, so its tests join this map."""
    assert bool(api_routes()) == bool(API_PATH_TESTS), (
        f"API routes {api_routes()} exist but API_PATH_TESTS is empty: add the API's history-path tests"
    )


# --- The invariant: every record of every history table -----------------------------------------
def test_after_the_demo_a_sweep_and_an_import_every_history_record_has_an_actor_and_a_reason(tmp_path, db, mailoutbox):
    """Load the demo as scripts/run does, run a sweep and the deliveries as the worker does, import a
    ledger CSV through the web, then read EVERY record of EVERY history table (found through the
    evidence app, so a new historied model is covered without anyone listing it)."""
    from notifications.models import Delivery
    from ops.tasks.notifications import deliver, sweep_deadlines

    from .history_paths import all_history_records

    password_file = tmp_path / "demo_password"
    password_file.write_text(DEMO_PASSWORD)
    call_command("load_demo", "--password-file", str(password_file), stdout=StringIO())
    assert sweep_deadlines.apply().result > 0
    for pk in Delivery.objects.values_list("pk", flat=True):
        deliver.apply(args=(pk,))
    from communications.models import CommunicationWave

    wave = CommunicationWave.objects.get()
    from django.test import Client

    client = Client()
    client.force_login(programme_officer())
    response = client.post(
        reverse("communications:upload", args=[wave.pk]),
        {"kind": "recipients", "file": recipients_csv(4), "reason": "cohort 2019"},
    )
    assert response.status_code == 302

    records = list(all_history_records())
    assert len(records) > 60
    assert unattributed(records) == []
    assert_every_row_has_history()


def assert_every_row_has_history() -> None:
    """Complete history: every live row of every historied model has a record of its creation or a change.

    No exception: ``system:migration``, the user migration 0002 creates through the historical
    models (which write no record), gets its record from evidence after migrate
    (``evidence.chain.record_migration_actor``).
    """
    from evidence.append_only import history_models

    missing = []
    for history_model in history_models():
        model = history_model.instance_type
        recorded = set(history_model._default_manager.exclude(history_type="-").values_list("id", flat=True).distinct())
        for pk in model._base_manager.exclude(pk__in=recorded).values_list("pk", flat=True):
            missing.append(f"{model._meta.label}#{pk}")
    assert set(missing) == set(), "rows without any history record"
