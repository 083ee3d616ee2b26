"""The API's JSON parser: DRF's, with the nesting depth checked before the body is parsed.

Python's JSON decoder recurses once per level: a body nested a thousand levels deep ends in a
RecursionError (a 500) before any serializer sees it. No request of this API nests more than a
few levels, so a body deeper than ``MAX_DEPTH`` is refused with 400 (``too_deep``) after one
linear scan of its text, strings skipped.
"""

from __future__ import annotations

import io
import re

from django.utils.translation import gettext as _
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

MAX_DEPTH = 32
STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
BRACKET = re.compile(r"[\[\]{}]")


def nesting_depth(text: str) -> int:
    """The deepest nesting of arrays and objects in JSON ``text`` (strings do not count)."""
    depth = deepest = 0
    for match in BRACKET.finditer(STRING.sub("", text)):
        if match.group() in "[{":
            depth += 1
            deepest = max(deepest, depth)
        else:
            depth -= 1
    return deepest


class DepthLimitedJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        raw = stream.read() if stream is not None else b""
        try:
            text = raw.decode((parser_context or {}).get("encoding") or "utf-8")
        except (UnicodeDecodeError, LookupError) as error:
            raise ParseError(_("The body is not valid UTF-8 text: %(error)s") % {"error": error}) from None
        if nesting_depth(text) > MAX_DEPTH:
            raise ParseError(
                _("The body nests arrays and objects deeper than %(max)d levels.") % {"max": MAX_DEPTH},
                code="too_deep",
            )
        return super().parse(io.BytesIO(raw), media_type, parser_context)
