"""No lost updates: an ETag on every read of a changeable object, If-Match required to change it.

The ETag is the SHA-256 of the object's JSON representation, so it changes whenever anything a
client can see changes, whichever interface (web, admin, API) changed it. The comparison runs on
the row locked for the write (``api.views``), so two clients holding the same ETag cannot both
pass it.
"""

from __future__ import annotations

import hashlib
import json

from django.core.serializers.json import DjangoJSONEncoder

from api.errors import PreconditionFailed, PreconditionRequired


def etag_of(representation) -> str:
    canonical = json.dumps(representation, cls=DjangoJSONEncoder, sort_keys=True, separators=(",", ":"))
    return '"%s"' % hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def require_if_match(request) -> list[str]:
    """The entity tags the client says it read; 428 without any.

    ``If-Match: *`` ("whatever is there") names no version, so it is refused like a missing header.
    """
    header = request.headers.get("If-Match", "").strip()
    if not header or header == "*":
        raise PreconditionRequired()
    return [tag.strip() for tag in header.split(",") if tag.strip()]


def check_if_match(tags: list[str], current: str) -> None:
    """412 unless the client read the current version. Weak tags (W/…) never match (RFC 9110)."""
    if current not in tags:
        raise PreconditionFailed()
