"""What every benchmark script reports, in one shape: a JSON line that ``scripts/bench`` reads.

A benchmark script measures a path a user waits on and ends by calling :func:`emit` once::

    from benchkit import Figure, emit   # scripts/ is on sys.path when a script in it runs

    ok = emit(
        "sweep",
        [
            Figure("busy sweep, 1,000 due alerts, 2 members + 1 webhook each", 1.21, "s", target=1.5),
            Figure("selection, ORM / same SQL raw", 1.2, "x", target=1.5),
            Figure("idle sweep statements, 1M rows minus 10k rows", 0, "statements", target=0),
            Figure("busy sweep CPU", 0.9, "s"),  # no target: shown, never judged
        ],
        size={"rows": 1_000_000, "due": 1000},
        full_size=True,
    )
    sys.exit(0 if ok else 1)

:func:`emit` prints the script's own human-readable lines' summary as one line of JSON on standard
output (the last line the script prints)::

    {"bench": "sweep", "database": "postgresql", "full_size": true, "size": {...},
     "load_average": [before_1min, after_1min], "cpus": 2, "debug": false,
     "figures": [{"figure": ..., "measured": 1.21, "unit": "s", "target": 1.5,
                  "comparison": "<=", "met": true, "detail": ""}, ...]}

``met`` is judged at every size, but a target is only a promise at full size (``full_size``);
``scripts/bench`` shows small-size verdicts as indicative. Every target here is an upper bound
unless ``at_least=True`` (then ``measured >= target`` meets it).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

_LOAD_AT_START = os.getloadavg()[0]


@dataclass
class Figure:
    figure: str
    measured: float
    unit: str
    target: float | None = None
    at_least: bool = False
    detail: str = ""
    extra: dict = field(default_factory=dict)

    @property
    def met(self) -> bool | None:
        if self.target is None:
            return None
        return self.measured >= self.target if self.at_least else self.measured <= self.target

    def as_dict(self) -> dict:
        return {
            "figure": self.figure,
            "measured": round(self.measured, 3) if isinstance(self.measured, float) else self.measured,
            "unit": self.unit,
            "target": self.target,
            "comparison": None if self.target is None else (">=" if self.at_least else "<="),
            "met": self.met,
            "detail": self.detail,
            **({"extra": self.extra} if self.extra else {}),
        }


def database_vendor() -> str:
    try:
        from django.db import connection

        return connection.vendor
    except Exception:  # a script without Django (only subprocesses) guesses from the URL
        url = os.environ.get("DATABASE_URL", "")
        return "postgresql" if url.startswith(("postgres://", "postgresql://")) else "sqlite"


def debug_flag() -> bool | None:
    try:
        from django.conf import settings

        return bool(settings.DEBUG)
    except Exception:
        return None


def emit(bench: str, figures: list[Figure], *, size: dict, full_size: bool, database: str | None = None) -> bool:
    """Print the JSON line; True when every judged figure met its target."""
    line = {
        "bench": bench,
        "database": database or database_vendor(),
        "full_size": full_size,
        "size": size,
        "load_average": [round(_LOAD_AT_START, 2), round(os.getloadavg()[0], 2)],
        "cpus": os.cpu_count(),
        "debug": debug_flag(),
        "figures": [f.as_dict() for f in figures],
    }
    print(json.dumps(line, default=str), flush=True)
    return all(f.met is not False for f in figures)


def backend_cpu_seconds() -> float:
    """CPU time so far of the default connection's PostgreSQL backend (same machine: /proc), else 0.

    Added to this process's ``time.process_time()`` it gives the CPU a request or a sweep cost,
    which a loaded machine does not inflate the way it inflates wall time."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return 0.0
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile (share in 0..1) of a non-empty list."""
    ordered = sorted(values)
    rank = max(1, -(-int(share * 1000) * len(ordered) // 1000))
    return ordered[min(rank, len(ordered)) - 1]
