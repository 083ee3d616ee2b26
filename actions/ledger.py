"""The recipient ledger: keyed hashes of identifiers, CSV import and the call-centre lookup.

**Hashing.** ``identifier_hash = HMAC-SHA256(organisation_key, "<kind>:<normalised identifier>")``
where ``organisation_key = HMAC-SHA256(BREACHTRACK_LEDGER_KEY, "breachtrack-ledger:<org id>:<salt>")``.
The server secret lives outside the database (environment, a mounted file, or ``var/ledger_key``
in embedded mode); the salt is per organisation and random. Someone with only a database dump
must guess a 256-bit key before trying the 10^9 possible BSNs; the same person in two
organisations gives unrelated hashes, so ledgers cannot be joined across tenants.

**Import.** A CSV with the header ``kind,identifier`` (``kind`` is ``bsn`` or ``email``), UTF-8
with or without a BOM, never held in memory: one streamed pass takes its SHA-256, a second
validates every row, reports rejected rows with line numbers (nothing is written if any row
is rejected) and spools the 32-byte hashes to a temporary file; then one transaction writes
the ``ImportBatch`` and the rows not in the wave's ledger yet (a set-based insert that
ignores conflicts, so a re-import does not duplicate). The same file again is a no-op.
"""

from __future__ import annotations

import codecs
import csv
import functools
import hashlib
import hmac
import re
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import IO, Any, TypeVar

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.db import IntegrityError, connection, models, transaction
from django.utils import timezone
from django.utils.crypto import get_random_string
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from actions.incidents import lock_open_incident
from breachtrack.errors import field_error
from communications.choices import IdentifierKind, ImportKind, RecipientStatus
from communications.models import CommunicationWave, ImportBatch, LedgerLookup, LedgerSalt, Recipient
from incidents.models import Incident
from organisations.models import Membership, Organisation, User
from organisations.services import READ_ROLES, authorise, require_reason, save_with_history

HEADER = ("kind", "identifier")
MAX_REPORTED_ERRORS = 100  # enough to fix a file; a file with a million bad rows needs one message
INSERT_CHUNK = 50_000  # a progress report (and heartbeat) per chunk; larger chunks gain little
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


# --- Normalising and hashing ------------------------------------------------------


def is_valid_bsn(digits: str) -> bool:
    """The 'elfproef': 9 digits d1..d9 with 9·d1 + 8·d2 + … + 2·d8 − d9 divisible by 11."""
    if len(digits) != 9 or not digits.isascii() or not digits.isdigit():
        return False
    total = sum(int(d) * w for d, w in zip(digits[:8], range(9, 1, -1), strict=False)) - int(digits[8])
    return total % 11 == 0 and digits != "000000000"


def normalise(kind: str, raw: str) -> str:
    """The canonical form of an identifier, or ValueError with a reason a person can act on."""
    value = (raw or "").strip()
    if kind == IdentifierKind.BSN:
        value = value.replace(" ", "").replace(".", "")
        if len(value) == 8 and value.isdigit():
            value = "0" + value  # spreadsheets drop the leading zero
        if not is_valid_bsn(value):
            raise ValueError(_("not a valid BSN (9 digits passing the eleven test)"))
        return value
    if kind == IdentifierKind.EMAIL:
        value = value.lower()
        if not _EMAIL.match(value) or len(value) > 254:
            raise ValueError(_("not a valid e-mail address"))
        return value
    raise ValueError(_("unknown kind %(kind)r: use bsn or email") % {"kind": kind})


_KEYS: dict[tuple[str, int], bytes] = {}


T = TypeVar("T")


def _server_key() -> str:
    """The server secret the organisations' keys derive from (the settings always set one)."""
    secret = settings.BREACHTRACK_LEDGER_KEY
    if not secret:
        raise ImproperlyConfigured("BREACHTRACK_LEDGER_KEY is empty")
    return secret


