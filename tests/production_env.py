"""The environment of a minimal production start (tests that run manage.py in a subprocess)."""

from __future__ import annotations

import secrets


def production_env(tmp_path, **extra) -> dict[str, str]:
    """Every variable production requires, with fresh secrets; ``extra`` adds or overrides."""
    return {
        "BREACHTRACK_MODE": "production",
        "BREACHTRACK_VAR_DIR": str(tmp_path),
        "SECRET_KEY": secrets.token_urlsafe(48),
        "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/postgres",
        "CELERY_BROKER_URL": "redis://127.0.0.1:6379/0",
        "ALLOWED_HOSTS": "breachtrack.example",
        "BREACHTRACK_LEDGER_KEY": secrets.token_urlsafe(32),
        "BREACHTRACK_BASE_URL": "https://breachtrack.example",
        **extra,
    }
