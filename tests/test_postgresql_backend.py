"""breachtrack.postgresql: the health check asks the socket before it sends SELECT 1."""

from __future__ import annotations

import socket
import time
from types import SimpleNamespace

import psycopg
import pytest
from django.db import connection, connections
from psycopg import pq

from breachtrack.postgresql.base import DatabaseWrapper

SETTINGS = {
    "ENGINE": "breachtrack.postgresql",
    "NAME": "probe",
    "USER": "",
    "PASSWORD": "",
    "HOST": "",
    "PORT": "",
    "OPTIONS": {},
    "TIME_ZONE": None,
    "CONN_MAX_AGE": 60,
    "CONN_HEALTH_CHECKS": True,
    "AUTOCOMMIT": True,
    "ATOMIC_REQUESTS": False,
    "TEST": {},
}


class FakeConnection:
    """A psycopg connection as far as the health check looks: its libpq state, its socket, a cursor
    that records the SELECT 1 (and fails it when the server is gone)."""

    def __init__(self, sock, *, server_gone=False, transaction_status=pq.TransactionStatus.IDLE):
        self.pgconn = SimpleNamespace(
            status=pq.ConnStatus.OK, transaction_status=transaction_status, socket=sock.fileno()
        )
        self.server_gone = server_gone
        self.sent: list[str] = []

    def cursor(self):
        return self

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def execute(self, sql):
        self.sent.append(sql)
        if self.server_gone:
            raise psycopg.OperationalError("server closed the connection unexpectedly")


@pytest.fixture
def pair():
    ours, servers = socket.socketpair()
    yield ours, servers
    ours.close()
    servers.close()


def wrapper_over(fake) -> DatabaseWrapper:
    wrapper = DatabaseWrapper(SETTINGS, "probe")
    wrapper.connection = fake
    return wrapper


def test_an_idle_connection_with_nothing_to_read_is_usable_without_a_query(pair):
    fake = FakeConnection(pair[0])
    assert wrapper_over(fake).is_usable() is True
    assert fake.sent == []


def test_a_connection_the_server_closed_gets_the_select_and_is_not_usable(pair):
    ours, servers = pair
    servers.sendall(b"E\x00\x00\x00\x05S")  # the start of the server's FATAL message
    servers.close()
    fake = FakeConnection(ours, server_gone=True)
    assert wrapper_over(fake).is_usable() is False
    assert fake.sent == ["SELECT 1"]


def test_anything_waiting_on_the_socket_means_asking_the_server(pair):
    ours, servers = pair
    servers.sendall(b"A")  # e.g. a notification: harmless, but not silence
    fake = FakeConnection(ours)
    assert wrapper_over(fake).is_usable() is True
    assert fake.sent == ["SELECT 1"]


def test_a_connection_inside_a_transaction_is_asked_as_before(pair):
    fake = FakeConnection(pair[0], transaction_status=pq.TransactionStatus.INTRANS)
    assert wrapper_over(fake).is_usable() is True
    assert fake.sent == ["SELECT 1"]


def test_no_connection_is_not_usable():
    assert DatabaseWrapper(SETTINGS, "probe").is_usable() is False


@pytest.mark.django_db(transaction=True)
def test_on_the_real_server_a_terminated_backend_is_seen_and_a_live_one_costs_no_query(monkeypatch):
    """On PostgreSQL (the project's PostgreSQL run): the real server. On SQLite: Django's own
    backend is configured, and this module's is not in use."""
    if connection.vendor != "postgresql":
        assert connection.settings_dict["ENGINE"] == "django.db.backends.sqlite3"
        return
    assert isinstance(connections["default"], DatabaseWrapper)
    connection.ensure_connection()
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    with monkeypatch.context() as patched:
        patched.setattr(connection.connection, "cursor", lambda *a, **k: pytest.fail("a query was sent"))
        assert connection.is_usable() is True
    other = connection.copy()
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
    finally:
        other.close()
    deadline = time.monotonic() + 5
    while connection._is_quiet() and time.monotonic() < deadline:
        time.sleep(0.01)
    assert connection.is_usable() is False
    connection.close()
    connection.ensure_connection()
    assert connection.is_usable() is True
