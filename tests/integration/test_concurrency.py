"""Several processes writing at once on PostgreSQL: unique keys, and a gap-free global log."""

from __future__ import annotations

import multiprocessing
import os
import sys
import threading
import time
from typing import Any

import pytest

from application.audit import iterate_log
from application.config import store_settings
from application.desk import KaizenDesk
from tests.conftest import REPORTER, ctx

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PER_PROCESS = 15


def _report_many(url: str, count: int, queue: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    sys.path.insert(0, ROOT)
    desk = KaizenDesk(store_settings(url))
    keys = [
        desk.report(
            ctx(REPORTER),
            title=f"from {os.getpid()}",
            description="d",
            module="hr",
            impact_scope="user",
            urgency="minor",
        ).key
        for _ in range(count)
    ]
    desk.close()
    queue.put(keys)


@pytest.mark.xdist_group("workers")
def test_keys_stay_unique_when_processes_report_at_once(postgres_url: str) -> None:
    KaizenDesk(store_settings(postgres_url)).close()  # create tables before the race
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    workers = [context.Process(target=_report_many, args=(postgres_url, PER_PROCESS, queue)) for _ in range(4)]
    for proc in workers:
        proc.start()
    keys = [key for _ in workers for key in queue.get(timeout=120)]
    for proc in workers:
        proc.join(timeout=60)
        assert proc.exitcode == 0
    assert len(keys) == len(set(keys)) == 4 * PER_PROCESS
    assert sorted(int(k.split("-")[1]) for k in keys) == list(range(1, 4 * PER_PROCESS + 1))


@pytest.mark.xdist_group("workers")
def test_paging_the_global_log_never_skips_or_repeats_while_writers_run(postgres_url: str) -> None:
    desk = KaizenDesk(store_settings(postgres_url))
    stop = threading.Event()

    def write() -> None:
        writer = KaizenDesk(store_settings(postgres_url))
        while not stop.is_set():
            writer.report(
                ctx(REPORTER), title="busy", description="d", module="hr", impact_scope="user", urgency="minor"
            )
        writer.close()

    threads = [threading.Thread(target=write) for _ in range(3)]
    for thread in threads:
        thread.start()
    seen: list[int] = []
    after = 0
    try:
        while len(seen) < 150:
            page = list(iterate_log(desk, after, 7))
            seen.extend(n.id for n in page)
            after = page[-1].id if page else after
    finally:
        stop.set()
        for thread in threads:
            thread.join()
    seen.extend(n.id for n in iterate_log(desk, after))
    assert seen == sorted(set(seen))  # in order, never repeated
    everything = [n.id for n in iterate_log(desk)]
    assert seen == everything  # nothing skipped
    desk.close()


def _open_everything(url: str, queue: multiprocessing.Queue, start: Any) -> None:  # type: ignore[type-arg]
    sys.path.insert(0, ROOT)
    from projections.read_side import ReadSide

    start.wait()  # everyone imported: now create the tables at the same instant
    try:
        desk = KaizenDesk(store_settings(url))
        ReadSide(store_settings(url)).close()
        desk.close()
        queue.put("ok")
    except Exception as exc:  # reported to the test, which fails with the reason
        queue.put(f"{type(exc).__name__}: {exc}")


@pytest.mark.xdist_group("workers")
def test_processes_starting_together_on_an_empty_store_all_come_up(store_url: str) -> None:
    """Four gunicorn workers booting at once on a fresh database must not fail on CREATE TABLE."""
    context = multiprocessing.get_context("spawn")
    queue, start = context.Queue(), context.Barrier(4)
    procs = [context.Process(target=_open_everything, args=(store_url, queue, start)) for _ in range(4)]
    for proc in procs:
        proc.start()
    results = [queue.get(timeout=120) for _ in procs]
    for proc in procs:
        proc.join(timeout=60)
    assert results == ["ok"] * 4


def test_threads_of_one_process_take_turns_for_keys_instead_of_colliding(desk: KaizenDesk) -> None:
    """Reports from many threads get distinct sequential keys without one failed append."""
    from eventsourcing.persistence import IntegrityError

    failed_appends = 0
    insert_events = desk.recorder.insert_events

    def counting_insert(*args: Any, **kwargs: Any) -> Any:
        nonlocal failed_appends
        try:
            return insert_events(*args, **kwargs)
        except IntegrityError:
            failed_appends += 1
            raise

    desk.recorder.insert_events = counting_insert  # type: ignore[method-assign]
    keys: list[str] = []
    start = threading.Barrier(8)

    def report_some() -> None:
        start.wait()
        for _ in range(6):
            receipt = desk.report(
                ctx(REPORTER), title="t", description="d", module="hr", impact_scope="user", urgency="minor"
            )
            keys.append(receipt.key)

    threads = [threading.Thread(target=report_some) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(keys, key=lambda k: int(k.split("-")[1])) == [f"KZ-{n}" for n in range(1, 49)]
    assert failed_appends == 0


def test_a_report_turn_is_shared_by_every_process_on_the_store(store_url: str) -> None:
    """Two desks stand for two processes: the second waits for the first's turn, then takes it."""
    from application.allocation_turns import AllocationTurns
    from application.ports import TakesKeyTurns

    desks = [KaizenDesk(store_settings(store_url)) for _ in range(2)]
    recorders = [desk.recorder for desk in desks]
    assert all(isinstance(recorder, TakesKeyTurns) for recorder in recorders)
    # wired as a desk wires them: on SQLite the turn is its datastore's writer turn
    first, second = (
        AllocationTurns(recorder.shared_turns(desk.settings))  # type: ignore[attr-defined]
        for recorder, desk in zip(recorders, desks, strict=True)
    )
    holding, release = threading.Event(), threading.Event()

    def stuck_save() -> None:
        with first.turn("KZ"):
            holding.set()
            release.wait(5)

    holder = threading.Thread(target=stuck_save)
    holder.start()
    try:
        assert holding.wait(5)
        threading.Timer(0.3, release.set).start()
        started = time.monotonic()
        with second.turn("KZ"):
            waited = time.monotonic() - started
        assert 0.25 <= waited < 0.95
    finally:
        release.set()
        holder.join()
        first.close()
        second.close()
        for desk in desks:
            desk.close()


def test_a_process_reads_the_allocations_of_others_with_its_turn_and_never_appends_twice(store_url: str) -> None:
    """Two desks stand for two processes reporting in turns. Each keeps a copy of the key
    sequence; on PostgreSQL the turn itself brings the other's allocations since that copy, so
    no report appends on a stale sequence and has to be retried (on SQLite it reads them)."""
    from eventsourcing.persistence import IntegrityError

    first, second = KaizenDesk(store_settings(store_url)), KaizenDesk(store_settings(store_url))
    appends = {"tried": 0, "failed": 0}

    def counted(desk: KaizenDesk) -> None:
        insert_events = desk.recorder.insert_events

        def counting_insert(*args: Any, **kwargs: Any) -> Any:
            appends["tried"] += 1
            try:
                return insert_events(*args, **kwargs)
            except IntegrityError:
                appends["failed"] += 1
                raise

        desk.recorder.insert_events = counting_insert  # type: ignore[method-assign]

    counted(first)
    counted(second)
    report: dict[str, Any] = dict(title="t", description="d", module="hr", impact_scope="user", urgency="minor")
    try:
        order = [first, second, second, first, first, second, first, second, second, second, first]
        keys = [desk.report(ctx(REPORTER), **report).key for desk in order]
        assert keys == [f"KZ-{n}" for n in range(1, len(order) + 1)]
        assert appends == {"tried": len(order), "failed": 0}
        assert first.get_issue("KZ-10").version == 1 and second.get_issue("KZ-11").key == "KZ-11"
    finally:
        first.close()
        second.close()
