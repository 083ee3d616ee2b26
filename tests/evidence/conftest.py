"""Helpers for the evidence tests: switching one trigger off, as a database administrator could."""

from __future__ import annotations

import contextlib

from django.db import connection

from evidence.triggers import _name


@contextlib.contextmanager
def trigger_disabled(table: str, operation: str):
    """Run the block with one append-only trigger off (the test transaction restores it)."""
    name = _name(operation, table)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Django's foreign keys are deferred: check them now, or ALTER TABLE refuses to run in
            # a transaction that still has their checks pending.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(f'ALTER TABLE "{table}" DISABLE TRIGGER {name}')
        else:
            cursor.execute(f"DROP TRIGGER {name}")
    yield connection


def execute(sql: str, params=()):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount
