"""Triggers that refuse a history record without an actor or a reason, on the history tables that
exist now.

As with 0002, evidence's post_migrate handler installs them again (idempotently) after every
migrate, on history tables added later too; this migration makes the guarantee hold as soon as the
evidence app is migrated. Existing records are not checked (the triggers act on INSERT); the test
suite's invariant (tests/evidence/test_history_paths.py) reads every one.
"""

from django.db import migrations

from evidence import triggers


def install(apps, schema_editor):
    tables = [model._meta.db_table for model in apps.get_models() if model._meta.db_table.split("_", 1)[-1].startswith("historical")]
    triggers.install_attribution(sorted(tables), using=schema_editor.connection.alias)


class Migration(migrations.Migration):
    dependencies = [("evidence", "0003_audit_anchor")]

    # No reverse: like the append-only triggers, they stay with the history tables.
    operations = [migrations.RunPython(install, migrations.RunPython.noop)]
