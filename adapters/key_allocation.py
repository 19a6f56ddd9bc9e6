"""The store's part of a key-allocation turn (`application.ports.SharedTurns`), per engine.

A turn shared by every process on the store: a PostgreSQL advisory lock on a connection kept
for it (taken and read from in one call when the recorder offers `KeyTurnQuery`); on SQLite
the writer turn itself, held from the sequence read to the save, since the file has one
writer at a time anyway; an `flock` per prefix beside the database only for a datastore
without that turn. Why turns exist, and why their wait is bounded, is told in
`application/allocation_turns.py`.
"""

from __future__ import annotations

import contextlib
import fcntl
import math
import threading
import zlib
from collections.abc import Callable
from typing import IO, Any

from eventsourcing.persistence import StoredEvent

from adapters.file_locks import flock_within
from adapters.postgres_connection import connect_postgres
from application.config import StoreSettings
from application.ports import SharedTurns, Since

ADVISORY_NAMESPACE = 0x4B5A  # "KZ": the first key of PostgreSQL's two-key advisory locks


class PostgresTurns:
    """`pg_advisory_lock` on one connection per prefix; a session that dies releases its lock."""

    def __init__(self, environment: dict[str, str], key_turn_call: Any = None) -> None:
        self.environment = environment
        self.key_turn_call = key_turn_call  # `KeyTurnQuery.call_statement`: lock and read at once
        self._connections: dict[str, Any] = {}
        self._lock_timeouts: dict[str, int] = {}

    def _connection(self, prefix: str) -> Any:
        conn = self._connections.get(prefix)
        if conn is None or conn.closed:
            conn = connect_postgres(self.environment, connect_timeout=2)
            self._connections[prefix] = conn
        return conn

    def acquire(self, prefix: str, wait: float, since: Since | None = None) -> bool | list[StoredEvent]:
        """True, or with `since` the sequence's events after it; False when waited out."""
        key = zlib.crc32(prefix.encode()) & 0x7FFFFFFF
        try:
            conn = self._connection(prefix)
            # The bound is rounded up to 100 ms and set only when it changes: one round trip
            # less per allocation, since the wait left is nearly always the whole bound.
            timeout_ms = max(1, math.ceil(wait * 10)) * 100
            if self._lock_timeouts.get(prefix) != timeout_ms:
                conn.execute(f"SET lock_timeout = '{timeout_ms}ms'")
                self._lock_timeouts[prefix] = timeout_ms
            if since is not None and self.key_turn_call is not None:
                rows = conn.execute(
                    self.key_turn_call, (ADVISORY_NAMESPACE, key, since.sequence_id, since.version)
                ).fetchall()
                return [StoredEvent(since.sequence_id, row[0], row[1], bytes(row[2])) for row in rows]
            conn.execute("SELECT pg_advisory_lock(%s, %s)", (ADVISORY_NAMESPACE, key))
            return True
        except Exception:  # lock_timeout, or the store is away: go ahead without the turn
            self._drop(prefix)
            return False

    def release(self, prefix: str) -> None:
        key = zlib.crc32(prefix.encode()) & 0x7FFFFFFF
        try:
            self._connections[prefix].execute("SELECT pg_advisory_unlock(%s, %s)", (ADVISORY_NAMESPACE, key))
        except Exception:  # closing the session releases the lock too
            self._drop(prefix)

    def _drop(self, prefix: str) -> None:
        conn = self._connections.pop(prefix, None)
        self._lock_timeouts.pop(prefix, None)
        if conn is not None:
            with contextlib.suppress(Exception):
                conn.close()

    def close(self) -> None:
        for prefix in list(self._connections):
            self._drop(prefix)


class FileTurns:
    """`flock` on `<database>.keys-<PREFIX>.lock`; the kernel releases it if the process dies."""

    def __init__(self, database_path: str) -> None:
        self.database_path = database_path
        self._files: dict[str, IO[str]] = {}

    def acquire(self, prefix: str, wait: float, since: Since | None = None) -> bool:
        try:
            handle = self._files.get(prefix)
            if handle is None:
                handle = open(f"{self.database_path}.keys-{prefix}.lock", "a+")  # noqa: SIM115 - kept open
                self._files[prefix] = handle
        except OSError:  # a read-only directory: the store will refuse the write anyway
            return False
        return flock_within(handle.fileno(), wait)

    def release(self, prefix: str) -> None:
        with contextlib.suppress(OSError, KeyError):
            fcntl.flock(self._files[prefix].fileno(), fcntl.LOCK_UN)

    def close(self) -> None:
        files, self._files = self._files, {}
        for handle in files.values():
            with contextlib.suppress(OSError):
                handle.close()


class WritingTurns:
    """On SQLite, a key turn is the writer turn itself, held from the sequence read to the save
    (`RenewingDatastore.writing`): the file has one writer at a time anyway."""

    def __init__(self, writing: Callable[[], contextlib.AbstractContextManager[None]]) -> None:
        self._writing = writing
        self._held = threading.local()

    def acquire(self, prefix: str, wait: float, since: Since | None = None) -> bool:
        stack = contextlib.ExitStack()
        try:
            stack.enter_context(self._writing())
        except Exception:  # the pool or the store is away: go ahead without the turn
            stack.close()
            return False
        self._held.stack = stack
        return True

    def release(self, prefix: str) -> None:
        stack = getattr(self._held, "stack", None)
        self._held.stack = None
        if stack is not None:
            stack.close()

    def close(self) -> None:
        """Nothing of its own to close: the datastore owns the connection and the lock file."""


def shared_turns(
    settings: StoreSettings, key_turn_call: Any = None, writing: Callable[[], Any] | None = None
) -> SharedTurns | None:
    """The cross-process part for this store; none for an in-memory SQLite database."""
    env = settings.environment
    if settings.engine == "postgres":
        return PostgresTurns(env, key_turn_call)
    path = env.get("SQLITE_DBNAME", "")
    if not path or ":memory:" in path or "mode=memory" in path:
        return None
    if writing is not None:
        return WritingTurns(writing)
    return FileTurns(path)
