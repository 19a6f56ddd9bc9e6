"""Garbage collection tuned for a long-lived server process (web worker or projection process).

With CPython's default first threshold (700 allocations), large history pages triggered full
collections every few dozen requests, and with the aggregate cache and the loaded modules in
the heap each one is a long pause in the answer that triggered it (bench/history.py, the tail
latencies in docs/performance.md). The projection process builds as many short-lived objects per batch
of events, and a pause there delays every reader waiting for its own write.
"""

from __future__ import annotations

import gc

GC_THRESHOLDS = (10_000, 10, 10)


def tune_garbage_collection() -> None:
    """Freeze what start-up loaded (left out of every later collection) and collect cyclic
    garbage rarely; reference counting still frees everything that is not in a cycle at once."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)
