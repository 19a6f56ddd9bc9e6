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

from application.config import store_settings
from application.desk import KaizenDesk
from application.sqlite_store import WriterTurn
from tests.conftest import REPORTER, ctx

ISSUE = dict(title="Posting fails", description="d", module="finance", impact_scope="team", urgency="blocking")


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
