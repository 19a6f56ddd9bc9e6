"""SQLite connections that are thrown away once the database file has refused them.

SQLite does not fail when it cannot open a database read-write (file or directory modes, a
read-only mount): it silently opens it read-only, and that connection stays read-only for
its whole life. Worse, every connection of a process to one file shares one mapping of the
WAL index (`-shm`): opened read-only once, it stays read-only, even for new connections,
until the last connection of the process to that file is closed. The library pools
connections and reuses them forever, and the event store and the views' store each have a
pool on the same file, so a server that once ran on a read-only store kept answering 503
after the files were writable again, until it was restarted (fault drill 4,
`bench/faults/readonly_sqlite.py`). A full disk or an I/O error leaves connections in a
similar doubt.

So when a statement fails with one of those errors, every pool of this process on that file
is renewed: idle connections are closed at once, connections in use are closed as they come
back instead of being pooled, and the next request opens fresh ones, read-write as soon as
the file allows. After a read-only refusal the file is also watched (`access()` before each
transaction, only while it is watched) and the pools are renewed once more the moment it is
writable, since connections opened in between are read-only too. The error itself still
propagates (the failed request gets its 503); this module only decides what happens to the
connections. Selected by `application.config` as the
library's `PERSISTENCE_MODULE`, so the event store and the views' store both use it. Its
application recorder also offers the writer turn as the store's key turn
(`application.ports.TakesKeyTurns`).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import sqlite3
import threading
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from eventsourcing.sqlite import (
    SQLiteApplicationRecorder,
    SQLiteConnection,
    SQLiteConnectionPool,
    SQLiteDatastore,
    SQLiteFactory,
)
from eventsourcing.utils import Environment, EnvType

from adapters.file_locks import flock_within
from adapters.key_allocation import shared_turns
from application.config import StoreSettings
from application.ports import SharedTurns

# Primary result codes (the low byte of the extended code) after which a connection is suspect.
SQLITE_IOERR = 10
SQLITE_READONLY = 8
SQLITE_FULL = 13
SQLITE_CANTOPEN = 14
STALE_CODES = frozenset({SQLITE_READONLY, SQLITE_IOERR, SQLITE_FULL, SQLITE_CANTOPEN})
STALE_MESSAGES = (
    "readonly database",
    "unable to open database file",
    "disk i/o error",
    "database or disk is full",
)


def _sqlite_errors(exc: BaseException) -> Iterator[sqlite3.Error]:
    """The sqlite3 errors in an exception's chain (the library wraps them in its own)."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, sqlite3.Error):
            yield current
        current = current.__cause__ or current.__context__


def _primary_code(error: sqlite3.Error) -> int | None:
    code = getattr(error, "sqlite_errorcode", None)
    return code & 0xFF if isinstance(code, int) else None


def is_stale_connection_error(exc: BaseException) -> bool:
    """True when the error (or one it was raised from) means "do not reuse this connection".

    Not "database is locked" or a constraint violation: those say nothing about the connection.
    """
    return any(
        _primary_code(error) in STALE_CODES or any(message in str(error).lower() for message in STALE_MESSAGES)
        for error in _sqlite_errors(exc)
    )


def write_refusal(exc: BaseException) -> str | None:
    """Why SQLite refused to write, in words for an operator ("read-only", "full"), if that is why."""
    for error in _sqlite_errors(exc):
        code, text = _primary_code(error), str(error).lower()
        if code == SQLITE_READONLY or "readonly database" in text:
            return "read-only"
        if code == SQLITE_FULL or "database or disk is full" in text:
            return "full"
    return None


def database_file(db_name: str) -> str | None:
    """The file a database name or `file:` URI opens (None in memory): pools that share it renew together."""
    if SQLiteConnectionPool.detect_memory_mode(db_name):
        return None
    path = db_name.removeprefix("file:").split("?", 1)[0] if db_name.startswith("file:") else db_name
    return os.path.realpath(path)


def refused_by_file(exc: BaseException) -> bool:
    """True when SQLite could not write or open the file itself (modes, a read-only mount)."""
    return any(
        _primary_code(error) in (SQLITE_READONLY, SQLITE_CANTOPEN)
        or any(message in str(error).lower() for message in ("readonly database", "unable to open database file"))
        for error in _sqlite_errors(exc)
    )


