"""Each pytest-xdist worker gets its own BREACHTRACK_VAR_DIR.

scripts/test runs the suite with ``-n`` (one worker per core). The workers are separate
processes that inherit one environment, so without this they would share one var dir: the
embedded Celery broker's folders, the e-mail file folder, the beat schedule and STATIC_ROOT all
live there, and a test that reads the broker's folder could see another worker's message.

This module is loaded with ``-p tests.xdist_worker`` (pytest.ini), so it runs before
pytest-django imports ``breachtrack.settings``, which reads BREACHTRACK_VAR_DIR once, at import.
Without xdist (PYTEST_XDIST_WORKER unset) it changes nothing.

What needs no help from here: pytest-django suffixes the test database name per worker
(``test_<name>_gw0``; on SQLite the test database is in memory, one per process), ``tmp_path``
is per worker, live servers and the end-to-end harness take free ports and random database
names.
"""

from __future__ import annotations

import os
from pathlib import Path

WORKER = os.environ.get("PYTEST_XDIST_WORKER")  # "gw0", "gw1", ... set by xdist before pytest starts

if WORKER:
    _base = Path(os.environ.get("BREACHTRACK_VAR_DIR") or Path(__file__).resolve().parents[1] / "var")
    os.environ["BREACHTRACK_VAR_DIR"] = str(_base / f"xdist-{WORKER}")
