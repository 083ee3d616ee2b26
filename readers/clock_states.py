"""Where a clock stands, in the words the dashboard shows: pure functions, ``now`` passed in.

The arithmetic is ``rules.clocks.evaluate`` (met, met late, pending, overdue); this module only
splits "pending" into the three bands a person under stress needs to tell apart at a glance. The
bands start exactly where the alert ladder's "before:24h" and "before:6h" alerts fire
(``rules.clocks.STANDARD_THRESHOLDS_BEFORE``): the dashboard turns amber at the moment the
e-mail arrives, not a second later. ``dashboard/static/dashboard/countdown.js`` applies the same
rule in the browser, so a page left open changes band by itself; it reads the two boundaries
from the page (``dashboard_tags.countdown_messages``), which takes them from here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum

from rules import clocks

UNDER_24H = timedelta(hours=24)
UNDER_6H = timedelta(hours=6)


class ClockState(str, Enum):
    ON_TRACK = "on_track"
    UNDER_24H = "under_24h"
    UNDER_6H = "under_6h"
    OVERDUE = "overdue"
    MET = "met"
    MET_LATE = "met_late"

    @property
    def is_pending(self) -> bool:
        return self in (ClockState.ON_TRACK, ClockState.UNDER_24H, ClockState.UNDER_6H, ClockState.OVERDUE)


@dataclass(frozen=True)
class ClockReading:
    """One clock as the dashboard shows it at ``now``."""

    state: ClockState
    due_at: datetime
    met_at: datetime | None
    remaining: timedelta | None  # while pending and not yet due
    lateness: timedelta | None  # how overdue it is now, or how late it was met


def band(remaining: timedelta) -> ClockState:
    """The band of a pending clock with ``remaining`` time left (>= 0): at exactly 24 h or 6 h left
    the clock is already in the tighter band, as the alert for that moment has just fired."""
    if remaining <= UNDER_6H:
        return ClockState.UNDER_6H
    if remaining <= UNDER_24H:
        return ClockState.UNDER_24H
    return ClockState.ON_TRACK


def read_clock(due_at: datetime, met_at: datetime | None, now: datetime) -> ClockReading:
    """The state of a clock due at ``due_at`` and met at ``met_at`` (or not), seen at ``now``.

    Meeting it exactly at ``due_at`` is on time, and at ``now == due_at`` it is still pending
    (``clocks.evaluate``); a second later it is overdue.
    """
    status = clocks.evaluate(due_at, met_at, now)
    if status.state is clocks.DeadlineState.MET_ON_TIME:
        state = ClockState.MET
    elif status.state is clocks.DeadlineState.MET_LATE:
        state = ClockState.MET_LATE
    elif status.state is clocks.DeadlineState.OVERDUE:
        state = ClockState.OVERDUE
    else:
        state = band(status.remaining)
    return ClockReading(state, status.due_at, status.met_at, status.remaining, status.lateness)
