"""The rules and actions layers type-check (mypy with django-stubs, configured in pyproject.toml).

A service's accepted fields are TypedDicts (``**changes: Unpack[...]``), so a call with a field
the service does not take, or a value of the wrong type, fails here rather than at run time.
mypy's cache lives in this run's var dir: a fresh cache costs about 10 s on a free core, a warm
one about 2 s.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

# The same source, the same result on any database: the SQLite pass runs it (tests/conftest.py).
pytestmark = pytest.mark.database_independent

REPO_ROOT = Path(__file__).resolve().parent.parent


def test_rules_and_actions_type_check(settings):
    mypy = Path(sys.executable).with_name("mypy")
    cache_dir = Path(settings.VAR_DIR) / "mypy_cache"
    # The django-stubs plugin imports the settings: give it this run's var dir, never the developer's.
    env = {**os.environ, "BREACHTRACK_VAR_DIR": str(settings.VAR_DIR)}
    result = subprocess.run(
        [str(mypy), "--cache-dir", str(cache_dir)],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout + result.stderr
