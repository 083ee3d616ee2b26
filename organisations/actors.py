"""Name the actor of every change made outside a web request.

Management commands act as ``system:command:<name>`` and Celery tasks as
``system:task:<name>``, so no historical record is ever written by "nobody".
Services still pass an explicit actor where they know a better one.
"""

from __future__ import annotations

import functools

from celery.signals import task_postrun, task_prerun
from django.core.management.base import BaseCommand

from breachtrack.history import acting_as

# Celery signals split a task into prerun and postrun: the open acting_as()
# context of each running task, closed when the task ends.
_task_contexts: dict[str, object] = {}


def _wrap_command_execute():
    original = BaseCommand.execute
    if getattr(original, "_breachtrack_wrapped", False):
        return

    @functools.wraps(original)
    def execute(self, *args, **options):
        name = type(self).__module__.rsplit(".", 1)[-1]
        with acting_as(f"command:{name}", f"manage.py {name}"):
            return original(self, *args, **options)

    execute._breachtrack_wrapped = True
    BaseCommand.execute = execute


def _task_started(task_id=None, task=None, **kwargs):
    context = acting_as(f"task:{task.name}", f"Celery task {task.name}")
    context.__enter__()
    _task_contexts[task_id] = context


def _task_finished(task_id=None, **kwargs):
    context = _task_contexts.pop(task_id, None)
    if context is not None:
        context.__exit__(None, None, None)


def install():
    _wrap_command_execute()
    task_prerun.connect(_task_started, dispatch_uid="breachtrack.task_actor", weak=False)
    task_postrun.connect(_task_finished, dispatch_uid="breachtrack.task_actor_done", weak=False)
