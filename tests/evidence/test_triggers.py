"""The database refuses to change history and logs, on SQLite and PostgreSQL alike.

These tests run in both passes of scripts/test (SQLite, then PostgreSQL); the TRUNCATE test only
means something on PostgreSQL.
"""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from django.db import DatabaseError, connection, transaction

from evidence import triggers
from evidence.append_only import APPEND_ONLY_MODELS, history_models, protected_tables
from evidence.maintenance import MaintenanceRefused, maintenance
from evidence.models import AuditChainLink
from incidents.models import Incident
from notifications.models import AlertEvent, Deadline

from .conftest import execute

HISTORY_TABLE = Incident.history.model._meta.db_table


def refused(sql: str, params=()) -> str:
    """Run ``sql`` in a savepoint and return the database's refusal."""
    with pytest.raises(DatabaseError) as caught, transaction.atomic():
        execute(sql, params)
    return str(caught.value)


@pytest.fixture
def alert(incident, now):
    deadline = Deadline.objects.create(
        incident=incident,
        kind="authority_notification",
        started_at=now,
        due_at=now + timedelta(hours=72),
        is_legal_deadline=True,
    )
    return AlertEvent.objects.create(deadline=deadline, label="due", due_at=deadline.due_at, fired_at=now)


def test_an_update_of_a_history_row_is_refused(incident):
    message = refused(f'UPDATE "{HISTORY_TABLE}" SET title = %s', ["rewritten"])
    assert "append-only: UPDATE on " + HISTORY_TABLE in message
    assert Incident.history.get().title == incident.title


def test_a_delete_of_a_history_row_is_refused(incident):
    message = refused(f'DELETE FROM "{HISTORY_TABLE}"')
    assert "append-only: DELETE on " + HISTORY_TABLE in message
    assert Incident.history.count() == 1


def test_the_refusal_names_the_table_exactly(incident, alert):
    for table in (HISTORY_TABLE, "notifications_alertevent"):
        for operation, sql in (("UPDATE", f'UPDATE "{table}" SET id = id'), ("DELETE", f'DELETE FROM "{table}"')):
            message = refused(sql)
            assert f"append-only: {operation} on {table} is refused (history and logs are evidence)" in message


def test_the_orm_cannot_rewrite_a_change_reason_either(incident):
    record = Incident.history.get()
    record.history_change_reason = "a better story"
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        record.save()


def test_an_alert_event_can_be_neither_updated_nor_deleted(alert):
    assert "append-only: UPDATE on notifications_alertevent" in refused(
        "UPDATE notifications_alertevent SET label = %s", ["overdue:12h"]
    )
    assert "append-only: DELETE on notifications_alertevent" in refused("DELETE FROM notifications_alertevent")
    assert AlertEvent.objects.get().label == "due"


def test_chain_links_are_append_only_too(incident):
    assert AuditChainLink.objects.exists()
    assert "append-only: UPDATE on evidence_auditchainlink" in refused(
        "UPDATE evidence_auditchainlink SET seq = seq + 100"
    )
    assert "append-only: DELETE on evidence_auditchainlink" in refused("DELETE FROM evidence_auditchainlink")


@pytest.mark.postgres
def test_truncate_is_refused_on_postgresql(incident, alert):
    execute("SET CONSTRAINTS ALL IMMEDIATE")  # TRUNCATE refuses to run while deferred FK checks are pending
    for table in (HISTORY_TABLE, "notifications_alertevent", "evidence_auditchainlink"):
        assert f"append-only: TRUNCATE on {table}" in refused(f'TRUNCATE "{table}" CASCADE')


def test_every_history_table_and_every_declared_log_is_protected(db):
    tables = set(protected_tables())
    assert {model._meta.db_table for model in history_models()} <= tables
    assert len(history_models()) >= 12  # organisations and incidents alone have twelve
    assert "notifications.AlertEvent" in APPEND_ONLY_MODELS and "notifications_alertevent" in tables
    assert set(triggers.install(sorted(tables))) == tables  # every one exists and takes its triggers


def test_a_table_that_lost_its_triggers_gets_them_back_after_migrate(incident):
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f'DROP TRIGGER {triggers._name("update", HISTORY_TABLE)} ON "{HISTORY_TABLE}"')
        else:
            cursor.execute(f"DROP TRIGGER {triggers._name('update', HISTORY_TABLE)}")
    from django.apps import apps

    triggers.install_after_migrate(apps.get_app_config("evidence"), using="default")
    assert "append-only" in refused(f'UPDATE "{HISTORY_TABLE}" SET title = title')


def test_maintenance_lets_only_its_own_block_delete_and_is_logged(incident, caplog):
    with caplog.at_level(logging.WARNING, logger="breachtrack.evidence"), maintenance("test: empty the history"):
        execute(f'DELETE FROM "{HISTORY_TABLE}"')
    assert Incident.history.count() == 0
    assert "evidence maintenance ON for default: test: empty the history" in caplog.text
    assert "append-only" in refused(f'DELETE FROM "{AuditChainLink._meta.db_table}"')


def test_maintenance_is_refused_in_production(incident, settings):
    settings.PRODUCTION = True
    with pytest.raises(MaintenanceRefused), maintenance("someone wants a clean slate"):
        pass
    assert "append-only" in refused(f'DELETE FROM "{HISTORY_TABLE}"')
