"""The one switch that lets a connection delete rows of append-only tables: ``manage.py flush``.

The triggers refuse every UPDATE and DELETE (and TRUNCATE on PostgreSQL) unless the *current
connection* has maintenance switched on:

* PostgreSQL: the session setting ``breachtrack.evidence_maintenance = 'on'``;
* SQLite: the SQL function ``evidence_maintenance()`` returns 1. The function is registered on
  every Django connection (``connection_created``) and reads a flag of that connection only; a
  connection without it (the ``sqlite3`` shell) fails the trigger, so it also refuses.

Only ``maintenance()`` below sets it, and only the ``flush`` command (evidence's override of
Django's, used by the test runner between transactional tests) calls it. It is logged at WARNING
with the reason, refused when ``BREACHTRACK_MODE=production``, and no view reaches it. A database
administrator can of course drop the triggers; that is what the hash chain is for.
"""

from __future__ import annotations

import contextlib
import logging

from django.conf import settings
from django.db import connections
from django.db.backends.signals import connection_created
from django.dispatch import receiver

logger = logging.getLogger("breachtrack.evidence")

PG_SETTING = "breachtrack.evidence_maintenance"


class MaintenanceRefused(RuntimeError):
    """Append-only tables cannot be opened for deletion in production."""


def _sqlite_flag(connection) -> bool:
    return bool(getattr(connection, "_evidence_maintenance", False))


@receiver(connection_created, dispatch_uid="evidence.sqlite_maintenance_function")
def register_sqlite_function(sender, connection, **kwargs):
    if connection.vendor == "sqlite":
        connection.connection.create_function(
            "evidence_maintenance", 0, lambda: 1 if _sqlite_flag(connection) else 0, deterministic=False
        )


@contextlib.contextmanager
def maintenance(reason: str, using: str = "default"):
    """Allow deleting rows of append-only tables on this connection, for this block only.

    Steps: refuse in production; log who asked and why; switch the connection's flag on; always
    switch it off again.
    """
    if getattr(settings, "PRODUCTION", False):
        raise MaintenanceRefused("append-only tables are never emptied in production: " + reason)
    logger.warning("evidence maintenance ON for %s: %s", using, reason)
    connection = connections[using]
    connection.ensure_connection()
    _switch(connection, True)
    try:
        yield
    finally:
        _switch(connection, False)
        logger.warning("evidence maintenance OFF for %s", using)


def _switch(connection, on: bool) -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config(%s, %s, false)", [PG_SETTING, "on" if on else "off"])
    else:
        # A connection opened before this app was ready has no function yet: register it now.
        register_sqlite_function(None, connection)
        connection._evidence_maintenance = on
