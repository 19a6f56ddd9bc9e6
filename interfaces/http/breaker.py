"""A circuit breaker for the store: once it has failed, answer 503 at once for a moment.

Without it, while PostgreSQL restarts every request would wait on the connection pool before
failing; with it, only the first requests pay that wait, the rest get `503` + `Retry-After`
immediately.

When the pause ends the breaker is half-open: before the next request may touch the store, a
probe (a fresh connection with a one-second timeout, not the pool) asks whether the store is
back. Without the probe, that request was the one to find out, by waiting on the pool for up
to 2 s per attempt while requests queued behind it in the same worker; in the PostgreSQL
drill a request could so wait 7 to 9.7 s for its 503. A refused probe opens the breaker for
another pause; only one request per process probes at a time, the others answer 503.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class StoreBreaker:
    def __init__(self, pause_seconds: float = 2.0, probe: Callable[[], bool] | None = None) -> None:
        self.pause_seconds = pause_seconds
        self.probe = probe
        self._open_until = 0.0
        self._tripped = False
        self._lock = threading.Lock()
        self._probing = threading.Lock()

    def trip(self) -> None:
        with self._lock:
            self._open_until = time.monotonic() + self.pause_seconds
            self._tripped = True

    def is_open(self) -> bool:
        if time.monotonic() < self._open_until:
            return True
        if not self._tripped or self.probe is None:
            return False
        if not self._probing.acquire(blocking=False):
            return True  # another request of this process is asking the store right now
        try:
            if not self._tripped:
                return False
            if self.probe():
                with self._lock:
                    self._tripped = False
                return False
            self.trip()
            return True
        finally:
            self._probing.release()
