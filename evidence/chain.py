"""Appending history records to their organisation's hash chain, in the writer's transaction.

Every history record is chained by one of two hooks: simple-history's
``post_create_historical_record`` (one record: ``save()``/``delete()``) and
``breachtrack.history.post_bulk_create_historical_records`` (the ``*_with_history`` helpers).
Appending locks the chain's head row (``select_for_update``; on SQLite the write lock serialises
writers), so concurrent writers produce one unbroken sequence per chain.

A data migration's records (``breachtrack.history.write_migration_history``) come through the
same bulk hook with the *migration state's* history model: they are chained the same way, through
the migration state's chain tables (:func:`chain_models_for`).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.apps import apps as global_apps
from django.db import transaction
from django.db.models import OuterRef, Subquery

from breachtrack.history import MIGRATION_ACTOR, write_history_record
from evidence.append_only import history_models
from evidence.canonical import GENESIS, UTC, content_sha256, link_hash, record_fields
from evidence.models import GLOBAL_CHAIN, AuditAnchor, AuditChainHead, AuditChainLink, AuditFieldSet
from organisations.models import User

# The lookup from a *tracked* model to its owning organisation, when the default does not find it.
# "self": the model is the organisation; None: global records (users, authorities).
ORGANISATION_PATHS: dict[str, str | None] = {
    "organisations.Organisation": "self",
    "organisations.Party": "owner",
    "organisations.User": None,
    "organisations.Authority": None,
}


def register_organisation_path(model_label: str, path: str | None) -> None:
    """Declare how a tracked model reaches its organisation (e.g. ``"filing__incident__organisation"``)."""
    ORGANISATION_PATHS[model_label] = path


def live_history_model(history_model):
    """The application's history model of ``history_model``: itself, or for a migration state's
    model (which has no ``instance_type`` and none of the declarations) the model of that label."""
    if history_model._meta.apps is global_apps:
        return history_model
    return global_apps.get_model(history_model._meta.label)


def organisation_path(history_model) -> str | None:
    """The lookup for a history model: declared, else the tenant manager's, else a guess by field name."""
    tracked = live_history_model(history_model).instance_type
    if tracked._meta.label in ORGANISATION_PATHS:
        return ORGANISATION_PATHS[tracked._meta.label]
    lookup = getattr(getattr(tracked._default_manager, "_queryset_class", None), "tenant_lookup", None)
    if lookup:
        return lookup
    names = {field.name for field in tracked._meta.concrete_fields}
    if "organisation" in names:
        return "organisation"
    if "incident" in names:
        return "incident__organisation"
    return None


def organisation_id_of(history_model, row: dict, path: str | None, using: str):
    """Follow ``path`` from a history record's own columns to an organisation id (None: global)."""
    if path is None:
        return None
    if path == "self":
        return row[live_history_model(history_model).instance_type._meta.pk.attname]
    first, _, rest = path.partition("__")
    field = history_model._meta.get_field(first)
    value = row[field.attname]
    if not rest or value is None:
        return value
    related = field.related_model
    return related._base_manager.using(using).filter(pk=value).values_list(rest, flat=True).first()


def chain_key(organisation_id) -> str:
    return GLOBAL_CHAIN if organisation_id is None else f"org:{organisation_id}"


@dataclass(frozen=True)
class ChainModels:
    """The chain's own models: the application's, or a migration state's (same tables). Named as
    the models are, so each write below names the model it writes."""

    AuditChainHead: type
    AuditChainLink: type
    AuditFieldSet: type


APPLICATION_CHAIN = ChainModels(AuditChainHead, AuditChainLink, AuditFieldSet)