def organisation_key(organisation: Organisation) -> bytes:
    """The organisation's ledger key: server secret + organisation id + its stored salt.

    Cached per process (a salt never changes) but only outside a transaction: a salt made in
    a transaction that is later rolled back must not outlive it in the cache.
    """
    server_key = _server_key()
    cache_key = (server_key, organisation.pk)
    if cache_key in _KEYS:
        return _KEYS[cache_key]
    salt = _salt(organisation)
    message = f"breachtrack-ledger:{organisation.pk}:{salt}".encode()
    key = hmac.new(server_key.encode(), message, hashlib.sha256).digest()
    if not connection.in_atomic_block:
        _KEYS[cache_key] = key
    return key


def _salt(organisation: Organisation) -> str:
    found = LedgerSalt.objects.filter(organisation=organisation).values_list("salt", flat=True).first()
    if found:
        return found
    try:
        with transaction.atomic():
            LedgerSalt.objects.create(organisation=organisation, salt=get_random_string(64))
    except IntegrityError:  # made concurrently by another import
        pass
    return LedgerSalt.objects.filter(organisation=organisation).values_list("salt", flat=True).get()


def identifier_hash(key: bytes, kind: str, normalised: str) -> bytes:
    return hmac.new(key, f"{kind}:{normalised}".encode(), hashlib.sha256).digest()


# --- Reading the CSV ----------------------------------------------------------------


@dataclass
class ImportReport:
    batch: ImportBatch
    is_repeat: bool  # the same file was imported before: nothing was written


def _rows(handle: IO[bytes]) -> Iterator[tuple[int, list[str]]]:
    """(line number, fields) for each data row; the header checked first. Streams."""
    handle.seek(0)
    text = codecs.getreader("utf-8-sig")(handle, "strict")
    # strict: an unclosed quote or a character after a closing quote is an error, not a guess.
    reader = csv.reader(text, strict=True)
    try:
        header = next(reader, None)
    except UnicodeDecodeError:
        raise field_error("file", _("Line 1: the file is not UTF-8 text. Save it as CSV UTF-8."), "encoding") from None
    if header is None or tuple(name.strip().lower() for name in header) != HEADER:
        raise field_error(
            "file",
            _("Line 1: the header must be exactly %(expected)s; found %(found)s.")
            % {"expected": ",".join(HEADER), "found": ",".join(header or []) or _("an empty file")},
            "header",
        )
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except UnicodeDecodeError:
            raise field_error(
                "file",
                _("Line %(line)d: the file is not UTF-8 text. Save it as CSV UTF-8.") % {"line": reader.line_num + 1},
                "encoding",
            ) from None
        except csv.Error as error:
            raise field_error(
                "file",
                _("Line %(line)d is not valid CSV (%(error)s): check its quotes.")
                % {"line": reader.line_num, "error": error},
                "csv",
            ) from None
        if row:
            yield reader.line_num, row


def _hashes(handle: IO[bytes], key: bytes, errors: list[str] | None) -> Iterator[tuple[int, bytes]]:
    """(line, hash) of each valid row; each rejected row appended to ``errors`` with its line."""
    for line, row in _rows(handle):
        if len(row) != len(HEADER):
            if errors is not None:
                errors.append(_("Line %(line)d: expected 2 columns, found %(n)d.") % {"line": line, "n": len(row)})
            continue
        kind = row[0].strip().lower()
        try:
            value = normalise(kind, row[1])
        except ValueError as error:
            if errors is not None:
                errors.append(_("Line %(line)d: %(error)s.") % {"line": line, "error": error})
            continue
        yield line, identifier_hash(key, kind, value)


def _validate(handle: IO[bytes], key: bytes, spool: IO[bytes], progress: Callable[[int], None] | None) -> int:
    """First pass: every row valid and unique in the file, or a ValidationError listing them.

    Each hash is appended to ``spool`` (a temporary file, 32 bytes a row) so the writing pass
    neither parses nor hashes again. Returns the number of recipients. The dict of hashes
    seen is the only thing that grows with the file (about 150 MB for a million rows).
    """
    errors: list[str] = []
    seen: dict[bytes, int] = {}
    for line, digest in _hashes(handle, key, errors):
        first = seen.setdefault(digest, line)
        if first != line:
            errors.append(_("Line %(line)d: the same person as on line %(first)d.") % {"line": line, "first": first})
        elif not errors:
            spool.write(digest)
        if progress is not None and len(seen) % 50_000 == 0:
            progress(len(seen))
    if errors:
        shown = errors[:MAX_REPORTED_ERRORS]
        if len(errors) > len(shown):
            shown.append(_("… and %(n)d more rejected rows.") % {"n": len(errors) - len(shown)})
        raise ValidationError({"file": [ValidationError(message, code="rejected_row") for message in shown]})
    if not seen:
        raise field_error("file", _("The file has a header but no recipients."), "empty")
    if progress is not None:
        progress(len(seen))  # the final count, not the last multiple of 50,000
    return len(seen)


