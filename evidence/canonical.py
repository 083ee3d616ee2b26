"""The canonical content of a history record, and the hashes of the chain.

Content is JSON with sorted keys and no spaces: ``{"model": <label>, "fields": {<attname>: value}}``
over every column the record's field set names (the actor's id, the reason, ``history_date``,
``history_type``, ``history_id`` and every tracked field). Instants are UTC ISO-8601, decimals and
UUIDs strings, bytes hex. Values are always those read back from the database, so writing and
verifying hash exactly the same thing.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import operator
import uuid
from decimal import Decimal

GENESIS = "0" * 64
UTC = dt.UTC


def normalise(value):
    """A JSON-ready, unambiguous form of one column value."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, dt.datetime):
        return value.astimezone(UTC).isoformat() if value.tzinfo else value.isoformat()
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, (Decimal, uuid.UUID, float)):
        return str(value)
    if isinstance(value, dt.timedelta):
        return f"{value.days}d{value.seconds}s{value.microseconds}us"
    if isinstance(value, (bytes, memoryview)):
        return bytes(value).hex()
    if isinstance(value, (dict, list)):
        return value
    return str(value)  # e.g. django-countries' Country: its code


def record_fields(history_model) -> tuple[str, ...]:
    """Every concrete column of a history model, sorted (what a new link covers)."""
    return tuple(sorted(field.attname for field in history_model._meta.concrete_fields))


# The canonical text's encoder, made once: ``json.dumps`` with any non-default option builds a
# new encoder per call, which cost as much as the rest of hashing a record (verify_audit hashes a
# million). Same options, same C encoder, same text.
_ENCODER = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)
_AS_IS = frozenset({type(None), bool, int, str})  # normalise() returns these unchanged


def content_sha256(label: str, names, values) -> str:
    """The sha256 of the record's canonical content (see the module docstring)."""
    fields = {
        name: value if type(value) in _AS_IS else normalise(value) for name, value in zip(names, values, strict=False)
    }
    text = _ENCODER.encode({"model": label, "fields": fields})
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def link_hash(chain: str, seq: int, history_model: str, history_id: int, content: str, prev_hash: str) -> str:
    """The link's hash: covers its place (chain, seq), the record it names, its content and its predecessor."""
    text = f"{chain}\n{seq}\n{history_model}\n{history_id}\n{content}\n{prev_hash}"
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# Each plain type's JSON text as the encoder writes it inside a dict (same C functions: strings
# through ``encode_basestring`` with ensure_ascii off, integers through ``int.__repr__``); any
# other type is normalised and encoded on its own, which is also what the encoder does in a dict.
_JSON_OF = {
    str: json.encoder.encode_basestring,
    int: int.__repr__,
    bool: {True: "true", False: "false"}.__getitem__,
    type(None): {None: "null"}.__getitem__,
}


def _json_of_other(value) -> str:
    return _ENCODER.encode(normalise(value))


def _json_of_instant(value: dt.datetime) -> str:
    """normalise()'s text of a datetime, quoted as the encoder quotes it (every record has one)."""
    return json.encoder.encode_basestring(value.astimezone(UTC).isoformat() if value.tzinfo else value.isoformat())


_JSON_OF[dt.datetime] = _json_of_instant


def _json_of_instant_text(text: str) -> str:
    """An instant read as the text the database writes (``2025-01-01 00:00:01+00``; naive is UTC),
    as :func:`_json_of_instant` writes the datetime it stands for."""
    value = datetime_from_text(text)
    return json.encoder.encode_basestring(
        (value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)).isoformat()
    )


datetime_from_text = dt.datetime.fromisoformat


def content_hasher(label: str, names, positions, instants=()):
    """``row -> content_sha256(label, names, [row[p] for p in positions])`` for many rows of one
    field set, without building a dict per row.

    The canonical text is ``{"fields":{<names sorted>},"model":<label>}``: the keys and their order
    are the same for every row, so they are written once into a template and each row only fills
    in its values' JSON, each by the function its type calls for (looked up once per combination
    of types: a table's rows share one or two). ``instants``: the positions in the row that hold
    an instant as text (``verify._instants_as_text``), hashed as the instant. Same text byte for
    byte (tests/evidence/test_canonical.py compares them).
    """
    names, positions = tuple(names), tuple(positions)
    if len(set(names)) != len(names):  # a dict keeps the last of a repeated name: the general path
        return _general_hasher(label, names, positions, instants)
    order = sorted(range(len(names)), key=names.__getitem__)
    encode_key = json.encoder.encode_basestring
    template = (
        '{"fields":{'
        + ",".join(encode_key(names[i]).replace("%", "%%") + ":%s" for i in order)
        + '},"model":'
        + encode_key(label).replace("%", "%%")
        + "}"
    )
    picked = [positions[i] for i in order]
    is_instant = [position in instants for position in picked]
    if len(picked) == 1:
        only = picked[0]

        def pick(row):
            return (row[only],)
    else:
        pick = operator.itemgetter(*picked) if picked else (lambda row: ())
    encoders: dict[tuple, tuple] = {}

    def encoders_for(types: tuple) -> tuple:
        found = tuple(
            _json_of_instant_text if instant and kind is str else _JSON_OF.get(kind, _json_of_other)
            for kind, instant in zip(types, is_instant, strict=True)
        )
        encoders[types] = found
        return found

    call, sha256 = operator.call, hashlib.sha256

    def hasher(row) -> str:
        values = pick(row)
        types = tuple(map(type, values))
        text = template % tuple(map(call, encoders.get(types) or encoders_for(types), values))
        return sha256(text.encode("utf-8")).hexdigest()

    return hasher


def _general_hasher(label, names, positions, instants):
    def hasher(row) -> str:
        values = [row[p] for p in positions]
        for n, p in enumerate(positions):
            if p in instants and type(values[n]) is str:
                value = datetime_from_text(values[n])
                values[n] = value if value.tzinfo else value.replace(tzinfo=UTC)
        return content_sha256(label, names, values)

    return hasher
