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
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from eventsourcing.persistence import IntegrityError, InterfaceError, OperationalError

from application.config import number_from_env
from application.errors import ApplicationError
from application.schema import racing_schema_setup
from projections import stalls
from projections.ports import LeaderElection
from projections.schema import create_views
from projections.stalls import ViewFailure
from projections.store import ViewStore
from projections.view import View

BULK_CATCH_UP = 50_000
"""Events applied in one catch-up after which the views' planner statistics are refreshed
(`ViewStore.analyze`): the tables grew from nearly empty faster than autovacuum looks."""

log = logging.getLogger("kaizen.projections")
Progress = Callable[[int, int], None]


FOLLOW_LINGER_SECONDS = 0.05
"""After a NOTIFY wakes the leader on PostgreSQL, it waits this long before reading the log,
unless a reader is waiting for a position (`wait_for`). Each wake-up costs a transaction over
every view whatever the batch size, so under load waking for every few events spends
projection (and PostgreSQL) CPU that commands need; lingering gathers bigger batches
(bench/command_path.py, docs/performance.md). Views and notifications lag by up to this much
more; SQLite's follower polls every 100 ms and does not linger.
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
    whose events straddle two batches is read back and recomputed, so smaller batches make a
    rebuild measurably slower (bench/read_side.py). SQLite keeps 1,000: there each view's batch holds the database's
    one write lock, and the event store's writers wait for it."""
    return 3000 if engine == "postgres" else 1000


RETRY_FAILING_SECONDS = 1.0
"""How often a view that failed on an event tries it again: often enough that a fixed cause
(a lock released, a row repaired, new code deployed) is noticed within a second, seldom enough
that a view that will never pass costs nothing worth measuring."""
UNREACHABLE = (InterfaceError, OperationalError)
"""The store itself is away (or locked): not the view's fault, and no event is to blame; the
whole step fails and `run` waits, as before."""


class ViewFailed(Exception):
    """A view raised on a batch; `index` is the event it was applying, None in `begin`/`flush`."""

    def __init__(self, index: int | None, error: BaseException) -> None:
        super().__init__(str(error))
        self.index = index
        self.error = error


class ViewStuck(ApplicationError):
    """A rebuild ended with views that fail on an event (`kaizen projections rebuild` exits 1)."""

    def __init__(self, failures: Sequence[ViewFailure]) -> None:
        self.failures = list(failures)
        super().__init__("; ".join(f"view {f.view} fails on event {f.position}: {f.error}" for f in self.failures))


@dataclass
class _Failing:
    """What the runner remembers of a failing view: the failure as recorded, when to try again."""

    failure: ViewFailure
    retry_at: float = 0.0
    recorded: bool = True  # False while the store would not take the row: the next failure writes it


