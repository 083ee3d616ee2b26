"""Celery tasks: thin wrappers around notifications.sweep (STYLE.md habit 3)."""

from __future__ import annotations

from celery import shared_task

from notifications.sweep import sweep

# Shorter than the beat interval's usual value, so runs do not pile up behind each other.
SWEEP_BUDGET_SECONDS = 10


@shared_task(name="notifications.sweep", acks_late=True, ignore_result=True)
def sweep_deadlines() -> int:
    """Record the alerts of every deadline threshold that has passed (detection only)."""
    return sweep(budget_seconds=SWEEP_BUDGET_SECONDS)
