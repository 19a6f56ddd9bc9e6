"""The long-lived objects one app instance shares between requests: the desk and the read side.

They live on `app.extensions["kaizen"]`, so a request reaches them through `current_app`
and tests can build as many independent apps as they like in one process.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from eventsourcing.persistence import OperationalError
from flask import current_app

from adapters.election import Election
from adapters.store_probe import store_reachable
from adapters.transports import TRANSPORTS
from application.desk import KaizenDesk
from interfaces.http.breaker import StoreBreaker
from interfaces.http.readiness import BoundedCheck
from interfaces.http.settings import HttpSettings
from interfaces.http.store_setup import StoreSetup
from interfaces.mail_worker import start_mail_intake
from projections.read_side import ReadSide


class ViewsUnreachable(Exception):
    """The log answered but the views' tables did not."""


class StoreNotSetUp(OperationalError):
    """This process has not yet had a connection to set the store up (an OperationalError, so
    a request that meets it answers 503 like any other store outage)."""


@dataclass(frozen=True)
class ReadyState:
    """What `/readyz` decides on: the log's head, each view's lag, the views failing on an event
    (`projections.stalls.ViewFailure`, recorded by whichever process runs the projections)."""

    position: int
    lag: dict[str, int] | None
    failures: list[Any]

    def stalled(self, threshold: float) -> list[Any]:
        """The failures older than `threshold` seconds: views stuck, not just stumbling."""
        now = datetime.now(UTC)
        return [failure for failure in self.failures if failure.stalled(threshold, now)]


@dataclass
class KaizenServices:
    """The desk (writes, reads by key) and the read side (lists, lag).

    The read side is built lazily unless projections run in this process: building it creates
    the views' tables and a connection pool, which requests that never list anything (and the
    many short-lived apps of the test suite) should not pay for.
    """

    desk: KaizenDesk
    settings: HttpSettings
    _read: ReadSide | None = None
    _read_built: bool = False
    _lock: threading.Lock = field(default_factory=threading.Lock)
    breaker: StoreBreaker = field(default_factory=StoreBreaker)
    _readiness: BoundedCheck[ReadyState] | None = None
    setup: StoreSetup | None = None  # set while the store is being set up in the background
    _mail_stop: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self) -> None:
        if self.breaker.probe is None:
            settings = self.desk.settings
            self.breaker.probe = lambda: self.set_up() and store_reachable(settings)

    def set_up(self) -> bool:
        """Whether this process has set the store up (its tables exist, its runner started)."""
        return self.setup is None or self.setup.done.is_set()

    def set_up_later(self, run_projections: bool) -> None:
        """The store refused us at start: keep the breaker open (store-backed routes and
        `/readyz` answer 503 at once) while a thread creates the tables, then starts the
        projections, retrying with backoff; the breaker's probe lets requests through after."""
        steps = [("event store tables", self.desk.create_tables)]
        if run_projections:
            steps.append(("projections", self.start_projections))
        self.breaker.trip()
        self.setup = StoreSetup(steps).start()

    @property
    def read(self) -> ReadSide | None:
        """The read side, or None once closed."""
        if self._read_built:
            return self._read
        if self.setup is not None and not self.setup.steps_done(1):
            raise StoreNotSetUp("the store is not set up yet")
        with self._lock:
            if not self._read_built:
                read = ReadSide(self.desk.settings)
                # A runner that is not started still answers positions, lag and wait_for;
                # the elected process (maybe another one) does the writing.
                read.runner(self.desk)
                self._read = read
                self._read_built = True
        return self._read

    def lag(self) -> dict[str, int] | None:
        """Events each view trails the log by, or None once closed."""
        read = self.read
        if read is None:
            return None
        return {str(name): int(value) for name, value in read.lag().items()}

    def failures(self) -> list[Any]:
        """Views failing on an event now (empty without a read side, or one that cannot say)."""
        read = self.read
        failures = getattr(read, "failures", None)
        return list(failures()) if callable(failures) else []

    def stall_gauges(self, views: Iterable[str]) -> tuple[dict[str, int], dict[str, float]]:
        """Per view: 1 when stuck on an event for longer than the stall threshold, and the
        seconds it has failed on that event (0 when it is not failing), for `/metrics`."""
        failures = {failure.view: failure for failure in self.failures()}
        threshold, now = self.settings.view_stall_seconds, datetime.now(UTC)
        stalled = {name: int(name in failures and failures[name].stalled(threshold, now)) for name in views}
        failing = {name: failures[name].seconds(now) if name in failures else 0.0 for name in stalled}
        return stalled, failing

    def ready_state(self) -> ReadyState:
        """The log's head, the views' lag and failures; a store error propagates, a views error is tagged."""
        position = int(self.desk.recorder.max_notification_id() or 0)
        try:
            return ReadyState(position, self.lag(), self.failures())
        except Exception as exc:
            raise ViewsUnreachable(type(exc).__name__) from exc

    def readiness(self) -> ReadyState:
        """`ready_state` within the readiness budget (interfaces/http/readiness.py)."""
        with self._lock:
            if self._readiness is None:
                self._readiness = BoundedCheck(self.ready_state)
        return self._readiness()

    def start_projections(self) -> None:
        read = self.read
        if read is not None:
            election = Election(self.desk.settings)
            read.start(self.desk, election, TRANSPORTS)
            # the e-mail intake, in the elected process only, when KAIZEN_IMAP_URL names a mailbox
            start_mail_intake(self.desk, read.store, election, self._mail_stop)

    def close(self) -> None:
        """Stop the projection thread and release every connection (tests drop databases)."""
        if self.setup is not None:
            self.setup.stop()
        self._mail_stop.set()
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
