"""Celery's queues and the workers that consume them: the sweep has a queue and a worker of its own.

The alert lateness target (p99 <= sweep interval + 5 s, scripts/bench_lateness.py) holds only if a
sweep never waits behind deliveries, so the sweep's task is routed to the ``sweep`` queue, the
delivery task to ``deliveries``, and every queue has a worker in the topology that scripts/run
starts and that the end-to-end harness (tests/e2e/stack.py) starts the same way.
"""

from __future__ import annotations

import re

from django.conf import settings

from breachtrack.celery import app
from tests.e2e.stack import REPO, Stack


def queue_of(task_name: str) -> str:
    return app.amqp.router.route({}, task_name)["queue"].name


def queues_given(argv) -> set[str]:
    argv = list(argv)
    return set(argv[argv.index("-Q") + 1].split(","))


def test_the_sweep_and_the_deliveries_have_queues_of_their_own():
    assert queue_of("actions.sweep") == "sweep"
    deliveries = {"notifications.deliver", "notifications.deliver_batch"}
    assert {queue_of(name) for name in deliveries} == {"deliveries"}
    others = {name for name in app.tasks if not name.startswith("celery.")} - {"actions.sweep", *deliveries}
    assert others  # imports, anchoring, purges, ...
    assert {queue_of(name) for name in others} == {"celery"}


def test_every_beat_task_goes_to_a_declared_queue():
    declared = {queue.name for queue in settings.CELERY_TASK_QUEUES}
    assert declared == {"sweep", "deliveries", "celery"}
    assert {queue_of(entry["task"]) for entry in settings.CELERY_BEAT_SCHEDULE.values()} <= declared


def test_a_worker_without_dash_q_consumes_every_queue():
    # What a single `celery worker` (as before the split, or a quick local run) listens to.
    assert set(app.amqp.queues) == {queue.name for queue in settings.CELERY_TASK_QUEUES}


def test_scripts_run_and_the_e2e_harness_start_the_same_workers_and_cover_every_queue():
    script = (REPO / "scripts" / "run").read_text()
    sweep = re.search(r"^SWEEP_WORKER=\((.*)\)$", script, re.MULTILINE).group(1).split()
    main = re.search(r"^MAIN_WORKER=\((.*)\)$", script, re.MULTILINE).group(1).split()
    assert queues_given(sweep) == queues_given(Stack.SWEEP_WORKER) == {"sweep"}
    assert queues_given(main) == queues_given(Stack.WORKER) == {"deliveries", "celery"}
    # One slot for the sweep, in both: a second would only run a second sweep at once.
    assert "1" == sweep[sweep.index("--concurrency") + 1]
    assert "--concurrency=1" in Stack.SWEEP_WORKER
    assert queues_given(sweep) | queues_given(main) == {queue.name for queue in settings.CELERY_TASK_QUEUES}
    # Beat inside the sweep worker in embedded mode, never inside the other one.
    assert re.search(r'"\$\{SWEEP_WORKER\[@\]\}" -B$', script, re.MULTILINE)
    assert not re.search(r'"\$\{MAIN_WORKER\[@\]\}" -B', script)
