"""Strict settings: the env helpers, the two modes as real processes, and the service smoke tests.

The helpers are tested with ``environ=`` (no process environment touched). The
modes are tested by starting ``manage.py`` with a controlled environment, since
settings are read once per process; there are few of these, each costs ~1 s.
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest

from breachtrack.env import (
    ConfigurationError,
    env_bool,
    env_choice,
    env_instant,
    env_int,
    env_list,
    env_secret,
    env_str,
    env_url,
)
from tests.production_env import production_env

REPO_ROOT = Path(__file__).resolve().parent.parent


# --- env helpers -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"), [("1", True), ("YES", True), (" on ", True), ("0", False), ("off", False)]
)
def test_env_bool_reads_the_usual_spellings(raw, expected):
    assert env_bool("FLAG", not expected, environ={"FLAG": raw}) is expected


@pytest.mark.parametrize("environ", [{}, {"FLAG": ""}, {"FLAG": "   "}])
def test_env_bool_falls_back_to_the_default_when_unset_or_blank(environ):
    assert env_bool("FLAG", True, environ=environ) is True


def test_env_bool_refuses_maybe_and_names_the_variable():
    with pytest.raises(ConfigurationError) as refused:
        env_bool("EMAIL_USE_TLS", True, environ={"EMAIL_USE_TLS": "maybe"})
    assert "EMAIL_USE_TLS" in str(refused.value)
    assert "'maybe'" in str(refused.value)


def test_env_int_reads_a_number_and_keeps_the_default_when_unset():
    assert env_int("EMAIL_PORT", 587, minimum=1, environ={"EMAIL_PORT": "2525"}) == 2525
    assert env_int("EMAIL_PORT", 587, minimum=1, environ={}) == 587


def test_env_int_refuses_a_value_below_its_minimum():
    with pytest.raises(ConfigurationError) as refused:
        env_int("BREACHTRACK_CLOCK_SKEW_SECONDS", 300, minimum=0, environ={"BREACHTRACK_CLOCK_SKEW_SECONDS": "-1"})
    assert "BREACHTRACK_CLOCK_SKEW_SECONDS" in str(refused.value)
    assert "minimum of 0" in str(refused.value)


def test_env_int_refuses_text_that_is_not_a_whole_number():
    with pytest.raises(ConfigurationError, match="EMAIL_PORT='25.5' is not a whole number"):
        env_int("EMAIL_PORT", 587, environ={"EMAIL_PORT": "25.5"})


def test_env_secret_reads_the_value_directly():
    assert env_secret("SECRET_KEY", environ={"SECRET_KEY": " s3cret "}) == "s3cret"


def test_env_secret_reads_the_file_named_by_name_file(tmp_path):
    secret_file = tmp_path / "secret"
    secret_file.write_text("from-a-file\n", encoding="utf-8")
    assert env_secret("SECRET_KEY", environ={"SECRET_KEY_FILE": str(secret_file)}) == "from-a-file"


def test_env_secret_refuses_both_the_value_and_the_file(tmp_path):
    secret_file = tmp_path / "secret"
    secret_file.write_text("from-a-file", encoding="utf-8")
    with pytest.raises(ConfigurationError, match="either SECRET_KEY or SECRET_KEY_FILE, not both"):
        env_secret("SECRET_KEY", environ={"SECRET_KEY": "direct", "SECRET_KEY_FILE": str(secret_file)})


def test_env_secret_refuses_an_empty_file(tmp_path):
    secret_file = tmp_path / "secret"
    secret_file.write_text("  \n", encoding="utf-8")
    with pytest.raises(ConfigurationError, match="SECRET_KEY_FILE=.* is empty"):
        env_secret("SECRET_KEY", environ={"SECRET_KEY_FILE": str(secret_file)})


def test_env_secret_refuses_a_file_that_cannot_be_read(tmp_path):
    with pytest.raises(ConfigurationError, match="SECRET_KEY_FILE=.* cannot be read"):
        env_secret("SECRET_KEY", environ={"SECRET_KEY_FILE": str(tmp_path / "missing")})


def test_env_url_accepts_an_allowed_scheme_and_refuses_another():
    url = "postgres://postgres@127.0.0.1:5432/x"
    assert env_url("DATABASE_URL", schemes=("postgres",), environ={"DATABASE_URL": url}) == url
    with pytest.raises(ConfigurationError) as refused:
        env_url("DATABASE_URL", schemes=("postgres", "postgresql"), environ={"DATABASE_URL": "mysql://db/x"})
    assert "DATABASE_URL" in str(refused.value)
    assert "'mysql'" in str(refused.value)


def test_env_url_refuses_a_value_without_a_scheme():
    with pytest.raises(ConfigurationError, match="got 'none'"):
        env_url("CELERY_BROKER_URL", schemes=("redis",), environ={"CELERY_BROKER_URL": "127.0.0.1:6379"})


def test_env_choice_list_and_str_read_their_variables():
    assert env_choice("MODE", "embedded", ("embedded", "production"), environ={"MODE": "production"}) == "production"
    with pytest.raises(ConfigurationError, match="MODE='prod' must be one of embedded, production"):
        env_choice("MODE", "embedded", ("embedded", "production"), environ={"MODE": "prod"})
    assert env_list("HOSTS", environ={"HOSTS": " a.example, ,b.example "}) == ["a.example", "b.example"]
    assert env_str("NAME", "fallback", environ={"NAME": "  "}) == "fallback"


def test_env_instant_reads_an_iso_instant_into_utc_and_keeps_the_default_when_unset():
    earliest = "BREACHTRACK_EARLIEST_INSTANT"
    assert env_instant(earliest, "1990-01-01T00:00:00Z", environ={}) == datetime(1990, 1, 1, tzinfo=UTC)
    assert env_instant(earliest, "1990-01-01T00:00:00Z", environ={earliest: "2000-06-01T02:00:00+02:00"}) == (
        datetime(2000, 6, 1, tzinfo=UTC)
    )


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("1990", "is not an ISO 8601 instant"),
        ("yesterday", "is not an ISO 8601 instant"),
        ("1990-01-01", "no UTC offset"),
    ],
)
def test_env_instant_refuses_a_malformed_or_naive_value_naming_the_variable(raw, message):
    with pytest.raises(ConfigurationError) as refused:
        env_instant(
            "BREACHTRACK_EARLIEST_INSTANT", "1990-01-01T00:00:00Z", environ={"BREACHTRACK_EARLIEST_INSTANT": raw}
        )
    assert "BREACHTRACK_EARLIEST_INSTANT" in str(refused.value) and message in str(refused.value)


# --- the two modes, as real processes ----------------------------------------------


def manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    """Run manage.py with exactly ``env`` (plus PATH), from the repository root."""
    full_env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "LANG": "C.UTF-8",
        "PYTHONDONTWRITEBYTECODE": "1",
        **env,
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=REPO_ROOT,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_refuses_to_start_without_a_secret_key(tmp_path):
    result = manage("check", env={"BREACHTRACK_MODE": "production", "BREACHTRACK_VAR_DIR": str(tmp_path)})
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr
    assert "ConfigurationError" in result.stderr


def test_a_complete_production_configuration_passes_the_deploy_checks(tmp_path):
    env = production_env(tmp_path)
    assert len(env["SECRET_KEY"]) == 64
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout
    assert "WARNING" not in result.stdout + result.stderr


def test_production_behind_a_tls_proxy_with_every_hardening_variable_set_passes_the_deploy_checks(tmp_path):
    env = production_env(
        tmp_path,
        BEHIND_TLS_PROXY="true",
        SESSION_COOKIE_AGE="3600",
        BREACHTRACK_LOGIN_FAILURE_LIMIT="3",
        BREACHTRACK_LOGIN_LOCKOUT_MINUTES="60",
        BREACHTRACK_UPLOAD_MAX_BYTES="1048576",
    )
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)" in result.stdout
    script = (
        "from django.conf import settings as s; "
        "print(s.SECURE_PROXY_SSL_HEADER, s.SECURE_SSL_REDIRECT, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE); "
        "print(s.SECURE_HSTS_SECONDS, s.SESSION_COOKIE_AGE, s.SESSION_EXPIRE_AT_BROWSER_CLOSE); "
        "print(s.AXES_FAILURE_LIMIT, s.AXES_COOLOFF_TIME, s.AXES_HANDLER, s.BREACHTRACK_UPLOAD_MAX_BYTES); "
        "print(s.CONTENT_SECURITY_POLICY['DIRECTIVES']['frame-ancestors'])"
    )
    shown = manage("shell", "--no-imports", "-c", script, env=env)
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.split("\n")[:4] == [
        "('HTTP_X_FORWARDED_PROTO', 'https') True True True",
        "31536000 3600 True",
        "3 1:00:00 axes.handlers.database.AxesDatabaseHandler 1048576",
        "[\"'none'\"]",
    ]


def test_the_proxy_count_is_read_from_the_environment_and_must_be_positive(tmp_path):
    env = production_env(tmp_path, BEHIND_TLS_PROXY="true", BEHIND_TLS_PROXY_COUNT="2")
    shown = manage(
        "shell", "--no-imports", "-c", "from django.conf import settings as s; print(s.BEHIND_TLS_PROXY_COUNT)", env=env
    )
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.strip() == "2"
    refused = manage("check", env=production_env(tmp_path, BEHIND_TLS_PROXY_COUNT="0"))
    assert refused.returncode != 0
    assert "BEHIND_TLS_PROXY_COUNT" in refused.stderr and "ConfigurationError" in refused.stderr


def test_a_malformed_earliest_instant_stops_start_up_naming_the_variable(tmp_path):
    result = manage("check", env={"BREACHTRACK_VAR_DIR": str(tmp_path), "BREACHTRACK_EARLIEST_INSTANT": "1990-13-01"})
    assert result.returncode != 0
    assert "BREACHTRACK_EARLIEST_INSTANT" in result.stderr and "ConfigurationError" in result.stderr


def test_a_login_failure_limit_of_zero_is_refused(tmp_path):
    result = manage("check", env=production_env(tmp_path, BREACHTRACK_LOGIN_FAILURE_LIMIT="0"))
    assert result.returncode != 0
    assert "BREACHTRACK_LOGIN_FAILURE_LIMIT" in result.stderr and "ConfigurationError" in result.stderr


@pytest.mark.parametrize(
    ("base_url", "message"), [(None, "BREACHTRACK_BASE_URL is required"), ("http://breachtrack.example", "https://")]
)
def test_production_needs_an_https_base_url_for_the_links_in_alerts(tmp_path, base_url, message):
    env = production_env(tmp_path)
    del env["BREACHTRACK_BASE_URL"]
    if base_url:
        env["BREACHTRACK_BASE_URL"] = base_url
    result = manage("check", env=env)
    assert result.returncode != 0
    assert message in result.stderr and "ConfigurationError" in result.stderr


def test_the_embedded_default_needs_no_configuration_and_keeps_its_key_private(tmp_path):
    var_dir = tmp_path / "var"
    script = (
        "from pathlib import Path; from django.conf import settings; "
        "print(settings.DATABASES['default']['ENGINE'], settings.CELERY_BROKER_URL); "
        "print('key-from-file', settings.SECRET_KEY == (Path(settings.VAR_DIR) / 'secret_key').read_text().strip())"
    )
    result = manage("shell", "--no-imports", "-c", script, env={"BREACHTRACK_VAR_DIR": str(var_dir)})
    assert result.returncode == 0, result.stderr
    lines = result.stdout.split("\n")
    assert "django.db.backends.sqlite3 filesystem://" in lines
    assert "key-from-file True" in lines
    key_file = var_dir / "secret_key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert len(key_file.read_text(encoding="utf-8").strip()) >= 50


# --- the real services (scripts/test runs these against local PostgreSQL and Redis) ---


def _on_postgresql() -> bool:
    return os.environ.get("DATABASE_URL", "").startswith("postgres")


@pytest.mark.redis
def test_redis_answers_and_carries_a_message():
    """A message goes through Redis with kombu, the library Celery uses.

    scripts/test sets BREACHTRACK_TEST_REDIS_URL for its PostgreSQL + Redis run.
    Without it the test is skipped locally; under CI=true it fails, except in
    the SQLite run, which scripts/test deliberately starts without any
    service (also under CI), just as the PostgreSQL test skips on SQLite.
    """
    url = os.environ.get("BREACHTRACK_TEST_REDIS_URL")
    if not url:
        if os.environ.get("CI") == "true" and _on_postgresql():
            pytest.fail("CI=true: BREACHTRACK_TEST_REDIS_URL must be set for the PostgreSQL + Redis run")
        pytest.skip("BREACHTRACK_TEST_REDIS_URL is not set (scripts/test sets it for the PostgreSQL + Redis run)")
    from kombu import Connection

    queue_name = f"breachtrack-test-{uuid.uuid4().hex}"
    with Connection(url, connect_timeout=5) as connection:
        connection.ensure_connection(max_retries=1)
        queue = connection.SimpleQueue(queue_name)
        try:
            queue.put({"ping": queue_name})
            message = queue.get(timeout=5)
            message.ack()
            assert message.payload == {"ping": queue_name}
        finally:
            queue.queue.delete()
            queue.close()


@pytest.mark.postgres
def test_the_database_is_postgresql_when_database_url_says_so(db):
    from django.db import connection

    if not _on_postgresql():
        if os.environ.get("CI") == "true" and os.environ.get("BREACHTRACK_TEST_REDIS_URL"):
            pytest.fail("CI=true: the PostgreSQL + Redis run has no PostgreSQL DATABASE_URL")
        pytest.skip("running on SQLite (expected in the SQLite run)")
    assert connection.vendor == "postgresql"
    with connection.cursor() as cursor:
        cursor.execute("select version()")
        assert cursor.fetchone()[0].startswith("PostgreSQL")
