"""Delivery state on the outbox rows: claiming due deliveries, recording attempts, the delivery log.

Claims are leases (`lease_until`) taken with a conditional UPDATE, so even if two workers
overlap (a leader that lost its lock without knowing it yet), one delivery is attempted by one
worker at a time. Only the elected worker delivers in normal operation.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from projections.outbox import ATTEMPTS, OUTBOX, SUBSCRIPTIONS
from projections.store import Sql, ViewStore
from projections.view import from_iso, iso

COLUMNS = (
    "delivery_id",
    "subscription_id",
    "position",
    "event_type",
    "state",
    "attempts",
    "next_attempt_at",
    "last_status",
    "last_error",
    "delivered_at",
    "created_at",
    "updated_at",
)
TIME_COLUMNS = ("next_attempt_at", "delivered_at", "created_at", "updated_at")


@dataclass(frozen=True)
class Claimed:
    """A delivery this worker holds the lease on."""

    delivery_id: str
    subscription_id: str
    position: int
    event_type: str
    notice: dict[str, Any]
    attempts: int


def _rowcount(sql: Sql) -> int:
    """Rows the last statement changed (the library wraps SQLite's cursor; psycopg's is bare)."""
    return int(getattr(sql.cursor, "sqlite_cursor", sql.cursor).rowcount)


def wants_sla_alerts(store: ViewStore) -> bool:
    """Whether any live subscription takes sla.* events (no listener: no alert events)."""
    with store.transaction(commit=False) as sql:
        rows = sql.execute(f"SELECT event_types FROM {SUBSCRIPTIONS} WHERE revoked_position IS NULL").fetchall()
    return any(t.startswith("sla.") for row in rows for t in json.loads(row["event_types"]))


def claim_due(store: ViewStore, now: datetime, lease: timedelta, limit: int = 20) -> list[Claimed]:
    """Take the lease on up to `limit` pending deliveries whose next attempt is due."""
    stamp = iso(now)
    with store.transaction(commit=False) as sql:
        candidates = sql.execute(
            f"SELECT subscription_id, position FROM {OUTBOX} WHERE state = 'pending' AND next_attempt_at <= ?"
            " AND (lease_until IS NULL OR lease_until < ?) ORDER BY next_attempt_at, position LIMIT ?",
            (stamp, stamp, limit),
        ).fetchall()
    claimed: list[Claimed] = []
    for candidate in candidates:
        with store.transaction() as sql:
            sql.execute(
                f"UPDATE {OUTBOX} SET lease_until = ? WHERE subscription_id = ? AND position = ?"
                " AND state = 'pending' AND (lease_until IS NULL OR lease_until < ?)",
                (iso(now + lease), candidate["subscription_id"], candidate["position"], stamp),
            )
            if _rowcount(sql) != 1:
                continue  # another worker took it first
            row = sql.execute(
                f"SELECT delivery_id, subscription_id, position, event_type, notice, attempts FROM {OUTBOX}"
                " WHERE subscription_id = ? AND position = ?",
                (candidate["subscription_id"], candidate["position"]),
            ).fetchone()
        if row is not None:
            claimed.append(
                Claimed(
                    row["delivery_id"],
                    row["subscription_id"],
                    int(row["position"]),
                    row["event_type"],
                    json.loads(row["notice"]),
                    int(row["attempts"]),
                )
            )
    return claimed


def _log(
    sql: Sql,
    delivery: str,
    at: datetime,
    outcome: str,
    status: int | None = None,
    error: str | None = None,
    duration_ms: int | None = None,
    actor: str | None = None,
) -> None:
    sql.execute(f"UPDATE {OUTBOX} SET log_seq = log_seq + 1 WHERE delivery_id = ?", (delivery,))
    seq = sql.execute(f"SELECT log_seq FROM {OUTBOX} WHERE delivery_id = ?", (delivery,)).scalar()
    sql.execute(
        f"INSERT INTO {ATTEMPTS} (delivery_id, seq, at, outcome, status, error, duration_ms, actor)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (delivery, int(seq), iso(at), outcome, status, (error or "")[:500] or None, duration_ms, actor),
    )


def record_attempt(
    store: ViewStore,
    claimed: Claimed,
    at: datetime,
    *,
    ok: bool,
    status: int | None,
    error: str | None,
    duration_ms: int,
    next_attempt: datetime | None,
) -> str:
    """Write one attempt's outcome and the delivery's new state; returns that state.

    `next_attempt` None after a failure means the retries are used up: the delivery is dead.
    """
    state = "delivered" if ok else ("pending" if next_attempt is not None else "dead")
    with store.transaction() as sql:
        sql.execute(
            f"UPDATE {OUTBOX} SET state = ?, attempts = attempts + 1, next_attempt_at = ?, lease_until = NULL,"
            " last_status = ?, last_error = ?, delivered_at = ?, updated_at = ? WHERE delivery_id = ?",
            (
                state,
                iso(next_attempt or at),
                status,
                None if ok else (error or "")[:500],
                iso(at) if ok else None,
                iso(at),
                claimed.delivery_id,
            ),
        )
        _log(sql, claimed.delivery_id, at, "delivered" if ok else "failed", status, error, duration_ms)
    return state


def give_up(store: ViewStore, claimed: Claimed, at: datetime, reason: str) -> None:
    """Dead without an attempt (the subscription was revoked or is gone)."""
    with store.transaction() as sql:
        sql.execute(
            f"UPDATE {OUTBOX} SET state = 'dead', lease_until = NULL, last_error = ?, updated_at = ?"
            " WHERE delivery_id = ?",
            (reason, iso(at), claimed.delivery_id),
        )
        _log(sql, claimed.delivery_id, at, "given_up", error=reason)


def _shape(row: dict[str, Any]) -> dict[str, Any]:
    item = {name: row[name] for name in COLUMNS}
    for name in TIME_COLUMNS:
        item[name] = from_iso(item[name])
    item["position"] = int(item["position"])
    return item


def _attempts(sql: Sql, delivery: str) -> list[dict[str, Any]]:
    rows = sql.execute(f"SELECT * FROM {ATTEMPTS} WHERE delivery_id = ? ORDER BY seq", (delivery,)).fetchall()
    return [
        {
            "seq": int(r["seq"]),
            "at": from_iso(r["at"]),
            "outcome": r["outcome"],
            "status": r["status"],
            "error": r["error"],
            "duration_ms": r["duration_ms"],
            "actor": r["actor"],
        }
        for r in rows
    ]


def list_deliveries(
    store: ViewStore, subscription_id: str, state: str | None, limit: int, before: int | None
) -> tuple[list[dict[str, Any]], int | None]:
    """Newest first, with each delivery's attempt log; returns (items, position to continue before)."""
    clauses, params = ["subscription_id = ?"], [subscription_id]
    if state:
        clauses.append("state = ?")
        params.append(state)
    if before is not None:
        clauses.append("position < ?")
        params.append(before)  # type: ignore[arg-type]
    with store.transaction(commit=False) as sql:
        rows = sql.execute(
            f"SELECT * FROM {OUTBOX} WHERE {' AND '.join(clauses)} ORDER BY position DESC LIMIT ?", (*params, limit + 1)
        ).fetchall()
        items = [{**_shape(r), "log": _attempts(sql, r["delivery_id"])} for r in rows[:limit]]
    more = len(rows) > limit
    return items, (items[-1]["position"] if more and items else None)


