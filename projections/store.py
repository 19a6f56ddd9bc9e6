"""The engine-specific part of the read side: connections, transactions, tracking, placeholders.

Views write one dialect of SQL (`?` placeholders, `INSERT ... ON CONFLICT`) that runs on both
SQLite and PostgreSQL; this module is the only place that knows which engine is underneath.
Tracking positions are recorded with the eventsourcing library's tracking recorders, inside the
view's own transaction, which is what makes "exactly once" hold.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from functools import lru_cache
from itertools import chain
from typing import Any

from eventsourcing.persistence import InfrastructureFactory, Tracking, TrackingRecorder
from eventsourcing.utils import Environment

from application.config import StoreSettings
from application.schema import racing_schema_setup

PLACEHOLDER = re.compile(r"\?")
# `INSERT INTO t (a, b) VALUES (?, ?)`, optionally `ON CONFLICT (...) DO NOTHING`: the
# statements a batch writes many rows with, which PostgreSQL can take as one COPY.
PLAIN_INSERT = re.compile(
    r"INSERT INTO (\w+) \(([\w, ]+)\) VALUES \(([?, ]+)\)(?: ON CONFLICT \([\w, ]+\) DO NOTHING)?"
)
# Below this many rows a COPY (with its savepoint) costs more round trips than it saves.
COPY_MIN_ROWS = 16
# Values whose COPY text is exactly what binding them as parameters stores; anything else
# (a bool, a datetime, an Enum, a float) takes the executemany path.
COPYABLE = frozenset({str, int, type(None)})


@lru_cache(maxsize=1024)
def _postgres(statement: str) -> str:
    """The views' `?` placeholders as psycopg's `%s` (cached: a catch-up runs a few dozen
    distinct statements hundreds of thousands of times)."""
    return PLACEHOLDER.sub("%s", statement.replace("%", "%%"))


@lru_cache(maxsize=256)
def _copy_of(statement: str) -> str | None:
    """`COPY t (columns) FROM STDIN` for a plain multi-row INSERT, else None (cached)."""
    match = PLAIN_INSERT.fullmatch(statement)
    if match is None:
        return None
    table, columns, marks = match.groups()
    if marks.count("?") != len(columns.split(",")):
        return None
    return f"COPY {table} ({columns}) FROM STDIN"


class Sql:
    """A cursor that speaks the views' dialect on either engine and returns rows as dicts."""

    def __init__(self, cursor: Any, engine: str) -> None:
        self.cursor = cursor
        self.engine = engine

    def execute(self, statement: str, params: Sequence[Any] = ()) -> Sql:
        if self.engine == "postgres":
            statement = _postgres(statement)
        self.cursor.execute(statement, tuple(params))
        return self

    def executemany(self, statement: str, rows: Sequence[Sequence[Any]]) -> None:
        """One call for many rows: psycopg pipelines them (one round trip, not one per row).

        On PostgreSQL a plain INSERT of many rows goes as one COPY instead: the server
        executed a pipelined INSERT once per row, which was the largest wait of a catch-up;
        COPY writes the same rows several times sooner (bench/read_side.py). COPY knows no ON CONFLICT, so it
        runs in a savepoint, and if it fails at all (a conflicting row, a value the column
        refuses) the savepoint is rolled back and the rows go through executemany as before,
        which keeps `DO NOTHING` (first row wins) and every error exactly as they were."""
        if not rows:
            return
        if self.engine == "postgres":
            if len(rows) >= COPY_MIN_ROWS and self._copy(statement, rows):
                return
            statement = _postgres(statement)
        self.cursor.executemany(statement, [tuple(row) for row in rows])

    def _copy(self, statement: str, rows: Sequence[Sequence[Any]]) -> bool:
        """Write `rows` with COPY if `statement` is a plain INSERT; True when written."""
        copy = _copy_of(statement)
        if copy is None or not set(map(type, chain.from_iterable(rows))) <= COPYABLE:
            return False
        import psycopg  # here, not at the top: an SQLite process need not load it (~10 MiB)

        # The savepoint is not released: the transaction's commit releases it, and a RELEASE
        # was one more round trip per statement (a batch's few savepoints cost nothing else).
        self.cursor.execute("SAVEPOINT kaizen_copy")
        try:
            with self.cursor.copy(copy) as sink:
                for row in rows:
                    sink.write_row(row)
        except psycopg.Error:
            self.cursor.execute("ROLLBACK TO SAVEPOINT kaizen_copy")
            return False
        return True

    def rowcount(self) -> int:
        """Rows changed by the last statement (the library wraps SQLite's cursor)."""
        return int(getattr(self.cursor, "sqlite_cursor", self.cursor).rowcount)

    def fetchall(self) -> list[dict[str, Any]]:
        return [dict(row) for row in self.cursor.fetchall()]

    def fetchone(self) -> dict[str, Any] | None:
        row = self.cursor.fetchone()
        return dict(row) if row is not None else None

    def scalar(self) -> Any:
        row = self.cursor.fetchone()
        if row is None:
            return None
        return next(iter(dict(row).values()))


