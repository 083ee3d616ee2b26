"""Celery tasks: thin wrappers around actions.sweep and notifications.delivery, where the work (and its tests) live."""

from __future__ import annotations

from celery import shared_task

from actions.sweep import database_now, sweep
from notifications.delivery import deliver_many, deliver_one, dispatch_due_deliveries

# Shorter than the beat interval's usual value, so runs do not pile up behind each other.
SWEEP_BUDGET_SECONDS = 10


@shared_task(name="actions.sweep", acks_late=True, ignore_result=True)
def sweep_deadlines() -> int:
    """Record the alerts of every passed threshold, then re-enqueue deliveries nobody works on."""
    recorded = sweep(budget_seconds=SWEEP_BUDGET_SECONDS)
    dispatch_due_deliveries(database_now())
    return recorded


@shared_task(name="notifications.deliver", acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def deliver(delivery_id: int) -> str:
    """Deliver one alert (e-mail or webhook) once; safe to run twice (see notifications.delivery).

    acks_late + reject_on_worker_lost: a worker killed mid-send gives the message back to the
    broker; the claim and the lease decide whether the redelivered task may send again.
    """
    return deliver_one(delivery_id).value


@shared_task(name="notifications.deliver_batch", acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def deliver_batch(delivery_ids: list[int]) -> dict[str, int]:
    """Deliver the alerts of one sweep message, each id on its own (``deliver_many``); safe to run twice.

    A worker killed mid-batch gives the message back (acks_late + reject_on_worker_lost): the
    redelivered task skips what was sent or is still claimed, and sends the rest; a row whose
    claim died with the worker is taken back by the dispatcher when its lease ends.
    """
    return deliver_many(delivery_ids)
