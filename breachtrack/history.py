"""History is evidence: every historical record names an actor and a reason.

django-simple-history records a row for each ``save()`` and ``delete()``, but
it silently records nothing for ``QuerySet.update()``, ``bulk_create()``,
``bulk_update()`` and raw SQL, and it happily stores ``None`` as the user.
This module closes those holes:

* ``acting_as(actor, reason)`` sets who is acting (and why) for everything in
  the block. Requests get the logged-in user (simple-history's middleware) and
  a default reason; management commands and Celery tasks get a named *system
  actor* (a deactivated user ``system:<name>``), never "unknown".
* A ``pre_create_historical_record`` receiver fills in actor and reason from
  that context and refuses to write a record that still has neither, or whose
  values are unresolved expressions such as ``F()``.
* ``HistoriedQuerySet`` refuses ``update``/``bulk_create``/``bulk_update``
  unless called through the ``*_with_history`` helpers below.
* A raw save (``loaddata``) gets the record simple-history skips, attributed
  like any other write (``record_raw_save``).
* A data migration that changes live rows writes their records with
  ``write_migration_history``, attributed to ``system:migration``.

The database adds its own refusal: every history table's INSERT trigger
(evidence.triggers.install_attribution) rejects a record without an actor or a
reason, for writes that never pass through this module. The paths that write
history, and what each records, are mapped in tests/evidence/test_history_paths.py.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
from collections.abc import Sequence

from django.conf import settings
from django.contrib.auth.models import UserManager as DjangoUserManager
from django.db import IntegrityError, connection, models, transaction
from django.db.models.expressions import Combinable
from django.dispatch import Signal
from django.utils import timezone
from simple_history.signals import pre_create_historical_record
from simple_history.utils import get_history_manager_for_model


class HistoryBypassError(RuntimeError):
    """A write would change a historied model without leaving history."""


class UnknownActorError(RuntimeError):
    """A historical record would be written without an actor or a reason."""


# Sent by the *_with_history helpers after they inserted history records in bulk (simple-history
# sends post_create_historical_record only for one record at a time): sender=the history model,
# history_instances=the records, with their ids, using=the database. evidence.chain chains them.
post_bulk_create_historical_records = Signal()

_actor = contextvars.ContextVar("history_actor", default=None)
_reason = contextvars.ContextVar("history_reason", default=None)
_bulk_allowed = contextvars.ContextVar("history_bulk_allowed", default=False)


@contextlib.contextmanager
def acting_as(actor, reason: str | None = None):
    """Attribute every history record written in this block to ``actor``.

    ``actor`` is a user, or a string naming a system actor (``"sweep"`` becomes
    the user ``system:sweep``). ``reason`` is the default change reason for
    records that were not given one explicitly.
    """
    actor_token = _actor.set(actor)
    reason_token = _reason.set(reason)
    try:
        yield
    finally:
        _actor.reset(actor_token)
        _reason.reset(reason_token)


def current_actor():
    actor = _actor.get()
    if isinstance(actor, str):
        actor = system_actor(actor)
    return actor


def system_actor(name: str):
    """The deactivated user that stands for a non-human actor, created on first use."""
    from django.contrib.auth import get_user_model

    user_model = get_user_model()
    username = f"system:{name}"
    found = user_model.objects.filter(username=username).first()
    if found is not None:
        return found
    user = user_model(username=username, is_active=False, is_system_actor=True)
    user.set_unusable_password()
    user._history_user = user  # a system actor vouches for its own creation
    user._change_reason = "system actor created on first use"
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError:  # another process created it first
        return user_model.objects.get(username=username)
    return user


def _expression_fields(instance) -> list[str]:
    """Fields holding an unresolved expression (F() and friends) instead of a value."""
    return [
        field.name
        for field in instance._meta.concrete_fields
        if isinstance(getattr(instance, field.attname, None), Combinable)
    ]


def require_actor_and_reason(sender, history_instance, **kwargs):
    """Fill actor and reason from the context; refuse a record that has neither."""
    if history_instance.history_user_id is None and getattr(history_instance, "history_user", None) is None:
        actor = current_actor()
        if actor is None:
            raise UnknownActorError(
                f"refusing to write {sender.__name__} without an actor: "
                "use a service with actor=..., or wrap the code in acting_as(...)"
            )
        history_instance.history_user = actor
    if not history_instance.history_change_reason:
        reason = _reason.get()
        if not reason:
            raise UnknownActorError(f"refusing to write {sender.__name__} without a change reason")
        history_instance.history_change_reason = reason
    if _expression_fields(history_instance):
        raise HistoryBypassError(
            f"{sender.__name__}: F() or other expressions cannot be stored in history; "
            "compute the value in Python and save it"
        )


pre_create_historical_record.connect(require_actor_and_reason, dispatch_uid="breachtrack.require_actor")


def _is_historied(model) -> bool:
    return getattr(model._meta, "simple_history_manager_attribute", None) is not None


def _request_user():
    from simple_history.models import HistoricalRecords

    request = getattr(HistoricalRecords.context, "request", None)
    user = getattr(request, "user", None)
    return user if user is not None and user.is_authenticated else None


def refuse_before_write(sender, instance, **kwargs):
    """Refuse a historied write *before* it reaches the database.

    The history receiver above runs after the row is written; checking here
    too means a refused change leaves the row untouched as well.
    """
    if not _is_historied(sender) or getattr(instance, "skip_history_when_saving", False):
        return
    has_actor = getattr(instance, "_history_user", None) is not None or _request_user() or _actor.get()
    if not has_actor:
        raise UnknownActorError(
            f"refusing to write {sender.__name__} without an actor: "
            "use a service with actor=..., or wrap the code in acting_as(...)"
        )
    if not (getattr(instance, "_change_reason", None) or _reason.get()):
        raise UnknownActorError(f"refusing to write {sender.__name__} without a change reason")
    expressions = _expression_fields(instance)
    if expressions:
        raise HistoryBypassError(
            f"{sender.__name__}.{', '.join(expressions)}: F() or other expressions cannot be stored in history; "
            "compute the value in Python and save it"
        )


def record_raw_save(sender, instance, raw=False, using=None, **kwargs):
    """A raw save (``loaddata``, deserialisation) writes the row as given: simple-history then
    writes no record at all. Write it here, attributed like any other write (a command runs as
    ``system:command:loaddata``), so a fixture can never put a row in the register without history.

    The record says "+" for a row new to this database and "~" for one that already had history
    (a restore that brought its history along gains one record: the restore itself).
    """
    if not raw or not _is_historied(sender) or getattr(instance, "skip_history_when_saving", False):
        return
    actor = getattr(instance, "_history_user", None) or current_actor()
    reason = getattr(instance, "_change_reason", None) or _reason.get()
    _require(actor, reason)  # refuse_before_write already refused a write without them
    history_manager = get_history_manager_for_model(sender)
    update = history_manager.using(using).filter(**{sender._meta.pk.attname: instance.pk}).exists()
    write_history_record(instance, actor=actor, reason=reason, update=update, using=using)


def write_history_record(instance, *, actor, reason: str, update: bool = False, using: str | None = None):
    """Write one history record of ``instance`` as it is ("+", or "~" with ``update``), attributed
    to ``actor`` with ``reason``, and announce it (the hash chain appends it). For a row that is
    already stored and has no record for its current state: a raw save, a row written by a
    migration."""
    _require(actor, reason)
    history_manager = get_history_manager_for_model(type(instance))
    records = history_manager.bulk_history_create(
        [instance], update=update, default_user=actor, default_change_reason=reason
    )
    post_bulk_create_historical_records.send(
        sender=history_manager.model, history_instances=records or [], using=using or history_manager.db
    )
    return records


# The actor of data migrations: organisations' migration 0002 creates it (to seed the authorities
# with); evidence gives it its own history record after migrate (evidence.chain.record_migration_actor).
MIGRATION_ACTOR = "system:migration"


def write_migration_history(apps, model, pks, *, reason: str, using: str = "default") -> list:
    """A data migration changed these rows of ``model``: write a "~" record of each, as it is now.

    ``apps`` and ``model`` are the migration's state (simple-history writes nothing there, and the
    guard above does not see it). The records are attributed to ``system:migration`` (obtained as
    organisations' migration 0002 does: created if this path has none yet) with ``reason``, which
    the timeline shows: say in plain words what the migration changed and why. Then they are
    announced like the bulk helpers' (``post_bulk_create_historical_records``), so the hash chain
    links them in the migration's transaction, through the state's own chain tables. Call it with
    the rows whose values changed only: a record that changes nothing is noise in the timeline.
    """
    _require(MIGRATION_ACTOR, reason)
    if not pks:
        return []
    user_model = apps.get_model(settings.AUTH_USER_MODEL)
    actor, _ = user_model._default_manager.using(using).get_or_create(
        username=MIGRATION_ACTOR, defaults={"is_active": False, "is_system_actor": True, "password": "!"}
    )
    history_model = apps.get_model(model._meta.app_label, f"Historical{model._meta.object_name}")
    tracked = {field.attname for field in model._meta.concrete_fields}
    columns = [field.attname for field in history_model._meta.concrete_fields if field.attname in tracked]
    at = timezone.now()
    records = [
        history_model._default_manager.using(using).create(
            **dict(zip(columns, row, strict=True)),
            history_date=at,
            history_type="~",
            history_user_id=actor.pk,
            history_change_reason=reason,
        )
        # Read back: the record holds what the database holds, as verify_audit compares them.
        for row in model._base_manager.using(using).filter(pk__in=list(pks)).order_by("pk").values_list(*columns)
    ]
    post_bulk_create_historical_records.send(sender=history_model, history_instances=records, using=using)
    return records


models.signals.pre_save.connect(refuse_before_write, dispatch_uid="breachtrack.refuse_before_save")
models.signals.pre_delete.connect(refuse_before_write, dispatch_uid="breachtrack.refuse_before_delete")
models.signals.post_save.connect(record_raw_save, dispatch_uid="breachtrack.record_raw_save")


@contextlib.contextmanager
def _bulk_permitted():
    token = _bulk_allowed.set(True)
    try:
        yield
    finally:
        _bulk_allowed.reset(token)


def _refuse(method: str, model):
    raise HistoryBypassError(
        f"{model.__name__}.objects.{method}() writes no history; "
        f"use breachtrack.history.{method}_with_history(...) or a service function"
    )


class HistoriedQuerySet(models.QuerySet):
    """A queryset for models whose every change must leave history."""

    def delete(self):
        # Evidence is never deleted in bulk; a row-by-row delete still leaves
        # history, but users must not be deleted at all (see UserQuerySet).
        if not _bulk_allowed.get():
            for obj in self:
                refuse_before_write(type(obj), obj)
        return super().delete()

    def update(self, **kwargs):
        if not _bulk_allowed.get():
            _refuse("update", self.model)
        return super().update(**kwargs)

    def bulk_create(self, objs, *args, **kwargs):
        if not _bulk_allowed.get():
            _refuse("bulk_create", self.model)
        return super().bulk_create(objs, *args, **kwargs)

    def bulk_update(self, objs, *args, **kwargs):
        if not _bulk_allowed.get():
            _refuse("bulk_update", self.model)
        return super().bulk_update(objs, *args, **kwargs)


class HistoriedManager(models.Manager.from_queryset(HistoriedQuerySet)):
    pass


class UserQuerySet(HistoriedQuerySet):
    def delete(self):
        from django.core.exceptions import ValidationError

        raise ValidationError("Users are deactivated, never deleted: their changes are evidence.", code="protected")


class UserManager(DjangoUserManager.from_queryset(UserQuerySet)):
    pass


def _require(actor, reason):
    if actor is None or not reason:
        raise UnknownActorError("bulk writes need an actor and a reason")


def _attribute(objs, actor, reason):
    """Stamp each object: an attribute left by an earlier save must not be reused."""
    for obj in objs:
        obj._history_user = actor
        obj._change_reason = reason


def bulk_create_with_history(objs, model, *, actor, reason: str, batch_size: int = 1000):
    """Create many rows and one historical record each, attributed to ``actor``.

    Steps, in one transaction: insert the rows (both our databases return their ids); insert
    their history; announce the history records (``post_bulk_create_historical_records``) so that
    they are chained in the same transaction.
    """
    _require(actor, reason)
    _attribute(objs, actor, reason)
    with transaction.atomic(), _bulk_permitted():
        created = model._default_manager.bulk_create(objs, batch_size=batch_size)
        if any(obj.pk is None for obj in created):
            raise HistoryBypassError(f"{model.__name__}: the database returned no ids; history cannot be written")
        _bulk_history(created, model, actor, reason, batch_size, update=False)
    return created


def bulk_update_with_history(objs, model, fields, *, actor, reason: str, batch_size: int = 1000):
    """Update many rows and write one historical record each, attributed to ``actor``."""
    _require(actor, reason)
    _attribute(objs, actor, reason)
    with transaction.atomic(), _bulk_permitted():
        changed = model._default_manager.bulk_update(objs, fields, batch_size=batch_size) if fields else 0
        _bulk_history(objs, model, actor, reason, batch_size, update=True)
    return changed


def _bulk_history(objs, model, actor, reason, batch_size, *, update: bool):
    history_manager = get_history_manager_for_model(model)
    records = history_manager.bulk_history_create(
        objs, batch_size=batch_size, update=update, default_user=actor, default_change_reason=reason
    )
    post_bulk_create_historical_records.send(
        sender=history_manager.model, history_instances=records or [], using=history_manager.db
    )


def update_with_history(queryset, *, actor, reason: str, **values):
    """``queryset.update(**values)`` that also writes history: row by row, with save().

    Used for small administrative sets only; it takes a row lock so that two
    writers do not interleave.
    """
    _require(actor, reason)
    changed = 0
    with transaction.atomic():
        for obj in queryset.select_for_update():
            for name, value in values.items():
                setattr(obj, name, value)
            _attribute([obj], actor, reason)
            try:
                obj.save(update_fields=list(values))
            finally:
                _forget_attribution(obj)
            changed += 1
    return changed


def _forget_attribution(obj) -> None:
    for name in ("_history_user", "_change_reason"):
        obj.__dict__.pop(name, None)


def save_attributed(obj, *, actor, reason: str, update_fields=None) -> None:
    """Save with this actor and reason for this save only (never left on the object)."""
    _require(actor, reason)
    _attribute([obj], actor, reason)
    try:
        obj.save(update_fields=update_fields)
    finally:
        _forget_attribution(obj)


def delete_attributed(obj, *, actor, reason: str) -> None:
    """Delete one row, its "-" historical record attributed to ``actor`` with ``reason``."""
    _require(actor, reason)
    _attribute([obj], actor, reason)
    try:
        obj.delete()
    finally:
        _forget_attribution(obj)


def with_system_actor(name: str, reason: str):
    """Decorator: run the function as the named system actor (tasks, commands)."""

    def decorate(func):
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with acting_as(name, reason):
                return func(*args, **kwargs)

        return wrapper

    return decorate


def insert_rows_without_history(
    model: type[models.Model], fields: Sequence[str], rows: Sequence[tuple], returning: Sequence[str] = ("pk",)
) -> list[tuple]:
    """Many rows of a model *without* history in one INSERT; the ``returning`` values of each row.

    For the sweep's work rows (an alert, two notifications and three deliveries per due deadline:
    thousands after an outage). ``bulk_create`` builds a model instance per row and prepares every
    value in Python (``pre_save``, ``get_db_prep_save``, one placeholder each), a quarter of a busy
    sweep; on PostgreSQL this sends one array per column, ``INSERT … SELECT * FROM unnest(%s::type[],
    …) RETURNING …``: a few parameters whatever the number of rows. Elsewhere (SQLite) it is
    ``bulk_create``. The values go to the database as given (ints, strings, aware datetimes,
    ``None``): no field conversion, no defaults, so name every column the table requires. The
    rows come back in no promised order: return the columns that tell them apart. A historied
    model is refused: its rows need their history records and chain links.
    """
    if _is_historied(model) or hasattr(model, "history"):
        raise TypeError(f"{model.__name__} keeps history: write it with bulk_create_with_history")
    if not rows:
        return []
    meta = model._meta
    columns = [meta.get_field(name) for name in fields]
    back = [meta.pk if name == "pk" else meta.get_field(name) for name in returning]
    if connection.vendor != "postgresql":
        objects = [model(**dict(zip(fields, row, strict=True))) for row in rows]
        model._base_manager.bulk_create(objects)
        return [tuple(getattr(obj, field.attname) for field in back) for obj in objects]
    quote = connection.ops.quote_name
    arrays = ", ".join(f"%s::{field.db_type(connection)}[]" for field in columns)
    returned = f" RETURNING {', '.join(quote(field.column) for field in back)}" if back else ""
    sql = (
        f"INSERT INTO {quote(meta.db_table)} ({', '.join(quote(field.column) for field in columns)}) "  # noqa: S608
        f"SELECT * FROM unnest({arrays}){returned}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [list(values) for values in zip(*rows, strict=True)])
        return cursor.fetchall() if back else []
