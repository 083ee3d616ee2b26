"""Sweeps as separate OS processes on PostgreSQL: racing, and killed half-way.

The thread race in test_sweep.py shares one Python process; here each sweeper is its own
``manage.py sweep`` with its own connection, as two Celery workers on two hosts would be. The
rows are committed (``transaction=True``) so the subprocesses, pointed at the test database,
see them.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from datetime import timedelta

import pytest
from django.db import connection
from django.db.models import Count

from actions.sweep import database_now
from notifications.models import AlertEvent, Deadline
from tests.e2e.stack import CLEARED_ENV, REPO, wait_until

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _due_deadlines(incident, count: int) -> int:
    """``count`` Art. 33(1) clocks aware 30 hours ago: 'before:48h' due now, by the database clock.

    Deadline rows are derived, un-historied state, so they are bulk-created here; the database
    clock is used because the subprocesses sweep at the database's real 'now' (the test's own
    clock is frozen by the ``now`` fixture).
    """
    now = database_now()
    started = now - timedelta(hours=30)
    due = started + timedelta(hours=72)
    Deadline.objects.bulk_create(
        Deadline(
            incident=incident,
            kind="authority_notification",
            started_at=started,
            due_at=due,
            is_legal_deadline=True,
            next_alert_at=due - timedelta(hours=48),
            next_alert_label="before:48h",
        )
        for _ in range(count)
    )
    return count


def _sweeper() -> subprocess.Popen:
    """``manage.py sweep`` in a subprocess, pointed at this test's database."""
    db = connection.settings_dict
    url = (
        f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    )
    env = {k: v for k, v in os.environ.items() if k not in CLEARED_ENV}
    env.update(
        DATABASE_URL=url, BREACHTRACK_VAR_DIR=os.environ.get("BREACHTRACK_VAR_DIR", "/tmp"), PYTHONUNBUFFERED="1"
    )
    return subprocess.Popen(
        [sys.executable, "manage.py", "sweep", "--budget-seconds", "600"],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )


def _recorded(process: subprocess.Popen) -> int:
    output, _ = process.communicate(timeout=300)
    assert process.returncode == 0, output
    return int(output.split("Recorded ", 1)[1].split()[0])


def _assert_one_alert_per_deadline(count: int) -> None:
    per_deadline = Deadline.objects.annotate(n=Count("alerts")).values_list("n", flat=True)
    assert sorted(set(per_deadline)) == [1]
    assert AlertEvent.objects.count() == count
    assert set(AlertEvent.objects.values_list("label", flat=True)) == {"before:48h"}
    assert not Deadline.objects.due(database_now()).exists()


def test_two_sweep_processes_started_together_record_each_threshold_once(incident):
    count = _due_deadlines(incident, 1500)
    first, second = _sweeper(), _sweeper()
    recorded = [_recorded(first), _recorded(second)]

    assert sum(recorded) == count  # no threshold twice (the unique constraint would hide it, the sum would not)
    assert min(recorded) > 0, recorded  # both really swept: they raced
    _assert_one_alert_per_deadline(count)


def test_a_sweep_killed_half_way_is_completed_by_the_next_with_no_gap_and_no_duplicate(incident):
    count = _due_deadlines(incident, 2000)
    victim = _sweeper()
    try:
        wait_until(
            lambda: AlertEvent.objects.count() >= count // 10, 120, interval=0.05, what="the sweep to be under way"
        )
    finally:
        os.killpg(victim.pid, signal.SIGKILL)
        victim.communicate(timeout=30)
    recorded_before = AlertEvent.objects.count()
    assert 0 < recorded_before < count  # killed half-way, not before or after

    assert _recorded(_sweeper()) == count - recorded_before
    _assert_one_alert_per_deadline(count)
