"""Follows the application's ordered log and applies each event to every view exactly once.

The log is read once per batch for all views; each view commits its rows and its tracking
position in one transaction per batch, so a crash at any point resumes where it committed.
On PostgreSQL the runner sleeps on the library's LISTEN/NOTIFY subscription; SQLite has no
subscription in the library, so there the runner polls.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from eventsourcing.persistence import IntegrityError

from application.config import number_from_env
from application.schema import racing_schema_setup
from projections.election import Election
from projections.schema import create_views
from projections.store import ViewStore
from projections.view import View

log = logging.getLogger("kaizen.projections")
Progress = Callable[[int, int], None]


FOLLOW_LINGER_SECONDS = 0.05
"""After a NOTIFY wakes the leader on PostgreSQL, it waits this long before reading the log,
unless a reader is waiting for a position (`wait_for`). Each wake-up costs a transaction over
every view whatever the batch size; at 8 clients, waking for every few events took 1.1-1.3 ms
of projection CPU per command and 50 ms of lingering 0.6 ms (PostgreSQL's own CPU per command
fell by a third too): 320-335 -> 383-386 commands/s. Views and notifications lag by up to
this much more; SQLite's follower polls every 100 ms and does not linger.
`KAIZEN_PROJECTION_LINGER_MS` overrides it (0 to 1,000; 0 reads at once after every wake-up)."""
LINGER_ENV = "KAIZEN_PROJECTION_LINGER_MS"
MAX_LINGER_MS = 1000.0


def follow_linger_seconds(env: Mapping[str, str] | None = None) -> float:
    """The linger as set in the environment now; a bad value raises ConfigurationError (one line)."""
    return number_from_env(LINGER_ENV, FOLLOW_LINGER_SECONDS * 1000, MAX_LINGER_MS, "milliseconds", "50", env) / 1000


def default_batch_size(engine: str) -> int:
    """Log entries per batch (a maximum: following the log, batches are a few events).

    PostgreSQL: 3,000. Each batch costs a few dozen round trips whatever its size (positions,
    the log read, a COPY per table, the reads of the batch's rows, the commit), and an issue
    whose events straddle two batches is read back and recomputed; at 1,000 a 100k-event
    rebuild ran ~15% slower. SQLite keeps 1,000: there each view's batch holds the database's
    one write lock, and the event store's writers wait for it."""
    return 3000 if engine == "postgres" else 1000


class ProjectionRunner:
    def __init__(
        self,
        desk: Any,
        store: ViewStore,
        views: Sequence[View],
        batch_size: int | None = None,
        poll_interval: float = 0.1,
        linger: float | None = None,
    ) -> None:
        self.desk = desk
        self.store = store
        self.views = list(views)
        self.batch_size = batch_size or default_batch_size(store.engine)
        self.poll_interval = poll_interval
        self.linger = follow_linger_seconds() if linger is None else linger
        self.wakeup = threading.Event()  # a new event in the log (PostgreSQL's NOTIFY)
        self.hurry = threading.Event()  # a reader waits for a position: no lingering

    def setup(self) -> None:
        racing_schema_setup(self._create_views)

    def _create_views(self) -> None:
        reset = create_views(self.store, self.views)
        if reset:
            log.warning("views rebuilt for a new schema: %s", ", ".join(reset))

    def head(self) -> int:
        return int(self.desk.recorder.max_notification_id() or 0)

    def positions(self, views: Sequence[View] | None = None) -> dict[str, int]:
        return self.store.positions([view.name for view in views or self.views])

    def step(self, views: Sequence[View] | None = None) -> int:
        """Apply one batch to every lagging view; returns how many notifications were read."""
        views = list(views or self.views)
        positions = self.positions(views)
        low = min(positions.values(), default=0)
        notifications = self.desk.recorder.select_notifications(start=low + 1, limit=self.batch_size)
        if not notifications:
            return 0
        events = [(self.desk.mapper.to_domain_event(n), n.id) for n in notifications]
        if self._together(views, positions):
            try:
                self._apply_together(views, events)
                return len(notifications)
            except IntegrityError:
                # Another runner committed this batch for some view first; ours rolled back
                # whole. Each view takes what it still lacks on its own below.
                positions = self.positions(views)
        for view in views:
            todo = [(event, position) for event, position in events if position > positions[view.name]]
            if not todo:
                continue
            try:
                with self.store.transaction() as sql:
                    # The position first: it is a write, so on SQLite the transaction takes the
                    # write lock (waiting its turn) before any read; a read first would make a
                    # later write fail at once with "database is locked" whenever another
                    # runner committed in between. A runner that lost the race stops here.
                    self.store.record(sql, view.name, todo[-1][1])
                    view.begin(sql, [event for event, _ in todo])
                    for event, position in todo:
                        view.apply(sql, event, position)
                    view.flush(sql)
            except IntegrityError:
                # Another runner committed this batch first; its rows stand, ours rolled back.
                log.info("view %s: batch already applied elsewhere", view.name)
        return len(notifications)

    def _together(self, views: Sequence[View], positions: dict[str, int]) -> bool:
        """Whether a batch goes to every view in one transaction: on PostgreSQL, when all the
        views stand at the same position (a catch-up, a rebuild of all, steady following).

        One commit per batch instead of one per view: each commit was a round trip and a WAL
        flush, seven per batch. Not on SQLite, where a transaction holds the database's one
        write lock, and the event store's writers would wait for every view's work at once."""
        return self.store.engine == "postgres" and len(views) > 1 and len(set(positions.values())) == 1

    def _apply_together(self, views: Sequence[View], events: Sequence[tuple[Any, int]]) -> None:
        """Every view's rows and position for the batch, committed at once (see `_together`)."""
        batch = [event for event, _ in events]
        with self.store.transaction() as sql:
            for view in views:  # positions first, as in `step`: a runner that lost the race stops here
                self.store.record(sql, view.name, events[-1][1])
            for view in views:
                view.begin(sql, batch)
                for event, position in events:
                    view.apply(sql, event, position)
                view.flush(sql)

    def catch_up(
        self, views: Sequence[View] | None = None, progress: Progress | None = None, stop: threading.Event | None = None
    ) -> int:
        """Apply batches until the log is exhausted. A batch shorter than `batch_size` reached
        the end of the log as it stood, so following the log costs one step per wake-up, not
        two (the second found nothing, after reading every view's position again)."""
        total = 0
        head = self.head() if progress is not None else 0
        while not (stop and stop.is_set()):
            done = self.step(views)
            total += done
            if done and progress is not None:
                current = min(self.positions(views).values())
                progress(current, max(head, current))
            if done < self.batch_size:
                break
        return total

    def rebuild(self, names: Sequence[str], progress: Progress | None = None) -> int:
        """Drop the named views' rows and positions in one transaction, then replay the log;
        indexes only queries need are built at the end (queries meanwhile work, slower)."""
        chosen = [v for v in self.views if v.name in names]
        with self.store.transaction() as sql:
            for view in chosen:
                view.drop(sql)
                self.store.forget(sql, view.name)
                view.create(sql)
        read = self.catch_up(chosen, progress)
        with self.store.transaction() as sql:
            for view in chosen:
                view.create_indexes(sql)
        return read

    # -- following ------------------------------------------------------------------------------
    def _listen(self, stop: threading.Event) -> None:
        """PostgreSQL: wake the runner whenever the library's subscription sees a new event."""
        while not stop.is_set():
            try:
                with self.desk.recorder.subscribe(gt=self.head()) as subscription:
                    stopper = threading.Thread(target=lambda: (stop.wait(), subscription.stop()), daemon=True)
                    stopper.start()
                    self.wakeup.set()  # whatever was appended before the subscription began
                    for _ in subscription:
                        self.wakeup.set()
                        if stop.is_set():
                            break
            except Exception:  # connection lost: poll until it comes back
                log.warning("projection subscription interrupted; retrying", exc_info=True)
                stop.wait(1.0)

    def _start_listening(self) -> threading.Event:
        listening = threading.Event()
        threading.Thread(target=self._listen, args=(listening,), daemon=True, name="kaizen-listen").start()
        return listening

    def run(self, stop: threading.Event, election: Election | None = None, idle_wait: float = 1.0) -> None:
        """Run until `stop` is set: stand by until elected, then follow the log.

        Only the leader listens for new events. A standby that listened too (every web worker
        is one) would read each new batch of the log once per worker for nothing: at 8
        clients on PostgreSQL that was 14 % of each web worker's CPU.
        """
        follows = self.desk.settings.engine == "postgres"
        listening: threading.Event | None = None  # set to stop the listener
        try:
            while not stop.is_set():
                if election is not None and not self._elected(election):
                    if listening is not None:
                        listening.set()
                        listening = None
                    stop.wait(idle_wait)
                    continue
                if follows and listening is None:
                    listening = self._start_listening()
                try:
                    self.catch_up(stop=stop)
                except Exception:
                    log.exception("projection step failed; retrying")
                    stop.wait(1.0)
                    continue
                if follows:
                    if self.wakeup.wait(idle_wait) and self.linger:
                        self.hurry.wait(self.linger)  # gather a bigger batch, unless a reader waits
                    self.wakeup.clear()
                    self.hurry.clear()
                else:
                    stop.wait(self.poll_interval)
        finally:
            if listening is not None:
                listening.set()
            if election is not None:
                election.release()

    @staticmethod
    def _elected(election: Election) -> bool:
        """Leader now? An unreachable database means "not now", never the end of the runner:
        the thread must outlive a PostgreSQL restart and take up following again after it."""
        try:
            return election.try_acquire() and election.still_held()
        except Exception:
            log.warning("projection election failed; standing by", exc_info=True)
            election.release()
            return False

    def wait_for(self, position: int, timeout: float = 5.0) -> bool:
        """Read-your-writes: block until every view has applied `position`, or time out.

        A position past the end of the log (a client's typo, a fuzzer) waits for the end only.
        """
        position = min(position, self.head())
        deadline = time.monotonic() + timeout
        while True:
            if all(p >= position for p in self.positions().values()):
                return True
            if time.monotonic() >= deadline:
                return False
            self.hurry.set()
            self.wakeup.set()
            time.sleep(0.02)


@contextlib.contextmanager
def running(runner: ProjectionRunner, election: Election | None = None) -> Any:
    stop = threading.Event()
    thread = threading.Thread(target=runner.run, args=(stop, election), daemon=True, name="kaizen-projections")
    thread.start()
    try:
        yield runner
    finally:
        stop.set()
        runner.hurry.set()
        runner.wakeup.set()
        thread.join(timeout=10)
