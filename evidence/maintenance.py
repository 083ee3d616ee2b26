"""The one switch that lets a connection delete rows of append-only tables: ``manage.py flush``.

The triggers refuse every UPDATE and DELETE (and TRUNCATE on PostgreSQL) unless the *current
connection* has maintenance switched on:

* PostgreSQL: the session setting ``breachtrack.evidence_maintenance = 'on'``, **and** both the
  role that logged in and the role in effect are maintainers: a superuser, or a member of the
  database role ``breachtrack_maintenance`` (``MAINTENANCE_ROLE``). Any session can set the
  setting; only the role decides, and the application's role is no maintainer
  (docs/operations.md, "Evidence: the append-only guard", states the threat model);
* SQLite: the SQL function ``evidence_maintenance()`` returns 1. The function is registered on
  every Django connection (``connection_created``) and reads a flag of that connection only; a
  connection without it (the ``sqlite3`` shell) fails the trigger, so it also refuses. SQLite has no
  roles: the embedded mode is single-user, and whoever can write its file can change anything.

Only ``maintenance()`` below sets it, and only the ``flush`` command (evidence's override of
Django's, used by the test runner between transactional tests) calls it. It is logged at WARNING
with the reason, refused when ``BREACHTRACK_MODE=production``, refused up front on PostgreSQL when
the connection's role is no maintainer, and no view reaches it. A database superuser can of course
drop the triggers; that is what the hash chain is for.
"""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass

from django.conf import settings
from django.db import connections
from django.db.backends.signals import connection_created
from django.dispatch import receiver

logger = logging.getLogger("breachtrack.evidence")

PG_SETTING = "breachtrack.evidence_maintenance"

# The database role whose members may change append-only rows on PostgreSQL. The application's
# role must be neither a member of it nor a superuser (evidence.checks warns in production).
MAINTENANCE_ROLE = "breachtrack_maintenance"


def maintainer_sql(who: str) -> str:
    """SQL: may the role ``who`` (``session_user``, ``current_user``) change evidence? A superuser
    (who could drop the triggers anyway) or a member of the maintenance role. pg_has_role is given
    the role's oid: without that role it is NULL (only superusers pass), not an error."""
    return (
        f"(coalesce((SELECT rolsuper FROM pg_roles WHERE rolname = {who}), false)"  # noqa: S608 (``who`` is session_user or current_user, the role name our constant)
        f" OR coalesce(pg_has_role({who}, (SELECT oid FROM pg_roles WHERE rolname = '{MAINTENANCE_ROLE}'),"
        " 'MEMBER'), false))"
    )


# What the connected role can do to evidence: (superuser, member of the maintenance role, owner or
# member of the owner of one of the tables in %s, who could disable their triggers).
PG_ROLE_POWERS_SQL = f"""
SELECT coalesce((SELECT rolsuper FROM pg_roles WHERE rolname = current_user), false),
       coalesce(pg_has_role(current_user, (SELECT oid FROM pg_roles WHERE rolname = '{MAINTENANCE_ROLE}'),
                            'MEMBER'), false),
       EXISTS (SELECT 1 FROM pg_class WHERE relname = ANY(%s::text[]) AND relkind IN ('r', 'p')
               AND pg_table_is_visible(oid) AND pg_has_role(current_user, relowner, 'MEMBER')),
       current_user,
       {maintainer_sql("session_user")} AND {maintainer_sql("current_user")}
"""  # noqa: S608 (our constants only; the table names are a parameter)


@dataclass(frozen=True)
class RolePowers:
    """What a PostgreSQL connection's role can do to the append-only rows."""

    role: str
    superuser: bool
    maintainer: bool  # member of MAINTENANCE_ROLE (a superuser is a member of every role)
    owns_tables: bool  # can disable the triggers of a protected table
    may_change: bool  # the triggers let it through once maintenance is on


def role_powers(connection, tables) -> RolePowers:
    """Ask PostgreSQL what ``connection``'s role may do (``tables``: the protected tables)."""
    with connection.cursor() as cursor:
        cursor.execute(PG_ROLE_POWERS_SQL, [list(tables)])
        superuser, maintainer, owns, role, may_change = cursor.fetchone()
    return RolePowers(role, bool(superuser), bool(maintainer), bool(owns), bool(may_change))


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

    Steps: refuse in production, and on PostgreSQL for a role the triggers would refuse anyway (no
    maintainer); log who asked and why; switch the connection's flag on; always
    switch it off again.
    """
    if getattr(settings, "PRODUCTION", False):
        raise MaintenanceRefused("append-only tables are never emptied in production: " + reason)
    connection = connections[using]
    connection.ensure_connection()
    if connection.vendor == "postgresql":
        powers = role_powers(connection, ())
        if not powers.may_change:
            raise MaintenanceRefused(
                f"the database role {powers.role} is neither a superuser nor a member of {MAINTENANCE_ROLE}: " + reason
            )
    logger.warning("evidence maintenance ON for %s: %s", using, reason)
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
