"""Celery tasks of the evidence app: a thin wrapper around evidence.anchor, where the work (and its tests) live."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from evidence.anchor import ANCHORED, FAILED, NOT_TRIED, anchor_chains


@shared_task(name="evidence.anchor_audit", acks_late=True, ignore_result=True)
def anchor_audit() -> dict:
    """Time-stamp every chain that moved since its last anchor (at most once per chain per UTC day).

    Safe to run again at any time: a chain anchored today is skipped, a failed one is retried.
    """
    # Half the interval, so runs do not pile up behind a slow TSA.
    budget = settings.BREACHTRACK_ANCHOR_INTERVAL_SECONDS / 2
    outcomes = anchor_chains(now=timezone.now(), budget_seconds=budget)
    return {
        "anchored": sum(outcome.status == ANCHORED for outcome in outcomes),
        "failed": sum(outcome.status in (FAILED, NOT_TRIED) for outcome in outcomes),
        "chains": len(outcomes),
    }
