"""breachtrack.serving: the serving entry points tune the garbage collector (in a child process,
so this test process keeps CPython's defaults)."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

PROBE = """
import gc, os
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "breachtrack.settings")
before = gc.get_threshold()[0], gc.get_freeze_count()
import breachtrack.{entry}
print(before[0], before[1], gc.get_threshold()[0], gc.get_freeze_count())
"""


def _thresholds_around_import(entry: str, tmp_path) -> list[int]:
    done = subprocess.run(
        [sys.executable, "-c", PROBE.format(entry=entry)],
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", "BREACHTRACK_VAR_DIR": str(tmp_path)},
        capture_output=True,
        text=True,
        check=True,
    )
    return [int(word) for word in done.stdout.split()]


def test_the_wsgi_application_freezes_what_it_loaded_and_collects_young_objects_less_often(tmp_path):
    threshold_before, frozen_before, threshold_after, frozen_after = _thresholds_around_import("wsgi", tmp_path)
    assert (threshold_before, frozen_before) == (700, 0)
    assert threshold_after == 10_000
    assert frozen_after > 10_000  # the loaded application: modules, URLs, catalogues


def test_the_asgi_application_is_tuned_the_same_way(tmp_path):
    _threshold, _frozen, threshold_after, frozen_after = _thresholds_around_import("asgi", tmp_path)
    assert threshold_after == 10_000
    assert frozen_after > 10_000