def _spooled(spool: IO[bytes]) -> Iterator[bytes]:
    spool.seek(0)
    while True:
        block = spool.read(32 * 4096)
        if not block:
            return
        for start in range(0, len(block), 32):
            yield block[start : start + 32]


def _file_digest(handle: IO[bytes]) -> str:
    handle.seek(0)
    digest = hashlib.sha256()
    for chunk in iter(lambda: handle.read(1 << 20), b""):
        digest.update(chunk)
    return digest.hexdigest()


def _size(handle: IO[bytes]) -> int:
    handle.seek(0, 2)
    size = handle.tell()
    handle.seek(0)
    return size


# --- Importing ------------------------------------------------------------------------


def check_size(size: int) -> None:
    limit = settings.BREACHTRACK_LEDGER_MAX_BYTES
    if size > limit:
        raise field_error(
            "file",
            _("The file is %(size)s bytes; the limit is %(limit)s bytes. Split it into several files.")
            % {"size": number_format(size, force_grouping=True), "limit": number_format(limit, force_grouping=True)},
            "too_large",
        )


def import_recipients(
    wave: CommunicationWave,
    handle: IO[bytes],
    *,
    file_name: str,
    actor: User,
    reason: str,
    progress: Callable[[int], None] | None = None,
    written: Callable[[int], None] | None = None,
) -> ImportReport:
    """Add the recipients in a CSV file (a binary, seekable file) to a wave's ledger.

    Steps: check the role and the size; the same file again returns its batch; validate the
    whole file outside any transaction (so ``progress`` reports can be seen by a polling
    page), spooling the hashes; then, in one transaction: lock the incident and the wave,
    re-check for a concurrent import of the same file, write the batch and the new rows, and
    roll the counts up into the wave. ``written(0)`` is called once just before that
    transaction begins, then ``written(rows)`` inside it after each chunk of rows: a caller
    that wants the count seen by others must write it outside this transaction (see
    ``actions.recipient_imports.ProgressChannel``). A rejected row means nothing is written (only the
    organisation's ledger salt may have been made on first use: key material, no person).
    """
    organisation = wave.incident.organisation
    authorise(actor, organisation)
    reason = require_reason(reason)
    size = _size(handle)
    check_size(size)
    sha256 = _file_digest(handle)
    existing = ImportBatch.objects.filter(wave=wave, file_sha256=sha256).first()
    if existing is not None:
        return ImportReport(existing, is_repeat=True)
    key = organisation_key(organisation)
    with tempfile.TemporaryFile() as spool:
        rows = _validate(handle, key, spool, progress)
        if written is not None:
            written(0)
        return _write(
            wave,
            spool,
            rows,
            file_name=file_name,
            sha256=sha256,
            size=size,
            actor=actor,
            reason=reason,
            written=written,
        )


