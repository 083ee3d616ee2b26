"""Name the actor of every change made outside a web request.

Management commands act as ``system:command:<name>`` and Celery tasks as
``system:task:<name>``, so no historical record is ever written by "nobody".
Services still pass an explicit actor where they know a better one.
"""

from __future__ import annotations

import functools

from celery.signals import task_postrun, task_prerun
from django.core.management.base import BaseCommand

from breachtrack.history import _actor, _reason

_task_tokens: dict[str, tuple] = {}


def _wrap_command_execute():
    original = BaseCommand.execute
    if getattr(original, "_breachtrack_wrapped", False):
        return

    @functools.wraps(original)
    def execute(self, *args, **options):
        name = type(self).__module__.rsplit(".", 1)[-1]
        actor_token = _actor.set(f"command:{name}")
        reason_token = _reason.set(f"manage.py {name}")
        try:
            return original(self, *args, **options)
        finally:
            _actor.reset(actor_token)
            _reason.reset(reason_token)

    execute._breachtrack_wrapped = True
    BaseCommand.execute = execute


def _task_started(task_id=None, task=None, **kwargs):
    _task_tokens[task_id] = (_actor.set(f"task:{task.name}"), _reason.set(f"Celery task {task.name}"))


def _task_finished(task_id=None, **kwargs):
    tokens = _task_tokens.pop(task_id, None)
    if tokens:
        _actor.reset(tokens[0])
        _reason.reset(tokens[1])


def install():
    _wrap_command_execute()
    task_prerun.connect(_task_started, dispatch_uid="breachtrack.task_actor", weak=False)
    task_postrun.connect(_task_finished, dispatch_uid="breachtrack.task_actor_done", weak=False)
