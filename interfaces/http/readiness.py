"""The readiness check with a time budget.

`/readyz` asks the store for the log's head and the views for their positions. While the
database is away, those calls wait out the recorder's retries and the pool's timeout (several
seconds), and a load balancer's probe gives up long before (Kubernetes: 1 s by default), so an
instance that is plainly not ready was reported as a timeout instead of a 503. Here the check
runs in a thread and the probe waits at most `budget` seconds for it; probes that arrive while
a check is still running share it rather than piling up threads.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Generic, TypeVar

T = TypeVar("T")
BUDGET_SECONDS = 1.0


class NotAnsweredInTime(Exception):
    """The store did not answer within the readiness budget."""


class BoundedCheck(Generic[T]):
    def __init__(self, check: Callable[[], T], budget: float = BUDGET_SECONDS) -> None:
        self.check = check
        self.budget = budget
        self._lock = threading.Lock()
        self._pending: Future[T] | None = None

    def __call__(self) -> T:
        with self._lock:
            if self._pending is None or self._pending.done():
                self._pending = Future()
                threading.Thread(target=self._run, args=(self._pending,), daemon=True, name="kaizen-ready").start()
            pending = self._pending
        try:
            return pending.result(timeout=self.budget)
        except TimeoutError:
            raise NotAnsweredInTime(f"the store did not answer within {self.budget:g} s") from None

    def _run(self, pending: Future[T]) -> None:
        try:
            pending.set_result(self.check())
        except BaseException as exc:  # handed to every waiting probe
            pending.set_exception(exc)