class ViewStore:
    """Connections to the views' database (the same database as the event store)."""

    def __init__(self, settings: StoreSettings) -> None:
        self.settings = settings
        self.engine = settings.engine
        env = dict(settings.environment)  # the same pool sizes as the desk's (application/config.py)
        self.factory = InfrastructureFactory.construct(Environment("views", env))
        self.tracking: TrackingRecorder = racing_schema_setup(self.factory.tracking_recorder)
        self.tracking_table = getattr(self.tracking, "tracking_table_name", "tracking")

    @contextmanager
    def transaction(self, commit: bool = True) -> Iterator[Sql]:
        datastore: Any = self.tracking.datastore  # type: ignore[attr-defined]
        with datastore.transaction(commit=commit) as cursor:
            yield Sql(cursor, self.engine)

    def position(self, view: str) -> int:
        return self.tracking.max_tracking_id(view) or 0

    def positions(self, views: Sequence[str]) -> dict[str, int]:
        """Every named view's position in one query (one per view was seven round trips, each
        time the runner woke or a reader waited for its write); a view never applied is at 0."""
        statement = (
            f"SELECT application_name, MAX(notification_id) AS position FROM {self.tracking_table} "
            "GROUP BY application_name"
        )
        datastore: Any = self.tracking.datastore  # type: ignore[attr-defined]
        if self.engine == "postgres":  # autocommit: one round trip, no BEGIN/ROLLBACK around it
            with datastore.get_connection() as conn, conn.cursor() as cursor:
                rows = Sql(cursor, self.engine).execute(statement).fetchall()
        else:
            with datastore.transaction(commit=False) as cursor:
                rows = Sql(cursor, self.engine).execute(statement).fetchall()
        found = {row["application_name"]: int(row["position"] or 0) for row in rows}
        return {name: found.get(name, 0) for name in views}

    def record(self, sql: Sql, view: str, position: int) -> None:
        """Advance the view's position in the same transaction as its rows (raises on replay)."""
        self.tracking._insert_tracking(sql.cursor, Tracking(view, position))  # type: ignore[attr-defined]

    def forget(self, sql: Sql, view: str) -> None:
        """Reset a view's position, for rebuilds (inside the transaction that drops its rows)."""
        sql.execute(f"DELETE FROM {self.tracking_table} WHERE application_name = ?", (view,))

    def analyze(self, tables: Sequence[str]) -> None:
        """Refresh PostgreSQL's planner statistics of `tables` after they were filled in bulk.

        Until autovacuum gets to a table rebuilt from empty, the planner believes it still holds
        the few rows it had: at 100k issues it then scanned every running clock for the queue's
        first page (177 ms) instead of walking the due-time index (4 ms). SQLite keeps no
        statistics unless asked, and its plans here are fixed by the queries, so it is left be."""
        if self.engine != "postgres" or not tables:
            return
        with self.transaction() as sql:
            for table in tables:
                sql.execute(f"ANALYZE {table}")

    def close(self) -> None:
        closer = getattr(self.factory, "close", None)
        if callable(closer):
            closer()
