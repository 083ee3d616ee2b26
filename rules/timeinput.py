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
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.utils.translation import gettext_lazy as _


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


class OutOfRangeLocalTime(LocalTimeError):
    code = "out_of_range"


class OffsetNotOfZone(LocalTimeError):
    """An explicit offset that the named zone did not have at that wall-clock time."""

    code = "offset_not_of_zone"

    def __init__(self, message: str, params: dict[str, str]):
        super().__init__(message)
        self.params = params  # for LOCAL_TIME_MESSAGES["offset_not_of_zone"]


def is_ambiguous(local: datetime, tz: zoneinfo.ZoneInfo) -> bool:
    """Whether ``local`` happens twice in ``tz`` (the clocks went back over it).

    zoneinfo gives two offsets for a time in a gap too (fold picks the rule before or after the
    jump), but such a time happened not twice but never: it is not ambiguous.
    """
    naive = local.replace(tzinfo=None)
    if naive.replace(tzinfo=tz, fold=0).utcoffset() == naive.replace(tzinfo=tz, fold=1).utcoffset():
        return False
    return not is_nonexistent(naive, tz)


def is_nonexistent(local: datetime, tz: zoneinfo.ZoneInfo) -> bool:
    naive = local.replace(tzinfo=None)
    # A time in the gap does not survive a round trip through UTC.
    round_trip = naive.replace(tzinfo=tz).astimezone(UTC).astimezone(tz)
    return round_trip.replace(tzinfo=None) != naive


def local_to_utc(local: datetime, zone_name: str, fold: Fold | str | None = None) -> datetime:
    """Interpret a naive wall-clock time in ``zone_name``; return it in UTC.

    Raises ``NonExistentLocalTime`` for a time skipped by a DST change, and
    ``AmbiguousLocalTime`` for a repeated time when ``fold`` is not given.
    """
    if local.tzinfo is not None:
        raise LocalTimeError("expected a wall-clock time without a zone")
    tz = zone(zone_name)
    try:
        return _local_to_utc(local, tz, zone_name, fold)
    except OverflowError:  # the first or last hours of year 1 or 9999: no UTC instant can hold them
        raise OutOfRangeLocalTime(f"{local:%Y-%m-%d %H:%M} in {zone_name} is out of range") from None


def _local_to_utc(local: datetime, tz: zoneinfo.ZoneInfo, zone_name: str, fold: Fold | str | None) -> datetime:
    if is_nonexistent(local, tz):
        raise NonExistentLocalTime(f"{local:%Y-%m-%d %H:%M} does not exist in {zone_name} (clocks moved forward)")
    if is_ambiguous(local, tz):
        if fold is None or fold == "":
            raise AmbiguousLocalTime(
                f"{local:%Y-%m-%d %H:%M} happens twice in {zone_name} (clocks moved back): choose earlier or later"
            )
        fold_bit = 0 if Fold(fold) is Fold.EARLIER else 1
        return local.replace(tzinfo=tz, fold=fold_bit).astimezone(UTC)
    return local.replace(tzinfo=tz).astimezone(UTC)


def check_offset_of_zone(given: datetime, zone_name: str) -> None:
    """Refuse an instant whose explicit offset contradicts the zone it comes with.

    ``given`` is the instant as the client wrote it (``2026-03-29T02:30:00+01:00``): a wall-clock
    time with an offset. Said in ``zone_name``, that wall-clock time must exist there with exactly
    that offset; otherwise the two disagree about what was meant (Amsterdam never showed 02:30
    that night, and never showed 16:45 at UTC-5), and storing either reading would be a guess.
    Raises ``OffsetNotOfZone``, whose ``params`` name both (the zone's own offset included).
    """
    offset = given.utcoffset()
    if offset is None:
        raise LocalTimeError("expected an instant with its offset")
    tz = zone(zone_name)
    shown = given.astimezone(tz)
    if shown.replace(tzinfo=None) == given.replace(tzinfo=None) and shown.utcoffset() == offset:
        return
    same_day = shown.date() == given.date()
    params = {
        "offset": iso_offset(offset),
        "zone": zone_name,
        "date": given.strftime("%Y-%m-%d"),
        "time": given.strftime("%H:%M"),
        "zone_offset": format_offset(_utc_offset(shown)),
        "shown": shown.strftime("%H:%M" if same_day else "%Y-%m-%d %H:%M"),
    }
    raise OffsetNotOfZone(f"{params['offset']} is not the offset of {zone_name} at {given:%Y-%m-%d %H:%M}", params)


def utc_to_local(instant: datetime, zone_name: str) -> datetime:
    if instant.tzinfo is None:
        raise LocalTimeError("expected an aware instant")
    return instant.astimezone(zone(zone_name))


# --- Explaining a clock change to the person who typed the time (the guided intake) -------------
#
# The intake page does not only refuse a skipped time or ask about a repeated one: it says which
# hour was skipped and offers the two readings by name ("02:30 CEST (UTC+2), the first"). Both
# descriptions are computed from the zone database, never from a table of known dates.


