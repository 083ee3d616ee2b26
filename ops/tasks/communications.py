"""Celery tasks: thin wrappers around actions.recipient_imports."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from actions.recipient_imports import fail_stale_jobs, run_job


@shared_task(name="communications.run_import_job", acks_late=True, ignore_result=True)
def run_import_job(job_id: int) -> str:
    """Import one queued recipient CSV (validation, then one writing transaction)."""
    return run_job(job_id)


@shared_task(name="communications.fail_stale_import_jobs", ignore_result=True)
def fail_stale_import_jobs() -> int:
    """Mark crashed imports (no heartbeat for too long) as failed and delete their uploads."""
    return fail_stale_jobs(now=timezone.now())
