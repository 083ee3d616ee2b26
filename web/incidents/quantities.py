"""Counts, amounts and data sizes as a person types and reads them, in the page's language.

A leak is described in people's units: "53,000 records", "1.2 GB" (in the Dutch interface "53.000
records", "1,2 GB"). The register stores whole numbers (``records_count``, ``size_bytes``); this
module turns the typed text into them and back, and refuses what it cannot read instead of
guessing.

**Reading a number.** Spaces (also the narrow no-break space) group digits. When a number has both
"." and ",", the last one is the decimal separator and the other groups thousands. When it has only
one of them, it groups thousands if every group after it has exactly three digits *and* it is the
page language's thousands separator or appears more than once ("53,000" in English, "53.000" in
Dutch, "1.200.000" in both); otherwise it is the decimal separator ("1.2" and "1,2" are both one
point two, whatever the language). A count refuses a fraction.

**Sizes** use the decimal (SI) units of the leak sites and press: 1 kB = 1,000 bytes, 1 MB =
1,000,000 bytes, 1 GB = 10⁹ bytes; the binary units (KiB, MiB, GiB, TiB) are read as 1,024ⁿ. A
size needs its unit: a bare number could be bytes or gigabytes.
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.utils.formats import get_format, number_format
from django.utils.translation import gettext as _

SIZE_UNITS: dict[str, int] = {
    "b": 1,
    "byte": 1,
    "bytes": 1,
    "kb": 10**3,
    "mb": 10**6,
    "gb": 10**9,
    "tb": 10**12,
    "pb": 10**15,
    "kib": 2**10,
    "mib": 2**20,
    "gib": 2**30,
    "tib": 2**40,
    "pib": 2**50,
}
SHOWN_UNITS = (("PB", 10**15), ("TB", 10**12), ("GB", 10**9), ("MB", 10**6), ("kB", 10**3))

_SPACES = re.compile(r"[\s\u00a0\u202f']+")
_NUMBER = re.compile(r"^[+-]?[0-9][0-9.,]*$")
_SIZE = re.compile(r"^\s*(?P<number>[0-9][0-9.,\s\u00a0\u202f']*?)\s*(?P<unit>[A-Za-z]+)?\s*$")


def _groups_of_three(text: str, separator: str) -> bool:
    head, *rest = text.split(separator)
    return 1 <= len(head) <= 3 and bool(rest) and all(len(group) == 3 and group.isdigit() for group in rest)


def parse_decimal(text: str) -> Decimal:
    """``text`` as a Decimal, read as described in the module docstring; ValueError when unreadable."""
    compact = _SPACES.sub("", str(text).strip())
    if not _NUMBER.match(compact):
        raise ValueError(text)
    sign = "-" if compact.startswith("-") else ""
    compact = compact.lstrip("+-")
    if "." in compact and "," in compact:
        decimal_mark = "." if compact.rfind(".") > compact.rfind(",") else ","
        grouping = "," if decimal_mark == "." else "."
        whole, _mark, fraction = compact.rpartition(decimal_mark)
        if fraction.count(grouping) or not _groups_of_three(whole, grouping):
            raise ValueError(text)
        compact = whole.replace(grouping, "") + "." + fraction
    elif "." in compact or "," in compact:
        mark = "." if "." in compact else ","
        thousands = get_format("THOUSAND_SEPARATOR")
        if _groups_of_three(compact, mark) and (mark == thousands or compact.count(mark) > 1):
            compact = compact.replace(mark, "")
        elif compact.count(mark) == 1:
            compact = compact.replace(mark, ".")
        else:
            raise ValueError(text)
    try:
        return Decimal(sign + compact)
    except InvalidOperation:
        raise ValueError(text) from None


def parse_count(text: str) -> int:
    """A whole number of records or files ("53,000", "53.000", "53 000"); ValidationError otherwise."""
    try:
        value = parse_decimal(text)
    except ValueError:
        raise ValidationError(_("Enter a whole number, e.g. 53,000."), code="invalid") from None
    if value != value.to_integral_value():
        raise ValidationError(_("Enter a whole number, e.g. 53,000."), code="not_whole")
    if value < 0:
        raise ValidationError(_("A count cannot be negative."), code="negative")
    return int(value)


def parse_size(text: str) -> int:
    """A size with its unit ("1.2 GB", "800 MB", "3 TiB") in bytes; ValidationError otherwise."""
    match = _SIZE.match(str(text))
    if match is None:
        raise ValidationError(_("Enter a size with its unit, e.g. 1.2 GB or 800 MB."), code="invalid")
    unit = (match["unit"] or "").lower()
    if not unit:
        raise ValidationError(_("Add the unit, e.g. 800 MB or 1.2 GB: a bare number is ambiguous."), code="no_unit")
    if unit not in SIZE_UNITS:
        raise ValidationError(
            _("Unknown unit “%(unit)s”: use bytes, kB, MB, GB, TB (or KiB, MiB, GiB, TiB)."),
            code="unknown_unit",
            params={"unit": match["unit"]},
        )
    try:
        number = parse_decimal(match["number"])
    except ValueError:
        raise ValidationError(_("Enter a size with its unit, e.g. 1.2 GB or 800 MB."), code="invalid") from None
    if number < 0:
        raise ValidationError(_("A size cannot be negative."), code="negative")
    size = (number * SIZE_UNITS[unit]).to_integral_value(rounding=ROUND_HALF_UP)
    if size > 2**63 - 1:
        raise ValidationError(_("This size is too large to be real."), code="too_large")
    return int(size)


def show_count(value: int | None) -> str:
    """A whole number grouped in the page's language: 53,000 (English), 53.000 (Dutch)."""
    if value is None:
        return ""
    return number_format(value, decimal_pos=0, force_grouping=True)


def show_size(value: int | None) -> str:
    """A size in bytes in the largest decimal unit it reaches, one decimal: "1.2 GB", "1,2 GB"."""
    if value is None:
        return ""
    for unit, factor in SHOWN_UNITS:
        if value >= factor:
            shown = (Decimal(value) / factor).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
            places = 0 if shown == shown.to_integral_value() else 1
            return f"{number_format(shown, decimal_pos=places, force_grouping=True)}\u00a0{unit}"
    return _("%(n)s bytes") % {"n": show_count(value)}
