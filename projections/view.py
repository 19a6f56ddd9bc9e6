"""What a view is: tables, and how one event changes their rows.

The text caches of `iso()` and `originator()` were re-measured against plain formatting on a
catch-up (`bench/read_side.py`) and kept: docs/performance.md, "Performance devices: kept or
dropped".
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from domain.base import event_name
from projections.store import Sql

_ISO: dict[datetime, str] = {}  # UTC instant -> its text; an event's times are spelled by several views
_ISO_LIMIT = 1 << 15


_IDS: dict[Any, str] = {}  # aggregate UUID -> its text
_IDS_LIMIT = 1 << 13


def originator(event: Any) -> str:
    """`str(event.originator_id)`, kept for the next view: every view keys rows by it, and
    formatting the UUID again for each is a measurable part of a catch-up (bench/read_side.py)."""
    uid = event.originator_id
    text = _IDS.get(uid)
    if text is None:
        if len(_IDS) >= _IDS_LIMIT:
            _IDS.clear()
        text = _IDS[uid] = str(uid)
    return text


def created_in(events: Sequence[Any]) -> set[str]:
    """Ids of the aggregates whose first event is among `events`: a view that keys rows by
    the aggregate's own id holds none for them before this batch, so need not read them."""
    return {originator(e) for e in events if e.originator_version == 1}


def iso(value: datetime | None) -> str | None:
    """UTC, fixed width, so text comparison in SQL orders like time on both engines.

    A catch-up spells several times per event, the same instant in several views (the issue
    list, the health view, an SLA fact and the clock it starts), and `strftime` showed in its
    profile. Spelled with `%` formatting (the same text, cheaper) and kept for the
    next view: the key is the UTC instant, so equal keys mean equal text. Before year 1000
    `strftime` does not pad the year, and stays the spelling there."""
    if value is None:
        return None
    if value.tzinfo is not UTC:
        value = value.astimezone(UTC)
    text = _ISO.get(value)
    if text is None:
        if value.year < 1000:
            text = value.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        else:
            text = "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ" % (  # noqa: UP031 - faster than an f-string here
                value.year,
                value.month,
                value.day,
                value.hour,
                value.minute,
                value.second,
                value.microsecond,
            )
        if len(_ISO) >= _ISO_LIMIT:
            _ISO.clear()
        _ISO[value] = text
    return text


def from_iso(value: str | None) -> datetime | None:
    if value is None:
        return None
    return datetime.fromisoformat(value)  # Python 3.11 reads the trailing Z (and far sooner than strptime)


class View(ABC):
    """A read model. `apply` must be deterministic: a rebuild equals the incremental build."""

    name: str
    tables: tuple[str, ...]
    schema_version = 1  # raise when the tables change shape: stores built before are rebuilt

    @abstractmethod
    def create(self, sql: Sql) -> None:
        """CREATE TABLE IF NOT EXISTS ... (idempotent; runs at every start)."""

    def create_indexes(self, sql: Sql) -> None:  # noqa: B027 - an optional hook
        """Indexes only queries need (idempotent). A rebuild creates them after replaying the
        log: building an index once is much cheaper than keeping it sorted row by row."""

    def drop(self, sql: Sql) -> None:
        for table in self.tables:
            sql.execute(f"DROP TABLE IF EXISTS {table}")

    def begin(self, sql: Sql, events: Sequence[Any]) -> None:  # noqa: B027 - an optional hook, like `flush`
        """Called first in each batch's transaction, with the batch's events: a view may read
        ahead what they need in a few statements; and forget what a failed batch left."""

    def flush(self, sql: Sql) -> None:  # noqa: B027 - an optional hook; most views need none
        """Called once per batch, before the position is recorded in the same transaction:
        a view may defer work that only the batch's last event for a row needs."""

    def handlers(self) -> dict[str, Callable[[Sql, Any, int], None]]:
        """Event name -> handler; events without a handler only advance the position."""
        return {}

    def apply(self, sql: Sql, event: Any, position: int) -> None:
        table = self.__dict__.get("_handler_table")
        if table is None:  # built once per view, not for every event of a catch-up
            table = self.__dict__["_handler_table"] = self.handlers()
        handler = table.get(event_name(event))
        if handler is not None:
            handler(sql, event, position)


class Inserts:
    """Rows a batch inserts into tables it does not read back before `flush`, kept per statement
    and written with one `executemany` each: one statement per row was, on PostgreSQL, one
    round trip and most of a simple view's catch-up time. Rows keep their order, so
    `ON CONFLICT DO NOTHING` keeps the first as before."""

    def __init__(self) -> None:
        self.rows: dict[str, list[Sequence[Any]]] = {}

    def add(self, statement: str, params: Sequence[Any]) -> None:
        self.rows.setdefault(statement, []).append(params)

    def write(self, sql: Sql) -> None:
        rows, self.rows = self.rows, {}
        for statement, params in rows.items():
            sql.executemany(statement, params)
