"""Projections on both stores: exactly once, rebuild equals incremental, standby takeover."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from adapters.election import Election
from adapters.transports import TRANSPORTS
from application.config import store_settings
from application.desk import KaizenDesk
from projections.catalogue import all_views
from projections.runner import ProjectionRunner
from projections.store import ViewStore
from tests.conftest import ADMIN, REPORTER, VENDOR_SAP, FakeClock, ctx, enrol_assignees

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def populate(desk: KaizenDesk, clock: FakeClock, issues: int = 12) -> int:
    position = 0
    enrol_assignees(desk, "admin-wong")
    for n in range(issues):
        key = desk.report(
            ctx(REPORTER),
            title=f"Issue {n}",
            description="d",
            module="finance",
            impact_scope=["company", "team", "user"][n % 3],
            urgency="blocking",
            vendor="sap",
        ).key
        clock.advance(minutes=20)
        desk.triage(ctx(), key, assignee="admin-wong")
        if n % 2 == 0:
            desk.escalate(ctx(), key, vendor="sap", vendor_ticket=f"INC-{n}")
            clock.advance(hours=n % 5)
            desk.record_vendor_update(ctx(VENDOR_SAP), key, message="looking")
        if n % 3 == 0:
            desk.wait(ctx(), key, on="reporter" if n % 2 else "customer", reason="need data")
            clock.advance(hours=3)
            desk.resume(ctx(), key)
        if n % 4 == 0:
            position = desk.resolve(ctx(), key, resolution="fixed").position or position
        clock.advance(hours=1)
    return int(desk.recorder.max_notification_id() or 0)


def dump(store: ViewStore) -> dict[str, list[tuple[tuple[str, str], ...]]]:
    tables = [t for v in all_views() for t in v.tables]
    out = {}
    with store.transaction(commit=False) as sql:
        for table in tables:
            rows = sql.execute(f"SELECT * FROM {table}").fetchall()
            out[table] = sorted(tuple(sorted((k, str(v)) for k, v in r.items())) for r in rows)
    return out


def test_views_follow_the_log_exactly_once(desk: KaizenDesk, store_url: str, clock: FakeClock) -> None:
    head = populate(desk, clock)
    store = ViewStore(store_settings(store_url))
    runner = ProjectionRunner(desk, store, all_views(), batch_size=7)
    runner.setup()
    runner.catch_up()
    assert set(runner.positions().values()) == {head}
    first = dump(store)
    assert len(first["issue_list"]) == 12 and len(first["sla_clock"]) > 24
    # A second runner re-reading the same batch must not apply it twice.
    other = ProjectionRunner(desk, store, all_views())
    assert other.catch_up() == 0
    assert dump(store) == first
    store.close()


def test_rebuild_equals_incremental_build(desk: KaizenDesk, store_url: str, clock: FakeClock) -> None:
    store = ViewStore(store_settings(store_url))
    runner = ProjectionRunner(desk, store, all_views(), batch_size=5)
    runner.setup()
    for _ in range(3):  # incremental: small bites interleaved with writes
        populate(desk, clock, issues=4)
        runner.catch_up()
    incremental = dump(store)
    seen: list[tuple[int, int]] = []
    runner.rebuild([v.name for v in all_views()], progress=lambda done, total: seen.append((done, total)))
    assert dump(store) == incremental
    assert seen and seen[-1][0] == seen[-1][1]
    store.close()


def test_read_your_writes_waits_for_position(desk: KaizenDesk, store_url: str, clock: FakeClock) -> None:
    from projections.read_side import ReadSide

    settings = store_settings(store_url)
    read = ReadSide(settings)
    read.start(desk, Election(settings), TRANSPORTS)
    try:
        receipt = desk.report(
            ctx(REPORTER), title="Need it now", description="d", module="sales", impact_scope="user", urgency="minor"
        )
        assert read.wait_for(receipt.position or 0, timeout=10)
        items, _ = read.issues.list({"text": "need it"}, 10, None, ADMIN, clock.now)
        assert [i["key"] for i in items] == [receipt.key]
        mine, _ = read.issues.list({}, 10, None, REPORTER, clock.now)
        theirs, _ = read.issues.list({}, 10, None, VENDOR_SAP, clock.now)
        assert [i["key"] for i in mine] == [receipt.key] and theirs == []
    finally:
        read.close()


def test_only_one_runner_is_elected(store_url: str) -> None:
    settings = store_settings(store_url)
    KaizenDesk(settings).close()  # create the store
    first, second = Election(settings), Election(settings)
    assert first.try_acquire()
    assert not second.try_acquire()
    first.release()
    assert second.try_acquire()
    second.release()


WORKER = (
    "import sys; sys.path.insert(0, {root!r});"
    "from application.config import store_settings; from interfaces.worker import run_forever;"
    "run_forever(store_settings({url!r}))"
)


SMALL_BATCH_WORKER = (
    "import sys, threading; sys.path.insert(0, {root!r});"
    "from adapters.election import Election; from application.config import store_settings;"
    "from application.desk import KaizenDesk; from projections.catalogue import all_views;"
    "from projections.runner import ProjectionRunner; from projections.store import ViewStore;"
    "s = store_settings({url!r}); desk = KaizenDesk(s); store = ViewStore(s);"
    "runner = ProjectionRunner(desk, store, all_views(), batch_size=5); runner.setup();"
    "runner.run(threading.Event(), Election(s), idle_wait=0.5)"
)
"""The worker's own runner and election with batches of 5 events, so that a small log takes
many commits to replay and a kill lands between two of them."""


def _start_worker(url: str, script: str = WORKER) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-c", script.format(root=ROOT, url=url)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )


def _wait(predicate: object, timeout: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():  # type: ignore[operator]
            return True
        time.sleep(0.1)
    return False


@contextlib.contextmanager
def _following(runner: ProjectionRunner, election: Election | None = None, idle_wait: float = 0.05) -> Iterator[None]:
    """The runner's `run` in a thread, stopped (and woken, so it notices) on the way out."""
    stop = threading.Event()
    thread = threading.Thread(target=runner.run, args=(stop, election), kwargs={"idle_wait": idle_wait})
    thread.start()
    try:
        yield
    finally:
        stop.set()
        runner.hurry.set()
        runner.wakeup.set()
        thread.join(timeout=10)


