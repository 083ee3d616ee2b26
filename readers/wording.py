"""Evidence in people's language: a field's label and a stored value as a reader reads them.

Pages and exports that show what was recorded or changed (the diff, the timeline and its exports)
say it the way the reader speaks, never the way the database stores it:

- a field by its label ("end of the breach"), never its column name (``occurred_until_at``);
- a choice by its label ("Health data"), never its code (``health``), lists of choices too;
- a person or a party by name, never an id (``risk_reassessed_by: 3``);
- an instant in the reader's zone, named ("Sat 9 Aug 2025, 15:00 CEST"), never ISO-Z;
- numbers in the reader's locale ("1.100.000" in Dutch), never ``1100000.0000``;
- yes/no for a truth value, never ``True``.

Everything here formats in the active language and time zone (Django's ``translation`` and
``timezone`` activation), so a page and an export in Dutch read alike. Linked names are read by
:class:`Names` with one query per related model, whatever the number of values.
"""

from __future__ import annotations

import functools
from collections import defaultdict
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.utils.formats import get_format, number_format
from django.utils.translation import get_language
from django.utils.translation import gettext as _

INSTANT_FORMAT = "D j M Y, H:i"  # when the active language defines none: "Sat 9 Aug 2025, 15:00"
NOTHING = "—"


def instant_format() -> str:
    """The active language's INSTANT_FORMAT (breachtrack/formats/<lang>/formats.py), else ours."""
    found = get_format("INSTANT_FORMAT")
    return INSTANT_FORMAT if found == "INSTANT_FORMAT" else found


def instant_text(value: datetime | None) -> str:
    """An instant in the reader's zone, the zone named: "Sat 9 Aug 2025, 15:00 CEST"."""
    if value is None:
        return NOTHING
    local = timezone.localtime(value)
    return f"{local_text(local)} {local.tzname()}"


def local_text(local: datetime) -> str:
    """A local date and time in the active language's INSTANT_FORMAT, without its zone: what
    ``date_format(local, instant_format())`` writes, the day's words cached per day."""
    found = instant_format()
    if found.endswith(_CLOCK) and _DATE_ONLY.issuperset(found[: -len(_CLOCK)]):
        # The day's words once per day and language; the clock is two numbers (what "H:i" writes).
        day = _day_text(found[: -len(_CLOCK)], get_language(), local.date())
        return f"{day}, {local:%H:%M}"
    return date_format(local, found)


_CLOCK = ", H:i"
_DATE_ONLY = frozenset("DjMbYdmnyNlFSwz ,./-")  # format characters of the day alone (no time, no zone)


@functools.lru_cache(maxsize=4096)
def _day_text(day_format: str, language: str | None, day: date) -> str:
    """The day part of an instant's text (a thousand counts of one incident fall on a few days)."""
    return date_format(day, day_format)


