"""One key allocation at a time per prefix within this process.

Every new issue, suggestion and meeting takes the next key from its prefix's `KeySequence`
aggregate, so two reports in flight at once both try to append version n+1 of the sequence:
the loser's append fails under the store's table lock and the whole command is retried on
fresh state. Measured through gunicorn at 8 clients that was 1 to 2.9 failed appends per
report and a p99 of 150-250 ms. Threads of one process therefore queue here for the few
milliseconds of an allocation and its save; only other processes can still collide, and
the retry loop in `DeskBase._retrying` settles those as before.

The wait for a turn is bounded: while the store is away, the thread holding the turn spends
seconds failing, and threads queued behind it would add that to their own failure (a request
waited 12 s for its 503 in the PostgreSQL restart drill). After `TURN_WAIT_SECONDS` a thread
goes ahead without its turn and relies on the retry loop, as it did before turns existed.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

TURN_WAIT_SECONDS = 1.0
_guard = threading.Lock()
_locks: dict[str, threading.Lock] = {}


def _lock_for(prefix: str) -> threading.Lock:
    with _guard:
        return _locks.setdefault(prefix, threading.Lock())


@contextmanager
def allocation_turn(prefix: str) -> Iterator[None]:
    """Hold this process's turn to allocate a `prefix` key until the command is saved."""
    lock = _lock_for(prefix)
    turn = lock.acquire(timeout=TURN_WAIT_SECONDS)
    try:
        yield
    finally:
        if turn:
            lock.release()
