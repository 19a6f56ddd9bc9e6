"""What a view is: tables, and how one event changes their rows."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from projections.store import Sql


def event_name(event: Any) -> str:
    """`Issue.Reported` style names: the aggregate and the fact, stable across modules."""
    parts = type(event).__qualname__.split(".")
    return ".".join(parts[-2:])


def iso(value: datetime | None) -> str | None:
    """UTC, fixed width, so text comparison in SQL orders like time on both engines."""
    if value is None:
        return None
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def from_iso(value: str | None) -> datetime | None:
    if value is None:
        return None
    return datetime.fromisoformat(value)  # Python 3.11 reads the trailing Z (10x faster than strptime)


class View(ABC):
    """A read model. `apply` must be deterministic: a rebuild equals the incremental build."""

    name: str
    tables: tuple[str, ...]

    @abstractmethod
    def create(self, sql: Sql) -> None:
        """CREATE TABLE IF NOT EXISTS ... (idempotent; runs at every start)."""

    def drop(self, sql: Sql) -> None:
        for table in self.tables:
            sql.execute(f"DROP TABLE IF EXISTS {table}")

    def flush(self, sql: Sql) -> None:  # noqa: B027 - an optional hook; most views need none
        """Called once per batch, before the position is recorded in the same transaction:
        a view may defer work that only the batch's last event for a row needs."""

    def handlers(self) -> dict[str, Callable[[Sql, Any, int], None]]:
        """Event name -> handler; events without a handler only advance the position."""
        return {}

    def apply(self, sql: Sql, event: Any, position: int) -> None:
        handler = self.handlers().get(event_name(event))
        if handler is not None:
            handler(sql, event, position)
