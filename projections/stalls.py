"""Views that fail on an event: which event, what error, since when, readable by every process.

A view that raises on an event cannot move past it, and before this table the only sign was
a log line in whichever process ran the projections (the projection process, `kaizen worker`,
another host): `/readyz` compared lag with a threshold and stayed ready while nothing moved.
The runner writes a row here, in a transaction of its own (the view's own transaction has just
rolled back), when a view starts failing on an event or its error changes; the web workers read
it beside the views' positions. A row whose position the view has passed is void, whoever was
meant to delete it: the runner deletes it in the transaction that gets the view past the event,
and readers compare positions anyway, so a runner that dies between the two leaves nothing stale.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from application.config import number_from_env
from projections.store import Sql, ViewStore

STALL_ENV = "KAIZEN_VIEW_STALL_SECONDS"
STALL_SECONDS = 30.0
"""How long a view may fail on one event before `/readyz` says the process is not ready: long
enough to ride out a deploy that briefly runs old code beside new or a row being repaired,
short enough that a load balancer and an operator hear of a view that will not move by itself."""
MAX_STALL_SECONDS = 86_400.0
ERROR_LENGTH = 300  # an error's text as shown to operators: the first line, this long at most
TABLE = "view_failures"


def stall_seconds(env: Mapping[str, str] | None = None) -> float:
    """`KAIZEN_VIEW_STALL_SECONDS` read now (0 to 86,400); a bad value raises ConfigurationError."""
    return number_from_env(STALL_ENV, STALL_SECONDS, MAX_STALL_SECONDS, "seconds", "30", env)


def describe(error: BaseException) -> str:
    """`Class: first line of the message`, bounded: what `/readyz` and the CLI show, never a stack."""
    lines = str(error).strip().splitlines()
    text = f"{type(error).__name__}: {lines[0].strip()}" if lines else type(error).__name__
    return text if len(text) <= ERROR_LENGTH else text[: ERROR_LENGTH - 1] + "…"


@dataclass(frozen=True)
class ViewFailure:
    """`view` fails on the event at `position` (its position is the one before) since `since`."""

    view: str
    position: int
    error: str
    since: datetime

    def seconds(self, now: datetime | None = None) -> float:
        return max(0.0, ((now or datetime.now(UTC)) - self.since).total_seconds())

    def stalled(self, threshold: float, now: datetime | None = None) -> bool:
        return self.seconds(now) > threshold

    def as_dict(self, now: datetime | None = None) -> dict[str, Any]:
        return {
            "view": self.view,
            "position": self.position,
            "error": self.error,
            "since": self.since.isoformat().replace("+00:00", "Z"),
            "seconds": round(self.seconds(now), 1),
        }


def create_table(sql: Sql) -> None:
    sql.execute(
        f"CREATE TABLE IF NOT EXISTS {TABLE} "
        "(view TEXT PRIMARY KEY, position BIGINT NOT NULL, error TEXT NOT NULL, since TEXT NOT NULL)"
    )


def record(store: ViewStore, failure: ViewFailure) -> None:
    """Write (or overwrite) the view's row in a transaction of its own."""
    with store.transaction() as sql:
        sql.execute(
            f"INSERT INTO {TABLE} (view, position, error, since) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (view) DO UPDATE SET position = excluded.position, error = excluded.error, "
            "since = excluded.since",
            (failure.view, failure.position, failure.error, failure.since.isoformat()),
        )


def clear(sql: Sql, view: str) -> None:
    """Forget the view's failure, inside the transaction that moves it past the event."""
    sql.execute(f"DELETE FROM {TABLE} WHERE view = ?", (view,))


def current(store: ViewStore, positions: Mapping[str, int]) -> list[ViewFailure]:
    """The failures of the named views that still hold them back (the view has not passed the
    event), ordered by view name."""
    with store.transaction(commit=False) as sql:
        rows = sql.execute(f"SELECT view, position, error, since FROM {TABLE} ORDER BY view").fetchall()
    return [
        ViewFailure(row["view"], int(row["position"]), str(row["error"]), datetime.fromisoformat(row["since"]))
        for row in rows
        if row["view"] in positions and int(row["position"]) > positions[row["view"]]
    ]
