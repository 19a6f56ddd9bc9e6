"""The issue list: one row per issue, backing `GET /issues` and its filters."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from datetime import datetime
from typing import Any

from domain.access import role_family
from domain.actor import Actor
from projections.store import Sql, ViewStore
from projections.view import View, from_iso, iso

FILTERS = ("status", "vendor", "priority", "impact_class", "module", "site", "reporter")
COLUMNS = (
    "key",
    "title",
    "status",
    "priority",
    "impact_class",
    "module",
    "vendor",
    "site",
    "reporter",
    "assignee",
    "escalated_vendor",
    "reported_at",
    "updated_at",
    "version",
)


def encode_cursor(seq: int) -> str:
    return base64.urlsafe_b64encode(f"i:{seq}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        tag, value = raw.split(":", 1)
        if tag != "i":
            raise ValueError
        return int(value)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise ValueError("cursor is not one this server issued") from None


class IssueListView(View):
    name = "issue_list"
    tables = ("issue_list",)

    def create(self, sql: Sql) -> None:
        sql.execute(
            "CREATE TABLE IF NOT EXISTS issue_list ("
            " key TEXT PRIMARY KEY, issue_id TEXT NOT NULL UNIQUE, seq BIGINT NOT NULL, title TEXT NOT NULL,"
            " status TEXT NOT NULL,"
            " priority TEXT NOT NULL, impact_class TEXT NOT NULL, module TEXT NOT NULL, vendor TEXT NOT NULL,"
            " escalated_vendor TEXT, site TEXT, reporter TEXT NOT NULL, assignee TEXT,"
            " reported_at TEXT NOT NULL, updated_at TEXT NOT NULL, version BIGINT NOT NULL, status_before_wait TEXT,"
            " search_text TEXT NOT NULL)"
        )
        sql.execute("CREATE INDEX IF NOT EXISTS issue_list_seq ON issue_list (seq)")
        sql.execute("CREATE INDEX IF NOT EXISTS issue_list_status ON issue_list (status, vendor)")

    def handlers(self) -> dict[str, Callable[[Sql, Any, int], None]]:
        set_status = {
            "Issue.Assigned": "in_progress",
            "Issue.EscalatedToVendor": "escalated",
            "Issue.Resolved": "resolved",
            "Issue.Closed": "closed",
        }
        handlers: dict[str, Callable[[Sql, Any, int], None]] = {
            "Issue.Reported": self._reported,
            "Issue.Triaged": self._triaged,
            "Issue.PriorityOverridden": self._priority,
            "Issue.WaitingStarted": self._waiting,
            "Issue.Resumed": self._resumed,
            "Issue.Reopened": self._reopened,
            "Issue.Commented": self._touch,
            "Issue.Responded": self._touch,
            "Issue.VendorUpdated": self._touch,
            "Issue.WorkaroundRecorded": self._touch,
            "Issue.WorkaroundRetired": self._touch,
            "Issue.WorkaroundRescheduled": self._touch,
            "Issue.ChangeScheduled": self._touch,
        }
        for name, status in set_status.items():
            handlers[name] = self._status_setter(status)
        return handlers

    # -- handlers -----------------------------------------------------------------------------
    def _reported(self, sql: Sql, e: Any, position: int) -> None:
        d = e.__dict__
        sql.execute(
            "INSERT INTO issue_list (key, issue_id, seq, title, status, priority, impact_class, module, vendor,"
            " escalated_vendor, site, reporter, assignee, reported_at, updated_at, version, search_text)"
            " VALUES (?, ?, ?, ?, 'new', ?, ?, ?, ?, NULL, ?, ?, NULL, ?, ?, ?, ?)"
            " ON CONFLICT (key) DO NOTHING",
            (
                d["key"],
                str(e.originator_id),
                int(d["key"].split("-")[1]),
                d["title"],
                str(d["priority"]),
                str(d["impact_class"]),
                str(d["module"]),
                d["vendor"],
                d.get("site"),
                d["actor"].id,
                iso(d["occurred_at"]),
                iso(d["occurred_at"]),
                e.originator_version,
                f"{d['title']}\n{d['description']}\n{d.get('scenario') or ''}".lower(),
            ),
        )

    def _update(self, sql: Sql, e: Any, assignments: str, params: tuple[Any, ...]) -> None:
        sql.execute(
            f"UPDATE issue_list SET {assignments}{', ' if assignments else ''}updated_at = ?, version = ?"
            " WHERE issue_id = ?",
            (*params, iso(e.__dict__["occurred_at"]), e.originator_version, str(e.originator_id)),
        )

    def _touch(self, sql: Sql, e: Any, position: int) -> None:
        self._update(sql, e, "", ())

    def _status_setter(self, status: str) -> Callable[[Sql, Any, int], None]:
        def handler(sql: Sql, e: Any, position: int) -> None:
            d = e.__dict__
            if status == "in_progress":
                self._update(
                    sql,
                    e,
                    "assignee = ?, status = CASE WHEN status IN ('new', 'triaged') THEN ? ELSE status END",
                    (d["assignee"], status),
                )
            elif status == "escalated":
                self._update(sql, e, "status = ?, vendor = ?, escalated_vendor = ?", (status, d["vendor"], d["vendor"]))
            else:
                self._update(sql, e, "status = ?, status_before_wait = NULL", (status,))

        return handler

    def _triaged(self, sql: Sql, e: Any, position: int) -> None:
        d = e.__dict__
        self._update(
            sql,
            e,
            "priority = ?, impact_class = ?, assignee = COALESCE(?, assignee),"
            " status = CASE WHEN status = 'new' THEN 'triaged' ELSE status END",
            (str(d["priority"]), str(d["impact_class"]), d.get("assignee") or None),
        )

    def _priority(self, sql: Sql, e: Any, position: int) -> None:
        self._update(sql, e, "priority = ?", (str(e.__dict__["priority"]),))

    def _waiting(self, sql: Sql, e: Any, position: int) -> None:
        status = "waiting_on_reporter" if e.__dict__["on"] == "reporter" else "waiting_on_customer"
        self._update(sql, e, "status_before_wait = status, status = ?", (status,))

    def _resumed(self, sql: Sql, e: Any, position: int) -> None:
        self._update(sql, e, "status = COALESCE(status_before_wait, 'in_progress'), status_before_wait = NULL", ())

    def _reopened(self, sql: Sql, e: Any, position: int) -> None:
        self._update(
            sql, e, "status = CASE WHEN escalated_vendor IS NOT NULL THEN 'escalated' ELSE 'in_progress' END", ()
        )


BREACHED_CLOCK = (
    "EXISTS (SELECT 1 FROM sla_clock c WHERE c.issue_key = issue_list.key AND"
    " ((c.stopped_at IS NOT NULL AND c.stopped_at > c.due_at)"
    " OR (c.stopped_at IS NULL AND c.paused = 0 AND c.due_at < ?)))"
)


def list_issues(
    store: ViewStore, filters: dict[str, str], limit: int, cursor: str | None, viewer: Actor, now: datetime
) -> tuple[list[dict[str, Any]], str | None]:
    """Newest first, keyset-paginated, scoped to what the viewer may see."""
    clauses: list[str] = []
    params: list[Any] = []
    for name in FILTERS:
        value = filters.get(name)
        if value:
            column = "vendor" if name == "vendor" else name
            clauses.append(f"{column} = ?")
            params.append(value)
    text = filters.get("text")
    if text:
        clauses.append("search_text LIKE ?")
        params.append("%" + text.lower().replace("\\", "").replace("%", "").replace("_", "") + "%")
    breached = filters.get("breached")
    if breached in ("true", "false"):
        clauses.append(BREACHED_CLOCK if breached == "true" else f"NOT {BREACHED_CLOCK}")
        params.append(iso(now))
    family = role_family(viewer)
    if family == "vendor":
        clauses.append("escalated_vendor = ?")
        params.append(viewer.vendor)
    elif family == "reporter":
        clauses.append("reporter = ?")
        params.append(viewer.id)
    if cursor:
        clauses.append("seq < ?")
        params.append(decode_cursor(cursor))
    where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
    with store.transaction(commit=False) as sql:
        rows = sql.execute(
            f"SELECT seq, {', '.join(COLUMNS)}, ({BREACHED_CLOCK}) AS breached FROM issue_list {where}"
            " ORDER BY seq DESC LIMIT ?",
            (iso(now), *params, limit + 1),
        ).fetchall()
    more = len(rows) > limit
    rows = rows[:limit]
    items = []
    for row in rows:
        item = {k: row[k] for k in COLUMNS}
        item["reported_at"] = from_iso(row["reported_at"])
        item["updated_at"] = from_iso(row["updated_at"])
        item["breached"] = bool(row["breached"])
        items.append(item)
    next_cursor = encode_cursor(rows[-1]["seq"]) if more and rows else None
    return items, next_cursor
