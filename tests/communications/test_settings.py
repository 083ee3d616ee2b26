"""The ledger key: a server secret, required in production, made once in embedded mode."""

from __future__ import annotations

import secrets
import stat

from tests.test_settings import manage


def test_production_refuses_to_start_without_a_ledger_key(tmp_path):
    env = {
        "BREACHTRACK_MODE": "production",
        "BREACHTRACK_VAR_DIR": str(tmp_path),
        "SECRET_KEY": secrets.token_urlsafe(48),
        "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/postgres",
        "CELERY_BROKER_URL": "redis://127.0.0.1:6379/0",
        "ALLOWED_HOSTS": "breachtrack.example",
    }
    result = manage("check", env=env)
    assert result.returncode != 0 and "BREACHTRACK_LEDGER_KEY" in result.stderr
    result = manage("check", env={**env, "BREACHTRACK_LEDGER_KEY": "short"})
    assert result.returncode != 0 and "at least 32" in result.stderr


def test_the_embedded_mode_makes_a_private_ledger_key_once(tmp_path):
    script = "from django.conf import settings; print(settings.BREACHTRACK_LEDGER_KEY != settings.SECRET_KEY)"
    first = manage("shell", "--no-imports", "-c", script, env={"BREACHTRACK_VAR_DIR": str(tmp_path)})
    assert first.returncode == 0, first.stderr
    assert first.stdout.strip() == "True"
    key_file = tmp_path / "ledger_key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    key = key_file.read_text(encoding="utf-8")
    manage("shell", "--no-imports", "-c", script, env={"BREACHTRACK_VAR_DIR": str(tmp_path)})
    assert key_file.read_text(encoding="utf-8") == key  # stable across restarts
