"""Fault drill 4, fast: an SQLite store that was read-only (or full) becomes writable again.

The real drill (`python -m bench.faults.readonly_sqlite`) needs an unprivileged server, since
root ignores file modes. The last test here does the same in a few seconds: the store is made
read-only and handed to an app running as uid 65534 (`readonly_child.py`), so SQLite itself
falls back to read-only, for the database and for the WAL index every connection of the
process shares. It is skipped where the suite cannot switch users.

The other tests run as anyone, with one thing simulated: while the switch is on, every new
connection is opened with a `mode=ro` URI, which is what SQLite does by itself when it cannot
open the file read-write (it does not reproduce the shared read-only `-shm`). The full-disk
case uses `PRAGMA max_page_count` on new connections instead. Pooling, failures, 503s and the
recovery are the real code in every test.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from werkzeug.test import TestResponse

from adapters.sqlite_store import RenewingDatastore, is_stale_connection_error
from application.config import store_settings
from application.desk import KaizenDesk
from bench.faults.common import AS_NOBODY, NOBODY, why_nobody_cannot_run
from interfaces.http.breaker import StoreBreaker
from tests.conftest import FakeClock
from tests.http.conftest import ISSUE, Api, build_app, issue_tokens

REAL_CONNECT = sqlite3.connect  # the checks below look at the file with SQLite's own connect


class Switch:
    """`sqlite3.connect` as SQLite behaves while the store is read-only (or the disk full)."""

    def __init__(self, real: Callable[..., sqlite3.Connection]) -> None:
        self.real = real
        self.read_only = False
        self.full = False

    def connect(self, database: Any, *args: Any, **kwargs: Any) -> sqlite3.Connection:
        if self.read_only and not str(database).startswith("file:"):
            database, kwargs["uri"] = f"{Path(str(database)).resolve().as_uri()}?mode=ro", True
        conn = self.real(database, *args, **kwargs)
        if self.full:  # no page beyond those the file has now
            pages = conn.execute("PRAGMA page_count").fetchone()[0]
            conn.execute(f"PRAGMA max_page_count = {pages}")
        return conn


@pytest.fixture
def switch(monkeypatch: pytest.MonkeyPatch) -> Switch:
    switch = Switch(REAL_CONNECT)
    monkeypatch.setattr(sqlite3, "connect", switch.connect)
    return switch


@pytest.fixture
def url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'kaizen.db'}"


@pytest.fixture
def apps(url: str, clock: FakeClock) -> Iterator[Callable[[bool], Api]]:
    """Builds apps on the one store (each a "server start"); closes them all at the end.

    Tokens are issued once, by the first app (issuing one is a write), and serve every app.
    """
    built: list[Flask] = []
    tokens: dict[str, str] = {}

    def start(run_projections: bool = False) -> Api:
        app = build_app(url, clock, run_projections=run_projections)
        built.append(app)
        # No pause after a failure: the test retries at once, and each retry must reach the store.
        app.extensions["kaizen"].breaker = StoreBreaker(pause_seconds=0.0)
        if not tokens:
            tokens.update(issue_tokens(app.extensions["kaizen"].desk))
        return Api(app, app.test_client(), tokens)

    try:
        yield start
    finally:
        for app in built:
            app.extensions["kaizen"].close()


def assert_store_unavailable(answer: TestResponse, why: str = "") -> None:
    assert answer.status_code == 503, answer.get_data(as_text=True)
    assert answer.mimetype == "application/problem+json"
    assert answer.headers.get("Retry-After")
    assert "Traceback" not in answer.get_data(as_text=True)
    assert why in answer.get_json()["detail"]


def report_until_accepted(api: Api, attempts: int = 5) -> tuple[str, list[int]]:
    """Report issues until one is accepted; every refusal must be a well-formed 503."""
    refused: list[int] = []
    for _ in range(attempts):
        answer = api.post("/api/v1/issues", ISSUE, as_="reporter")
        if answer.status_code == 201:
            return answer.get_json()["key"], refused
        assert_store_unavailable(answer)
        refused.append(answer.status_code)
    raise AssertionError(f"no report accepted in {attempts} attempts after the store became writable")


def integrity(url: str) -> str:
    path = url.removeprefix("sqlite:///")
    conn = REAL_CONNECT(f"file:{path}?mode=ro", uri=True)
    try:
        return str(conn.execute("PRAGMA integrity_check").fetchone()[0])
    finally:
        conn.close()


def test_the_plain_library_pool_stays_read_only_which_is_the_fault(switch: Switch, url: str) -> None:
    """The simulation reproduces drill 4's failure with the library's own datastore."""
    settings = store_settings(url)
    KaizenDesk(settings).close()  # create the tables while writable
    plain = store_settings(url)
    plain.environment["PERSISTENCE_MODULE"] = "eventsourcing.sqlite"
    switch.read_only = True
    desk = KaizenDesk(plain)
    try:
        datastore: Any = desk.factory.datastore  # type: ignore[attr-defined]  # the SQLite factory's
        with pytest.raises(Exception, match="readonly"), datastore.transaction(commit=True) as cursor:
            cursor.execute("CREATE TABLE probe (x)")
        switch.read_only = False
        with pytest.raises(Exception, match="readonly"), datastore.transaction(commit=True) as cursor:
            cursor.execute("CREATE TABLE probe (x)")  # the pooled read-only connection, again
    finally:
        desk.close()


def test_commands_succeed_again_once_a_read_only_store_is_writable(
    switch: Switch, apps: Callable[..., Api], url: str
) -> None:
    before = apps().report()

    switch.read_only = True
    api = apps()  # the server restarted on the read-only files
    assert isinstance(api.desk.factory.datastore, RenewingDatastore)  # type: ignore[attr-defined]
    for _ in range(3):
        assert_store_unavailable(api.post("/api/v1/issues", ISSUE, as_="reporter"), "read-only")
    assert api.get(f"/api/v1/issues/{before}").status_code == 200  # reads still answer
    assert integrity(url) == "ok"

    switch.read_only = False  # the files are writable again; nothing is restarted
    key, refused = report_until_accepted(api)
    assert len(refused) <= 1  # at most one request still meets a connection opened read-only
    assert api.get(f"/api/v1/issues/{key}").status_code == 200
    assert api.post("/api/v1/issues", ISSUE, as_="reporter").status_code == 201
    assert integrity(url) == "ok"


def test_views_catch_up_once_a_read_only_store_is_writable(switch: Switch, apps: Callable[..., Api]) -> None:
    first = apps(run_projections=True)
    first.report()
    read = first.app.extensions["kaizen"].read
    assert read.wait_for(first.desk.recorder.max_notification_id(), timeout=10)
    # Stopped before the next write: a runner still polling would project it, and the views
    # would not fall behind as this test needs.
    first.app.extensions["kaizen"].close()
    writer = apps()  # a process without projections keeps writing: the views fall behind
    writer.report()
    head = writer.desk.recorder.max_notification_id()

    switch.read_only = True
    api = apps(run_projections=True)  # restarted on the read-only files: the runner cannot write
    read = api.app.extensions["kaizen"].read
    time.sleep(1.5)
    assert min(read.positions().values()) < head
    assert api.get("/readyz").status_code in (200, 503)

    switch.read_only = False
    # The library's pool gets there only by chance, once enough read-only connections have
    # overflowed the pool (about 11 s here); renewed connections take one runner retry (1 s).
    assert read.wait_for(head, timeout=6), read.lag(head)
    assert api.get("/readyz").status_code == 200


def test_a_full_disk_is_a_503_and_writes_resume_when_space_is_free(
    switch: Switch, apps: Callable[..., Api], url: str
) -> None:
    apps().report()
    switch.full = True
    api = apps()  # connections that may not grow the file by a single page
    answers = [api.post("/api/v1/issues", ISSUE, as_="reporter") for _ in range(40)]
    refused = [a for a in answers if a.status_code != 201]
    assert refused, "the store never filled up; the simulation did not bite"
    for answer in refused:
        assert_store_unavailable(answer, "disk is full")
    accepted = {a.get_json()["key"] for a in answers if a.status_code == 201}
    assert integrity(url) == "ok"

    switch.full = False  # space freed
    key, _ = report_until_accepted(api)
    for stored in [*accepted, key]:
        assert api.get(f"/api/v1/issues/{stored}").status_code == 200
    assert integrity(url) == "ok"


def test_only_errors_about_the_file_retire_connections() -> None:
    def wrapped(message: str, code: int) -> Exception:
        cause = sqlite3.OperationalError(message)
        cause.sqlite_errorcode = code
        try:
            raise RuntimeError("wrapped") from cause
        except RuntimeError as exc:
            return exc

    assert is_stale_connection_error(wrapped("attempt to write a readonly database", 8))
    assert is_stale_connection_error(wrapped("database or disk is full", 13))
    assert is_stale_connection_error(wrapped("disk I/O error", 10 | (3 << 8)))
    assert is_stale_connection_error(wrapped("unable to open database file", 14))
    assert not is_stale_connection_error(wrapped("database is locked", 5))
    assert not is_stale_connection_error(sqlite3.IntegrityError("UNIQUE constraint failed"))
    assert not is_stale_connection_error(ValueError("attempt"))


ROOT = Path(__file__).resolve().parents[2]


def set_read_only(db: Path, read_only: bool) -> None:
    """What drill 4 does: files 0444 and directory 0555, or back to 0644 / 0755."""
    for file in (db, Path(f"{db}-wal"), Path(f"{db}-shm")):
        if file.exists():
            os.chmod(file, 0o444 if read_only else 0o644)
    os.chmod(db.parent, 0o555 if read_only else 0o755)


def result_line(child: subprocess.Popen[str], log: Path) -> dict[str, Any]:
    assert child.stdout is not None
    for line in child.stdout:
        if line.startswith("RESULT "):
            found: dict[str, Any] = json.loads(line.removeprefix("RESULT "))
            return found
    child.wait(timeout=10)
    raise AssertionError(f"the unprivileged server gave no result:\n{log.read_text()[-3000:]}")


def nobody_can_run_the_project() -> bool:
    """uid 65534 can import the project from this checkout (not so under a 0700 directory,
    as a fresh clone in a private temporary directory is)."""
    return why_nobody_cannot_run("tests.faults.readonly_child") is None


@pytest.mark.skipif(
    not nobody_can_run_the_project(),
    reason="needs root and setpriv (to hand the store to uid 65534), and a checkout uid 65534 can read",
)
def test_a_server_started_on_read_only_files_writes_again_once_they_are_writable() -> None:
    """The real thing, as in the drill: the server runs as uid 65534, for whom the modes count.

    Here SQLite itself falls back to read-only, for the database and for the WAL index (`-shm`),
    which every connection of a process to the file shares: the event store's pool and the
    views' pool must both let go of it.
    """
    base = Path(tempfile.mkdtemp(prefix="kaizen-ro-", dir="/tmp"))
    os.chmod(base, 0o755)
    db = base / "store" / "kaizen.db"
    db.parent.mkdir()
    url = f"sqlite:///{db}"
    holder: sqlite3.Connection | None = None
    child: subprocess.Popen[str] | None = None
    try:
        app = build_app(url, FakeClock(), run_projections=True)
        try:
            api = Api(app, app.test_client(), issue_tokens(app.extensions["kaizen"].desk))
            known = api.report()
            assert app.extensions["kaizen"].read.wait_for(api.desk.recorder.max_notification_id(), timeout=10)
        finally:
            app.extensions["kaizen"].close()
        # Keep `-wal` and `-shm` in place, as a server that did not shut down cleanly leaves them.
        holder = REAL_CONNECT(str(db))
        holder.execute("SELECT count(*) FROM stored_events").fetchone()
        for path in [db.parent, *db.parent.iterdir()]:
            os.chown(path, NOBODY, NOBODY)
        set_read_only(db, True)

        log = base / "child.log"
        with log.open("w") as sink:
            child = subprocess.Popen(
                [*AS_NOBODY, sys.executable, "-m", "tests.faults.readonly_child", url, known],
                cwd=ROOT,
                env={
                    **os.environ,
                    "PYTHONPATH": str(ROOT),
                    "PYTHONDONTWRITEBYTECODE": "1",
                    "HOME": str(base),
                    "KZ_TOKENS": json.dumps(api.tokens),
                },
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=sink,
                text=True,
            )
        read_only = result_line(child, log)
        status, headers = read_only["command"]
        assert status == 503 and "read-only" in headers["detail"] and headers.get("Retry-After"), read_only
        assert read_only["read"][0] in (200, 503), read_only

        set_read_only(db, False)  # nothing is restarted
        assert child.stdin is not None
        child.stdin.write("go\n")
        child.stdin.flush()
        writable = result_line(child, log)
        assert writable["attempts"][-1] == 201, writable
        assert set(writable["attempts"][:-1]) <= {503}, writable
        assert len(writable["attempts"]) <= 3, writable  # at most two requests meet a stale handle
        assert writable["views_caught_up"], (writable, log.read_text()[-4000:])
        assert child.wait(timeout=20) == 0, log.read_text()[-3000:]
        assert integrity(url) == "ok"
    finally:
        if child is not None and child.poll() is None:
            child.kill()
            child.wait(timeout=10)
        with contextlib.suppress(OSError):
            set_read_only(db, False)
        if holder is not None:
            holder.close()
        shutil.rmtree(base, ignore_errors=True)
