"""Database triggers that make history tables and declared logs append-only.

Installed idempotently after every ``migrate`` (``post_migrate``) for every table that
``evidence.append_only.protected_tables()`` names, so a history table added later by any app is
covered without anyone remembering. The trigger bodies let a row change only while
``evidence.maintenance.maintenance()`` is on for the connection (the test runner's flush) and, on
PostgreSQL, only for a superuser or a member of the maintenance role
(``evidence.maintenance.MAINTENANCE_ROLE``; docs/operations.md, "Evidence: the append-only guard").
History tables also refuse, on INSERT, a record without an actor or a reason (``install_attribution``).
"""

from __future__ import annotations

from django.db import connections

from evidence.append_only import history_tables, protected_tables
from evidence.chain import adopt_unchained_if_new, record_migration_actor
from evidence.maintenance import PG_SETTING, maintainer_sql

FUNCTION = "evidence_refuse_change"

# A row changes only when (1) the role that logged in *and* the role in effect (SET ROLE) are both
# maintainers, and (2) that session switched maintenance on (evidence.maintenance). The role is the
# authority: the application's role can set the switch but is no maintainer, so it is refused. The
# switch is a safety catch, so that a maintainer's stray statement is refused too. The fixed
# search_path keeps a function of the same name in another schema from standing in for pg_catalog's.
PG_FUNCTION_SQL = f"""
CREATE OR REPLACE FUNCTION {FUNCTION}() RETURNS trigger LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF coalesce(current_setting('{PG_SETTING}', true), '') = 'on'
        AND {maintainer_sql("session_user")}
        AND {maintainer_sql("current_user")} THEN
        IF TG_LEVEL = 'ROW' AND TG_OP = 'DELETE' THEN RETURN OLD; END IF;
        IF TG_LEVEL = 'ROW' THEN RETURN NEW; END IF;
        RETURN NULL;
    END IF;
    RAISE EXCEPTION 'append-only: % on % is refused (history and logs are evidence)', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END;
$$;
"""


def _name(kind: str, table: str) -> str:
    return f"evidence_no_{kind}_{table}"[:63]


def pg_statements(table: str) -> list[str]:
    quoted = f'"{table}"'
    return [
        f"CREATE OR REPLACE TRIGGER {_name('update', table)} BEFORE UPDATE ON {quoted} "
        f"FOR EACH ROW EXECUTE FUNCTION {FUNCTION}()",
        f"CREATE OR REPLACE TRIGGER {_name('delete', table)} BEFORE DELETE ON {quoted} "
        f"FOR EACH ROW EXECUTE FUNCTION {FUNCTION}()",
        f"CREATE OR REPLACE TRIGGER {_name('truncate', table)} BEFORE TRUNCATE ON {quoted} "
        f"FOR EACH STATEMENT EXECUTE FUNCTION {FUNCTION}()",
    ]


def sqlite_statements(table: str) -> list[str]:
    # evidence_maintenance() exists only on Django's connections (evidence.maintenance); any other
    # connection fails the WHEN clause, which refuses the change as well.
    return [
        f'CREATE TRIGGER IF NOT EXISTS {_name(op.lower(), table)} BEFORE {op} ON "{table}" '
        f"FOR EACH ROW WHEN NOT evidence_maintenance() "
        f"BEGIN SELECT RAISE(ABORT, 'append-only: {op} on {table} is refused (history and logs are evidence)'); END"
        for op in ("UPDATE", "DELETE")
    ]


def install(tables, using: str = "default") -> list[str]:
    """Install the triggers on those of ``tables`` that exist; return the tables covered."""
    connection = connections[using]
    existing = set(connection.introspection.table_names())
    covered = [table for table in tables if table in existing]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(PG_FUNCTION_SQL)
            statements = [sql for table in covered for sql in pg_statements(table)]
        elif connection.vendor == "sqlite":
            statements = [sql for table in covered for sql in sqlite_statements(table)]
        else:
            raise NotImplementedError(f"append-only triggers for {connection.vendor}")
        for sql in statements:
            cursor.execute(sql)
    return covered


# --- Attribution: no history record without an actor and a reason --------------------------
# breachtrack.history refuses such a record in Python; these triggers refuse it in the database
# too, so that a historical model written directly (a data migration, a script, raw SQL) cannot
# store one either. They check INSERT only: the append-only triggers above already refuse UPDATE.
ATTRIBUTION_FUNCTION = "evidence_refuse_unattributed"

PG_ATTRIBUTION_FUNCTION_SQL = f"""
CREATE OR REPLACE FUNCTION {ATTRIBUTION_FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.history_user_id IS NULL OR btrim(coalesce(NEW.history_change_reason, '')) = '' THEN
        RAISE EXCEPTION 'unattributed: a history record on % needs an actor and a reason', TG_TABLE_NAME
            USING ERRCODE = 'not_null_violation';
    END IF;
    RETURN NEW;
END;
$$;
"""

_UNATTRIBUTED = "NEW.history_user_id IS NULL OR trim(coalesce(NEW.history_change_reason, '')) = ''"


def attribution_statements(vendor: str, table: str) -> list[str]:
    name = _name("anon", table)
    if vendor == "postgresql":
        return [
            f'CREATE OR REPLACE TRIGGER {name} BEFORE INSERT ON "{table}" '
            f"FOR EACH ROW EXECUTE FUNCTION {ATTRIBUTION_FUNCTION}()"
        ]
    if vendor == "sqlite":
        return [
            f'CREATE TRIGGER IF NOT EXISTS {name} BEFORE INSERT ON "{table}" FOR EACH ROW WHEN {_UNATTRIBUTED} '
            f"BEGIN SELECT RAISE(ABORT, 'unattributed: a history record on {table} needs an actor and a reason'); END"
        ]
    raise NotImplementedError(f"attribution triggers for {vendor}")


def install_attribution(tables, using: str = "default") -> list[str]:
    """Refuse history records without actor or reason on those of ``tables`` that exist (history
    tables only: they alone have ``history_user_id`` and ``history_change_reason``)."""
    connection = connections[using]
    existing = set(connection.introspection.table_names())
    covered = [table for table in tables if table in existing]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(PG_ATTRIBUTION_FUNCTION_SQL)
        for table in covered:
            for sql in attribution_statements(connection.vendor, table):
                cursor.execute(sql)
    return covered


def install_after_migrate(sender, using="default", **kwargs):
    """post_migrate: (re)install on every protected table; cheap and idempotent.

    Sent once per app; acting only for ours still runs after all apps' migrations.
    """
    if sender.name != "evidence":
        return

    install(protected_tables(), using=using)
    install_attribution(history_tables(), using=using)
    adopt_unchained_if_new(using=using)
    record_migration_actor(using=using)  # after adopting: a link written first would stop the adoption
