"""Is the audit trail still being anchored? (``/healthz``'s ``anchor`` part.)

Each anchoring run (hourly by default) writes ``AnchorRun``. With anchoring on, the trail is
``stale`` when no run has left every chain anchored for ``STALE_AFTER_INTERVALS`` intervals (the
TSA has been down or refusing for hours, or beat is not running the task), and ``never`` before
the first run. Either is a *warning*: /healthz still answers 200, since a web server that cannot
reach the TSA serves pages perfectly well, but monitoring sees the word and the failing chains.
History written meanwhile stays hash-chained and is anchored by the first run that succeeds.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings

from evidence.models import AnchorRun

STALE_AFTER_INTERVALS = 3  # one failed run is a TSA hiccup; three in a row want a person


def max_clean_age() -> timedelta:
    return timedelta(seconds=settings.BREACHTRACK_ANCHOR_INTERVAL_SECONDS * STALE_AFTER_INTERVALS)


@dataclass(frozen=True)
class AnchorHealth:
    is_on: bool
    run: AnchorRun | None
    checked_at: datetime

    @property
    def state(self) -> str:
        """'off', 'never', 'stale' or 'ok' (stable words for monitoring)."""
        if not self.is_on:
            return "off"
        if self.run is None:
            return "never"
        clean = self.run.last_clean_at
        return "stale" if clean is None or self.checked_at - clean > max_clean_age() else "ok"

    @property
    def is_warning(self) -> bool:
        return self.state in ("never", "stale")

    def as_json(self) -> dict:
        body = {"status": self.state}
        if self.run is not None:
            body.update(
                last_run_at=self.run.last_run_at.isoformat(),
                last_clean_at=self.run.last_clean_at.isoformat() if self.run.last_clean_at else None,
                failed_chains=self.run.failed_chains,
            )
        if self.state == "never":
            body["detail"] = "Anchoring is on but has not run yet: Celery beat runs it (evidence.anchor_audit)."
        elif self.state == "stale":
            body["detail"] = (
                f"No anchoring run has anchored every chain for more than {STALE_AFTER_INTERVALS} intervals "
                f"({max_clean_age().total_seconds():g} s); last error: {self.run.last_error or 'none recorded'}"
            )
        return body


def anchor_health(*, now: datetime) -> AnchorHealth:
    """One query when anchoring is on, none when it is off."""
    if not settings.BREACHTRACK_TSA_URL:
        return AnchorHealth(is_on=False, run=None, checked_at=now)
    return AnchorHealth(is_on=True, run=AnchorRun.objects.filter(pk=1).first(), checked_at=now)