@pytest.mark.xdist_group("workers")
def test_killed_worker_mid_rebuild_ends_identical_to_clean_rebuild(postgres_url: str) -> None:
    clock = FakeClock()
    settings = store_settings(postgres_url)
    desk = KaizenDesk(settings, clock=clock)
    head = populate(desk, clock, issues=60)
    store = ViewStore(settings)
    runner = ProjectionRunner(desk, store, all_views(), batch_size=50)
    runner.setup()
    runner.catch_up()
    clean = dump(store)
    with store.transaction() as sql:  # start a rebuild: drop rows and positions
        for view in all_views():
            view.drop(sql)
            store.forget(sql, view.name)
            view.create(sql)
    worker = _start_worker(postgres_url, SMALL_BATCH_WORKER)
    # Kill as soon as the rebuild has committed its first batches (polled every 10 ms).
    deadline = time.monotonic() + 30
    while store.position("sla") == 0 and time.monotonic() < deadline:
        time.sleep(0.01)
    os.kill(worker.pid, signal.SIGKILL)
    worker.wait()
    killed_at = store.position("sla")
    worker = _start_worker(postgres_url)
    try:
        assert _wait(lambda: min(runner.positions().values()) == head, timeout=60)
    finally:
        worker.terminate()
        worker.wait(timeout=10)
    assert 0 < killed_at < head  # the kill landed mid-rebuild
    assert dump(store) == clean
    store.close()
    desk.close()


