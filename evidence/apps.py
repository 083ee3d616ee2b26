from django.apps import AppConfig
from django.db.models.signals import post_migrate


class EvidenceConfig(AppConfig):
    """Append-only history in the database and a tamper-evident hash chain over it."""

    name = "evidence"
    verbose_name = "Evidence"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from simple_history.signals import post_create_historical_record

        from breachtrack.history import post_bulk_create_historical_records
        from evidence import chain, checks, maintenance, triggers  # noqa: F401 (maintenance: connection_created receiver; checks: registers)

        post_create_historical_record.connect(chain.on_history_record, dispatch_uid="evidence.chain_one")
        post_bulk_create_historical_records.connect(chain.on_bulk_history_records, dispatch_uid="evidence.chain_bulk")
        # After every migrate (and after the test runner's flush, which re-emits it): every
        # history table and every append-only table gets its triggers, whichever app added it.
        post_migrate.connect(triggers.install_after_migrate, dispatch_uid="evidence.install_triggers")
