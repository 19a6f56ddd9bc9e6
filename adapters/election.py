"""One active projection runner per database: the others stand by and take over.

PostgreSQL: a session-level advisory lock held on a dedicated connection; if the holder dies,
its connection closes and the lock is free for a standby. SQLite: an exclusive `flock` on a
file beside the database, released by the kernel when the holder dies.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import zlib
from typing import Any

from adapters.postgres_connection import connect_postgres
from application.config import StoreSettings

LOCK_NAME = "kaizen-projections"
log = logging.getLogger("kaizen.projections")


class Election:
    def __init__(self, settings: StoreSettings, name: str = LOCK_NAME) -> None:
        self.settings = settings
        self.name = name
        self._held: Any = None
        self._candidate: Any = None  # PostgreSQL: the standby's connection for asking

    @property
    def is_leader(self) -> bool:
        return self._held is not None

    def try_acquire(self) -> bool:
        if self._held is not None:
            return True
        if self.settings.engine == "postgres":
            self._held = self._try_postgres()
        else:
            self._held = self._try_file()
        if self._held is not None:
            log.info("projection leader elected: process %d", os.getpid())
        return self._held is not None

    def _try_postgres(self) -> Any:
        """Ask on one connection kept for the purpose: a standby asks every half second, and a
        new connection each time (a PostgreSQL backend forked per ask) cost more than the ask."""
        if self._candidate is None or self._candidate.closed:
            self._candidate = connect_postgres(self.settings.environment, connect_timeout=5)
        conn = self._candidate
        try:
            row = conn.execute("SELECT pg_try_advisory_lock(%s)", (self._key(),)).fetchone()
        except Exception:
            self._candidate = None
            with contextlib.suppress(Exception):
                conn.close()
            raise
        if row and row[0]:
            self._candidate = None  # it holds the lock now
            return conn
        return None

    def _try_file(self) -> Any:
        path = self.settings.environment["SQLITE_DBNAME"] + ".projections.lock"
        handle = open(path, "a+")  # noqa: SIM115 - held open for the lock's lifetime
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            return None
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        return handle

    def still_held(self) -> bool:
        """False when the PostgreSQL connection holding the lock has died."""
        if self._held is None:
            return False
        if self.settings.engine != "postgres":
            return True
        try:
            self._held.execute("SELECT 1")
            return True
        except Exception:
            self.release()
            return False

    def release(self) -> None:
        candidate, self._candidate = self._candidate, None
        if candidate is not None:
            with contextlib.suppress(Exception):
                candidate.close()
        held, self._held = self._held, None
        if held is None:
            return
        if self.settings.engine == "postgres":
            # Unlock before closing: closing only asks the backend to exit, and the lock stays
            # held until it has; a standby asking at once (a handover, a test) found it taken.
            with contextlib.suppress(Exception):
                held.execute("SELECT pg_advisory_unlock(%s)", (self._key(),))
        with contextlib.suppress(Exception):
            held.close()

    def _key(self) -> int:
        return zlib.crc32(self.name.encode()) & 0x7FFFFFFF
