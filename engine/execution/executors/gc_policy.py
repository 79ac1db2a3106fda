"""Fewer garbage collections while a task runs.

Why: a scan or de-identification task keeps a chunk's findings alive at once (tens of thousands
of small objects), so they survive the young collections and keep triggering full ones, each
walking every object in the process. Measured on the dense benchmark data (docs/benchmarks.md),
the default thresholds spent about 20 % of a task's CPU in the collector, and more in a Dask
worker, whose process holds twice as many objects. Raising the thresholds for the duration of a
task keeps cycle collection on (a task that makes reference cycles still has them freed) but
runs it about a hundredth as often.

The thresholds are process-wide: tasks that overlap in threads share one raised setting, and the
previous one is restored when the last of them ends.
"""

from __future__ import annotations

import contextlib
import gc
import threading
from collections.abc import Iterator

TASK_THRESHOLDS = (20_000, 50, 50)
"""Young-generation allocations between collections, and the two older generations' ratios."""

_lock = threading.Lock()
_active = 0
_saved: tuple[int, int, int] | None = None


@contextlib.contextmanager
def task_gc() -> Iterator[None]:
    """Run the body with :data:`TASK_THRESHOLDS` (never lower than the current ones)."""
    global _active, _saved
    with _lock:
        if _active == 0:
            _saved = gc.get_threshold()
            if _saved[0] != 0:  # 0: collection is switched off by the application; leave it so
                gc.set_threshold(*(max(a, b) for a, b in zip(_saved, TASK_THRESHOLDS, strict=True)))
        _active += 1
    try:
        yield
    finally:
        with _lock:
            _active -= 1
            if _active == 0 and _saved is not None:
                gc.set_threshold(*_saved)
                _saved = None
