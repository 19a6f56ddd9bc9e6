"""The long-lived objects one app instance shares between requests: the desk and the read side.

They live on `app.extensions["kaizen"]`, so a request reaches them through `current_app`
and tests can build as many independent apps as they like in one process.
"""

from __future__ import annotations

import importlib
import threading
from dataclasses import dataclass, field
from typing import Any

from flask import current_app

from application.desk import KaizenDesk
from application.store_probe import store_reachable
from interfaces.http.breaker import StoreBreaker
from interfaces.http.readiness import BoundedCheck
from interfaces.http.settings import HttpSettings


def read_side_class() -> Any | None:
    """`projections.read_side.ReadSide` when the projections package provides it, else None.

    Only the absence of that module is tolerated; an error inside it is a bug and propagates.
    """
    try:
        module = importlib.import_module("projections.read_side")
    except ModuleNotFoundError as exc:
        if exc.name in ("projections", "projections.read_side"):
            return None
        raise
    return getattr(module, "ReadSide", None)


class ViewsUnreachable(Exception):
    """The log answered but the views' tables did not."""


@dataclass
class KaizenServices:
    """The desk (writes, reads by key) and, when available, the read side (lists, lag).

    The read side is built lazily unless projections run in this process: building it creates
    the views' tables and a connection pool, which requests that never list anything (and the
    many short-lived apps of the test suite) should not pay for.
    """

    desk: KaizenDesk
    settings: HttpSettings
    _read: Any | None = None
    _read_built: bool = False
    _lock: threading.Lock = field(default_factory=threading.Lock)
    breaker: StoreBreaker = field(default_factory=StoreBreaker)
    _readiness: BoundedCheck[tuple[int, dict[str, int] | None]] | None = None

    def __post_init__(self) -> None:
        if self.breaker.probe is None:
            settings = self.desk.settings
            self.breaker.probe = lambda: store_reachable(settings)

    @property
    def read(self) -> Any | None:
        """The read side, or None when the projections package has none."""
        if self._read_built:
            return self._read
        with self._lock:
            if not self._read_built:
                cls = read_side_class()
                if cls is not None:
                    read = cls(self.desk.settings)
                    # A runner that is not started still answers positions, lag and wait_for;
                    # the elected process (maybe another one) does the writing.
                    runner = getattr(read, "runner", None)
                    if callable(runner):
                        runner(self.desk)
                    self._read = read
                self._read_built = True
        return self._read

    def lag(self) -> dict[str, int] | None:
        """Events each view trails the log by, or None when this build has no read side."""
        read = self.read
        if read is None:
            return None
        return {str(name): int(value) for name, value in read.lag().items()}

    def ready_state(self) -> tuple[int, dict[str, int] | None]:
        """The log's head and the views' lag; a store error propagates, a views error is tagged."""
        position = int(self.desk.recorder.max_notification_id() or 0)
        try:
            return position, self.lag()
        except Exception as exc:
            raise ViewsUnreachable(type(exc).__name__) from exc

    def readiness(self) -> tuple[int, dict[str, int] | None]:
        """`ready_state` within the readiness budget (interfaces/http/readiness.py)."""
        with self._lock:
            if self._readiness is None:
                self._readiness = BoundedCheck(self.ready_state)
        return self._readiness()

    def start_projections(self) -> None:
        read = self.read
        if read is not None:
            read.start(self.desk)

    def close(self) -> None:
        """Stop the projection thread and release every connection (tests drop databases)."""
        read, self._read = self._read, None
        self._read_built = True
        if read is not None:
            closer = getattr(read, "close", None) or getattr(read, "stop", None)
            if callable(closer):
                closer()
        self.desk.close()


def services() -> KaizenServices:
    found: KaizenServices = current_app.extensions["kaizen"]
    return found


def desk() -> KaizenDesk:
    return services().desk
