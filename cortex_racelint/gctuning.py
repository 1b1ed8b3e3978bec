"""Keep CPython's cyclic collector out of the way while a run parses hundreds of files.

Parsing allocates millions of short-lived objects (`ast` and LibCST nodes), so the
collector's young generation fills every 700 allocations and each full collection
rescans everything imported at start-up (LibCST's grammar tables, the rules). Our own
structures are kept acyclic, so trees are freed by reference counting as soon as a
file is done; freezing what exists at the start of a run and collecting less often
(measured in `benchmarks/lint_speed.py`'s runs: about 10% of a cold run's CPU) loses
nothing but the time. Both are undone when the run ends, and a forked worker inherits them.
"""

from __future__ import annotations

import contextlib
import gc
from typing import Iterator

#: allocations between young-generation collections during a run (CPython's default: 700)
RUN_THRESHOLD = 10_000


def tune_for_run() -> None:
    """Freeze the objects that exist now and collect the young generation less often."""
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(RUN_THRESHOLD, middle, old)


@contextlib.contextmanager
def tuned_collector() -> Iterator[None]:
    """`tune_for_run` for the duration of the block; the caller's settings come back after."""
    threshold = gc.get_threshold()
    frozen_before = gc.get_freeze_count()
    tune_for_run()
    try:
        yield
    finally:
        gc.set_threshold(*threshold)
        if frozen_before == 0:  # leave a caller's own freeze alone
            gc.unfreeze()
