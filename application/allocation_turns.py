"""One key allocation at a time per prefix, across threads and processes.

Every new issue, suggestion and meeting takes the next key from its prefix's `KeySequence`
aggregate, so two reports in flight at once both try to append version n+1 of the sequence:
the loser's append fails under the store's table lock and the whole command is retried on
fresh state, and through gunicorn reports from several workers kept colliding (figures in
docs/benchmark-history.md). So a turn is taken in two steps: a lock among this process's
threads, then one shared by every process on the store (the `SharedTurns` port, which the
store's adapter provides: `adapters/key_allocation.py`). Both are released when the command
has been saved, or failed.

The wait for a turn is bounded: while the store is away, the holder spends seconds failing,
and commands queued behind it would add that to their own failure (seen in the PostgreSQL
restart drill, `bench/faults/pg_outage.py`). After `TURN_WAIT_SECONDS` a command goes ahead
without its turn and relies on the retry loop in `DeskBase._retrying`, as before turns existed.
A turn is an optimisation, never a correctness condition: the store's unique versions are.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from eventsourcing.persistence import StoredEvent

from application.ports import SharedTurns, Since

TURN_WAIT_SECONDS = 1.0


@dataclass
class Turn:
    """What taking a turn learnt: the sequence's events after the caller's copy, when the store
    could say in the same round trip (PostgreSQL), else None and the caller reads them itself."""

    fresh: list[StoredEvent] | None = None


class AllocationTurns:
    """This process's turns, then the store's shared ones (`shared`; None: this process only)."""

    def __init__(self, shared: SharedTurns | None = None) -> None:
        self._guard = threading.Lock()
        self._locks: dict[str, threading.Lock] = {}
        self._shared = shared

    def _lock_for(self, prefix: str) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(prefix, threading.Lock())

    @contextlib.contextmanager
    def turn(self, prefix: str, since: Callable[[], Since | None] = lambda: None) -> Iterator[Turn]:
        """Hold the turn to allocate a `prefix` key until the command is saved (or waited out).

        `since` is asked once this thread holds the process's turn, so that no other thread of
        the process changes what it answers before the shared turn reads from there."""
        deadline = time.monotonic() + TURN_WAIT_SECONDS
        local = self._lock_for(prefix)
        has_local = local.acquire(timeout=TURN_WAIT_SECONDS)
        has_shared = False
        taken = Turn()
        try:
            if has_local and self._shared is not None:
                answer = self._shared.acquire(prefix, max(0.0, deadline - time.monotonic()), since())
                has_shared = answer is not False
                if isinstance(answer, list):
                    taken.fresh = answer
            yield taken
        finally:
            if has_shared and self._shared is not None:
                self._shared.release(prefix)
            if has_local:
                local.release()

    def close(self) -> None:
        if self._shared is not None:
            with self._guard:
                self._shared.close()
