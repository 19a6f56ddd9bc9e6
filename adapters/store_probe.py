"""Is the store there at all? Asked on a connection of its own, with a short timeout.

The library's pool would answer the same question only after its own timeout, and a pool
waiting to reconnect is exactly what the caller (the HTTP breaker) wants to avoid.
"""

from __future__ import annotations

import contextlib

from adapters.postgres_connection import connect_postgres
from application.config import StoreSettings

PROBE_TIMEOUT_SECONDS = 1


def store_reachable(settings: StoreSettings) -> bool:
    """True when a new connection to the store's database succeeds (SQLite: always; its
    failures, a read-only or full disk, show on the write itself and cost no wait)."""
    if settings.engine != "postgres":
        return True
    try:
        conn = connect_postgres(settings.environment, connect_timeout=PROBE_TIMEOUT_SECONDS)
    except Exception:  # refused, timed out, database not accepting connections: not back yet
        return False
    with contextlib.suppress(Exception):
        conn.close()
    return True
