"""The arithmetic of each period unit, as pure functions of aware datetimes (docs/regimes.md).

Conventions, the same for every rule file:

* ``hours``: elapsed hours counted in UTC, never shifted for weekends, holidays or a change of
  daylight-saving time (72 hours across the spring change are 72 real hours).
* ``calendar_days`` and ``business_days``: the anchor's local date (in the period's ``zone``) does
  not count; day 1 is the next (business) day. The period ends at the end of day N (``end_of_day``:
  local midnight, i.e. 00:00 of the following day) or at ``HH:MM`` local time on day N.
* ``months``: the same local wall time N months later; a day the month lacks (the 31st) falls to
  the month's last day.
* ``roll = "next_working_day_noon"``: a due moment on a weekend day or holiday of the period's
  calendar moves to 12:00 local time on the next business day. A moment at exactly local midnight
  closes the day before it, so it belongs to that day (an ``end_of_day`` on Friday is not a
  Saturday deadline).

Every function refuses naive datetimes with ``ValueError`` and returns aware UTC datetimes.
"""

from __future__ import annotations

import calendar as month_calendar
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from rules.regimes import calendars
from rules.regimes.text import Text

HOURS = "hours"
CALENDAR_DAYS = "calendar_days"
BUSINESS_DAYS = "business_days"
MONTHS = "months"
UNITS = (HOURS, CALENDAR_DAYS, BUSINESS_DAYS, MONTHS)
END_OF_DAY = "end_of_day"
ROLL_NEXT_WORKING_DAY_NOON = "next_working_day_noon"
ROLLS = (ROLL_NEXT_WORKING_DAY_NOON,)
CLOCK_TIME = re.compile(r"^(?:[01]\d|2[0-3]):[0-5]\d$")
NOON = time(12, 0)
ONE_MICROSECOND = timedelta(microseconds=1)


def to_utc(value: datetime, name: str) -> datetime:
    """``value`` in UTC; a naive datetime has no instant and is refused."""
    if not isinstance(value, datetime):
        raise TypeError(f"{name} must be a datetime, got {type(value).__name__}")
    if value.tzinfo is None or value.tzinfo.utcoffset(value) is None:
        raise ValueError(
            f"{name} must be timezone-aware (got naive {value.isoformat()}); "
            "attach the zone it was recorded in before computing deadlines"
        )
    return value.astimezone(UTC)


def local_moment(day: date, at: time, zone: str) -> datetime:
    """``at`` on ``day`` in ``zone``, as UTC (a wall time skipped by a DST change reads with the earlier offset)."""
    return datetime.combine(day, at, tzinfo=ZoneInfo(zone)).astimezone(UTC)


def day_of(moment: datetime, zone: str) -> date:
    """The local day a due moment belongs to: exactly local midnight closes the day before."""
    local = to_utc(moment, "moment").astimezone(ZoneInfo(zone))
    if local.time() == time(0):
        return local.date() - timedelta(days=1)
    return local.date()


def add_months(moment: datetime, months: int, zone: str) -> datetime:
    """The same local wall time ``months`` later; the 31st of a 30-day month falls to the 30th."""
    local = to_utc(moment, "moment").astimezone(ZoneInfo(zone))
    index = local.month - 1 + months
    year, month = local.year + index // 12, index % 12 + 1
    day = min(local.day, month_calendar.monthrange(year, month)[1])
    return local.replace(year=year, month=month, day=day, fold=0).astimezone(UTC)


