"""Turning a wall-clock time typed by a person into a UTC instant, honestly.

Around daylight-saving changes a local time can be *non-existent* (Amsterdam,
2026-03-29 02:30: the clocks jump from 02:00 to 03:00) or *ambiguous*
(2026-10-25 02:30 happens twice). Python's zoneinfo silently picks an answer in
both cases; for evidence that is not good enough, so we refuse the first and
make the person choose for the second. Pure functions: no ORM, no clock.
"""

from __future__ import annotations

import enum
import zoneinfo
from datetime import datetime, timezone


class Fold(str, enum.Enum):
    """Which of the two instants an ambiguous local time means."""

    EARLIER = "earlier"  # the first pass, still on summer time
    LATER = "later"  # the second pass, already on standard time


class LocalTimeError(ValueError):
    code = "invalid"


class NonExistentLocalTime(LocalTimeError):
    code = "nonexistent"


class AmbiguousLocalTime(LocalTimeError):
    code = "ambiguous"


class UnknownTimeZone(LocalTimeError):
    code = "unknown_zone"


def zone(name: str) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise UnknownTimeZone(f"{name!r} is not a known time zone") from None


def is_ambiguous(local: datetime, tz: zoneinfo.ZoneInfo) -> bool:
    naive = local.replace(tzinfo=None)
    return naive.replace(tzinfo=tz, fold=0).utcoffset() != naive.replace(tzinfo=tz, fold=1).utcoffset()


def is_nonexistent(local: datetime, tz: zoneinfo.ZoneInfo) -> bool:
    naive = local.replace(tzinfo=None)
    # A time in the gap does not survive a round trip through UTC.
    round_trip = naive.replace(tzinfo=tz).astimezone(timezone.utc).astimezone(tz)
    return round_trip.replace(tzinfo=None) != naive


def local_to_utc(local: datetime, zone_name: str, fold: Fold | str | None = None) -> datetime:
    """Interpret a naive wall-clock time in ``zone_name``; return it in UTC.

    Raises ``NonExistentLocalTime`` for a time skipped by a DST change, and
    ``AmbiguousLocalTime`` for a repeated time when ``fold`` is not given.
    """
    if local.tzinfo is not None:
        raise LocalTimeError("expected a wall-clock time without a zone")
    tz = zone(zone_name)
    if is_nonexistent(local, tz):
        raise NonExistentLocalTime(f"{local:%Y-%m-%d %H:%M} does not exist in {zone_name} (clocks moved forward)")
    if is_ambiguous(local, tz):
        if fold is None or fold == "":
            raise AmbiguousLocalTime(
                f"{local:%Y-%m-%d %H:%M} happens twice in {zone_name} (clocks moved back): choose earlier or later"
            )
        fold_bit = 0 if Fold(fold) is Fold.EARLIER else 1
        return local.replace(tzinfo=tz, fold=fold_bit).astimezone(timezone.utc)
    return local.replace(tzinfo=tz).astimezone(timezone.utc)


def utc_to_local(instant: datetime, zone_name: str) -> datetime:
    if instant.tzinfo is None:
        raise LocalTimeError("expected an aware instant")
    return instant.astimezone(zone(zone_name))
