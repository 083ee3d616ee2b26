"""On PostgreSQL only a maintainer may lift the append-only guard, never the application's role.

The application's role (no superuser, not a member of ``breachtrack_maintenance``, not the tables'
owner) can set ``breachtrack.evidence_maintenance`` like any other setting, and is still refused:
the role decides, the setting is only the maintainer's safety catch (docs/operations.md, "Evidence:
the append-only guard"). The tests connect as the superuser ``postgres`` and take the other roles
with ``SET LOCAL ROLE`` inside a savepoint; the roles are created in the test's transaction, so they
vanish with it.
"""

from __future__ import annotations

import uuid

import pytest
from django.db import DatabaseError, connection, transaction

from evidence.checks import application_role_cannot_change_evidence
from evidence.maintenance import MAINTENANCE_ROLE, PG_SETTING, MaintenanceRefused, maintenance
from incidents.models import Incident

from .conftest import execute

pytestmark = pytest.mark.postgres

HISTORY_TABLE = Incident.history.model._meta.db_table


def create_role(*options: str) -> str:
    """A role of this test only, allowed to read and write every table as the application does."""
    name = f"bt_test_{uuid.uuid4().hex[:12]}"
    execute(f'CREATE ROLE "{name}" NOSUPERUSER {" ".join(options)}')
    execute(f'GRANT USAGE ON SCHEMA public TO "{name}"')
    execute(f'GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO "{name}"')
    execute(f'GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO "{name}"')
    return name


@pytest.fixture
def app_role(db):
    """Like production's application role: may log in, no superuser, no maintainer, owns nothing."""
    return create_role("LOGIN")


@pytest.fixture
def maintainer(db):
    """A member of the maintenance role (created for this test's transaction unless it exists)."""
    execute(
        f"DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{MAINTENANCE_ROLE}') THEN "
        f"CREATE ROLE {MAINTENANCE_ROLE} NOLOGIN; END IF; END $$"
    )
    return create_role("NOLOGIN", f"IN ROLE {MAINTENANCE_ROLE}")


def as_role(role: str, sql: str, params=(), switch: bool = True) -> int:
    """Run ``sql`` as ``role``, with maintenance switched on by hand, in a savepoint."""
    with transaction.atomic():
        execute(f'SET LOCAL ROLE "{role}"')
        if switch:
            execute(f"SET LOCAL {PG_SETTING} = 'on'")
        count = execute(sql, params)
        execute("RESET ROLE")
        return count


def refused_as(role: str, sql: str, params=(), switch: bool = True) -> str:
    with pytest.raises(DatabaseError) as caught:
        as_role(role, sql, params, switch=switch)
    return str(caught.value)


def current_user() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user")
        return cursor.fetchone()[0]


def test_the_application_role_cannot_lift_the_guard_with_the_setting(incident, app_role):
    record = Incident.history.get()
    assert as_role(app_role, "UPDATE incidents_incident SET title = title WHERE id = %s", [incident.pk]) == 1

    message = refused_as(app_role, f'DELETE FROM "{HISTORY_TABLE}" WHERE history_id = %s', [record.pk])
    assert f"append-only: DELETE on {HISTORY_TABLE} is refused" in message
    message = refused_as(app_role, f'UPDATE "{HISTORY_TABLE}" SET title = %s WHERE history_id = %s', ["x", record.pk])
    assert f"append-only: UPDATE on {HISTORY_TABLE} is refused" in message

    assert current_user() != app_role
    assert Incident.history.get().title == incident.title


def test_the_application_role_is_refused_maintenance_up_front(incident, app_role):
    with transaction.atomic():
        execute(f'SET LOCAL ROLE "{app_role}"')
        with pytest.raises(MaintenanceRefused, match=f"{app_role} is neither a superuser nor a member"):
            with maintenance("test: the app wants a clean slate"):
                pass
        execute("RESET ROLE")
    assert Incident.history.count() == 1


def test_a_maintainer_may_change_evidence_only_with_maintenance_on(incident, maintainer):
    message = refused_as(maintainer, f'DELETE FROM "{HISTORY_TABLE}"', switch=False)
    assert f"append-only: DELETE on {HISTORY_TABLE} is refused" in message
    assert as_role(maintainer, f'DELETE FROM "{HISTORY_TABLE}"') == 1
    assert Incident.history.count() == 0


def test_the_superuser_still_needs_the_switch(incident):
    with pytest.raises(DatabaseError, match=f"append-only: DELETE on {HISTORY_TABLE} is refused"):
        with transaction.atomic():
            execute(f'DELETE FROM "{HISTORY_TABLE}"')
    with maintenance("test: the test runner's flush"):
        execute(f'DELETE FROM "{HISTORY_TABLE}"')
    assert Incident.history.count() == 0


def test_check_deploy_warns_about_a_role_that_can_change_evidence(db, settings, app_role, maintainer):
    settings.PRODUCTION = True
    assert application_role_cannot_change_evidence(None, databases=None) == []  # no --database: no query
    assert [issue.id for issue in application_role_cannot_change_evidence(None, databases=["default"])] == [
        "evidence.W001"  # the tests' postgres is a superuser
    ]

    def issues_as(role: str) -> list[str]:
        with transaction.atomic():
            execute(f'SET LOCAL ROLE "{role}"')
            found = [issue.id for issue in application_role_cannot_change_evidence(None, databases=["default"])]
            execute("RESET ROLE")
        return found

    assert issues_as(app_role) == []
    assert issues_as(maintainer) == ["evidence.W002"]
    execute("SET CONSTRAINTS ALL IMMEDIATE")  # ALTER TABLE refuses to run while deferred FK checks are pending
    execute(f'ALTER TABLE "{HISTORY_TABLE}" OWNER TO "{app_role}"')
    assert issues_as(app_role) == ["evidence.W003"]

    settings.PRODUCTION = False
    assert application_role_cannot_change_evidence(None, databases=["default"]) == []