def file_writable(file: str) -> bool:
    """Whether this process may now write the database, its WAL and WAL index (creating them if
    need be): a few `access` calls, made only while the file is known to have refused us."""
    companions = [f"{file}-wal", f"{file}-shm"]
    existing = [path for path in (file, *companions) if os.path.exists(path)]
    can_create = all(os.path.exists(path) for path in companions) or os.access(os.path.dirname(file), os.W_OK)
    return can_create and all(os.access(path, os.W_OK) for path in existing)


_POOLS: weakref.WeakSet[RenewingConnectionPool] = weakref.WeakSet()
_UNWRITABLE: set[str] = set()  # files that refused a write, watched until they accept again
_POOLS_LOCK = threading.Lock()


def renew_pools(file: str | None) -> None:
    """Renew every open pool of this process on `file`: one read-only `-shm` mapping held by
    any of them would make the fresh connections of all of them read-only again."""
    with _POOLS_LOCK:
        pools = [pool for pool in _POOLS if pool.file == file and not pool.closed]
    for pool in pools:
        pool.renew()


def watch(file: str) -> None:
    with _POOLS_LOCK:
        _UNWRITABLE.add(file)


def renew_if_writable_again(file: str) -> None:
    """Once a file that refused us is writable, renew its pools before the next statement, so
    no request has to fail on a connection opened while it was read-only to find out."""
    if file not in _UNWRITABLE or not file_writable(file):
        return
    with _POOLS_LOCK:
        if file not in _UNWRITABLE:
            return  # another thread got here first
        _UNWRITABLE.discard(file)
    renew_pools(file)