def format_offset(offset: timedelta) -> str:
    """``UTC+2``, ``UTC-3``, ``UTC+5:30``, ``UTC`` — as a person reads an offset."""
    total = int(offset.total_seconds()) // 60
    if total == 0:
        return "UTC"
    sign = "+" if total > 0 else "-"
    hours, minutes = divmod(abs(total), 60)
    return f"UTC{sign}{hours}" + (f":{minutes:02d}" if minutes else "")


def iso_offset(offset: timedelta) -> str:
    """``+01:00``, ``-05:00``, ``+05:30`` — an offset as ISO 8601 writes it."""
    total = int(offset.total_seconds()) // 60
    sign = "-" if total < 0 else "+"
    hours, minutes = divmod(abs(total), 60)
    return f"{sign}{hours:02d}:{minutes:02d}"


@dataclass(frozen=True)
class Reading:
    """One meaning of a local time that happens twice."""

    fold: Fold
    at: datetime  # UTC
    abbreviation: str  # e.g. "CEST"
    offset: str  # e.g. "UTC+2"


@dataclass(frozen=True)
class Gap:
    """The wall-clock hour skipped when the clocks moved forward: [starts, ends) in local time."""

    starts: datetime  # naive local, e.g. 02:00
    ends: datetime  # naive local, e.g. 03:00
    before: str  # the abbreviation before the change, e.g. "CET"
    after: str  # and after it, e.g. "CEST"
    at: datetime  # the instant of the change, UTC


def readings(local: datetime, zone_name: str) -> tuple[Reading, Reading]:
    """The two instants an ambiguous wall-clock time can mean, the earlier first.

    Raises ``LocalTimeError`` when ``local`` is not ambiguous in ``zone_name``.
    """
    tz = zone(zone_name)
    naive = local.replace(tzinfo=None, fold=0)
    if not is_ambiguous(naive, tz):
        raise LocalTimeError(f"{naive:%Y-%m-%d %H:%M} happens only once in {zone_name}")
    found = []
    for fold in (Fold.EARLIER, Fold.LATER):
        aware = naive.replace(tzinfo=tz, fold=0 if fold is Fold.EARLIER else 1)
        found.append(Reading(fold, aware.astimezone(UTC), aware.tzname() or "", format_offset(_utc_offset(aware))))
    return found[0], found[1]


def _utc_offset(aware: datetime) -> timedelta:
    """The UTC offset of an aware datetime (one in a zone always has one)."""
    value = aware.utcoffset()
    if value is None:
        raise LocalTimeError(f"{aware:%Y-%m-%d %H:%M} has no zone")
    return value


def gap_around(local: datetime, zone_name: str) -> Gap:
    """The skipped span that contains ``local`` (a time that does not exist in ``zone_name``).

    The change happened at an instant T with ``local - offset_after < T <= local - offset_before``;
    a bisection to the second over that window finds it, whatever the zone's rules.
    """
    tz = zone(zone_name)
    naive = local.replace(tzinfo=None, fold=0)
    if not is_nonexistent(naive, tz):
        raise LocalTimeError(f"{naive:%Y-%m-%d %H:%M} exists in {zone_name}")
    before = _utc_offset(naive.replace(tzinfo=tz, fold=0))
    after = _utc_offset(naive.replace(tzinfo=tz, fold=1))
    if before > after:  # zoneinfo gives the offsets the other way round for some zones
        before, after = after, before
    low = (naive - after).replace(tzinfo=UTC)  # still on the old offset
    high = (naive - before).replace(tzinfo=UTC)  # already on the new one
    old_offset = low.astimezone(tz).utcoffset()
    while high - low > timedelta(seconds=1):
        middle = low + (high - low) / 2
        if middle.astimezone(tz).utcoffset() == old_offset:
            low = middle
        else:
            high = middle
    change = high.replace(microsecond=0)
    old, new = (change - timedelta(seconds=1)).astimezone(tz), change.astimezone(tz)
    return Gap(
        starts=(change + _utc_offset(old)).replace(tzinfo=None),
        ends=(change + _utc_offset(new)).replace(tzinfo=None),
        before=old.tzname() or "",
        after=new.tzname() or "",
        at=change,
    )


# What a person is told when a wall-clock time cannot be one instant in its zone: the same words
# in every interface (forms, services, the API).
LOCAL_TIME_MESSAGES = {
    "nonexistent": _(
        "%(time)s does not exist in %(zone)s: the clocks moved forward at that moment. Check the time you were given."
    ),
    "ambiguous": _(
        "%(time)s happens twice in %(zone)s: the clocks moved back at that moment. "
        "Choose earlier (summer time) or later (winter time)."
    ),
    "unknown_zone": _("%(zone)s is not a known time zone."),
    "out_of_range": _("%(time)s in %(zone)s lies outside the dates this register can hold: check the year."),
    "offset_not_of_zone": _(
        "%(offset)s is not the offset of %(zone)s on %(date)s at %(time)s: that instant is %(shown)s there "
        "(%(zone_offset)s). Give the offset %(zone)s had at that time, the instant in UTC, or another zone."
    ),
}
