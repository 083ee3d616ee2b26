"""Which tables are append-only: every simple-history table, plus the models listed here.

**The rule for new models** (every app follows it):

* a model with ``history = HistoricalRecords()`` needs nothing: its history table is found by
  introspection after every ``migrate`` and gets the triggers and the hash chain;
* a log that must never change after it is written (alerts, delivery attempts, access logs) either
  sets the class attribute ``append_only = True`` or is named in ``APPEND_ONLY_MODELS`` below.
  Such a model must never be updated or deleted by code, nor cascade-deleted: give foreign keys
  pointing at it from elsewhere, and its own foreign keys, ``on_delete=PROTECT``/``DO_NOTHING``
  where the parent can ever be deleted.

And for history models, so the chain stays verifiable:

* the record's organisation is found from the tracked model's tenant manager
  (``tenant_manager("incident__organisation")``), else an ``organisation`` or ``incident`` field;
  anything else calls ``evidence.chain.register_organisation_path("app.Model", "a__b__organisation")``
  (``None``: global);
* migrations may *add* fields to historied models (old links cover only the fields they were chained
  with) but must not rename or remove them, nor rewrite history rows: the triggers refuse the
  UPDATE, and verify_audit would report the change;
* a data migration that changes live rows of a historied model writes their history too:
  ``breachtrack.history.write_migration_history(apps, Model, changed_pks, reason=...)`` writes a
  "~" record of each changed row by ``system:migration`` and chains it in the migration's
  transaction (communications' migration 0003 is the example). verify_audit compares every live
  row with its latest history record and names a row changed without one.
"""

from __future__ import annotations

from django.apps import apps
from simple_history.models import HistoricalChanges

from evidence.models import AuditChainLink, AuditFieldSet

# "app_label.ModelName" of logs that are append-only by declaration.
APPEND_ONLY_MODELS: set[str] = {
    "notifications.AlertEvent",
    # The access log of the recipient ledger: who looked a person up, when (never the identifier).
    "communications.LedgerLookup",
    # Not here: notifications.DeliveryAttempt is written before a send and completed once after
    # it (its outcome), so it is not insert-only; notifications.Delivery is a claimed work row.
}


def history_models() -> list[type]:
    """Every simple-history model of every installed app (the chained ones)."""
    return sorted(
        (model for model in apps.get_models() if issubclass(model, HistoricalChanges)),
        key=lambda model: model._meta.label_lower,
    )


def declared_models() -> list[type]:
    """Models that declare themselves append-only, plus the chain's own links and field sets."""
    found = {AuditChainLink, AuditFieldSet}
    for model in apps.get_models():
        if getattr(model, "append_only", False) is True or model._meta.label in APPEND_ONLY_MODELS:
            found.add(model)
    return sorted(found, key=lambda model: model._meta.label_lower)


def history_tables() -> list[str]:
    """The simple-history tables: append-only, and refusing a record without actor or reason."""
    return sorted({model._meta.db_table for model in history_models()})


def protected_tables() -> list[str]:
    """The database tables the triggers protect."""
    return sorted({model._meta.db_table for model in history_models() + declared_models()})
