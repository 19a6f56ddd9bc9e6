"""A circuit breaker for the store: once it has failed, answer 503 at once for a moment.

Without it, while PostgreSQL restarts every request would wait on the connection pool before
failing; with it, only the first requests pay that wait, the rest get `503` + `Retry-After`
immediately, and after the pause requests try the store again by themselves.
"""

from __future__ import annotations

import threading
import time


class StoreBreaker:
    def __init__(self, pause_seconds: float = 2.0) -> None:
        self.pause_seconds = pause_seconds
        self._open_until = 0.0
        self._lock = threading.Lock()

    def trip(self) -> None:
        with self._lock:
            self._open_until = time.monotonic() + self.pause_seconds

    def is_open(self) -> bool:
        return time.monotonic() < self._open_until