@transaction.atomic
def _write(
    wave: CommunicationWave,
    spool: IO[bytes],
    rows: int,
    *,
    file_name: str,
    sha256: str,
    size: int,
    actor: User,
    reason: str,
    bounced_at: datetime | None = None,
    written: Callable[[int], None] | None = None,
) -> ImportReport:
    lock_open_incident(wave.incident)
    wave = CommunicationWave.objects.select_for_update().get(pk=wave.pk)
    existing = ImportBatch.objects.filter(wave=wave, file_sha256=sha256).first()
    if existing is not None:  # the same file, imported meanwhile by someone else
        return ImportReport(existing, is_repeat=True)
    kind = ImportKind.RECIPIENTS if bounced_at is None else ImportKind.BOUNCES
    batch = ImportBatch(
        wave=wave,
        kind=kind,
        file_name=file_name[:255],
        file_sha256=sha256,
        file_size=size,
        rows_read=rows,
        recorded_by=actor,
    )
    save_with_history(batch, actor=actor, reason=reason)
    if bounced_at is None:
        # The wave is locked, and only an import adds rows (and sets has_ledger): none yet means
        # none can conflict, and the file's rows are unique (checked in _validate).
        added = _insert(wave.pk, batch.pk, _spooled(spool), written, first=not wave.has_ledger)
    else:
        added = _mark_bounced(wave, _spooled(spool), bounced_at)
    batch.rows_added, batch.rows_already_present = added, rows - added
    save_with_history(batch, actor=actor, reason=reason, update_fields=["rows_added", "rows_already_present"])
    if bounced_at is None:
        _add_to_counts(wave, added, actor=actor, reason=reason)
    else:
        wave.bounced_count += added
        save_with_history(wave, actor=actor, reason=reason, update_fields=["bounced_count"])
    return ImportReport(batch, is_repeat=False)


def _mark_bounced(wave: CommunicationWave, digests: Iterable[bytes], bounced_at: datetime) -> int:
    """Mark the wave's recipients in ``digests`` as bounced (once); the number newly marked."""
    marked = 0
    for chunk in _chunks(digests, 1000):
        pending = {"wave": wave, "identifier_hash__in": chunk, "bounced_at__isnull": True}
        marked += Recipient.objects.filter(**pending).update(bounced_at=bounced_at)  # not-historied: Recipient
    return marked


def import_bounces(
    wave: CommunicationWave, handle: IO[bytes], *, file_name: str, bounced_at: datetime, actor: User, reason: str
) -> ImportReport:
    """Record returned or undeliverable letters/e-mails of a sent wave from a CSV (same format).

    Validated like a recipient file (nothing written on a rejected row); people not in the
    wave's ledger are counted in ``rows_already_present`` (nothing to mark), the same file
    again is a no-op, and a person bounced earlier keeps the first time.
    """
    authorise(actor, wave.incident.organisation)
    reason = require_reason(reason)
    wave = CommunicationWave.objects.select_related("incident__organisation").get(pk=wave.pk)  # sent since loaded?
    if not wave.is_sent:
        raise field_error("file", _("Only a sent wave can have bounces."), "not_sent")
    if wave.sent_at is not None and bounced_at < wave.sent_at:  # a sent wave has its sent_at
        raise field_error("bounced_at", _("A letter cannot bounce before it was sent."), "before_sent")
    size = _size(handle)
    check_size(size)
    sha256 = _file_digest(handle)
    existing = ImportBatch.objects.filter(wave=wave, file_sha256=sha256).first()
    if existing is not None:
        return ImportReport(existing, is_repeat=True)
    key = organisation_key(wave.incident.organisation)
    with tempfile.TemporaryFile() as spool:
        rows = _validate(handle, key, spool, None)
        return _write(
            wave,
            spool,
            rows,
            file_name=file_name,
            sha256=sha256,
            size=size,
            actor=actor,
            reason=reason,
            bounced_at=bounced_at,
        )


