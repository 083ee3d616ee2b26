"""Enqueueing a Celery task by its registered name.

The tasks are the workers' interface (``ops.tasks``) and sit above the actions that queue them, so
an action names the task instead of importing it. ``ops``'s app config imports ``ops.tasks`` when
Django starts, so every process (web, worker, shell) knows every task by name, and the task's own
``delay`` runs, with its options (eager mode in tests included).
"""

from __future__ import annotations

from breachtrack.celery import app


def enqueue(task_name: str, *args: object) -> None:
    """Queue ``task_name`` with ``args``; a name no task registered is a KeyError, never a silent drop."""
    app.tasks[task_name].delay(*args)
