"""verify_audit in worker processes on PostgreSQL: the same report as one process, read from one
snapshot. The rows are committed (``transaction=True``) so the workers' connections see them."""

from __future__ import annotations

import contextlib
import io
import os
import threading

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, connections

from evidence.models import AuditChainLink
from evidence.parallel import one_snapshot, run_tasks
from evidence.verify import CONTENT_CHANGED, verify
from organisations import services as org_services
from organisations.models import Party

from .conftest import execute

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
HISTORY = Party.history.model


@contextlib.contextmanager
def update_trigger_off(table: str):
    """The append-only UPDATE trigger off, and on again after (no test transaction to undo it)."""
    with connection.cursor() as cursor:
        cursor.execute(f'ALTER TABLE "{table}" DISABLE TRIGGER USER')
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f'ALTER TABLE "{table}" ENABLE TRIGGER USER')


def _parties(organisation, actor, count: int, prefix: str = "Party") -> list:
    return [
        org_services.create_party(organisation, name=f"{prefix} {n}", country="NL", actor=actor, reason="directory")
        for n in range(count)
    ]


def test_workers_find_a_tampered_record_in_the_second_chain(lab, other_org, admin_actor):
    made = {organisation.pk: _parties(organisation, admin_actor, 4) for organisation in (lab, other_org)}
    second = sorted(f"org:{pk}" for pk in made)[1]
    record = made[int(second.removeprefix("org:"))][2].history.get()
    with update_trigger_off(HISTORY._meta.db_table):
        execute(f'UPDATE "{HISTORY._meta.db_table}" SET name = %s WHERE history_id = %s', ["forged", record.pk])
    link = AuditChainLink.objects.get(history_model=HISTORY._meta.label_lower, history_id=record.pk)
    assert link.chain == second

    parallel, alone = verify(jobs=2, chunk=2, span=3), verify(jobs=1, chunk=2, span=3)
    assert [(b.chain, b.seq, b.problem, b.history_id) for b in parallel.first_per_chain()] == [
        (second, link.seq, CONTENT_CHANGED, record.pk)
    ]
    assert parallel.as_dict() == alone.as_dict() == verify(jobs=1).as_dict()

    out = io.StringIO()
    with pytest.raises(CommandError) as failed:
        call_command("verify_audit", "--jobs", "2", stdout=out)
    assert failed.value.returncode == 1
    assert f"BROKEN chain {second} at seq {link.seq}: {CONTENT_CHANGED} ({HISTORY._meta.label_lower}:{record.pk})" in (
        out.getvalue()
    )


def test_intact_chains_pass_in_workers(lab, other_org, admin_actor):
    _parties(lab, admin_actor, 3)
    _parties(other_org, admin_actor, 3)
    out = io.StringIO()
    call_command("verify_audit", "--jobs", "2", stdout=out)
    assert "all chains intact" in out.getvalue()
    assert verify(jobs=2, span=2).as_dict() == verify(jobs=1).as_dict()


def _count_parties(_task) -> tuple[int, int]:
    return os.getpid(), Party.objects.count()


def test_every_worker_reads_the_snapshot_of_the_run(lab, admin_actor):
    """A party committed after the snapshot was taken is seen by no worker."""
    _parties(lab, admin_actor, 2)
    before = Party.objects.count()
    with one_snapshot("default") as snapshot:
        assert snapshot

        committed = []

        def commit_another():
            committed.extend(_parties(lab, admin_actor, 1, prefix="Later"))
            connections.close_all()

        writer = threading.Thread(target=commit_another)
        writer.start()
        writer.join()
        assert committed
        seen = run_tasks(_count_parties, [1, 2, 3, 4], using="default", jobs=2, snapshot=snapshot)
    assert {count for _pid, count in seen} == {before}
    assert os.getpid() not in {pid for pid, _count in seen}
    assert Party.objects.count() == before + 1
