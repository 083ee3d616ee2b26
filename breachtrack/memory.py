"""Building a large result without Python's cycle collector walking the whole process.

CPython runs its cycle collector every 700 allocations it has not seen freed; every tenth run
walks the young generations, and when they have grown by a quarter of what the process holds, a
full run walks *every* object of the process: Django, the apps, their modules. A timeline export
builds tens of thousands of objects that stay alive until the file is written (a history row and
an entry per record), so it set off one or two full runs per request, each some 70 ms of CPU of a
300 ms budget, to find nothing: rows, entries and their texts hold no reference cycles and are
freed by their reference counts as the response is returned.

:func:`cycle_collection_paused` turns the collector off for the length of one such build (the
gunicorn workers serve one request at a time), and on again afterwards: a cycle made meanwhile is
collected by the next run after it. It only pauses: it never turns on a collector that was off.
"""

from __future__ import annotations

import gc
from contextlib import contextmanager


@contextmanager
def cycle_collection_paused():
    """Usable as ``with cycle_collection_paused():`` or as a decorator (its locals are freed before
    the collector is back on)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
