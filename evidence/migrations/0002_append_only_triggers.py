"""Triggers on the history tables and logs that exist now.

Tables added later (by any app) get theirs from evidence's post_migrate handler, which also
re-runs this idempotently after every migrate; this migration makes the guarantee hold as soon as
the evidence app is migrated, even if post_migrate is inhibited.
"""

from django.db import migrations

from evidence import triggers


def install(apps, schema_editor):
    tables = [
        model._meta.db_table
        for model in apps.get_models()
        if model._meta.db_table.split("_", 1)[-1].startswith("historical")
        or model._meta.label in {"notifications.AlertEvent", "evidence.AuditChainLink", "evidence.AuditFieldSet"}
    ]
    triggers.install(sorted(tables), using=schema_editor.connection.alias)


class Migration(migrations.Migration):
    dependencies = [
        ("evidence", "0001_initial"),
        ("incidents", "0002_initial"),
        ("notifications", "0001_initial"),
        ("organisations", "0002_seed_authorities"),
    ]

    # Triggers have no reverse: unmigrating evidence drops its tables; history tables keep them.
    operations = [migrations.RunPython(install, migrations.RunPython.noop)]