@pytest.mark.xdist_group("workers")
def test_standby_worker_takes_over_when_active_one_dies(postgres_url: str) -> None:
    clock = FakeClock()
    settings = store_settings(postgres_url)
    desk = KaizenDesk(settings, clock=clock)
    store = ViewStore(settings)
    runner = ProjectionRunner(desk, store, all_views())
    runner.setup()
    first = _start_worker(postgres_url)
    assert _wait(lambda: not Election(settings).try_acquire(), timeout=20)
    second = _start_worker(postgres_url)
    try:
        head = populate(desk, clock, issues=3)
        assert _wait(lambda: min(runner.positions().values()) == head)
        os.kill(first.pid, signal.SIGKILL)
        first.wait()
        started = time.monotonic()
        head = populate(desk, clock, issues=3)
        assert _wait(lambda: min(runner.positions().values()) == head, timeout=20)
        takeover = time.monotonic() - started
        assert takeover < 20
    finally:
        for proc in (first, second):
            if proc.poll() is None:
                proc.terminate()
                proc.wait(timeout=10)
    store.close()
    desk.close()


def test_worker_stops_on_event(store_url: str) -> None:
    from interfaces.worker import run_forever

    stop = threading.Event()
    thread = threading.Thread(target=run_forever, args=(store_settings(store_url), stop))
    thread.start()
    time.sleep(0.5)
    stop.set()
    thread.join(timeout=15)
    assert not thread.is_alive()


def test_worker_waits_for_a_store_that_is_away_at_start(
    tmp_path: Path, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`kaizen worker` (and the projection process of `kaizen serve`) started while the store
    cannot be opened keeps trying, then follows the log once it can."""
    import interfaces.worker
    from interfaces.worker import run_forever

    monkeypatch.setattr(interfaces.worker, "START_RETRY_S", 0.1)
    url = f"sqlite:///{tmp_path / 'not-yet' / 'kaizen.db'}"
    stop = threading.Event()
    thread = threading.Thread(target=run_forever, args=(store_settings(url), stop))
    thread.start()
    try:
        time.sleep(0.5)
        assert thread.is_alive()
        (tmp_path / "not-yet").mkdir()
        desk = KaizenDesk(store_settings(url), clock=clock)
        store = ViewStore(store_settings(url))
        try:
            head = populate(desk, clock, issues=2)
            runner = ProjectionRunner(desk, store, all_views())
            assert _wait(lambda: min(runner.positions().values()) == head, timeout=20)
        finally:
            store.close()
            desk.close()
    finally:
        stop.set()
        thread.join(timeout=15)
    assert not thread.is_alive()


def test_runner_survives_an_election_that_cannot_reach_the_database(
    desk: KaizenDesk, store_url: str, clock: FakeClock
) -> None:
    """While PostgreSQL restarts, the election's connect fails; the runner must stand by, not die."""
    store = ViewStore(store_settings(store_url))
    runner = ProjectionRunner(desk, store, all_views())
    runner.setup()

    class FlakyElection(Election):
        failures = 3

        def try_acquire(self) -> bool:
            if self.failures:
                self.failures -= 1
                raise OSError("connection refused")
            return super().try_acquire()

    with _following(runner, FlakyElection(store_settings(store_url))):
        head = populate(desk, clock, issues=2)
        assert _wait(lambda: min(runner.positions().values()) == head, timeout=20)
    store.close()


def test_a_standby_asks_for_the_lead_on_one_connection(postgres_url: str) -> None:
    """Standbys ask twice a second; a new PostgreSQL connection per ask would fork a backend each time."""
    import psycopg

    settings = store_settings(postgres_url)
    dbname = settings.environment["POSTGRES_DBNAME"]

    def backends() -> int:
        with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as conn:
            row = conn.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = %s", (dbname,)).fetchone()
            return int(row[0]) if row else 0

    leader, standby = Election(settings), Election(settings)
    try:
        assert leader.try_acquire()
        counts = set()
        for _ in range(5):
            assert not standby.try_acquire()
            counts.add(backends())
        assert counts == {2}  # the leader's connection and the standby's one
        leader.release()  # the server frees the lock once it notices the closed connection
        assert _wait(standby.try_acquire, timeout=5) and standby.still_held()
    finally:
        leader.release()
        standby.release()
    assert _wait(lambda: backends() == 0, timeout=5)


def test_only_the_leader_listens_for_new_events(postgres_url: str) -> None:
    """Every web worker runs a standby runner; a standby that listened would read each new batch
    of the log once per worker for nothing. It starts listening when it takes the lead."""
    import psycopg

    settings = store_settings(postgres_url)
    dbname = settings.environment["POSTGRES_DBNAME"]

    def listeners() -> int:
        with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as conn:
            row = conn.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND query ILIKE 'LISTEN %%'", (dbname,)
            ).fetchone()
            return int(row[0]) if row else 0

    clock = FakeClock()
    desk = KaizenDesk(settings, clock=clock)
    store = ViewStore(settings)
    runner = ProjectionRunner(desk, store, all_views())
    runner.setup()
    leader = Election(settings)
    assert leader.try_acquire()
    try:
        with _following(runner, Election(settings)):
            head = populate(desk, clock, issues=2)
            time.sleep(0.5)
            assert listeners() == 0
            assert max(runner.positions().values()) == 0  # a standby does not project either
            leader.release()
            assert _wait(lambda: min(runner.positions().values()) == head, timeout=10)
            assert _wait(lambda: listeners() == 1, timeout=5)
            head = populate(desk, clock, issues=1)
            assert _wait(lambda: min(runner.positions().values()) == head, timeout=10)
    finally:
        leader.release()
    store.close()
    desk.close()


