"""The words for the codes of the regime files, in English and Dutch (data/vocabulary/vocabulary.toml).

Reasons and explanations never show a code ("trust_service_provider", "US-NY", "America/Chicago"):
they show what the vocabulary calls it ("a trust service provider", "New York", "Chicago time").
The file is read and checked once per process; a missing or malformed entry is refused with the
file and the path inside it, like a regime file. The loader refuses a regime file that uses an
entity tag, flag or place the vocabulary has no words for, so a shipped reason never falls back
to a code. Facts recorded on an incident may still name a place the vocabulary does not know (any
ISO code); that place is shown as its code.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from types import MappingProxyType

from rules.regimes.text import Text

VOCABULARY_FILE = Path(__file__).resolve().parent / "data" / "vocabulary" / "vocabulary.toml"
_SLUG = re.compile(r"^[a-z][a-z0-9_]*$")
_PLACE = re.compile(r"^(?:EU|[A-Z]{2}(?:-[A-Z0-9]{1,3})?)$")
_ZONE = re.compile(r"^[A-Za-z_]+(?:/[A-Za-z_+-]+)+$")
_SECTIONS = ("entities", "flags", "anchors", "recipients", "places", "zones")


class VocabularyError(ValueError):
    """A vocabulary file that cannot be used, with the path of what is wrong."""


@dataclass(frozen=True)
class FlagWords:
    """A yes/no determination in its three forms: it holds, it does not, and the open question."""

    yes: Text
    no: Text
    whether: Text


@dataclass(frozen=True)
class Vocabulary:
    entities: Mapping[str, Text]
    flags: Mapping[str, FlagWords]
    anchors: Mapping[str, Text]
    recipients: Mapping[str, Text]
    places: Mapping[str, Text]
    subdivisions: Mapping[str, Text]  # country -> what one of its subdivisions is called ("state")
    zones: Mapping[str, Text]


def _fail(where: str, message: str) -> VocabularyError:
    return VocabularyError(f"{VOCABULARY_FILE.name}: {where}: {message}")


def _text(value: object, where: str) -> Text:
    if not isinstance(value, dict) or set(value) != {"en", "nl"}:
        raise _fail(where, "must be a table with exactly the keys en and nl")
    for language in ("en", "nl"):
        if not isinstance(value[language], str) or not value[language].strip():
            raise _fail(f"{where}.{language}", "must be a non-empty string")
    return Text(value["en"], value["nl"])


def _section(data: dict, name: str, pattern: re.Pattern[str]) -> dict:
    table = data.get(name)
    if not isinstance(table, dict) or not table:
        raise _fail(name, "must be a non-empty table")
    for key in table:
        if not pattern.match(key):
            raise _fail(f"{name}.{key}", f"{key!r} does not match {pattern.pattern}")
    return table


def parse(data: dict) -> Vocabulary:
    """Check the parsed file and turn it into values; raise :class:`VocabularyError` on the first problem."""
    unknown = sorted(set(data) - set(_SECTIONS))
    if unknown:
        raise _fail(unknown[0], f"unknown section (allowed: {', '.join(_SECTIONS)})")
    flags = {}
    for name, forms in _section(data, "flags", _SLUG).items():
        if not isinstance(forms, dict) or set(forms) != {"yes", "no", "whether"}:
            raise _fail(f"flags.{name}", "must have exactly the forms yes, no and whether")
        flags[name] = FlagWords(*(_text(forms[form], f"flags.{name}.{form}") for form in ("yes", "no", "whether")))
    places, subdivisions = {}, {}
    for code, value in _section(data, "places", _PLACE).items():
        where = f"places.{code}"
        if isinstance(value, dict) and "subdivision" in value:
            value = dict(value)
            subdivisions[code] = _text(value.pop("subdivision"), f"{where}.subdivision")
        places[code] = _text(value, where)
    plain = {
        name: {key: _text(value, f"{name}.{key}") for key, value in _section(data, name, pattern).items()}
        for name, pattern in (("entities", _SLUG), ("anchors", _SLUG), ("recipients", _SLUG), ("zones", _ZONE))
    }
    return Vocabulary(
        entities=MappingProxyType(plain["entities"]),
        flags=MappingProxyType(flags),
        anchors=MappingProxyType(plain["anchors"]),
        recipients=MappingProxyType(plain["recipients"]),
        places=MappingProxyType(places),
        subdivisions=MappingProxyType(subdivisions),
        zones=MappingProxyType(plain["zones"]),
    )


@cache
def vocabulary() -> Vocabulary:
    """The shipped vocabulary, read and checked once per process."""
    try:
        data = tomllib.loads(VOCABULARY_FILE.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, OSError) as error:
        raise VocabularyError(f"{VOCABULARY_FILE.name}: cannot be read: {error}") from error
    return parse(data)


def entity(tag: str) -> Text:
    """An entity tag as a noun phrase with its article ("a trust service provider")."""
    return vocabulary().entities[tag]


def flag(name: str) -> FlagWords:
    """A determination's three forms."""
    return vocabulary().flags[name]


def anchor(code: str) -> Text:
    """A fact anchor as the thing a period counts from ("awareness")."""
    return vocabulary().anchors[code]


def recipient(kind: str) -> Text:
    """A recipient kind ("the supervisory authority"); an unknown kind is shown as itself."""
    return vocabulary().recipients.get(kind, Text(kind, kind))


def place(code: str) -> Text:
    """A place's name ("New York", "the Netherlands"); a code the vocabulary lacks is shown as itself."""
    return vocabulary().places.get(code, Text(code, code))


def subdivision(country: str) -> Text:
    """What one subdivision of ``country`` is called ("state"); "region" when the vocabulary does not say."""
    return vocabulary().subdivisions.get(country, Text("region", "regio"))


def zone(name: str) -> Text:
    """Whose clock a zone is ("New York time"); an unlisted zone by its city ("Mexico City time")."""
    found = vocabulary().zones.get(name)
    if found is not None:
        return found
    city = name.rsplit("/", 1)[-1].replace("_", " ")
    return Text(f"{city} time", f"tijd in {city}")