def duration_text(value: timedelta | None) -> str:
    """A duration to the minute: 748.75 h reads "31 d 4 h 45 min"; zero parts are left out."""
    if value is None:
        return ""
    minutes = int(abs(value.total_seconds()) // 60)
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    parts = []
    if days:
        parts.append(_("%(d)s d") % {"d": days})
    if hours or (days and minutes):
        parts.append(_("%(h)s h") % {"h": hours})
    if minutes or not parts:
        parts.append(_("%(m)s min") % {"m": minutes})
    return " ".join(parts)


def number_text(value) -> str:
    """A number in the reader's locale with grouping; a decimal without its trailing zeros."""
    if isinstance(value, Decimal):
        value = value.normalize()
        if value == value.to_integral_value():
            value = int(value)
    return number_format(value, use_l10n=True, force_grouping=True)


def count_text(estimate, number=number_text) -> str:
    """An estimate of those affected as a reader reads it, in the reader's locale: "≈485.000",
    "≥850.000", "10–20" in Dutch ("≈485,000" in English). ``estimate``: anything with ``low``,
    ``high``, ``is_approximate`` and ``is_at_least`` (a row, a history row, a filing's frozen
    number); ``number``: how a number is written (:class:`NumberText` for many counts).

    Not ``AffectedEstimate.display_value``: that is the language-neutral form frozen in a filing's
    content, with English grouping whatever the reader's language."""
    low = number(estimate.low)
    if estimate.is_at_least:
        return f"≥{low}"
    if estimate.high is None or estimate.high == estimate.low:
        return f"{'≈' if estimate.is_approximate else ''}{low}"
    return f"{low}–{number(estimate.high)}"


class NumberText:
    """:func:`number_text` for many numbers in one language: the locale's grouping read once, a
    whole number grouped by ``str.format`` (what Django's grouping by threes writes, to the byte)."""

    def __init__(self):
        grouping = get_format("NUMBER_GROUPING", use_l10n=True)
        # Django groups by threes with the locale's separator; other groupings take the slow path.
        self.thousands = get_format("THOUSAND_SEPARATOR", use_l10n=True) if grouping == 3 else None

    def __call__(self, value) -> str:
        if type(value) is int and self.thousands is not None:
            grouped = f"{value:,}"
            return grouped if self.thousands == "," else grouped.replace(",", self.thousands)
        return number_text(value)


def field_of(model, name: str):
    """The model field called ``name`` (by name or attname), or None."""
    try:
        return model._meta.get_field(name)
    except FieldDoesNotExist:  # an attname (party_id), or a field since removed
        for field in model._meta.concrete_fields:
            if field.attname == name:
                return field
        return None


def field_label(model, name: str) -> str:
    """A field's label as a reader reads it ("End of the breach"), its name if it is gone."""
    field = field_of(model, name)
    if field is None or not getattr(field, "verbose_name", None):
        return name.replace("_", " ")
    text = str(field.verbose_name)
    return text[:1].upper() + text[1:]


def model_label(model) -> str:
    text = str(model._meta.verbose_name)
    return text[:1].upper() + text[1:]


class Names:
    """The people and parties behind foreign-key values, read once per related model.

    ``want(model, name, value)`` for every value first, then ``value_text`` reads them from the
    cache: one query per related model for the whole page or export.
    """

    def __init__(self):
        self.wanted: dict[type, set] = defaultdict(set)
        self.found: dict[type, dict] = {}
        self._related: dict[tuple[type, str], type | None] = {}  # (model, name) -> the model it links to

    def want(self, model, name: str, value) -> None:
        related = self._related_model(model, name)
        if related is not None and value is not None:
            self.wanted[related].add(value)

    def links(self, model, name: str) -> bool:
        """Whether values of ``model.name`` name a related row (only those need :meth:`want`)."""
        return self._related_model(model, name) is not None

    def _related_model(self, model, name: str):
        key = (model, name)
        if key not in self._related:
            field = field_of(model, name)
            is_link = field is not None and field.is_relation and field.many_to_one
            self._related[key] = field.related_model if is_link else None
        return self._related[key]

    def name_of(self, related_model, pk) -> str:
        if related_model not in self.found or pk not in self.found[related_model]:
            ids = self.wanted.pop(related_model, set()) | {pk}
            self.found.setdefault(related_model, {}).update(related_model._default_manager.in_bulk(ids))
        obj = self.found[related_model].get(pk)
        if obj is None:
            return _("a record since removed")
        full_name = getattr(obj, "get_full_name", None)
        if callable(full_name):
            return full_name() or obj.get_username()
        return str(obj)


def value_text(model, name: str, value, names: Names | None = None) -> str:
    """A stored value of ``model.name`` as a reader reads it."""
    if value is None or value == "" or value == []:
        return NOTHING
    field = field_of(model, name)
    if field is None:
        return str(value)
    if field.is_relation and field.many_to_one:
        return (names or Names()).name_of(field.related_model, value)
    choices_enum = getattr(field, "choices_enum", None)
    if choices_enum is not None and isinstance(value, list | tuple):
        labels = dict(choices_enum.choices)
        return ", ".join(str(labels.get(item, item)) for item in value)
    if field.choices and getattr(field, "flatchoices", None) is not None:
        labels = dict(field.flatchoices)
        if isinstance(value, list | tuple):
            return ", ".join(str(labels.get(item, item)) for item in value)
        return str(labels.get(value, value))
    if isinstance(value, list | tuple):  # countries and other lists: their own text, joined
        return ", ".join(str(getattr(item, "name", item)) for item in value)
    if isinstance(field, models.BooleanField) or isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, datetime):
        return instant_text(value)
    if isinstance(value, date):
        return date_format(value, get_format("DATE_FORMAT"))
    if isinstance(value, int | float | Decimal):
        return number_text(value)
    return str(value)


