"""Django's ``flush``, able to empty append-only tables outside production.

The test runner empties the database with ``flush`` between transactional tests; the triggers
refuse that unless evidence maintenance is on for the connection. This override is the only caller
of ``evidence.maintenance.maintenance()``: it logs a warning and is refused in production. On
PostgreSQL it works only for a maintainer (a superuser, as the tests connect, or a member of
``breachtrack_maintenance``), never for the application's role (docs/operations.md, "Evidence: the
append-only guard").
"""

from django.core.management.commands.flush import Command as DjangoFlush

from evidence.maintenance import maintenance


class Command(DjangoFlush):
    def handle(self, **options):
        with maintenance("manage.py flush (empties every table)", using=options["database"]):
            return super().handle(**options)
