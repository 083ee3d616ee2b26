"""Fixtures for the end-to-end tests: a local SMTP server, private Redis, throw-away databases.

Nothing here uses pytest-django's test database: the worker and beat are separate processes
and could not see it. See tests/e2e/stack.py.
"""

from __future__ import annotations

import os
import shutil
import sqlite3

import pytest

from tests.e2e.stack import Mailbox, PostgresDatabase, Processes, RedisServer, Stack


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture
def smtp_server():
    """An aiosmtpd server on a free port; ``.env`` points BreachTrack's e-mail settings at it."""
    mailbox = Mailbox()
    mailbox.start()
    yield mailbox
    mailbox.stop()


@pytest.fixture
def processes(tmp_path, request):
    """Every subprocess of the test; all groups killed in teardown, logs printed on failure."""
    procs = Processes(tmp_path / "logs", dict(os.environ))
    yield procs
    leftovers = procs.stop_all()
    report = getattr(request.node, "report_call", None)
    if report is None or report.failed:
        print(procs.logs())
    assert leftovers == [], f"process groups still alive after teardown: {leftovers}"


@pytest.fixture
def redis_server(tmp_path, processes):
    server = RedisServer(processes, tmp_path / "redis")
    server.start()
    return server


@pytest.fixture(scope="module")
def migrated_postgres(tmp_path_factory):
    """A throw-away PostgreSQL database, migrated once for the module by a subprocess."""
    base = os.environ.get("DATABASE_URL", "")
    if not base.startswith("postgres"):
        pytest.fail("the PostgreSQL end-to-end tests need DATABASE_URL=postgres://... (scripts/test sets it)")
    database = PostgresDatabase(base)
    database.create()
    root = tmp_path_factory.mktemp("pg-migrate")
    stack = Stack(root, database_url=database.url)
    try:
        stack.migrate()
        yield database
    finally:
        database.drop()


@pytest.fixture(scope="session")
def migrated_sqlite_var(tmp_path_factory):
    """A var dir whose embedded SQLite database a subprocess migrated, once per session (and xdist
    worker): a migrate costs tens of seconds, a copy of its result next to nothing."""
    stack = Stack(tmp_path_factory.mktemp("sqlite-migrate"))
    stack.migrate()
    return stack.var_dir


def _copy_var_dir(source, target) -> None:
    """The keys and folders as they are; the database through SQLite's backup API, which also
    takes what is still in the write-ahead log."""
    shutil.copytree(source, target, dirs_exist_ok=True, ignore=shutil.ignore_patterns("breachtrack.sqlite3*"))
    with sqlite3.connect(source / "breachtrack.sqlite3") as src, sqlite3.connect(target / "breachtrack.sqlite3") as dst:
        src.backup(dst)
    src.close()
    dst.close()


@pytest.fixture
def filesystem_stack(tmp_path, processes, smtp_server, migrated_sqlite_var):
    """SQLite + filesystem broker under a temp var dir, migrated; Celery not started yet."""
    stack = Stack(tmp_path, processes=processes, extra_env=smtp_server.env)
    _copy_var_dir(migrated_sqlite_var, stack.var_dir)
    return stack


@pytest.fixture
def redis_stack(tmp_path, processes, redis_server, migrated_postgres, smtp_server):
    """PostgreSQL + a private Redis; Celery not started yet."""
    return Stack(
        tmp_path,
        processes=processes,
        database_url=migrated_postgres.url,
        broker_url=redis_server.url,
        extra_env=smtp_server.env,
    )
