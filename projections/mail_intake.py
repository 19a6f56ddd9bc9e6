"""The e-mail intake's two views: the quarantine list, and the vendor tickets of open issues.

- `intake_quarantine`: one row per quarantined message (`QuarantinedMail.*`), with its decision
  once taken; `GET /intake/quarantine` and `/console/admin/intake` list the undecided ones,
  newest first (spam from unknown senders can be many: a view, not an aggregate, holds them).
- `intake_vendor_ticket`: the vendor and ticket of every issue escalated and not yet closed
  (`Issue.EscalatedToVendor`, removed at `Issue.Closed`), so that a vendor's mail naming only
  its own ticket number finds the issue (`application.mail_intake.VendorTickets`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

from projections import cursors
from projections.store import Sql, ViewStore
from projections.view import View, from_iso, iso, originator

QUARANTINE, TICKETS = "intake_quarantine", "intake_vendor_ticket"
STATES: Final = ("quarantined", "accepted", "discarded", "all")


class IntakeView(View):
    name = "intake"
    tables = (QUARANTINE, TICKETS)

    def create(self, sql: Sql) -> None:
        sql.execute(
            f"CREATE TABLE IF NOT EXISTS {QUARANTINE} (quarantine_id TEXT PRIMARY KEY, seq BIGINT NOT NULL,"
            " message_id TEXT NOT NULL, uid_key TEXT NOT NULL, sender TEXT NOT NULL, subject TEXT NOT NULL,"
            " reason TEXT NOT NULL, detail TEXT, excerpt TEXT NOT NULL, received_at TEXT, quarantined_at TEXT NOT NULL,"
            " raw_sha256 TEXT, raw_size BIGINT NOT NULL, named_key TEXT, state TEXT NOT NULL, decided_by TEXT,"
            " decided_at TEXT, person TEXT, issue_key TEXT, outcome TEXT)"
        )
        sql.execute(f"CREATE INDEX IF NOT EXISTS intake_quarantine_state ON {QUARANTINE} (state, seq)")
        sql.execute(
            f"CREATE TABLE IF NOT EXISTS {TICKETS} (issue_id TEXT PRIMARY KEY, vendor TEXT NOT NULL,"
            " ticket TEXT NOT NULL)"
        )
        sql.execute(f"CREATE INDEX IF NOT EXISTS intake_vendor_ticket_vendor ON {TICKETS} (vendor)")

    def handlers(self) -> dict[str, Callable[[Sql, Any, int], None]]:
        return {
            "QuarantinedMail.Quarantined": self._quarantined,
            "QuarantinedMail.Accepted": self._accepted,
            "QuarantinedMail.Discarded": self._discarded,
            "Issue.EscalatedToVendor": self._escalated,
            "Issue.Closed": lambda sql, e, p: sql.execute(
                f"DELETE FROM {TICKETS} WHERE issue_id = ?", (originator(e),)
            ),
        }

    def _quarantined(self, sql: Sql, e: Any, position: int) -> None:
        d = e.__dict__
        sql.execute(
            f"INSERT INTO {QUARANTINE} (quarantine_id, seq, message_id, uid_key, sender, subject, reason, detail,"
            " excerpt, received_at, quarantined_at, raw_sha256, raw_size, named_key, state)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'quarantined') ON CONFLICT (quarantine_id) DO NOTHING",
            (
                originator(e),
                position,
                d["message_id"],
                d["uid_key"],
                d["sender"],
                d["subject"],
                str(d["reason"]),
                d["detail"],
                d["excerpt"],
                iso(d["received_at"]),
                iso(d["occurred_at"]),
                d["raw_sha256"],
                d["raw_size"],
                d["named_key"],
            ),
        )

    def _decided(self, sql: Sql, e: Any, state: str, person: str | None, key: str | None, outcome: str) -> None:
        sql.execute(
            f"UPDATE {QUARANTINE} SET state = ?, decided_by = ?, decided_at = ?, person = ?, issue_key = ?,"
            " outcome = ? WHERE quarantine_id = ?",
            (state, e.actor.id, iso(e.occurred_at), person, key, outcome, originator(e)),
        )

    def _accepted(self, sql: Sql, e: Any, position: int) -> None:
        self._decided(sql, e, "accepted", e.person, e.issue_key, e.outcome)

    def _discarded(self, sql: Sql, e: Any, position: int) -> None:
        self._decided(sql, e, "discarded", None, None, "discarded")

    def _escalated(self, sql: Sql, e: Any, position: int) -> None:
        """The latest escalation of an issue is the one its vendor writes about."""
        sql.execute(
            f"INSERT INTO {TICKETS} (issue_id, vendor, ticket) VALUES (?, ?, ?)"
            " ON CONFLICT (issue_id) DO UPDATE SET vendor = excluded.vendor, ticket = excluded.ticket",
            (originator(e), e.vendor, e.vendor_ticket),
        )


def _row(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": row["quarantine_id"],
        "message_id": row["message_id"],
        "uid_key": row["uid_key"],
        "sender": row["sender"],
        "subject": row["subject"],
        "reason": row["reason"],
        "detail": row["detail"],
        "excerpt": row["excerpt"],
        "received_at": from_iso(row["received_at"]),
        "quarantined_at": from_iso(row["quarantined_at"]),
        "raw_size": int(row["raw_size"]),
        "named_key": row["named_key"],
        "state": row["state"],
        "decision": None
        if row["state"] == "quarantined"
        else {
            "by": row["decided_by"],
            "at": from_iso(row["decided_at"]),
            "person": row["person"],
            "issue_key": row["issue_key"],
            "outcome": row["outcome"],
        },
    }


def list_quarantine(
    store: ViewStore, state: str = "quarantined", limit: int = 50, cursor: str | None = None
) -> tuple[list[dict[str, Any]], str | None]:
    """Newest first; `state` one of `STATES` (`all` for every message ever quarantined)."""
    clauses: list[str] = []
    params: list[Any] = []
    if state != "all":
        clauses.append("state = ?")
        params.append(state)
    if cursor:
        clauses.append("seq < ?")
        params.append(cursors.decode_position(cursor, "q"))
    where = f" WHERE {' AND '.join(clauses)}" if clauses else ""
    with store.transaction(commit=False) as sql:
        rows = sql.execute(
            f"SELECT * FROM {QUARANTINE}{where} ORDER BY seq DESC LIMIT ?", [*params, limit + 1]
        ).fetchall()
    more = len(rows) > limit
    rows = rows[:limit]
    return [_row(r) for r in rows], cursors.encode_position("q", rows[-1]["seq"]) if more and rows else None


class VendorTicketQueries:
    """`application.mail_intake.VendorTickets` over the view."""

    def __init__(self, store: ViewStore) -> None:
        self.store = store

    def open_tickets(self, vendor: str) -> dict[str, str]:
        """Ticket -> issue id, of every issue escalated to `vendor` and not closed."""
        with self.store.transaction(commit=False) as sql:
            rows = sql.execute(f"SELECT ticket, issue_id FROM {TICKETS} WHERE vendor = ?", (vendor,)).fetchall()
        return {r["ticket"]: r["issue_id"] for r in rows}
