"""Business days per calendar code, from the ``holidays`` package (pure; no clock, no database).

A calendar code is an ISO 3166 country ("NL", "BR"), optionally with a subdivision ("US-NY"), or
"US-FED": the United States federal holidays alone (the days the federal agencies close, which is
what a count in US business days means for a federal filing). Weekends are Saturday and Sunday for
every calendar. Only the public holidays count (the package's default category): days that are
customarily off without being public holidays (e.g. "optional" days) remain business days, which
gives the earlier, safer due moment.

The holiday objects are built once per (calendar, year) and cached: a business-day count touches a
few years at most, and the sweep recomputes deadlines often.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, timedelta
from functools import lru_cache
from types import MappingProxyType

import holidays

from rules.regimes.text import Text

FEDERAL_US = "US-FED"
_CODE = re.compile(r"^(?P<country>[A-Z]{2})(?:-(?P<subdiv>[A-Z0-9]{1,4}))?$")
_WEEKEND = frozenset({5, 6})  # Saturday, Sunday (date.weekday())
# Business-day counts are bounded so that a bad rule cannot loop for ever (a year of holidays).
MAX_BUSINESS_DAYS = 366

# Names shown in explanations; any other valid code is shown as itself.
_NAMES: dict[str, Text] = {
    "AT": Text("Austria", "Oostenrijk"),
    "AU": Text("Australia", "Australië"),
    "BE": Text("Belgium", "België"),
    "BR": Text("Brazil", "Brazilië"),
    "CA": Text("Canada", "Canada"),
    "CH": Text("Switzerland", "Zwitserland"),
    "DE": Text("Germany", "Duitsland"),
    "DK": Text("Denmark", "Denemarken"),
    "ES": Text("Spain", "Spanje"),
    "FI": Text("Finland", "Finland"),
    "FR": Text("France", "Frankrijk"),
    "GB": Text("United Kingdom", "Verenigd Koninkrijk"),
    "IE": Text("Ireland", "Ierland"),
    "IN": Text("India", "India"),
    "IT": Text("Italy", "Italië"),
    "LU": Text("Luxembourg", "Luxemburg"),
    "NL": Text("Netherlands", "Nederland"),
    "NO": Text("Norway", "Noorwegen"),
    "PL": Text("Poland", "Polen"),
    "PT": Text("Portugal", "Portugal"),
    "SE": Text("Sweden", "Zweden"),
    "SG": Text("Singapore", "Singapore"),
    "US": Text("United States", "Verenigde Staten"),
    FEDERAL_US: Text("United States federal holidays", "federale feestdagen van de Verenigde Staten"),
}


class UnknownCalendar(ValueError):
    """A calendar code the holidays package cannot serve."""


def _split(calendar: str) -> tuple[str, str | None]:
    if calendar == FEDERAL_US:
        return "US", None  # the package's US calendar without a state is the federal one
    match = _CODE.match(calendar)
    if match is None:
        raise UnknownCalendar(f"calendar {calendar!r} is not a code like 'NL', 'US-NY' or 'US-FED'")
    return match["country"], match["subdiv"]


def check_calendar(calendar: str) -> None:
    """Raise :class:`UnknownCalendar` unless ``calendar`` names a country (and subdivision) we can count on."""
    _holidays(calendar, 2026)  # any year will do: the package knows a calendar for all years or none


@lru_cache(maxsize=512)
def _holidays(calendar: str, year: int) -> Mapping[date, str]:
    """The public holidays of one calendar and year (date -> name), built once and read-only."""
    country, subdiv = _split(calendar)
    try:
        days = holidays.country_holidays(country, subdiv=subdiv, years=year)
    except NotImplementedError as error:
        raise UnknownCalendar(f"calendar {calendar!r}: {error}") from error
    return MappingProxyType(dict(days))


def holiday_name(calendar: str, day: date) -> str | None:
    """The holiday's name in the package's default language, or ``None`` on an ordinary day."""
    return _holidays(calendar, day.year).get(day)


def is_business_day(calendar: str, day: date) -> bool:
    """Not a Saturday, Sunday or public holiday of ``calendar``."""
    return day.weekday() not in _WEEKEND and day not in _holidays(calendar, day.year)


def add_business_days(calendar: str, start: date, n: int) -> date:
    """The ``n``-th business day after ``start`` (``start`` itself never counts; n >= 1)."""
    if not 1 <= n <= MAX_BUSINESS_DAYS:
        raise ValueError(f"n must be between 1 and {MAX_BUSINESS_DAYS}, got {n}")
    day = start
    counted = 0
    while counted < n:
        day += timedelta(days=1)
        if is_business_day(calendar, day):
            counted += 1
    return day


def next_business_day(calendar: str, day: date) -> date:
    """The first business day strictly after ``day``."""
    return add_business_days(calendar, day, 1)


def calendar_title(calendar: str) -> Text:
    """The calendar's name for explanations ("Brazil"); an unnamed code is shown as itself."""
    if calendar in _NAMES:
        return _NAMES[calendar]
    country, subdiv = _split(calendar)
    if subdiv is not None and country in _NAMES:
        return Text(f"{_NAMES[country].en}, {subdiv}", f"{_NAMES[country].nl}, {subdiv}")
    return Text(calendar, calendar)