class ValueTexts:
    """:func:`value_text` for a whole export: what it looks up once per value is looked up once
    per export here, with the same result to the byte.

    A 10,000-record timeline formats some 40,000 values; per value, :func:`value_text` finds the
    field, turns the choices into a dict (translating every label), reads the locale's number
    format and formats the instant. Here the field and its choice labels are kept per model and
    field, the number format per export (an integer is grouped by ``str.format``), and the text
    of each instant per instant. Make one per export, in the language and zone it is written in.
    """

    def __init__(self, names: Names | None = None):
        self.names = names or Names()
        self._fields: dict[tuple[type, str], tuple] = {}
        self._instants: dict[datetime, str] = {}
        grouping = get_format("NUMBER_GROUPING", use_l10n=True)
        # Django groups by threes with the locale's separator; other groupings take the slow path.
        self._thousands = get_format("THOUSAND_SEPARATOR", use_l10n=True) if grouping == 3 else None

    def _field(self, model, name: str) -> tuple:
        """(field, many-to-one related model, choice labels or None, list-of-choices labels or None)."""
        key = (model, name)
        found = self._fields.get(key)
        if found is None:
            field = field_of(model, name)
            related = enum_labels = labels = None
            if field is not None:
                if field.is_relation and field.many_to_one:
                    related = field.related_model
                choices_enum = getattr(field, "choices_enum", None)
                if choices_enum is not None:
                    enum_labels = {value: str(label) for value, label in choices_enum.choices}
                if field.choices and getattr(field, "flatchoices", None) is not None:
                    labels = {value: str(label) for value, label in field.flatchoices}
            found = self._fields[key] = (field, related, enum_labels, labels)
        return found

    def __call__(self, model, name: str, value) -> str:
        if value is None or value == "" or value == []:
            return NOTHING
        field, related, enum_labels, labels = self._field(model, name)
        if field is None:
            return str(value)
        if related is not None:
            return self.names.name_of(related, value)
        is_list = isinstance(value, list | tuple)
        if enum_labels is not None and is_list:
            return ", ".join(_label(enum_labels, item) for item in value)
        if labels is not None:
            if is_list:
                return ", ".join(_label(labels, item) for item in value)
            return _label(labels, value)
        if is_list:
            return ", ".join(str(getattr(item, "name", item)) for item in value)
        if isinstance(field, models.BooleanField) or isinstance(value, bool):
            return _("yes") if value else _("no")
        if isinstance(value, datetime):
            text = self._instants.get(value)
            if text is None:
                text = self._instants[value] = instant_text(value)
            return text
        if isinstance(value, date):
            return date_format(value, get_format("DATE_FORMAT"))
        if type(value) is int and self._thousands is not None:
            grouped = f"{value:,}"
            return grouped if self._thousands == "," else grouped.replace(",", self._thousands)
        if isinstance(value, int | float | Decimal):
            return number_text(value)
        return str(value)


def _label(labels: dict, value) -> str:
    return labels[value] if value in labels else str(value)
