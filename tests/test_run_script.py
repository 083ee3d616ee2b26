"""scripts/run end to end, as a newcomer starts it: the start-up box and where alert links point.

One real run (embedded mode, a throw-away var dir, a free port): migrate, load the demo, the
development server and the two Celery workers (the sweep's, with beat; the one for deliveries and
the rest). The historical demo clocks are overdue, so the first sweep sends alert e-mails at once
(embedded mode writes them to var/mail/); their links must point at the port this run serves on,
not at the settings' default of 8000. The sweep ran in the sweep worker and the e-mails were sent by
the other one, so a sweep never waits behind deliveries.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
from pathlib import Path

import pytest

from ops.demo import describe_users
from tests.e2e.stack import CLEARED_ENV, REPO, free_port, wait_until

# Start-up (migrate, demo, server, worker) can take minutes on a busy 2-core machine.
pytestmark = [pytest.mark.slow, pytest.mark.timeout(540)]

BOX_BORDER = re.compile(r"^\+-+\+$")
LINK = re.compile(r"https?://[^\s/]+/incidents/\d+/")


def start_up_box(output: Path) -> list[str]:
    """The lines inside the box scripts/run prints once the web answers, or [] before it."""
    lines = output.read_text(encoding="utf-8", errors="replace").splitlines()
    borders = [index for index, line in enumerate(lines) if BOX_BORDER.match(line)]
    if len(borders) < 2:
        return []
    return [line.strip("| ").rstrip() for line in lines[borders[0] + 1 : borders[1]]]


def alert_links(mail_dir: Path) -> list[str]:
    if not mail_dir.is_dir():
        return []
    return [link for path in mail_dir.iterdir() for link in LINK.findall(path.read_text(encoding="utf-8"))]


def log(var_dir: Path, worker: str) -> str:
    """What the Celery worker ``worker`` (sweep, worker) wrote to its log under var/log/."""
    return (var_dir / "log" / f"celery-{worker}.log").read_text(encoding="utf-8", errors="replace")


def test_scripts_run_names_every_demo_login_and_alert_links_follow_the_port(tmp_path):
    port = free_port()
    var_dir = tmp_path / "var"
    env = {name: value for name, value in os.environ.items() if name not in CLEARED_ENV}
    env.pop("BREACHTRACK_BASE_URL", None)  # the default is what is under test
    env.update(PORT=str(port), BREACHTRACK_VAR_DIR=str(var_dir), BREACHTRACK_START_TIMEOUT="180")
    output = tmp_path / "run.out"
    with output.open("wb") as sink:
        run = subprocess.Popen(
            ["bash", str(REPO / "scripts" / "run")],
            cwd=REPO,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    try:
        box = wait_until(lambda: start_up_box(output) or run.poll() is not None, timeout=280, what="the box")
        assert box is not True, output.read_text(encoding="utf-8", errors="replace")[-3000:]
        assert f"URL:       http://127.0.0.1:{port}/" in box
        users = describe_users()
        assert len(users) == 4
        assert box[box.index(f"Log in as: {users[0]}") + 1 : box.index(f"Log in as: {users[0]}") + 4] == list(users[1:])

        links = wait_until(lambda: alert_links(var_dir / "mail"), timeout=120, what="an alert e-mail")
        assert {link.split("/incidents/")[0] for link in links} == {f"http://127.0.0.1:{port}"}

        # Celery logs "Task <name>[<id>] received" in the worker that took the task.
        # A sweep publishes its deliveries in batches (notifications.deliver_batch); the dispatcher
        # re-enqueues a lost one alone (notifications.deliver). Either is a delivery task.
        delivery_task = re.compile(r"notifications\.deliver(_batch)?\[")
        wait_until(lambda: delivery_task.search(log(var_dir, "worker")), timeout=30, what="a delivery logged")
        assert "Task actions.sweep[" in log(var_dir, "sweep")
        assert not delivery_task.search(log(var_dir, "sweep"))
        assert "Task actions.sweep[" not in log(var_dir, "worker")
    finally:
        if run.poll() is None:
            # scripts/run's trap stops the web server and the worker it started. TERM, not INT: a
            # shell started from a background job (as CI may be) inherits INT ignored, and traps
            # cannot catch an ignored signal.
            run.send_signal(signal.SIGTERM)
        try:
            run.wait(timeout=60)
        except subprocess.TimeoutExpired:
            run.kill()
            run.wait()
