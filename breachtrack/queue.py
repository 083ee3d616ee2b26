"""Enqueueing a Celery task by its registered name.

The tasks are the workers' interface (``ops.tasks``) and sit above the actions that queue them, so
an action names the task instead of importing it. ``ops``'s app config imports ``ops.tasks`` when
Django starts, so every process (web, worker, shell) knows every task by name, and the task's own
``delay`` runs, with its options (eager mode in tests included).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from breachtrack.celery import app

logger = logging.getLogger(__name__)


def enqueue(task_name: str, *args: object) -> None:
    """Queue ``task_name`` with ``args``; a name no task registered is a KeyError, never a silent drop."""
    app.tasks[task_name].delay(*args)


def enqueue_many(task_name: str, calls: Iterable[tuple]) -> None:
    """Queue one ``task_name`` message per argument tuple, sent to the broker together.

    One message per call still (each is acknowledged, retried and redelivered on its own), but
    published through one producer in one batch: on Redis one pipelined round trip instead of one
    per message (a sweep of 1,000 alerts publishes 150 ``notifications.deliver_batch`` messages). Brokers without batch
    publication (the embedded filesystem one) publish each message immediately. Should the batch
    fail, each message is published on its own; one that still fails is logged and left to the
    caller's recovery (a duplicate message is harmless to a task that is safe to run twice).
    """
    task = app.tasks[task_name]
    calls = list(calls)
    if not calls:
        return
    if app.conf.task_always_eager:
        for args in calls:
            task.delay(*args)
        return
    try:
        with app.producer_or_acquire() as producer, producer.batch(max_size=max(len(calls), 1)):
            first, *rest = calls
            task.apply_async(first, producer=producer)  # declares the queue (once per channel)
            for args in rest:
                task.apply_async(args, producer=producer, declare=[])  # the same queue: no per-message check
    except Exception:
        logger.exception("%s: publishing %d messages as one batch failed; publishing each", task_name, len(calls))
        for args in calls:
            try:
                task.apply_async(args)
            except Exception:
                logger.exception("%s%r: not enqueued", task_name, args)
