"""Running independent verification tasks in worker processes, all reading one snapshot.

verify_audit splits its work into tasks that share nothing (a range of chains, a range of one
history table's ids, a range of one live table's keys: :mod:`evidence.verify`). On PostgreSQL:

1. :func:`one_snapshot` opens a REPEATABLE READ, READ ONLY transaction on the command's connection
   and exports its snapshot (``pg_export_snapshot()``); every query of the run, in this process or
   a worker, reads that one state of the database, so a write committed half-way through can not
   make one part of the report disagree with another;
2. :func:`run_tasks` forks ``jobs`` workers; each opens its own connection (the inherited one is
   the parent's socket: kept, never used, never closed) and runs each task in a transaction that
   imports the snapshot (``SET TRANSACTION SNAPSHOT``);
3. the results come back in the order of the tasks, whatever order the workers finished them in.

Elsewhere (SQLite), or when the caller is already inside a transaction (whose uncommitted rows
another connection could not see), there is no snapshot and the tasks run one after the other
in this process.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import re

from django.db import connections, transaction

_SNAPSHOT_ID = re.compile(r"^[0-9A-Fa-f-]+$")
_INHERITED: list = []  # the parent's connection wrappers in a worker: never closed (shared socket)


@contextlib.contextmanager
def one_snapshot(using: str):
    """Yield the id of this run's exported snapshot, or None when the tasks must run here, in turn."""
    connection = connections[using]
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        yield None
        return
    with transaction.atomic(using=using):
        with connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            cursor.execute("SELECT pg_export_snapshot()")
            snapshot = cursor.fetchone()[0]
        yield snapshot


def run_tasks(run, tasks: list, *, using: str, jobs: int, snapshot: str | None, cost=None) -> list:
    """``[run(task) for task in tasks]``, in ``jobs`` processes reading ``snapshot`` when there is one.

    ``cost(task)``: an estimate of its work; the dearest tasks are handed out first, so that two
    workers finish at about the same time.
    """
    if snapshot is None or jobs <= 1 or len(tasks) <= 1:
        return [run(task) for task in tasks]
    order = sorted(range(len(tasks)), key=lambda i: -cost(tasks[i])) if cost else range(len(tasks))
    results: list = [None] * len(tasks)
    context = multiprocessing.get_context("fork")  # the workers inherit the settings as they are now
    pool = context.Pool(min(jobs, len(tasks)), initializer=_start_worker, initargs=(using,))
    try:
        for index, result in pool.imap_unordered(_run_in_worker, [(i, run, tasks[i], using, snapshot) for i in order]):
            results[index] = result
        pool.close()
    except BaseException:
        pool.terminate()
        raise
    finally:
        pool.join()
    return results


def _start_worker(using: str) -> None:
    inherited = connections[using]
    _INHERITED.append(inherited)
    connections[using] = type(inherited)(dict(inherited.settings_dict), using)


def _run_in_worker(job):
    index, run, task, using, snapshot = job
    if not _SNAPSHOT_ID.match(snapshot):
        raise ValueError(f"not a snapshot id: {snapshot!r}")
    with transaction.atomic(using=using):
        with connections[using].cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            cursor.execute(f"SET TRANSACTION SNAPSHOT '{snapshot}'")
        return index, run(task)
