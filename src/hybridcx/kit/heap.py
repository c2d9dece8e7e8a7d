"""The garbage collector of a long-running server process.

A server loads about 300,000 long-lived objects at start-up (models, vocabularies, ORM
mappers, routes). CPython's cyclic collector walks all of them at every full collection, and
under load the default thresholds (700 allocations per young collection) trigger full ones
several times a minute: each stopped the event loop for 0.2–0.5 s (docs/benchmarks.md,
"Garbage collector pauses"). After start-up the process collects once and moves what is alive
to the permanent generation (``gc.freeze``), which the collector no longer walks, and collects
young objects every 20,000 allocations instead of 700: a request's garbage is still freed (the
thresholds only change how often cycles are looked for), at a fraction of the pauses.

Only server entry points call this (``hybridcx serve``): a test process or a library user
keeps the interpreter's defaults.
"""

from __future__ import annotations

import gc

#: Allocations between two collections of the youngest generation once the process has settled.
YOUNG_THRESHOLD = 20_000

_settled = False


def settle_after_startup(enabled: bool) -> int:
    """Collect once, freeze what survives and raise the young threshold; once per process.

    Returns how many objects were frozen (0 when disabled or already settled)."""
    global _settled
    if not enabled or _settled:
        return 0
    _settled = True
    gc.collect()
    gc.freeze()
    _young, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, middle, old)
    return gc.get_freeze_count()