class RenewingConnectionPool(SQLiteConnectionPool):
    """The library's pool, plus `renew()`: retire every connection opened until now.

    Each connection remembers the pool's generation when it was opened; `renew()` closes the
    idle ones at once and moves to a new generation, so connections in use by other threads
    are closed when they are returned rather than pooled again.
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.generation = 0
        self.renewals = 0
        self._born: weakref.WeakKeyDictionary[SQLiteConnection, int] = weakref.WeakKeyDictionary()
        self.file = database_file(self.db_name)
        with _POOLS_LOCK:
            _POOLS.add(self)

    def _create_connection(self) -> SQLiteConnection:
        conn = super()._create_connection()
        self._born[conn] = self.generation
        return conn

    def renew(self) -> None:
        with self._put_condition:
            self.generation += 1
            self.renewals += 1
            while self._pool:
                self._pool.popleft().close()

    def put_connection(self, conn: SQLiteConnection) -> None:
        """The library's return, except that a connection of an older generation is closed
        first, which makes the library drop it instead of pooling it."""
        with self._put_condition:
            if self._born.get(conn, self.generation) < self.generation:
                conn.close()
        super().put_connection(conn)


class WriterTurn:
    """One writing transaction at a time across the processes on a database file.

    The library's pool already lets one thread of a process write at a time; between
    processes (four web workers and the projection worker on one file) SQLite's own busy
    handler decides, and it sleeps in growing steps without being woken when the lock frees,
    so a few commands waited far longer than the rest. A writer now first takes an `flock` on
    `<database>.write.lock`, polled as `adapters/file_locks.py` describes. Like the key turn it
    is an optimisation, never a correctness condition: after `wait` seconds, or if the lock
    file cannot be opened (a read-only directory), the transaction goes ahead and SQLite's own
    locking still decides. Measured against plain retry-on-conflict with `bench/command_path.py`'s
    harness, and kept: docs/performance.md, "Performance devices: kept or dropped".
    """

    def __init__(self, file: str, wait: float) -> None:
        self.path = f"{file}.write.lock"
        self.wait = wait
        self._fd: int | None = None
        self._pid = 0

    def _descriptor(self) -> int | None:
        # A descriptor inherited across fork() shares its lock with the parent: reopen per process.
        if self._fd is None or self._pid != os.getpid():
            try:
                self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            except OSError:
                try:
                    self._fd = os.open(self.path, os.O_RDONLY)
                except OSError:
                    return None
            self._pid = os.getpid()
        return self._fd

    def acquire(self) -> bool:
        fd = self._descriptor()
        return fd is not None and flock_within(fd, self.wait)

    def release(self) -> None:
        if self._fd is not None and self._pid == os.getpid():
            with contextlib.suppress(OSError):
                fcntl.flock(self._fd, fcntl.LOCK_UN)

    def close(self) -> None:
        if self._fd is not None and self._pid == os.getpid():
            with contextlib.suppress(OSError):
                os.close(self._fd)
        self._fd = None


@contextmanager
def _renewed_when_stale(file: str | None) -> Iterator[None]:
    """After an error that condemns the connection, renew the file's pools (the connection in
    use is closed as it is returned), and watch a file that refused writes until it accepts
    them again. Not for an in-memory database (file None): closing its connections drops it."""
    try:
        yield
    except Exception as exc:
        if file is not None and is_stale_connection_error(exc):
            if refused_by_file(exc):
                watch(file)
            renew_pools(file)
        raise


class RenewingDatastore(SQLiteDatastore):
    """The library's datastore on a `RenewingConnectionPool`, renewed after a stale-handle error,
    whose writing transactions take turns across processes (`WriterTurn`)."""

    pool: RenewingConnectionPool

    def __init__(self, db_name: str, **kwargs: Any) -> None:
        super().__init__(db_name, **kwargs)
        library_pool = self.pool
        self.pool = RenewingConnectionPool(
            db_name=library_pool.db_name,
            lock_timeout=library_pool.lock_timeout,
            pool_size=library_pool.pool_size,
            max_overflow=library_pool.max_overflow,
            pool_timeout=library_pool.pool_timeout,
            max_age=library_pool.max_age,
            pre_ping=library_pool.pre_ping,
        )
        library_pool.close()  # never used: it has opened no connection
        file = self.pool.file
        self.writer_turn = WriterTurn(file, float(library_pool.lock_timeout or 5)) if file is not None else None
        self._held = threading.local()

    @contextmanager
    def writing(self) -> Iterator[None]:
        """Hold this process's writer connection and the writer turn across the calling thread's
        next transactions, so that a read and the write that depends on it take one turn.

        A key allocation reads its sequence and saves the next key; it used to take a turn of its
        own (an `flock` per key prefix) and then, to save, queue again for the writer turn behind
        every other command. A report held its key turn through both waits and reports queued
        on it (docs/benchmark-history.md). Every write on the file takes
        the writer turn anyway, so it serialises allocations just as well, with one queue.
        Nested use is a no-op. The holding thread reads on the held connection too: asking the
        pool for a reader while another thread waits inside the pool for the writer would wait
        for that thread, which waits for us (the library's pool serves one caller at a time)."""
        if getattr(self._held, "conn", None) is not None:
            yield
            return
        with self.get_connection(commit=True) as conn:
            self._held.conn = conn
            try:
                yield
            finally:
                self._held.conn = None

    @contextmanager
    def get_connection(self, *, commit: bool) -> Iterator[SQLiteConnection]:
        file = self.pool.file
        held = getattr(self._held, "conn", None)
        if held is not None:  # inside `writing()`: its holder gives connection and turn back
            with _renewed_when_stale(file):
                yield held
            return
        if file is not None:
            renew_if_writable_again(file)
        conn = self.pool.get_connection(is_writer=commit)
        turn = self.writer_turn if commit else None
        has_turn = turn is not None and turn.acquire()
        try:
            with _renewed_when_stale(file):
                yield conn
        finally:
            if has_turn and turn is not None:
                turn.release()
            self.pool.put_connection(conn)

    def close(self) -> None:
        turn = getattr(self, "writer_turn", None)  # close() also runs from __del__ after a failed __init__
        if turn is not None:
            turn.close()
        super().close()


class TurnTakingSQLiteRecorder(SQLiteApplicationRecorder):
    """The library's application recorder, offering its datastore's writer turn as key turn."""

    def shared_turns(self, settings: StoreSettings) -> SharedTurns | None:
        """The writer turn held from the sequence read to the save (`RenewingDatastore.writing`);
        an `flock` per prefix on a datastore without it; none for an in-memory database."""
        writing = self.datastore.writing if isinstance(self.datastore, RenewingDatastore) else None
        return shared_turns(settings, writing=writing)


class RenewingSQLiteFactory(SQLiteFactory):
    """The library's SQLite factory with a `RenewingDatastore` in place of its datastore."""

    application_recorder_class = TurnTakingSQLiteRecorder

    def __init__(self, env: Environment | EnvType | None):
        super().__init__(env)
        library_store = self.datastore
        self.datastore = RenewingDatastore(
            db_name=library_store.pool.db_name,
            lock_timeout=library_store.pool.lock_timeout,
            single_row_tracking=library_store.single_row_tracking,
            originator_id_type=library_store.originator_id_type,
        )
        library_store.close()