def _chunks(iterable: Iterable[T], size: int) -> Iterator[list[T]]:
    chunk: list[T] = []
    for item in iterable:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _insert(
    wave_id: int,
    batch_id: int,
    digests: Iterable[bytes],
    written: Callable[[int], None] | None = None,
    *,
    first: bool = False,
) -> int:
    """Insert rows not yet in the wave's ledger: set-based, with raw SQL for speed.

    Recipient is insert-only and not historied (see its docstring), so no history is bypassed.
    Chunks of ``INSERT_CHUNK`` rows, ``written(rows so far)`` after each (progress, heartbeat):
    PostgreSQL: COPY a chunk into a temporary table, one INSERT … ON CONFLICT DO NOTHING, empty it.
    SQLite: executemany with ON CONFLICT DO NOTHING. ``first``: the wave's ledger is empty and
    locked by the caller, and the rows are unique, so nothing can conflict: PostgreSQL then
    inserts without ON CONFLICT (its speculative insertion roughly doubles the INSERT's time
    at a million rows) and in hash order (the unique index is filled page after page).
    """
    table = Recipient._meta.db_table
    added = done = 0
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("CREATE TEMPORARY TABLE ledger_import (identifier_hash bytea NOT NULL) ON COMMIT DROP")
            tail = "ORDER BY identifier_hash" if first else "ON CONFLICT (identifier_hash, wave_id) DO NOTHING"
            for chunk in _chunks(digests, INSERT_CHUNK):
                with cursor.copy("COPY ledger_import (identifier_hash) FROM STDIN") as copy:
                    for digest in chunk:
                        copy.write_row((digest,))
                cursor.execute(
                    f"INSERT INTO {table} (wave_id, batch_id, identifier_hash) "  # noqa: S608 (identifiers from our models' metadata, values as parameters)
                    f"SELECT %s, %s, identifier_hash FROM ledger_import {tail}",
                    [wave_id, batch_id],
                )
                added += cursor.rowcount
                cursor.execute("TRUNCATE ledger_import")
                done += len(chunk)
                if written is not None:
                    written(done)
            cursor.execute("DROP TABLE ledger_import")
            # Fresh statistics now, not when autovacuum gets to it: right after the first big
            # import the planner would otherwise take the table for empty and scan it on every
            # call-centre lookup.
            cursor.execute(f"ANALYZE {table}")
            return added
        sql = (
            f"INSERT INTO {table} (wave_id, batch_id, identifier_hash) VALUES (%s, %s, %s) "  # noqa: S608 (identifiers from our models' metadata, values as parameters)
            "ON CONFLICT (identifier_hash, wave_id) DO NOTHING"
        )
        for chunk in _chunks(digests, INSERT_CHUNK):
            cursor.executemany(sql, [(wave_id, batch_id, digest) for digest in chunk])
            added += cursor.rowcount
            done += len(chunk)
            if written is not None:
                written(done)
        return added


def _add_to_counts(wave: CommunicationWave, added: int, *, actor: User, reason: str) -> CommunicationWave:
    """Roll the new ledger rows up into the wave's ``recipient_count`` (inside the import's transaction).

    The officer's ``planned_count`` is left alone: what was planned and what the ledger holds
    are separate figures. Incremental rather than a COUNT(*): the ledger has no per-wave index
    (see Recipient), and the wave row is locked by the caller, so concurrent imports cannot
    lose an addition; the rows added are those not in the ledger yet, so a re-import adds 0.
    """
    wave.recipient_count += added
    wave.sent_count = wave.recipient_count if wave.is_sent else 0
    wave.has_ledger = True
    return save_with_history(
        wave, actor=actor, reason=reason, update_fields=["recipient_count", "sent_count", "has_ledger"]
    )


# --- The call-centre lookup ------------------------------------------------------------


@dataclass(frozen=True)
class Contact:
    """One wave that reached (or was planned to reach) the person looked up."""

    wave: CommunicationWave
    status: str
    sent_at: datetime | None


def lookup(
    organisation: Organisation, *, kind: str, identifier: str, actor: User, now: datetime | None = None
) -> list[Contact]:
    """Was this person informed, when and how? Scoped to ``organisation``; the lookup is logged.

    The identifier is normalised and hashed with the organisation's key, never stored or
    logged; the log says who looked, when, and how many waves were found. On PostgreSQL one
    round trip when someone is found (``_rows_logged``): the query with the role check folded
    in and the log row's insert in one statement, committed on its own (a durable commit: the
    call centre's access evidence must survive a crash of the server right after the answer
    was shown). Otherwise the query (``ledger_rows``), then the log row, inserted and committed
    the same way.
    """
    try:
        value = normalise(kind, identifier)
    except ValueError as error:
        authorise(actor, organisation, READ_ROLES)  # a refused role hears about the role, not the input
        raise field_error("identifier", str(error), "invalid") from None
    digest = identifier_hash(organisation_key(organisation), kind, value)
    looked_up_at = now or timezone.now()
    rows = _rows_logged(organisation, digest, actor, looked_up_at)
    if rows is None:  # not logged with the rows (none found, or not PostgreSQL): log it now
        rows = ledger_rows(organisation, digest, actor)
        LedgerLookup.objects.create(
            organisation=organisation, looked_up_by=actor, looked_up_at=looked_up_at, matches=len(rows)
        )
    return [Contact(row.wave, _status(row), row.wave.sent_at) for row in rows]


