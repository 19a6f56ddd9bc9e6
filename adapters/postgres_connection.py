"""A PostgreSQL connection of the process's own, outside the library's pool.

Session-level advisory locks (the projection election, key-allocation turns) and the store
probe need a connection nobody else uses: a pooled one is shared and may be recycled while
the lock is held, and a pool that waits to reconnect is what the probe exists to avoid.
"""

from __future__ import annotations

from typing import Any


def connect_postgres(environment: dict[str, str], connect_timeout: int) -> Any:
    """A psycopg connection (autocommit) to the store's database named by the library's
    `POSTGRES_*` settings (`application.config.store_settings`)."""
    import psycopg

    return psycopg.connect(
        dbname=environment["POSTGRES_DBNAME"],
        host=environment["POSTGRES_HOST"],
        port=environment["POSTGRES_PORT"],
        user=environment["POSTGRES_USER"],
        password=environment.get("POSTGRES_PASSWORD") or None,
        autocommit=True,
        connect_timeout=connect_timeout,
    )
