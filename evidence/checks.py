"""System checks of the evidence app.

* A configured TSA certificate file must be usable. Checked at start-up (and by ``check
  --deploy``), so a bad file is found the day it is deployed, not by the first nightly anchor.
  Anchoring off (no BREACHTRACK_TSA_URL) is a valid state and no issue.
* In production, the application's PostgreSQL role must not be able to change evidence: no
  superuser, no member of the maintenance role, no owner of the protected tables
  (docs/operations.md, "Evidence: the append-only guard"). A database check, so it runs with
  ``check --deploy --database default`` only, never at start-up or during ``migrate`` (which runs
  as the tables' owner).
"""

from django.conf import settings
from django.core.checks import Error, Tags, register
from django.core.checks import Warning as CheckWarning
from django.db import DatabaseError, connections

from evidence.anchor import load_trusted_file
from evidence.append_only import protected_tables
from evidence.maintenance import MAINTENANCE_ROLE, role_powers
from evidence.tsp import TimestampError

GUARD_HINT = 'Connect as a role without these powers: docs/operations.md, "Evidence: the append-only guard".'


@register("evidence")
def tsa_certificate_file(app_configs, **kwargs):
    path = settings.BREACHTRACK_TSA_CA_FILE
    if not path:
        return []

    try:
        load_trusted_file(path)
    except (TimestampError, OSError) as error:
        return [Error(f"BREACHTRACK_TSA_CA_FILE={path!r}: {error}", id="evidence.E001")]
    return []


@register("evidence", Tags.database, deploy=True)
def application_role_cannot_change_evidence(app_configs, databases=None, **kwargs):
    if not getattr(settings, "PRODUCTION", False) or not databases:
        return []
    issues = []
    for alias in databases:
        connection = connections[alias]
        if connection.vendor != "postgresql":
            continue
        try:
            powers = role_powers(connection, protected_tables())
        except DatabaseError as error:
            issues.append(
                CheckWarning(f"database {alias}: could not read its role's powers: {error}", id="evidence.W004")
            )
            continue
        where = f"database {alias}: the application's role {powers.role}"
        if powers.superuser:
            issues.append(
                CheckWarning(
                    f"{where} is a superuser: it can lift the append-only guard on history and logs.",
                    hint=GUARD_HINT,
                    id="evidence.W001",
                )
            )
            continue
        if powers.maintainer:
            issues.append(
                CheckWarning(
                    f"{where} is a member of {MAINTENANCE_ROLE}: it can change history and logs.",
                    hint=GUARD_HINT,
                    id="evidence.W002",
                )
            )
        if powers.owns_tables:
            issues.append(
                CheckWarning(
                    f"{where} owns the append-only tables: it can disable their triggers.",
                    hint=GUARD_HINT,
                    id="evidence.W003",
                )
            )
    return issues
