"""Throttling the public share-link URL by counting recent rows of the access log.

Two sliding-window limits, both read from the rows ``web.access.views.share`` writes anyway:

* **per client address**: at most ``BREACHTRACK_SHARE_MAX_REFUSALS_PER_ADDRESS`` refused
  attempts with an unknown, expired or revoked token within
  ``BREACHTRACK_SHARE_REFUSAL_WINDOW_SECONDS``. Past it, *every* share request from that
  address is refused, valid tokens included: otherwise a guesser would still tell a hit (200)
  from a miss (429) and the throttle would slow nothing;
* **per link**: at most ``BREACHTRACK_SHARE_MAX_DOWNLOADS_PER_LINK`` served downloads within
  ``BREACHTRACK_SHARE_DOWNLOAD_WINDOW_SECONDS``, whoever asks. Guesses never touch this count, so
  nobody can lock a regulator out of a link without holding its token.

The 429 answers are logged too (``RefusalReason.RATE_LIMITED_*``) but are not counted: a client
that waits ``Retry-After`` seconds is let in again, as the header promised.

Why the log and not a cache: the log is already shared by every gunicorn worker and host, in
both deployments (SQLite embedded, PostgreSQL), so the limits hold across workers without new
infrastructure, and every counted event is evidence anyway. One query per check, bounded by
``LIMIT`` and served by an index (``accesslog_ip_newest``, ``accesslog_link_newest``).

**One clock.** The rows are stamped by the database (``accessed_at`` defaults to ``Now()``), so
the window is measured by the same clock, in the same statement (``Now()`` again): a web worker
whose clock drifts cannot shorten or stretch it.

Not atomic: two requests checked at the same instant can both pass, so a limit can be exceeded
by the number of concurrent requests. It is a throttle, not a quota.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import QuerySet
from django.db.models.functions import Now

from access.choices import AccessAction, AccessOutcome, RefusalReason
from access.models import AccessLog

# What a guesser produces. A wrong export name or an unavailable export comes with a valid
# token, so it is no guess; the 429s themselves are not counted (see the module docstring).
GUESS_REFUSALS = (RefusalReason.UNKNOWN_TOKEN, RefusalReason.EXPIRED, RefusalReason.REVOKED)


@dataclass(frozen=True)
class Verdict:
    is_allowed: bool
    retry_after_seconds: int = 0  # whole seconds, at least 1 when refused (the Retry-After header)


ALLOWED = Verdict(True)


def verdict(newest_first: list[datetime], now: datetime | None, *, limit: int, window: timedelta) -> Verdict:
    """Pure: allowed unless ``limit`` counted events lie within ``window`` before ``now``.

    ``newest_first`` holds the stamps of the newest counted events inside the window (at most
    ``limit`` are needed). When refused, the wait is until the ``limit``-th newest leaves the
    window: from then on fewer than ``limit`` remain, so the next attempt is let in.
    """
    if len(newest_first) < limit:
        return ALLOWED
    frees_at = newest_first[limit - 1] + window
    return Verdict(False, max(1, math.ceil((frees_at - now).total_seconds())))


def recent(rows: QuerySet, *, limit: int, seconds: int) -> QuerySet:
    """The newest ``limit`` of ``rows`` inside the window, each with the database's 'now'."""
    window = timedelta(seconds=seconds)
    return (
        rows.filter(accessed_at__gt=Now() - window)
        .annotate(database_now=Now())
        .order_by("-accessed_at")
        .values_list("accessed_at", "database_now")[:limit]
    )


def _check(rows: QuerySet, *, limit: int, seconds: int) -> Verdict:
    newest = list(recent(rows, limit=limit, seconds=seconds))
    now = newest[0][1] if newest else None
    return verdict([stamp for stamp, _now in newest], now, limit=limit, window=timedelta(seconds=seconds))


def guesses_from(ip_address: str | None) -> QuerySet:
    """Refused guesses from this address (``None``: requests whose address was unknown, as one)."""
    return AccessLog.objects.filter(
        ip_address=ip_address, action=AccessAction.SHARE_LINK_ACCESS, refusal_reason__in=GUESS_REFUSALS
    )


def downloads_of(link) -> QuerySet:
    """Served downloads of this link, from any address."""
    return AccessLog.objects.filter(
        share_link=link, action=AccessAction.SHARE_LINK_ACCESS, outcome=AccessOutcome.ALLOWED
    )


def address_verdict(ip_address: str | None) -> Verdict:
    return _check(
        guesses_from(ip_address),
        limit=settings.BREACHTRACK_SHARE_MAX_REFUSALS_PER_ADDRESS,
        seconds=settings.BREACHTRACK_SHARE_REFUSAL_WINDOW_SECONDS,
    )


def link_verdict(link) -> Verdict:
    return _check(
        downloads_of(link),
        limit=settings.BREACHTRACK_SHARE_MAX_DOWNLOADS_PER_LINK,
        seconds=settings.BREACHTRACK_SHARE_DOWNLOAD_WINDOW_SECONDS,
    )