def _now() -> datetime:
    return datetime.now(UTC)


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
        self.failing: dict[str, _Failing] = {}  # view name -> the event it fails on
        self._failures_loaded = False  # rows another runner left are read at the first step

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
        """Apply one batch to every lagging view; returns how many notifications were read.

        A view that fails on an event does not hold the others back: it keeps its position,
        tries that one event again every `RETRY_FAILING_SECONDS`, and the others go on from
        their own positions. Before, one view's error failed the whole step, every view stopped
        at that event, and nothing outside the log said so."""
        views = list(views or self.views)
        positions = self.positions(views)
        self._forget_passed(positions)
        for view in [view for view in views if view.name in self.failing]:
            passed = self._retry(view, positions[view.name])
            if passed is not None:
                positions[view.name] = passed  # the batch below must not apply that event again
        healthy = [view for view in views if view.name not in self.failing]
        if not healthy:
            return 0
        low = min(positions[view.name] for view in healthy)
        notifications = self.desk.recorder.select_notifications(start=low + 1, limit=self.batch_size)
        if not notifications:
            return 0
        events, undecodable = self._decode(notifications)
        if events and self._together(healthy, positions):
            try:
                self._apply_together(healthy, events)
                events = []
            except IntegrityError:
                # Another runner committed this batch for some view first; ours rolled back
                # whole. Each view takes what it still lacks on its own below.
                positions = self.positions(healthy)
            except ViewFailed:
                pass  # rolled back whole: view by view below finds which one failed, and where
        for view in healthy:
            todo = [(event, position) for event, position in events if position > positions[view.name]]
            if todo:
                self._apply_carefully(view, todo, positions[view.name])
        if undecodable is not None:
            position, error = undecodable
            after = self.positions(healthy)
            for view in healthy:  # every view that got this far (and did not fail before) is stuck here
                if view.name not in self.failing and after[view.name] < position:
                    self._failed(view, position, error)
        return len(notifications)

    def _decode(self, notifications: Sequence[Any]) -> tuple[list[tuple[Any, int]], tuple[int, Exception] | None]:
        """The batch's events up to the first that cannot be read (an upcaster's bug, a topic
        no module defines), and that one's position and error: it is every view's failure."""
        events: list[tuple[Any, int]] = []
        for notification in notifications:
            try:
                events.append((self.desk.mapper.to_domain_event(notification), notification.id))
            except UNREACHABLE:
                raise
            except Exception as exc:
                return events, (int(notification.id), exc)
        return events, None

    def _apply_view(self, view: View, todo: Sequence[tuple[Any, int]], before: int) -> bool:
        """`todo` into `view` in one transaction, with its position. False when another runner
        committed first (ours rolled back); a view's own error raises ViewFailed."""
        at: int | None = None
        try:
            with self.store.transaction() as sql:
                # The position first: it is a write, so on SQLite the transaction takes the
                # write lock (waiting its turn) before any read; a read first would make a
                # later write fail at once with "database is locked" whenever another
                # runner committed in between. A runner that lost the race stops here.
                self.store.record(sql, view.name, todo[-1][1])
                view.begin(sql, [event for event, _ in todo])
                for at, (event, position) in enumerate(todo):  # noqa: B007 - `at` names the failing event
                    view.apply(sql, event, position)
                at = None
                view.flush(sql)
                if view.name in self.failing:
                    stalls.clear(sql, view.name)
        except UNREACHABLE:
            raise
        except IntegrityError as exc:
            if self.store.position(view.name) > before:
                # Another runner committed this batch first; its rows stand, ours rolled back.
                log.info("view %s: batch already applied elsewhere", view.name)
                return False
            raise ViewFailed(at, exc) from exc  # a constraint of the view's own tables
        except Exception as exc:
            raise ViewFailed(at, exc) from exc
        return True

    def _apply_carefully(self, view: View, todo: Sequence[tuple[Any, int]], before: int) -> bool:
        """Apply `todo`; if the view fails, commit what comes before the failing event and record
        the failure at that event. True when the view got through all of `todo`.

        The batch is split where the view raised (a few more transactions, once per failure);
        an error in `flush` or `begin` names no event, so the batch is halved until one event
        alone fails."""
        try:
            if self._apply_view(view, todo, before):
                self._passed(view.name, todo[-1][1])
            return True
        except ViewFailed as failed:
            if len(todo) == 1:
                self._failed(view, todo[0][1], failed.error)
                return False
            cut = max(1, failed.index) if failed.index is not None else len(todo) // 2
        return self._apply_carefully(view, todo[:cut], before) and self._apply_carefully(
            view, todo[cut:], todo[cut - 1][1]
        )

    def _retry(self, view: View, position: int) -> int | None:
        """Try the one event a failing view is stuck on again, when its turn comes; the view's
        new position when it got past it."""
        failing = self.failing[view.name]
        if time.monotonic() < failing.retry_at:
            return None
        failing.retry_at = time.monotonic() + RETRY_FAILING_SECONDS
        # The event after the view's position, not the failure's by number: the same event
        # unless the view was reset meanwhile (a rebuild elsewhere), and then nothing is skipped.
        notifications = self.desk.recorder.select_notifications(start=position + 1, limit=1)
        events, undecodable = self._decode(notifications)
        if undecodable is not None:
            self._failed(view, *undecodable)
        elif events and self._apply_carefully(view, events, position):
            return int(events[-1][1])
        return None

    def _failed(self, view: View, position: int, error: BaseException) -> None:
        """Remember and record that `view` fails on the event at `position`.

        Logged with its traceback and written to `view_failures` when the view starts failing on
        this event or its error changes, not on every retry; `since` stays the first failure."""
        text = stalls.describe(error)
        failing = self.failing.get(view.name)
        retry_at = time.monotonic() + RETRY_FAILING_SECONDS
        if failing is not None and failing.failure.position == position and failing.failure.error == text:
            failing.retry_at = retry_at
            log.debug("view %s still fails on event %d: %s", view.name, position, text)
            if failing.recorded:
                return
            failure = failing.failure
        else:
            if failing is not None and failing.failure.position == position:
                failure = replace(failing.failure, error=text)  # a new error on the same event: same `since`
            else:
                failure = ViewFailure(view.name, position, text, _now())
            log.error(
                "view %s fails on event %d (%s); it keeps its position and retries every %.0f s",
                view.name,
                position,
                text,
                RETRY_FAILING_SECONDS,
                exc_info=error,
            )
        self.failing[view.name] = _Failing(failure, retry_at, recorded=False)
        try:
            stalls.record(self.store, failure)
            self.failing[view.name].recorded = True
        except Exception:  # the store is away too: the view's next failure writes it
            log.warning("could not record the failure of view %s", view.name, exc_info=True)

    def _passed(self, name: str, position: int) -> None:
        """The view committed up to `position`: whatever it failed on before is behind it."""
        failing = self.failing.pop(name, None)
        if failing is not None and position >= failing.failure.position:
            failure = failing.failure
            log.warning(
                "view %s moved past event %d after failing on it for %.0f s", name, failure.position, failure.seconds()
            )

    def _forget_passed(self, positions: Mapping[str, int]) -> None:
        """Drop remembered failures a view has passed (another runner, a rebuild); on the first
        step, take up the failures another runner left, so `since` survives a takeover."""
        if not self._failures_loaded:
            known = {view.name for view in self.views}
            for failure in stalls.current(self.store, positions):
                if failure.view in known and failure.view not in self.failing:
                    self.failing[failure.view] = _Failing(failure)
            self._failures_loaded = True
        for name in [name for name in self.failing if name in positions]:
            if positions[name] >= self.failing[name].failure.position:
                self._passed(name, positions[name])

    def failures(self) -> list[ViewFailure]:
        """The failures this runner knows of, by view name."""
        return [self.failing[name].failure for name in sorted(self.failing)]

    def _together(self, views: Sequence[View], positions: dict[str, int]) -> bool:
        """Whether a batch goes to every view in one transaction: on PostgreSQL, when all the
        views stand at the same position (a catch-up, a rebuild of all, steady following).

        One commit per batch instead of one per view: each commit was a round trip and a WAL
        flush, seven per batch. Not on SQLite, where a transaction holds the database's one
        write lock, and the event store's writers would wait for every view's work at once."""
        return self.store.engine == "postgres" and len(views) > 1 and len(set(positions.values())) == 1

    def _apply_together(self, views: Sequence[View], events: Sequence[tuple[Any, int]]) -> None:
        """Every view's rows and position for the batch, committed at once (see `_together`).
        A view's error rolls back all of it and raises ViewFailed; `step` then goes view by view."""
        batch = [event for event, _ in events]
        with self.store.transaction() as sql:
            for view in views:  # positions first, as in `step`: a runner that lost the race stops here
                self.store.record(sql, view.name, events[-1][1])
            for view in views:
                try:
                    view.begin(sql, batch)
                    for event, position in events:
                        view.apply(sql, event, position)
                    view.flush(sql)
                except (*UNREACHABLE, IntegrityError):
                    raise
                except Exception as exc:
                    raise ViewFailed(None, exc) from exc

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
        if total >= BULK_CATCH_UP:  # a store's first start on a long log, a view rebuilt at start
            chosen = self.views if views is None else views
            self.store.analyze([table for view in chosen for table in view.tables])
        return total

    def rebuild(self, names: Sequence[str], progress: Progress | None = None) -> int:
        """Drop the named views' rows and positions in one transaction, then replay the log;
        indexes only queries need are built at the end (queries meanwhile work, slower)."""
        chosen = [v for v in self.views if v.name in names]
        with self.store.transaction() as sql:
            for view in chosen:
                view.drop(sql)
                self.store.forget(sql, view.name)
                stalls.clear(sql, view.name)
                self.failing.pop(view.name, None)
                view.create(sql)
        read = self.catch_up(chosen, progress)
        with self.store.transaction() as sql:
            for view in chosen:
                view.create_indexes(sql)
        stuck = [self.failing[view.name].failure for view in chosen if view.name in self.failing]
        if stuck:
            raise ViewStuck(stuck)
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

    def run(self, stop: threading.Event, election: LeaderElection | None = None, idle_wait: float = 1.0) -> None:
        """Run until `stop` is set: stand by until elected, then follow the log.

        Only the leader listens for new events. A standby that listened too (every web worker
        is one) would read each new batch of the log once per worker for nothing, CPU taken
        from every web worker's requests (bench/command_path.py).
        """
        follows = self.desk.settings.engine == "postgres"
        listening: threading.Event | None = None  # set to stop the listener
        last_error: str | None = None
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
                    last_error = None
                except Exception as exc:
                    # The store is away (a view's own error is handled in `step`): the traceback
                    # once per new error, not once a second for as long as the outage lasts.
                    error = stalls.describe(exc)
                    if error != last_error:
                        log.warning("projection step failed (%s); retrying every second", error, exc_info=True)
                    last_error = error
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
    def _elected(election: LeaderElection) -> bool:
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
        A view that fails on an event before `position` will not get there by waiting: it is
        left out (read once, when the views are behind), so a stuck view does not cost every
        read-your-writes query the whole timeout.
        """
        position = min(position, self.head())
        deadline = time.monotonic() + timeout
        stuck: set[str] | None = None
        while True:
            positions = self.positions()
            if all(p >= position for name, p in positions.items() if name not in (stuck or ())):
                return True
            if stuck is None:
                stuck = {f.view for f in stalls.current(self.store, positions) if f.position <= position}
                continue
            if time.monotonic() >= deadline:
                return False
            self.hurry.set()
            self.wakeup.set()
            time.sleep(0.02)


@contextlib.contextmanager
def running(runner: ProjectionRunner, election: LeaderElection | None = None) -> Any:
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
