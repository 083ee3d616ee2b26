"""How a serving process (gunicorn's workers: ``breachtrack.wsgi``, ``breachtrack.asgi``) runs Python.

The garbage collector: CPython's cycle collector scans, in each older-generation pass, every
object that survived so far, which in a Django process is the whole loaded application (modules,
URL patterns, translation catalogues, compiled templates). A large page allocates enough objects
to trigger many such passes: the register page of an incident with 2,000 facts spent about a third
of its CPU time in the collector (scripts/bench_register.py). Two settings make it cheap:

1. ``gc.freeze()`` once the application is loaded: what was loaded at start-up is moved to a
   permanent generation and is no longer scanned (it lives as long as the process anyway);
2. a youngest-generation threshold of 10,000 allocations instead of 700: a request's short-lived
   rows die by reference counting between passes instead of being promoted and rescanned.

Reference counting still frees everything that is not in a cycle at once; cycles are still
collected, only less often. Only the serving entry points call this (and the benchmark that
measures the page as served), not tests or management commands.
"""

from __future__ import annotations

import gc

YOUNGEST_GENERATION_THRESHOLD = 10_000  # CPython's default is 700


def tune_garbage_collector() -> None:
    """Freeze what is loaded now and raise the youngest generation's threshold (see the module)."""
    gc.collect()  # what start-up left as garbage is freed, not frozen
    gc.freeze()
    _, middle, oldest = gc.get_threshold()
    gc.set_threshold(YOUNGEST_GENERATION_THRESHOLD, middle, oldest)