def chain_models_for(history_model, using: str) -> ChainModels | None:
    """Where to chain records of ``history_model``; None: not now, the adoption after migrate will.

    The application's models for the application's history models. For a migration state's
    history model (a data migration wrote the records: ``breachtrack.history.write_migration_history``)
    the chain models *of that state*: a later migration may add columns to the chain's tables that
    do not exist yet at this point. The records are hashed over the columns the history table has
    at this point, read back through the state's model; the link names that field set, which is
    what verify recomputes later (a field added afterwards is not in it). None when the state has
    no chain yet (the evidence app is migrated later in this run) or no link exists at all: then
    no history was chained yet, and ``adopt_unchained_if_new`` chains every record after migrate,
    these included (a link written now would stop that adoption).
    """
    registry = history_model._meta.apps
    if registry is global_apps:
        return APPLICATION_CHAIN
    try:
        models = ChainModels(
            registry.get_model("evidence", "AuditChainHead"),
            registry.get_model("evidence", "AuditChainLink"),
            registry.get_model("evidence", "AuditFieldSet"),
        )
    except LookupError:
        return None
    return models if models.AuditChainLink._default_manager.using(using).exists() else None


def field_set_id(label: str, fields: tuple[str, ...], using: str, models: ChainModels = APPLICATION_CHAIN) -> int:
    text = ",".join(fields)
    models.AuditFieldSet._default_manager.using(using).bulk_create(  # not-historied: AuditFieldSet
        [models.AuditFieldSet(history_model=label, fields=text)], ignore_conflicts=True
    )
    return models.AuditFieldSet._default_manager.using(using).get(history_model=label, fields=text).pk


def _lock_head(key: str, organisation_id, using: str, models: ChainModels) -> AuditChainHead:
    models.AuditChainHead._default_manager.using(using).bulk_create(  # not-historied: AuditChainHead
        [models.AuditChainHead(chain=key, organisation_id=organisation_id, seq=0, hash=GENESIS)], ignore_conflicts=True
    )
    return models.AuditChainHead._default_manager.using(using).select_for_update().get(chain=key)


def append_records(history_model, history_ids, using: str = "default") -> list[AuditChainLink]:
    """Chain these history records (already inserted, same transaction).

    Steps: read the records back from the database (what verify will read); group them by
    chain; lock each chain's head in a fixed order (no deadlock between two batches); append one
    link per record in history-id order; move the head. ``history_model`` may be a migration
    state's (:func:`chain_models_for`).
    """
    if not history_ids:
        return []
    models = chain_models_for(history_model, using)
    if models is None:
        return []
    label = history_model._meta.label_lower
    fields = record_fields(history_model)
    path = organisation_path(history_model)
    pk = history_model._meta.pk.attname
    with transaction.atomic(using=using):
        fs_id = field_set_id(label, fields, using, models)
        rows = history_model._default_manager.using(using).filter(pk__in=list(history_ids)).values_list(*fields)
        by_chain: dict[str, tuple] = {}
        for values in rows:
            row = dict(zip(fields, values, strict=False))
            org = organisation_id_of(history_model, row, path, using)
            by_chain.setdefault(chain_key(org), (org, []))[1].append((row[pk], values))
        links = []
        for key in sorted(by_chain):
            org, records = by_chain[key]
            links += _append_to_chain(key, org, label, fs_id, fields, sorted(records), using, models)
        return links


def _append_to_chain(key, org, label, fs_id, fields, records, using, models) -> list[AuditChainLink]:
    head = _lock_head(key, org, using, models)
    links = []
    for history_id, values in records:
        content = content_sha256(label, fields, values)
        seq = head.seq + 1
        digest = link_hash(key, seq, label, history_id, content, head.hash)
        links.append(
            models.AuditChainLink(
                chain=key,
                organisation_id=org,
                seq=seq,
                history_model=label,
                history_id=history_id,
                field_set_id=fs_id,
                content_sha256=content,
                prev_hash=head.hash,
                hash=digest,
            )
        )
        head.seq, head.hash = seq, digest
    models.AuditChainLink._default_manager.using(using).bulk_create(links)  # not-historied: AuditChainLink
    head.save(using=using, update_fields=["seq", "hash"])
    return links