def test_a_reader_waiting_for_its_write_cuts_the_linger_short(postgres_url: str) -> None:
    """The leader lingers after a NOTIFY to gather a bigger batch; read-your-writes must not pay it."""
    clock = FakeClock()
    settings = store_settings(postgres_url)
    desk = KaizenDesk(settings, clock=clock)
    store = ViewStore(settings)
    runner = ProjectionRunner(desk, store, all_views(), linger=5.0)
    runner.setup()
    with _following(runner, idle_wait=30.0):
        assert _wait(lambda: runner.hurry.is_set() is False and runner.wakeup.is_set() is False, timeout=5)
        time.sleep(0.3)  # the leader is listening and idle
        head = populate(desk, clock, issues=1)
        started = time.monotonic()
        assert runner.wait_for(head, timeout=4.0)
        assert time.monotonic() - started < 2.0
    store.close()
    desk.close()


def test_a_view_built_under_an_older_schema_is_rebuilt_once(desk: KaizenDesk, store_url: str, clock: FakeClock) -> None:
    """A store whose SLA tables predate schema version 2 (no module and site on the clocks, no
    `view_schema` row) is rebuilt at the next start, ends equal to a clean build, and a second
    start finds nothing to do."""
    store = ViewStore(store_settings(store_url))
    head = populate(desk, clock, issues=6)
    runner = ProjectionRunner(desk, store, all_views())
    runner.setup()
    runner.catch_up()
    clean = dump(store)
    with store.transaction() as sql:  # what a store built by the previous release holds
        sql.execute("DROP TABLE sla_clock")
        sql.execute(
            "CREATE TABLE sla_clock (issue_key TEXT NOT NULL, idx INTEGER NOT NULL, kind TEXT NOT NULL,"
            " vendor TEXT NOT NULL, policy_version BIGINT NOT NULL, priority TEXT NOT NULL,"
            " target_seconds BIGINT NOT NULL, started_at TEXT NOT NULL, due_at TEXT NOT NULL, stopped_at TEXT,"
            " paused INTEGER NOT NULL, pauses TEXT NOT NULL, business_seconds_used BIGINT NOT NULL,"
            " PRIMARY KEY (issue_key, idx))"
        )
        sql.execute("DROP TABLE view_schema")
    assert store.position("sla") == head
    runner = ProjectionRunner(desk, store, all_views())
    runner.setup()
    assert store.position("sla") == 0 and store.position("issue_list") == head
    runner.catch_up()
    assert dump(store) == clean
    ProjectionRunner(desk, store, all_views()).setup()
    assert store.position("sla") == head
    store.close()
