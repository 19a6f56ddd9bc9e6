"""The issue list: one row per issue, backing `GET /issues` and its filters."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from domain.access import role_family
from domain.actor import Actor
from domain.base import event_name
from projections import cursors
from projections.store import Sql, ViewStore
from projections.view import View, created_in, from_iso, iso, originator

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
    return cursors.encode_position("i", seq)


def decode_cursor(cursor: str) -> int:
    """The last `seq` shown; a forged cursor is `cursors.ForgedCursor` (a ValueError)."""
    return cursors.decode_position(cursor, "i")


ROW = (
    "key",
    "issue_id",
    "seq",
    "title",
    "status",
    "priority",
    "impact_class",
    "module",
    "vendor",
    "escalated_vendor",
    "site",
    "reporter",
    "assignee",
    "reported_at",
    "updated_at",
    "version",
    "status_before_wait",
    "search_text",
)
MUTABLE = (
    "status",
    "priority",
    "impact_class",
    "vendor",
    "escalated_vendor",
    "assignee",
    "updated_at",
    "version",
    "status_before_wait",
)
CHUNK = 500  # ids per IN (...) list
Change = Callable[[dict[str, Any], dict[str, Any]], None]


class IssueListView(View):
    """A batch reads its issues' rows in a few statements (`begin`), applies the events to them
    in memory, and writes each changed row once (`flush`): one UPDATE per event was most of the
    view's catch-up time. Each handler does what its former SQL statement did, right-hand
    sides reading the row as it was before the event, as SQL's UPDATE does."""

    name = "issue_list"
    tables = ("issue_list",)

    def __init__(self) -> None:
        self._rows: dict[str, dict[str, Any]] = {}  # issue id -> row, as of this point of the batch
        self._new: set[str] = set()
        self._changed: set[str] = set()

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
        sql.execute("CREATE INDEX IF NOT EXISTS issue_list_assignee ON issue_list (assignee)")

    def begin(self, sql: Sql, events: Sequence[Any]) -> None:
        self._rows, self._new, self._changed = {}, set(), set()
        handled = self.handlers()
        # An issue created in this batch has no row yet (its events are applied once, in
        # version order): only the others are read. On a rebuild that is nearly every issue,
        # and the read a thousand-id lookup per batch.
        ids = sorted({originator(e) for e in events if event_name(e) in handled} - created_in(events))
        for start in range(0, len(ids), CHUNK):
            chunk = ids[start : start + CHUNK]
            marks = ", ".join("?" * len(chunk))
            for row in sql.execute(f"SELECT * FROM issue_list WHERE issue_id IN ({marks})", chunk).fetchall():
                self._rows[row["issue_id"]] = row

    def flush(self, sql: Sql) -> None:
        new = [tuple(self._rows[i][c] for c in ROW) for i in sorted(self._new)]
        changed = [(*(self._rows[i][c] for c in MUTABLE), i) for i in sorted(self._changed - self._new)]
        self._new, self._changed = set(), set()
        sql.executemany(
            f"INSERT INTO issue_list ({', '.join(ROW)}) VALUES ({', '.join('?' * len(ROW))})"
            " ON CONFLICT (key) DO NOTHING",
            new,
        )
        sql.executemany(f"UPDATE issue_list SET {', '.join(f'{c} = ?' for c in MUTABLE)} WHERE issue_id = ?", changed)

    def handlers(self) -> dict[str, Callable[[Sql, Any, int], None]]:
        set_status = {
            "Issue.Assigned": "in_progress",
            "Issue.EscalatedToVendor": "escalated",
            "Issue.Resolved": "resolved",
            "Issue.Closed": "closed",
        }
        handlers: dict[str, Callable[[Sql, Any, int], None]] = {
            "Issue.Reported": self._reported,
            "Issue.Triaged": self._updater(_triaged),
            "Issue.PriorityOverridden": self._updater(lambda row, d: row.update(priority=str(d["priority"]))),
            "Issue.WaitingStarted": self._updater(_waiting),
            "Issue.Resumed": self._updater(
                lambda row, d: row.update(status=row["status_before_wait"] or "in_progress", status_before_wait=None)
            ),
            "Issue.Reopened": self._updater(
                lambda row, d: row.update(status="escalated" if row["escalated_vendor"] is not None else "in_progress")
            ),
        }
        for name in TOUCHES:
            handlers[name] = self._updater(lambda row, d: None)
        for name, status in set_status.items():
            handlers[name] = self._updater(_status_setter(status))
        return handlers

    # -- handlers -----------------------------------------------------------------------------
    def _reported(self, sql: Sql, e: Any, position: int) -> None:
        """INSERT ... ON CONFLICT DO NOTHING: a row that exists stays as it is."""
        d = e.__dict__
        issue_id = originator(e)
        if issue_id in self._rows:
            return
        self._rows[issue_id] = {
            "key": d["key"],
            "issue_id": issue_id,
            "seq": int(d["key"].split("-")[1]),
            "title": d["title"],
            "status": "new",
            "priority": str(d["priority"]),
            "impact_class": str(d["impact_class"]),
            "module": str(d["module"]),
            "vendor": d["vendor"],
            "escalated_vendor": None,
            "site": d.get("site"),
            "reporter": d["actor"].id,
            "assignee": None,
            "reported_at": iso(d["occurred_at"]),
            "updated_at": iso(d["occurred_at"]),
            "version": e.originator_version,
            "status_before_wait": None,
            "search_text": f"{d['title']}\n{d['description']}\n{d.get('scenario') or ''}".lower(),
        }
        self._new.add(issue_id)

    def _updater(self, change: Change) -> Callable[[Sql, Any, int], None]:
        """UPDATE ... SET <change>, updated_at, version WHERE issue_id: nothing for an unknown issue."""

        def handler(sql: Sql, e: Any, position: int) -> None:
            issue_id = originator(e)
            row = self._rows.get(issue_id)
            if row is None:
                return
            d = e.__dict__
            change(row, d)
            row["updated_at"] = iso(d["occurred_at"])
            row["version"] = e.originator_version
            self._changed.add(issue_id)

        return handler


