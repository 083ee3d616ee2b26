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
