"""Helpers for the evidence tests: switching one trigger off, as a database administrator could;
the demo case's laboratory incident; a local time-stamping authority."""

from __future__ import annotations

import contextlib

import pytest
from django.db import connection

from evidence.triggers import _name

from .tsa import LocalTsa, pem


@contextlib.contextmanager
def trigger_disabled(table: str, operation: str):
    """Run the block with one append-only trigger off (the test transaction restores it)."""
    name = _name(operation, table)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Django's foreign keys are deferred: check them now, or ALTER TABLE refuses to run in
            # a transaction that still has their checks pending.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(f'ALTER TABLE "{table}" DISABLE TRIGGER {name}')
        else:
            cursor.execute(f"DROP TRIGGER {name}")
    yield connection


def execute(sql: str, params=()):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


@pytest.fixture
def demo_incident(db, settings):
    """The laboratory's entry of the demo case (loaded in real time: its instants lie in 2025)."""
    from incidents.models import Incident
    from ops.demo import load_demo

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    load_demo("a demo password for tests")
    return Incident.objects.select_related("organisation").get(title__startswith="Ransomware attack")


@pytest.fixture
def tsa():
    """A real RFC 3161 TSA on 127.0.0.1 (tests/evidence/tsa.py), stopped after the test."""
    server = LocalTsa().start()
    yield server
    server.stop()


@pytest.fixture
def anchoring(tsa, settings, tmp_path):
    """Anchoring on: the local TSA, with its certificate configured as the trusted one."""
    ca_file = tmp_path / "tsa.pem"
    ca_file.write_bytes(pem(tsa.certificate))
    settings.BREACHTRACK_TSA_URL = tsa.url
    settings.BREACHTRACK_TSA_CA_FILE = str(ca_file)
    settings.BREACHTRACK_TSA_TIMEOUT_SECONDS = 5
    settings.BREACHTRACK_TSA_HASH = "sha256"
    return tsa