def _rows_logged(organisation: Organisation, digest: bytes, actor: User, looked_up_at: datetime) -> list | None:
    """PostgreSQL: the ledger rows and their log row in one statement (one round trip, one commit).

    A data-modifying CTE: the lookup query (``_lookup_sql``) and an INSERT of the ``LedgerLookup``
    row counting what it found, only when it found something (found rows mean the role check in
    the query passed). In autocommit the statement is its own transaction, committed durably
    like the ORM insert it replaces: the evidence is on disk before the answer leaves. None when
    nothing was found (nothing was logged: the caller then tells a refused role from no such
    person, and logs), or on another database.
    """
    if connection.vendor != "postgresql" or not _may_query(actor):
        return None
    unscoped = _unscoped(actor)
    with connection.cursor() as cursor:
        cursor.execute(
            _lookup_and_log_sql(),
            [digest, organisation.pk, unscoped, actor.pk, *READ_ROLES, organisation.pk, actor.pk, looked_up_at],
        )
        found = [_recipient_from_row(row) for row in cursor.fetchall()]
    return found or None


def ledger_rows(organisation: Organisation, digest: bytes, actor: User) -> list[Recipient]:
    """The ledger rows of one hash in ``organisation``, if ``actor`` may read them: one query.

    Steps: scope the query with the tenancy rule for the read roles (the role check of
    ``authorise``, as an EXISTS on the active membership, so it costs no round trip of its
    own); system actors and superusers, whom ``authorise`` lets through everywhere, are not
    scoped. Only when nothing is found is ``authorise`` asked separately, to tell "no such
    person" from "not your role" (PermissionDenied).

    Hand-written SQL (``_lookup_sql``) because this is the call centre's hot path: building
    the equivalent ORM query (three joins, a subquery, ``only()``) cost ~1.9 ms of Python per
    lookup, more than the database's work; the rows come back as ordinary model instances
    (``from_db``: the columns not selected are deferred, as with ``only()``).
    """
    if not _may_query(actor):
        found = []
    else:
        with connection.cursor() as cursor:
            cursor.execute(_lookup_sql(), [digest, organisation.pk, _unscoped(actor), actor.pk, *READ_ROLES])
            found = [_recipient_from_row(row) for row in cursor.fetchall()]
    if not found:
        authorise(actor, organisation, READ_ROLES)
    return found


def _unscoped(actor: User | None) -> bool:
    """System actors and superusers, whom ``authorise`` lets through everywhere."""
    return actor is not None and bool(getattr(actor, "is_system_actor", False) or actor.is_superuser)


def _may_query(actor: User | None) -> bool:
    return _unscoped(actor) or (actor is not None and actor.is_authenticated and actor.is_active)


_LOOKUP_COLUMNS = {
    Recipient: ("id", "wave_id", "bounced_at"),
    CommunicationWave: ("id", "incident_id", "cohort_label", "channel", "planned_at", "sent_at", "sent_tz"),
}