def on_history_record(sender, history_instance, using=None, **kwargs):
    """simple-history's post_create_historical_record: chain the record just written."""
    append_records(sender, [history_instance.pk], using=using or history_instance._state.db or "default")


def on_bulk_history_records(sender, history_instances, using=None, **kwargs):
    """breachtrack.history's bulk signal: chain the records the helper just wrote."""
    append_records(sender, [record.pk for record in history_instances], using=using or "default")


def head(organisation, using: str = "default") -> tuple[int, str]:
    """(seq, hash) of an organisation's chain (``None``: the global chain); exports carry it."""
    organisation_id = getattr(organisation, "pk", organisation)
    found = AuditChainHead.objects.using(using).filter(chain=chain_key(organisation_id)).first()
    return (found.seq, found.hash) if found else (0, GENESIS)


_ANCHOR_COLUMNS = ("gen_time", "tsa_url", "seq", "head_hash", "serial")


def export_stamp(organisation, using: str = "default") -> dict:
    """What every export carries: the organisation's chain head, to prove later what it covered,
    and the chain's latest RFC 3161 anchor (None before the first): when, by which TSA, over which
    link. Whatever the export shows up to that link existed, unchanged, at that time.
    """
    key = chain_key(getattr(organisation, "pk", organisation))
    # One query (exports count theirs): the head, with its latest anchor's columns as subqueries.
    latest = AuditAnchor.objects.using(using).filter(chain=OuterRef("chain")).order_by("-gen_time", "-pk")
    row = (
        AuditChainHead.objects.using(using)
        .filter(chain=key)
        .annotate(**{f"anchor_{name}": Subquery(latest.values(name)[:1]) for name in _ANCHOR_COLUMNS})
        .values("seq", "hash", *(f"anchor_{name}" for name in _ANCHOR_COLUMNS))
        .first()
    )
    if row is None:
        return {"chain": key, "seq": 0, "sha256": GENESIS, "anchor": None}
    seq, digest = row["seq"], row["hash"]
    anchor = None
    if row["anchor_gen_time"] is not None:
        anchor = {
            "at": row["anchor_gen_time"].astimezone(UTC).isoformat(),
            "tsa": row["anchor_tsa_url"],
            "seq": row["anchor_seq"],
            "sha256": row["anchor_head_hash"],
            "serial": row["anchor_serial"],
        }
    return {"chain": key, "seq": seq, "sha256": digest, "anchor": anchor}


def adopt_unchained_if_new(using: str = "default") -> int:
    """On the first migrate with this app: chain the history written before it existed.

    Only when no link exists at all, so a record slipped in later by raw SQL is never adopted
    silently: verify_audit reports it as not chained.
    """
    if AuditChainLink.objects.using(using).exists():
        return 0

    adopted = 0
    for model in history_models():
        ids = list(model._default_manager.using(using).order_by("history_date", "pk").values_list("pk", flat=True))
        for start in range(0, len(ids), 1000):
            adopted += len(append_records(model, ids[start : start + 1000], using=using))
    return adopted


def record_migration_actor(using: str = "default") -> bool:
    """After migrate (and after ``adopt_unchained_if_new``): give ``system:migration`` its history.

    Migration 0002 of organisations creates that user through the migration state, where
    simple-history writes nothing (as does ``breachtrack.history.write_migration_history`` on a
    path where it is missing), so the user would be the one live row without a history record
    (verify_audit names such rows). Like every system actor it vouches for its own creation; the
    record is chained like any other. Idempotent: True only when it wrote the record.
    """
    actor = User.objects.using(using).filter(username=MIGRATION_ACTOR).first()
    if actor is None or User.history.using(using).filter(id=actor.pk).exists():
        return False
    with transaction.atomic(using=using):
        write_history_record(
            actor, actor=actor, reason="system actor created by migration 0002 of organisations", using=using
        )
    return True
