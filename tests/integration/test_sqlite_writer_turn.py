"""SQLite writers take turns across processes on an flock, so none sleeps in SQLite's busy handler.

SQLite's busy handler sleeps in growing steps (up to 100 ms) and is not woken when the write
lock frees; the writer turn queues writers on `<database>.write.lock` instead. It must never
be a correctness condition: a holder that does not let go only delays a write by the bound.
"""

from __future__ import annotations

import fcntl
import os
import threading
import time
from pathlib import Path
from typing import Any

from adapters.sqlite_store import WriterTurn
from application.config import store_settings
from application.desk import KaizenDesk
from tests.conftest import REPORTER, ctx

ISSUE: dict[str, Any] = dict(
    title="Posting fails", description="d", module="finance", impact_scope="team", urgency="blocking"
)


def _hold(path: str) -> int:
    fd = os.open(path, os.O_RDWR | os.O_CREAT)
    fcntl.flock(fd, fcntl.LOCK_EX)
    return fd


def test_a_write_waits_while_another_process_holds_the_turn(tmp_path: Path) -> None:
    database = tmp_path / "kaizen.db"
    desk = KaizenDesk(store_settings(f"sqlite:///{database}"))
    try:
        desk.report(ctx(REPORTER), **ISSUE)
        head = desk.recorder.max_notification_id()
        holder = _hold(f"{database}.write.lock")  # another open file: excluded like another process
        answers: list[str] = []
        writer = threading.Thread(target=lambda: answers.append(desk.report(ctx(REPORTER), **ISSUE).key))
        writer.start()
        time.sleep(0.4)
        assert writer.is_alive() and answers == []
        assert desk.recorder.max_notification_id() == head
        fcntl.flock(holder, fcntl.LOCK_UN)
        os.close(holder)
        writer.join(timeout=10)
        assert answers == ["KZ-2"]
        assert desk.get_issue("KZ-2").title == ISSUE["title"]
    finally:
        desk.close()


def test_a_holder_that_never_lets_go_delays_a_writer_only_by_the_bound(tmp_path: Path) -> None:
    file = str(tmp_path / "kaizen.db")
    holder = _hold(f"{file}.write.lock")
    try:
        turn = WriterTurn(file, wait=0.3)
        started = time.monotonic()
        assert turn.acquire() is False
        assert 0.3 <= time.monotonic() - started < 2.0
    finally:
        os.close(holder)
    assert turn.acquire() is True
    turn.release()
    turn.close()


def test_a_forked_child_does_not_share_its_parents_turn(tmp_path: Path) -> None:
    """A descriptor inherited across fork() would share the parent's lock, and exclude nothing."""
    turn = WriterTurn(str(tmp_path / "kaizen.db"), wait=0.3)
    assert turn.acquire()
    try:
        pid = os.fork()
        if pid == 0:  # the child: it must wait out the bound, not get the turn
            os._exit(0 if turn.acquire() is False else 1)
        _, status = os.waitpid(pid, 0)
        assert os.waitstatus_to_exitcode(status) == 0
    finally:
        turn.release()
        turn.close()


def test_an_unopenable_lock_file_leaves_the_write_to_sqlite(tmp_path: Path) -> None:
    turn = WriterTurn(str(tmp_path / "missing-directory" / "kaizen.db"), wait=5.0)
    started = time.monotonic()
    assert turn.acquire() is False
    assert time.monotonic() - started < 0.5


def test_reports_from_two_processes_take_one_queue_and_keep_keys_gap_free(tmp_path: Path) -> None:
    """A report reads its key sequence and saves under the writer turn itself (no key turn of
    its own); two desks on one file stand for two gunicorn workers."""
    url = f"sqlite:///{tmp_path / 'kaizen.db'}"
    desks = [KaizenDesk(store_settings(url)) for _ in range(2)]
    keys: list[str] = []
    lock = threading.Lock()

    def report(desk: KaizenDesk) -> None:
        for _ in range(15):
            key = desk.report(ctx(REPORTER), **ISSUE).key
            with lock:
                keys.append(key)

    try:
        threads = [threading.Thread(target=report, args=(desk,)) for desk in desks for _ in range(3)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert sorted(keys, key=lambda k: int(k.split("-")[1])) == [f"KZ-{n}" for n in range(1, 91)]
    finally:
        for desk in desks:
            desk.close()


def test_a_thread_holding_the_writer_turn_can_read_while_another_waits_to_write(tmp_path: Path) -> None:
    """The library's pool serves one caller at a time: a thread waiting there for the writer
    must not stop the writer's holder from reading (it reads on the held connection)."""
    desk = KaizenDesk(store_settings(f"sqlite:///{tmp_path / 'kaizen.db'}"))
    try:
        first = desk.report(ctx(REPORTER), **ISSUE).key
        datastore = desk.recorder.datastore  # type: ignore[attr-defined]
        answers: list[str] = []
        with datastore.writing():
            waiting = threading.Thread(target=lambda: answers.append(desk.report(ctx(REPORTER), **ISSUE).key))
            waiting.start()
            time.sleep(0.3)  # the other thread is now inside the pool, waiting for the writer
            started = time.monotonic()
            assert desk.get_issue(first).title == ISSUE["title"]
            assert time.monotonic() - started < 1.0
            assert answers == []
        waiting.join(timeout=10)
        assert answers == ["KZ-2"]
    finally:
        desk.close()