@functools.cache
def _lookup_sql() -> str:
    """The lookup query, with table and column names read from the models (built once).

    Parameters: the hash, the organisation id, whether the actor is unscoped (system actor or
    superuser), the actor's id, then each of ``READ_ROLES``. Uses the unique index on
    (identifier_hash, wave) for the hash, then primary keys.
    """

    def table(model: type[models.Model]) -> str:
        return connection.ops.quote_name(model._meta.db_table)

    def column(model: type[models.Model], name: str) -> str:
        return connection.ops.quote_name(model._meta.get_field(name).column)  # type: ignore[union-attr, arg-type]  # concrete fields: a column each

    user_model = Membership._meta.get_field("user").related_model
    selected = [f"r.{column(Recipient, name)}" for name in _LOOKUP_COLUMNS[Recipient]]
    selected += [f"w.{column(CommunicationWave, name)}" for name in _LOOKUP_COLUMNS[CommunicationWave]]
    roles = ", ".join(["%s"] * len(READ_ROLES))
    return (
        f"SELECT {', '.join(selected)}, i.{column(Incident, 'id')}, i.{column(Incident, 'reference')} "  # noqa: S608 (identifiers from our models' metadata, values as parameters)
        f"FROM {table(Recipient)} r "
        f"JOIN {table(CommunicationWave)} w ON w.{column(CommunicationWave, 'id')} = r.{column(Recipient, 'wave')} "
        f"JOIN {table(Incident)} i ON i.{column(Incident, 'id')} = w.{column(CommunicationWave, 'incident')} "
        f"WHERE r.{column(Recipient, 'identifier_hash')} = %s AND i.{column(Incident, 'organisation')} = %s "
        f"AND (%s OR EXISTS (SELECT 1 FROM {table(Membership)} m "
        f"JOIN {table(user_model)} u ON u.{column(user_model, 'id')} = m.{column(Membership, 'user')} "
        f"WHERE m.{column(Membership, 'user')} = %s "
        f"AND m.{column(Membership, 'organisation')} = i.{column(Incident, 'organisation')} "
        f"AND m.{column(Membership, 'is_active')} AND u.{column(user_model, 'is_active')} "
        f"AND m.{column(Membership, 'role')} IN ({roles}))) "
        f"ORDER BY w.{column(CommunicationWave, 'planned_at')}, w.{column(CommunicationWave, 'id')}"
    )


@functools.cache
def _lookup_and_log_sql() -> str:
    """PostgreSQL: ``_lookup_sql`` and the insert of its log row, one statement (``_rows_logged``).

    Parameters: those of ``_lookup_sql``, then the organisation id, the actor's id and the time
    of the log row. The CTE's columns are renamed c1..cN (the query selects three ``id``s); the
    outer ORDER BY repeats the lookup's (planned_at, wave id) by position.
    """
    lookup = _lookup_sql()
    count = len(_LOOKUP_COLUMNS[Recipient]) + len(_LOOKUP_COLUMNS[CommunicationWave]) + 2
    names = [f"c{n}" for n in range(1, count + 1)]
    wave_first = len(_LOOKUP_COLUMNS[Recipient])
    planned = names[wave_first + _LOOKUP_COLUMNS[CommunicationWave].index("planned_at")]
    wave_id = names[wave_first + _LOOKUP_COLUMNS[CommunicationWave].index("id")]
    log = LedgerLookup._meta

    def column(name: str) -> str:
        return connection.ops.quote_name(log.get_field(name).column)  # type: ignore[union-attr, arg-type]  # concrete fields: a column each

    log_columns = ", ".join(column(name) for name in ("organisation", "looked_up_by", "looked_up_at", "matches"))
    return (
        f"WITH found ({', '.join(names)}) AS ({lookup}), "  # noqa: S608 (identifiers from our models' metadata, values as parameters)
        f"logged AS (INSERT INTO {connection.ops.quote_name(log.db_table)} ({log_columns}) "
        "SELECT %s, %s, %s, COUNT(*) FROM found HAVING COUNT(*) > 0) "
        f"SELECT {', '.join(names)} FROM found ORDER BY {planned}, {wave_id}"
    )


def _aware(value: Any) -> Any:
    """A raw cursor skips the ORM's converters: SQLite hands back naive datetimes (stored UTC)."""
    if isinstance(value, datetime) and timezone.is_naive(value):
        return timezone.make_aware(value, UTC)
    return value


def _recipient_from_row(row: Sequence[Any]) -> Recipient:
    db = connection.alias
    recipient_count = len(_LOOKUP_COLUMNS[Recipient])
    wave_count = len(_LOOKUP_COLUMNS[CommunicationWave])
    row = [_aware(value) for value in row]
    recipient = Recipient.from_db(db, _LOOKUP_COLUMNS[Recipient], row[:recipient_count])
    wave = CommunicationWave.from_db(
        db, _LOOKUP_COLUMNS[CommunicationWave], row[recipient_count : recipient_count + wave_count]
    )
    wave.incident = Incident.from_db(db, ("id", "reference"), row[recipient_count + wave_count :])
    recipient.wave = wave
    return recipient


def _status(row: Recipient) -> str:
    if row.bounced_at is not None:
        return RecipientStatus.BOUNCED
    return RecipientStatus.SENT if row.wave.is_sent else RecipientStatus.PLANNED
