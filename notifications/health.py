"""Watching the watcher: is the deadline sweep still running?

Every sweep writes ``SweepHeartbeat`` (row 1) when it finishes. A heartbeat older than
``STALE_AFTER_INTERVALS`` sweep intervals means nobody is recording alerts: deadlines are still
computed and shown, but no threshold becomes an ``AlertEvent``. ``/healthz`` then answers 503
and every page shows a banner (``web.context_processors``).

A fresh install has no heartbeat until the worker's first sweep: that counts as failing ("never"),
on purpose, because an installation whose worker never started must not look healthy.
``scripts/run`` starts the worker with the web server, so this clears within one interval.

The age is measured against the database clock, the one every sweeper writes with
(``sweep.database_now``), and read in one query.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from notifications.models import SweepHeartbeat

STALE_AFTER_INTERVALS = 3  # one missed beat is a hiccup (a slow run, a restart); three is an outage


def max_heartbeat_age() -> timedelta:
    return timedelta(seconds=settings.BREACHTRACK_SWEEP_INTERVAL_SECONDS * STALE_AFTER_INTERVALS)


@dataclass(frozen=True)
class SweepHealth:
    """Where the sweep stands at ``checked_at`` (database clock)."""

    last_sweep_at: datetime | None
    checked_at: datetime
    max_age: timedelta

    @property
    def age(self) -> timedelta | None:
        if self.last_sweep_at is None:
            return None
        return max(self.checked_at - self.last_sweep_at, timedelta(0))

    @property
    def state(self) -> str:
        """'ok', 'stale' or 'never' (stable words for monitoring)."""
        if self.last_sweep_at is None:
            return "never"
        return "stale" if self.age > self.max_age else "ok"

    @property
    def is_failing(self) -> bool:
        return self.state != "ok"

    def banner(self) -> str:
        """The sentence shown to people on every page while the sweep is failing."""
        if self.last_sweep_at is None:
            when = _("the last check was never")
        else:
            minutes = int(self.age // timedelta(minutes=1))
            when = ngettext(
                "the last check was %(minutes)d minute ago", "the last check was %(minutes)d minutes ago", minutes
            ) % {"minutes": minutes}
        return _(
            "Deadline alerts are not being checked: %(when)s. Deadlines are still computed, but nobody will be alerted."
        ) % {"when": when}

    def as_json(self) -> dict:
        """The ``sweep`` part of /healthz (for machines and operators: English, stable keys)."""
        body = {
            "status": self.state,
            "last_sweep_at": self.last_sweep_at.isoformat() if self.last_sweep_at else None,
            "age_seconds": round(self.age.total_seconds(), 3) if self.age is not None else None,
            "max_age_seconds": self.max_age.total_seconds(),
        }
        if self.state == "never":
            body["detail"] = (
                "No deadline sweep has ever run: start the Celery worker and beat (scripts/run starts them with "
                "the web server; a fresh install reports this until the first sweep)."
            )
        elif self.state == "stale":
            body["detail"] = (
                f"The last deadline sweep finished {body['age_seconds']:g} s ago, more than "
                f"{STALE_AFTER_INTERVALS} sweep intervals: alerts are not being recorded."
            )
        return body


def _read_heartbeat() -> tuple[datetime | None, datetime]:
    """(last_sweep_at or None, the database clock), in one query."""
    if connection.vendor == "postgresql":
        table = connection.ops.quote_name(SweepHeartbeat._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT (SELECT last_sweep_at FROM {table} WHERE id = 1), CURRENT_TIMESTAMP")  # noqa: S608 (identifiers from our models' metadata, values as parameters)
            last, now = cursor.fetchone()
        return last, now
    # SQLite: the database is a file on this machine, so its clock is this machine's (see
    # sweep.database_now, which this mirrors).
    last = SweepHeartbeat.objects.filter(pk=1).values_list("last_sweep_at", flat=True).first()
    return last, timezone.now()


def sweep_health() -> SweepHealth:
    last, now = _read_heartbeat()
    return SweepHealth(last_sweep_at=last, checked_at=now, max_age=max_heartbeat_age())
