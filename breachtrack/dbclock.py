"""The one clock every process compares against: the database's."""

from __future__ import annotations

from datetime import datetime

from django.db import connection
from django.utils import timezone


def database_now() -> datetime:
    """The database's clock, so every worker compares against the same 'now'.

    PostgreSQL: ``CURRENT_TIMESTAMP`` (workers on other hosts may drift; the database is the one
    clock they share). SQLite: the database is a file read by processes on this one machine, so
    its clock *is* this machine's clock, and SQLite's own ``CURRENT_TIMESTAMP`` is a text value
    with whole seconds only: ``timezone.now()`` is the same clock, more precise.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT CURRENT_TIMESTAMP")
            return cursor.fetchone()[0]
    return timezone.now()
