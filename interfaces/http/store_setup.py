"""Setting up the store after start, when PostgreSQL would not give this process a connection.

A web worker used to create the event store's tables and start its projection runner while
building its app; when PostgreSQL refused the connection ("too many clients" at boot, the
database not up yet) that raised, the worker failed to boot and gunicorn's master exited with
it. Now such a worker starts without the store: `/healthz` answers 200, every store-backed
route (and `/readyz`) 503 with Retry-After, and this thread tries the steps again with backoff
(0.5 s, doubling, at most 10 s) until they all succeed; the worker is ready from then on.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence

from interfaces.http.logs import get_logger

FIRST_WAIT_SECONDS = 0.5
MAX_WAIT_SECONDS = 10.0
log = get_logger("kaizen.http.store")


def one_line(error: BaseException) -> str:
    text = " ".join(str(error).split())
    return f"{type(error).__name__}: {text}"[:300] if text else type(error).__name__


class StoreSetup:
    """Runs `steps` in order on a thread of its own, each until it succeeds; `done` once all have."""

    def __init__(self, steps: Sequence[tuple[str, Callable[[], None]]]) -> None:
        self.steps = list(steps)
        self.done = threading.Event()
        self.completed = 0  # steps that have succeeded, in order
        self.last_error: str | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True, name="kaizen-store-setup")

    def start(self) -> StoreSetup:
        self._thread.start()
        return self

    def _run(self) -> None:
        wait = FIRST_WAIT_SECONDS
        attempts = 0
        for name, step in self.steps:
            while not self._stop.is_set():
                attempts += 1
                try:
                    step()
                    self.completed += 1
                    break
                except Exception as exc:
                    error = one_line(exc)
                    # The traceback once per new error; a refusal that lasts an hour is one line per try.
                    log.warning(
                        "store_setup_failed", step=name, error=error, retry_in=wait, exc_info=error != self.last_error
                    )
                    self.last_error = error
                    if self._stop.wait(wait):
                        return
                    wait = min(wait * 2, MAX_WAIT_SECONDS)
            else:
                return
        log.info("store_set_up", attempts=attempts)
        self.last_error = None
        self.done.set()

    def steps_done(self, count: int) -> bool:
        """Whether the first `count` steps have succeeded."""
        return self.completed >= count

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(timeout=10)
