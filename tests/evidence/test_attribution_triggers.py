"""The database refuses a history record without an actor or a reason (evidence.triggers).

breachtrack.history refuses such a write in Python; these triggers are the defence in depth for
what does not pass through it: a historical model written directly (as a data migration does), a
script, raw SQL. Both passes of scripts/test run them (SQLite, then PostgreSQL).
"""

from __future__ import annotations

import pytest
from django.apps import apps
from django.db import DatabaseError, connection, transaction

from evidence import triggers
from evidence.append_only import history_tables
from organisations.models import Party


@pytest.fixture
def record(lab):
    """A fresh copy of the lab's own party record, not yet inserted: what a script could write."""
    copy = Party.history.filter(owner=lab).first()
    copy.history_id = None
    return copy


def refused(record) -> str:
    with pytest.raises(DatabaseError) as caught, transaction.atomic():
        record.save(force_insert=True)
    return str(caught.value)


def test_a_history_record_without_an_actor_is_refused_by_the_database(record):
    before = Party.history.count()
    record.history_user = None
    record.history_change_reason = "written by a script"
    assert "unattributed: a history record on organisations_historicalparty needs an actor and a reason" in refused(
        record
    )
    assert Party.history.count() == before


@pytest.mark.parametrize("reason", [None, "", "   "])
def test_a_history_record_without_a_reason_is_refused_by_the_database(record, officer, reason):
    before = Party.history.count()
    record.history_user = officer
    record.history_change_reason = reason
    assert "unattributed" in refused(record)
    assert Party.history.count() == before


def test_a_history_record_with_an_actor_and_a_reason_is_accepted(record, officer):
    record.history_user = officer
    record.history_change_reason = "contact details corrected by the DPO"
    record.save(force_insert=True)
    stored = Party.history.get(pk=record.pk)
    assert (stored.history_user, stored.history_change_reason) == (officer, "contact details corrected by the DPO")


def attributed_tables() -> set[str]:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT tgrelid::regclass::text FROM pg_trigger WHERE tgname LIKE 'evidence_no_anon_%%'")
        else:
            cursor.execute(
                "SELECT tbl_name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'evidence_no_anon_%'"
            )
        return {name.strip('"') for (name,) in cursor.fetchall()}


def test_every_history_table_refuses_unattributed_records_and_no_other_table_does(db):
    assert attributed_tables() == set(history_tables())
    assert len(history_tables()) >= 24  # every historied model of the register, its people and its links


def test_a_history_table_that_lost_its_attribution_trigger_gets_it_back_after_migrate(record):
    table = Party.history.model._meta.db_table
    name = triggers._name("anon", table)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # DDL refuses to run with deferred checks pending
            cursor.execute(f'DROP TRIGGER {name} ON "{table}"')
        else:
            cursor.execute(f"DROP TRIGGER {name}")
    assert table not in attributed_tables()
    triggers.install_after_migrate(apps.get_app_config("evidence"), using="default")
    record.history_user = None
    assert "unattributed" in refused(record)
