"""Celery tasks: thin wrappers around the actions, one module per concern.

Celery's autodiscovery imports ``ops.tasks``; importing the modules here registers their tasks.
Task names are explicit (``name=``), so a message queued before a module moved still finds its task.
"""

from ops.tasks import communications, evidence, notifications

__all__ = ["communications", "evidence", "notifications"]