@dataclass(frozen=True)
class Period:
    """A parsed period of a rule file: one unit and its amount, with where and when its days end."""

    unit: str
    amount: int
    calendar: str | None = None
    ends: str | None = None  # "end_of_day" or "HH:MM" (day units only)
    zone: str | None = None
    roll: str | None = None

    def end(self, start: datetime, *, anchor_day: date | None = None) -> datetime:
        """When the period started at ``start`` runs out (aware UTC).

        ``anchor_day`` overrides the local date day counting starts from (a year end counts
        from 31 December, the day that ended, although its instant is 00:00 on 1 January).
        """
        begin = to_utc(start, "start")
        due = self._unrolled_end(begin, anchor_day)
        if self.roll == ROLL_NEXT_WORKING_DAY_NOON:
            due = self._rolled(due)
        return due

    def _unrolled_end(self, begin: datetime, anchor_day: date | None) -> datetime:
        if self.unit == HOURS:
            return begin + timedelta(hours=self.amount)
        zone = self._zone()
        if self.unit == MONTHS:
            return add_months(begin, self.amount, zone)
        first = anchor_day if anchor_day is not None else begin.astimezone(ZoneInfo(zone)).date()
        if self.unit == CALENDAR_DAYS:
            last = first + timedelta(days=self.amount)
        else:
            last = calendars.add_business_days(self._calendar(), first, self.amount)
        if self.ends == END_OF_DAY:
            return local_moment(last + timedelta(days=1), time(0), zone)
        hour, minute = (int(part) for part in (self.ends or "").split(":"))
        return local_moment(last, time(hour, minute), zone)

    def _rolled(self, due: datetime) -> datetime:
        calendar, zone = self._calendar(), self._zone()
        day = day_of(due, zone)
        if calendars.is_business_day(calendar, day):
            return due
        return local_moment(calendars.next_business_day(calendar, day), NOON, zone)

    def _zone(self) -> str:
        if self.zone is None:
            raise ValueError(f"a {self.unit} period needs a zone")
        return self.zone

    def _calendar(self) -> str:
        if self.calendar is None:
            raise ValueError(f"a {self.unit} period with these options needs a calendar")
        return self.calendar

    def explain(self, after: Text | None = None) -> Text:
        """The period and its counting conventions, as a person reads them (``after``: the anchor's name)."""
        if self.unit == HOURS and self.amount == 0 and self.roll is None:
            anchor = after or Text("the anchor", "het ankerpunt")
            return Text(f"at {anchor.en} itself", f"op het moment van {anchor.nl}")
        amount = _amount_text(self)
        if after is not None:
            amount = Text(f"{amount.en} after {after.en}", f"{amount.nl} na {after.nl}")
        parts = [amount]
        if self.unit == HOURS and self.roll is None:
            parts.append(
                Text(
                    "elapsed time, weekends and holidays included",
                    "verstreken tijd, weekenden en feestdagen tellen mee",
                )
            )
        elif self.unit == HOURS:
            parts.append(Text("elapsed time", "verstreken tijd"))
        elif self.unit == MONTHS:
            parts.append(
                Text(
                    f"the same local time ({self.zone}); a day the month lacks falls to its last day",
                    f"zelfde lokale tijd ({self.zone}); een dag die de maand niet heeft wordt de laatste dag",
                )
            )
        else:
            parts.append(_ends_text(self))
            parts.append(Text("the anchor day does not count", "de dag van het ankerpunt telt niet mee"))
        if self.roll == ROLL_NEXT_WORKING_DAY_NOON:
            name = calendars.calendar_title(self._calendar())
            parts.append(
                Text(
                    f"on a weekend day or holiday ({name.en}) it moves to 12:00 local time on the next working day",
                    f"valt het op een weekend- of feestdag ({name.nl}), dan schuift het naar 12:00 lokale tijd "
                    "op de volgende werkdag",
                )
            )
        return Text(", ".join(p.en for p in parts), ", ".join(p.nl for p in parts))


def _plural(amount: int, one: str, many: str) -> str:
    return f"{amount} {one if amount == 1 else many}"


def _amount_text(period: Period) -> Text:
    n = period.amount
    if period.unit == HOURS:
        return Text(_plural(n, "hour", "hours"), f"{n} uur")
    if period.unit == MONTHS:
        return Text(_plural(n, "month", "months"), _plural(n, "maand", "maanden"))
    if period.unit == CALENDAR_DAYS:
        return Text(_plural(n, "calendar day", "calendar days"), _plural(n, "kalenderdag", "kalenderdagen"))
    name = calendars.calendar_title(period._calendar())
    return Text(
        f"{_plural(n, 'business day', 'business days')} ({name.en})",
        f"{_plural(n, 'werkdag', 'werkdagen')} ({name.nl})",
    )


def _ends_text(period: Period) -> Text:
    if period.ends == END_OF_DAY:
        return Text(f"ends at local midnight ({period.zone})", f"eindigt om middernacht lokale tijd ({period.zone})")
    return Text(
        f"ends at {period.ends} local time ({period.zone})", f"eindigt om {period.ends} lokale tijd ({period.zone})"
    )