TOUCHES = (
    "Issue.Commented",
    "Issue.Responded",
    "Issue.VendorUpdated",
    "Issue.VendorTeamReminded",
    "Issue.WorkaroundRecorded",
    "Issue.WorkaroundRetired",
    "Issue.WorkaroundRescheduled",
    "Issue.ChangeScheduled",
)


def _status_setter(status: str) -> Change:
    def change(row: dict[str, Any], d: dict[str, Any]) -> None:
        if status == "in_progress":
            row["assignee"] = d["assignee"]
            if row["status"] in ("new", "triaged"):
                row["status"] = status
        elif status == "escalated":
            row.update(status=status, vendor=d["vendor"], escalated_vendor=d["vendor"])
        else:
            row.update(status=status, status_before_wait=None)

    return change


def _triaged(row: dict[str, Any], d: dict[str, Any]) -> None:
    row["priority"] = str(d["priority"])
    row["impact_class"] = str(d["impact_class"])
    assignee = d.get("assignee") or None
    if assignee is not None:
        row["assignee"] = assignee
    if row["status"] == "new":
        row["status"] = "triaged"


def _waiting(row: dict[str, Any], d: dict[str, Any]) -> None:
    status = "waiting_on_reporter" if d["on"] == "reporter" else "waiting_on_customer"
    row.update(status_before_wait=row["status"], status=status)


BREACHED_CLOCK = (
    "EXISTS (SELECT 1 FROM sla_clock c WHERE c.issue_key = issue_list.key AND"
    " ((c.stopped_at IS NOT NULL AND c.stopped_at > c.due_at)"
    " OR (c.stopped_at IS NULL AND c.paused = 0 AND c.due_at < ?)))"
)


def assignee_clause(assignees: Sequence[str | None]) -> tuple[str, list[Any]]:
    """`assignee` is one of these names (None among them: or nobody); none at all matches nothing."""
    names = [name for name in assignees if name is not None]
    parts = [f"assignee IN ({', '.join('?' * len(names))})"] if names else []
    if None in assignees:
        parts.append("assignee IS NULL")
    return (f"({' OR '.join(parts)})" if parts else "1 = 0"), list(names)


def list_issues(
    store: ViewStore,
    filters: dict[str, str],
    limit: int,
    cursor: str | None,
    viewer: Actor,
    now: datetime,
    assignees: Sequence[str | None] | None = None,
) -> tuple[list[dict[str, Any]], str | None]:
    """Newest first, keyset-paginated, scoped to what the viewer may see.

    `assignees` (None: any) keeps the issues assigned to one of these names, None standing for
    "nobody": the caller resolves a group into the group and its members, so this query needs
    no knowledge of groups."""
    clauses: list[str] = []
    params: list[Any] = []
    if assignees is not None:
        clause, names = assignee_clause(assignees)
        clauses.append(clause)
        params.extend(names)
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
    # The page is chosen first and `breached` computed for its rows only: written as one flat
    # query, PostgreSQL plans the EXISTS as a hashed subplan over all of sla_clock instead of
    # one index probe per row of the page (bench/read_side.py).
    with store.transaction(commit=False) as sql:
        rows = sql.execute(
            f"SELECT seq, {', '.join(COLUMNS)}, ({BREACHED_CLOCK}) AS breached FROM"
            f" (SELECT seq, {', '.join(COLUMNS)} FROM issue_list {where} ORDER BY seq DESC LIMIT ?) issue_list"
            " ORDER BY seq DESC",
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
