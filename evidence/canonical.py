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


def content_hasher(label: str, names, positions):
    """``row -> content_sha256(label, names, [row[p] for p in positions])`` for many rows of one
    field set, without building a dict per row.

    The canonical text is ``{"fields":{<names sorted>},"model":<label>}``: the keys and their order
    are the same for every row, so they are written once into a template and each row only fills
    in its values' JSON. Same text byte for byte (tests/evidence/test_canonical.py compares them).
    """
    names, positions = tuple(names), tuple(positions)
    if len(set(names)) != len(names):  # a dict keeps the last of a repeated name: the general path
        return lambda row: content_sha256(label, names, [row[p] for p in positions])
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
    if len(picked) == 1:
        only = picked[0]

        def pick(row):
            return (row[only],)
    else:
        pick = operator.itemgetter(*picked) if picked else (lambda row: ())
    json_of, other, sha256 = _JSON_OF.get, _json_of_other, hashlib.sha256

    def hasher(row) -> str:
        text = template % tuple([json_of(type(value), other)(value) for value in pick(row)])
        return sha256(text.encode("utf-8")).hexdigest()

    return hasher