def get_delivery(store: ViewStore, subscription_id: str, delivery: str) -> dict[str, Any] | None:
    with store.transaction(commit=False) as sql:
        row = sql.execute(
            f"SELECT * FROM {OUTBOX} WHERE subscription_id = ? AND delivery_id = ?", (subscription_id, delivery)
        ).fetchone()
        if row is None:
            return None
        return {**_shape(row), "log": _attempts(sql, delivery), "notice": json.loads(row["notice"])}


def redeliver(store: ViewStore, subscription_id: str, delivery: str, now: datetime, actor: str) -> bool:
    """Queue a delivery again, now, with a fresh retry budget; the request is logged with who asked."""
    with store.transaction() as sql:
        sql.execute(
            f"UPDATE {OUTBOX} SET state = 'pending', attempts = 0, next_attempt_at = ?, lease_until = NULL,"
            " updated_at = ? WHERE subscription_id = ? AND delivery_id = ?",
            (iso(now), iso(now), subscription_id, delivery),
        )
        if _rowcount(sql) != 1:
            return False
        _log(sql, delivery, now, "redeliver_requested", actor=actor)
    return True


def counts(store: ViewStore) -> dict[str, int]:
    """Deliveries by state, for the status line and the benchmark."""
    with store.transaction(commit=False) as sql:
        rows = sql.execute(f"SELECT state, COUNT(*) AS n FROM {OUTBOX} GROUP BY state").fetchall()
    return {r["state"]: int(r["n"]) for r in rows}
