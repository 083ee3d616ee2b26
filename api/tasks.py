"""Celery tasks of the API: a thin wrapper around api.idempotency."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from api.idempotency import purge_expired


@shared_task(name="api.purge_idempotency_keys", ignore_result=True)
def purge_idempotency_keys() -> int:
    """Delete Idempotency-Keys past their expiry (a reuse deletes an expired key by itself too)."""
    return purge_expired(now=timezone.now())
