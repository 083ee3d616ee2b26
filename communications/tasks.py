"""Celery tasks: thin wrappers around communications.jobs."""

from __future__ import annotations

from celery import shared_task

from communications.jobs import run_job


@shared_task(name="communications.run_import_job", acks_late=True, ignore_result=True)
def run_import_job(job_id: int) -> str:
    """Import one queued recipient CSV (validation, then one writing transaction)."""
    return run_job(job_id)
