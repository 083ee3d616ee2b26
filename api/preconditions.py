"""No lost updates: an ETag on every read of a changeable object, If-Match required to change it.

The ETag is the SHA-256 of the object's JSON representation, so it changes whenever anything a
client can see changes, whichever interface (web, admin, API) changed it. The comparison runs on
the row locked for the write (``api.views``), so two clients holding the same ETag cannot both
pass it.
"""

from __future__ import annotations

import hashlib
import json
import re

from django.core.serializers.json import DjangoJSONEncoder

from api.errors import PreconditionFailed, PreconditionRequired


def etag_of(representation) -> str:
    canonical = json.dumps(representation, cls=DjangoJSONEncoder, sort_keys=True, separators=(",", ":"))
    return f'"{hashlib.sha256(canonical.encode("utf-8")).hexdigest()}"'


# An If-Match that names versions: a comma-separated list of entity tags, weak or strong
# (RFC 9110, 8.8.3). The API schema documents the same pattern for the header (views.IF_MATCH).
ENTITY_TAG = r'(?:W/)?"[\x21\x23-\x7e]*"'
IF_MATCH_PATTERN = rf"^{ENTITY_TAG}(?: *, *{ENTITY_TAG})*$"
_ENTITY_TAG_LIST = re.compile(IF_MATCH_PATTERN)


def require_if_match(request) -> list[str]:
    """The entity tags the client says it read; 428 without any.

    ``If-Match: *`` ("whatever is there") names no version, so it is refused like a missing
    header; so is a value that is not a list of entity tags (an unquoted word, an empty value).
    """
    header = request.headers.get("If-Match", "").strip(" \t")
    if not _ENTITY_TAG_LIST.fullmatch(header):
        raise PreconditionRequired()
    return re.findall(ENTITY_TAG, header)


def check_if_match(tags: list[str], current: str) -> None:
    """412 unless the client read the current version. Weak tags (W/…) never match (RFC 9110)."""
    if current not in tags:
        raise PreconditionFailed()
