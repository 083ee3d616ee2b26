"""Small helpers for the regime tests: local instants and a shipped report by its codes."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from rules.regimes import Report, catalogue


def at(text: str, zone: str) -> datetime:
    """A local wall time in ``zone`` ("2026-03-06 22:00", "Europe/Amsterdam") as an aware datetime."""
    return datetime.fromisoformat(text).replace(tzinfo=ZoneInfo(zone))


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def shipped_report(regime: str, code: str) -> Report:
    """A report of the regime's latest version as shipped (enabled or not)."""
    return catalogue()[regime].versions[-1].report(code)
