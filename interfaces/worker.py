"""`kaizen worker`: the projections in their own process, one active per database.

A second worker stands by on the election lock and takes over when the first one dies. A
composition point: it wires the adapters (the election, DNS, the notification transports)
into the desk and the projection loops.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from types import FrameType

from adapters.dns import resolve_host
from adapters.election import Election
from adapters.transports import TRANSPORTS
from application.config import StoreSettings
from application.desk import KaizenDesk
from interfaces.checkpoint_worker import start_checkpoints
from interfaces.mail_worker import start_mail_intake
from projections.catalogue import all_views
from projections.delivery import start_notifications
from projections.runner import ProjectionRunner
from projections.store import ViewStore

log = logging.getLogger("kaizen.worker")
START_RETRY_S = 2.0  # the first wait after a failed start; it doubles up to START_RETRY_MAX_S
START_RETRY_MAX_S = 10.0


def run_forever(settings: StoreSettings, stop: threading.Event | None = None) -> None:
    """Follow the log until stopped; a store that is away at start is waited for, not fatal.
    Settings are checked by the entry points (`kaizen worker`, `kaizen serve`) before this."""
    stop = stop or threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, on_signal)
        signal.signal(signal.SIGINT, on_signal)
    wait, last_error = START_RETRY_S, ""
    while not stop.is_set():
        started = time.monotonic()
        try:
            _follow(settings, stop)
        except Exception as exc:
            if time.monotonic() - started > START_RETRY_MAX_S:  # it ran a while: a new outage
                wait, last_error = START_RETRY_S, ""
            # The traceback once per new error, one line per retry after it: a database that
            # refuses connections for an hour must not fill the log with the same stack.
            error = f"{type(exc).__name__}: {' '.join(str(exc).split())}"[:300]
            log.warning(
                "projection worker could not start (%s); retrying in %.0f s",
                error,
                wait,
                exc_info=error != last_error,
            )
            last_error = error
            stop.wait(wait)
            wait = min(wait * 2, START_RETRY_MAX_S)


def _follow(settings: StoreSettings, stop: threading.Event) -> None:
    desk = KaizenDesk(settings)
    desk.resolver = resolve_host  # deliveries check every address a webhook's host resolves to
    try:
        store = ViewStore(settings)
        try:
            runner = ProjectionRunner(desk, store, all_views())
            runner.setup()
            log.info("projection worker started on %s", settings.redacted_url)
            election = Election(settings)
            # SLA alerts and notification deliveries, in the leader only (shares the election)
            notifications = start_notifications(desk, store, election, stop, TRANSPORTS)
            start_checkpoints(desk, election, stop)  # signed checkpoints, leader only, with a key
            start_mail_intake(desk, store, election, stop)  # KAIZEN_IMAP_URL, leader only
            try:
                runner.run(stop, election, idle_wait=0.5)
            finally:
                stop.set()
                if notifications is not None:
                    notifications.join(timeout=15)
        finally:
            store.close()
    finally:
        desk.close()
