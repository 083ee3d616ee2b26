"""Migration 0003 of communications: the waves it changes keep their evidence.

The migration moves the recipients each import added to ``planned_count`` into ``recipient_count``
(and a sent ledger wave's ``sent_count`` to its ledger). An installation with ledger waves from
before it must still verify afterwards: each changed wave gets a history record by
``system:migration`` with the migration's reason, linked in its organisation's chain; a wave the
migration does not change gets none.

The earlier world is built as the application wrote it then: communications is migrated back to
0002 and the waves, the import batches, their history records and links are written through that
state's models (the current services write ``recipient_count``, which 0002 does not have). The
organisation, incident, controller and content version come from the services first: 0002 has
them as they are now.
"""

from __future__ import annotations

import importlib

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.loader import MigrationLoader
from django.utils import timezone

from evidence import chain
from evidence.models import AuditChainLink
from evidence.verify import verify

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

BEFORE = [("communications", "0002_import_job_write_progress_and_lease")]
MIGRATION = importlib.import_module("communications.migrations.0003_wave_recipient_count")
WAVE_HISTORY = "communications.historicalcommunicationwave"


def write_as_then(apps, obj, history_type: str, *, actor, reason: str):
    """One history record of ``obj`` (a model of the old state) as the row now is, chained: what
    simple-history and the chain's hook wrote for a save at the time."""
    model = type(obj)
    history = apps.get_model(model._meta.app_label, f"Historical{model._meta.object_name}")
    tracked = {field.attname for field in model._meta.concrete_fields}
    columns = [field.attname for field in history._meta.concrete_fields if field.attname in tracked]
    row = model.objects.filter(pk=obj.pk).values(*columns).get()
    record = history.objects.create(
        **row, history_date=timezone.now(), history_type=history_type, history_user_id=actor.pk,
        history_change_reason=reason,
    )  # fmt: skip
    assert len(chain.append_records(history, [record.pk])) == 1
    return record


def ledger_wave(apps, *, incident, controller, content, officer, planned: int, imported: int, sent: bool):
    """A wave as 0002's application left it: planned, one recipient import (which added its rows to
    ``planned_count``), and perhaps sent to all of them."""
    wave_model = apps.get_model("communications", "CommunicationWave")
    batch_model = apps.get_model("communications", "ImportBatch")
    now = timezone.now()
    wave = wave_model.objects.create(
        incident_id=incident.pk, controller_id=controller.pk, content_version_id=content.pk,
        recorded_by_id=officer.pk, cohort_label=f"participants, {planned} planned", channel="letter",
        planned_at=now, planned_tz="UTC", planned_count=planned,
    )  # fmt: skip
    write_as_then(apps, wave, "+", actor=officer, reason="wave")
    batch = batch_model.objects.create(
        wave=wave, kind="recipients", file_name="cohort.csv", file_sha256=f"{wave.pk:064x}", file_size=100,
        rows_read=imported, rows_added=imported, recorded_by_id=officer.pk,
    )  # fmt: skip
    write_as_then(apps, batch, "+", actor=officer, reason="ledger")
    wave.planned_count += imported
    wave.has_ledger = True
    wave.save(update_fields=["planned_count", "has_ledger"])
    write_as_then(apps, wave, "~", actor=officer, reason="ledger")
    if sent:
        wave.sent_at, wave.sent_tz, wave.sent_count = now, "UTC", wave.planned_count
        wave.save(update_fields=["sent_at", "sent_tz", "sent_count"])
        write_as_then(apps, wave, "~", actor=officer, reason="sent")
    return wave.pk


def test_the_waves_migration_0003_changes_are_history_records_of_the_migration_actor_in_the_chain(
    incident, processor_and_controller, content, officer, lab
):
    controller = processor_and_controller[1]
    MigrationExecutor(connection).migrate(BEFORE)
    # Every app as applied now (communications at 0002): the chain's models are part of it.
    applied = MigrationLoader(connection)
    then = applied.project_state(list(applied.applied_migrations)).apps
    people = {"incident": incident, "controller": controller, "content": content, "officer": officer}
    changed = ledger_wave(then, **people, planned=5, imported=3, sent=True)
    # Its import added nothing (every row was in the ledger already): the migration changes nothing.
    same = ledger_wave(then, **people, planned=4, imported=0, sent=False)

    call_command("migrate", verbosity=0)  # as an upgrade runs it: to the end, then post_migrate

    from communications.models import CommunicationWave

    wave = CommunicationWave.objects.get(pk=changed)
    assert (wave.recipient_count, wave.planned_count, wave.sent_count) == (3, 5, 3)
    latest = wave.history.order_by("-history_id").first()
    assert (latest.history_type, latest.history_user.username, latest.history_change_reason) == (
        "~",
        chain.MIGRATION_ACTOR,
        MIGRATION.REASON,
    )
    assert (latest.recipient_count, latest.planned_count, latest.sent_count) == (3, 5, 3)
    link = AuditChainLink.objects.get(history_model=WAVE_HISTORY, history_id=latest.history_id)
    assert link.chain == chain.chain_key(lab.pk)
    assert chain.head(lab) == (link.seq, link.hash)  # the migration's link is the chain's newest

    unchanged = CommunicationWave.objects.get(pk=same)
    assert (unchanged.recipient_count, unchanged.planned_count, unchanged.sent_count) == (0, 4, 0)
    assert [record.history_change_reason for record in unchanged.history.order_by("history_id")] == ["wave", "ledger"]

    report = verify()
    assert report.ok, report.as_dict()
    assert report.records == report.links
