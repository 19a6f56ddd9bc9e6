"""The workaround registry: every temporary measure kept beside the system, until it is retired.

Go-live compromises (approvals outside the system, manual ledgers, reports built by hand) erode
trust when left alone, so each one has an owner and a retire-by date. A workaround is
**overdue** when it is not retired and its retire-by date is before today (UTC): one due on
2026-03-31 becomes overdue at 2026-04-01T00:00Z.

Two kinds share the one table: an issue's workarounds (`Issue.Workaround*` events, keyed by the
issue's id and `w1`, `w2`, ...) and go-live compromises with no issue
(`GoLiveCompromise.Workaround*`, keyed by their own id and their `WA-<n>` key, with an empty
`issue_key`, shown as null). Every list puts the overdue ones first, then by retire-by date, so
`/reports/workarounds`, the agenda's overdue workarounds, the health check's counts and the
register (`GET /workarounds`, `/console/workarounds`) all count both kinds.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime
from typing import Any, Final

from projections.store import Sql, ViewStore
from projections.view import Inserts, View, from_iso, iso, originator

STATES: Final = ("open", "retired", "all", "overdue")
FILTERS: Final = ("owner", "kind", "module")


def _day(value: Any) -> str:
    return value if isinstance(value, str) else value.isoformat()


class WorkaroundView(View):
    name = "workarounds"
    tables = ("workaround_issue", "workaround")

    def create(self, sql: Sql) -> None:
        sql.execute(
            "CREATE TABLE IF NOT EXISTS workaround_issue (issue_id TEXT PRIMARY KEY, issue_key TEXT NOT NULL,"
            " title TEXT NOT NULL, module TEXT NOT NULL)"
        )
        sql.execute(
            "CREATE TABLE IF NOT EXISTS workaround (issue_id TEXT NOT NULL, workaround_id TEXT NOT NULL,"
            " issue_key TEXT NOT NULL, kind TEXT NOT NULL, description TEXT NOT NULL, owner TEXT NOT NULL,"
            " retire_by TEXT NOT NULL, recorded_at TEXT NOT NULL, retired_at TEXT, note TEXT,"
            " rescheduled INTEGER NOT NULL, PRIMARY KEY (issue_id, workaround_id))"
        )
        sql.execute("CREATE INDEX IF NOT EXISTS workaround_retire_by ON workaround (retired_at, retire_by)")

    def __init__(self) -> None:
        self._keys: dict[str, str] = {}  # issue id -> key, of the issues reported in this batch
        self._inserts = Inserts()

    def begin(self, sql: Sql, events: Sequence[Any]) -> None:
        self._keys, self._inserts = {}, Inserts()

    def flush(self, sql: Sql) -> None:
        """The batch's issues in one statement (one per issue was most of this view's time)."""
        self._keys = {}
        self._inserts.write(sql)

    def handlers(self) -> dict[str, Callable[[Sql, Any, int], None]]:
        return {
            "Issue.Reported": self._reported,
            "Issue.WorkaroundRecorded": self._recorded,
            "Issue.WorkaroundRetired": self._retired,
            "Issue.WorkaroundRescheduled": self._rescheduled,
            "GoLiveCompromise.WorkaroundRegistered": self._registered,
            "GoLiveCompromise.WorkaroundRetired": self._compromise_retired,
            "GoLiveCompromise.WorkaroundRescheduled": self._compromise_rescheduled,
        }

    def _reported(self, sql: Sql, e: Any, position: int) -> None:
        d = e.__dict__
        self._keys.setdefault(originator(e), d["key"])
        self._inserts.add(
            "INSERT INTO workaround_issue (issue_id, issue_key, title, module) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (issue_id) DO NOTHING",
            (originator(e), d["key"], d["title"], str(d["module"])),
        )

    def _recorded(self, sql: Sql, e: Any, position: int) -> None:
        d = e.__dict__
        issue_id = originator(e)
        key = (
            self._keys.get(issue_id)
            or sql.execute("SELECT issue_key FROM workaround_issue WHERE issue_id = ?", (issue_id,)).scalar()
        )
        sql.execute(
            "INSERT INTO workaround (issue_id, workaround_id, issue_key, kind, description, owner, retire_by,"
            " recorded_at, retired_at, note, rescheduled) VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL, NULL, 0)"
            " ON CONFLICT (issue_id, workaround_id) DO NOTHING",
            (
                issue_id,
                d["workaround_id"],
                key or "",
                str(d["kind"]),
                d["description"],
                d["owner"],
                _day(d["retire_by"]),
                iso(d["occurred_at"]),
            ),
        )

    def _retired(self, sql: Sql, e: Any, position: int) -> None:
        d = e.__dict__
        sql.execute(
            "UPDATE workaround SET retired_at = ?, note = ? WHERE issue_id = ? AND workaround_id = ?",
            (iso(d["occurred_at"]), d.get("note"), originator(e), d["workaround_id"]),
        )

    def _rescheduled(self, sql: Sql, e: Any, position: int) -> None:
        d = e.__dict__
        sql.execute(
            "UPDATE workaround SET retire_by = ?, rescheduled = rescheduled + 1"
            " WHERE issue_id = ? AND workaround_id = ?",
            (_day(d["retire_by"]), originator(e), d["workaround_id"]),
        )

    # -- go-live compromises: the same row, keyed by their own id and their WA- key ------------
    def _registered(self, sql: Sql, e: Any, position: int) -> None:
        d = e.__dict__
        sql.execute(
            "INSERT INTO workaround (issue_id, workaround_id, issue_key, kind, description, owner, retire_by,"
            " recorded_at, retired_at, note, rescheduled) VALUES (?, ?, '', ?, ?, ?, ?, ?, NULL, NULL, 0)"
            " ON CONFLICT (issue_id, workaround_id) DO NOTHING",
            (
                originator(e),
                d["key"],
                str(d["kind"]),
                d["description"],
                d["owner"],
                _day(d["retire_by"]),
                iso(d["occurred_at"]),
            ),
        )

    def _compromise_retired(self, sql: Sql, e: Any, position: int) -> None:
        d = e.__dict__
        sql.execute(
            "UPDATE workaround SET retired_at = ?, note = ? WHERE issue_id = ?",
            (iso(d["occurred_at"]), d.get("note"), originator(e)),
        )

    def _compromise_rescheduled(self, sql: Sql, e: Any, position: int) -> None:
        d = e.__dict__
        sql.execute(
            "UPDATE workaround SET retire_by = ?, rescheduled = rescheduled + 1 WHERE issue_id = ?",
            (_day(d["retire_by"]), originator(e)),
        )


def _today(now: datetime) -> str:
    """The UTC date of `now`, as stored (ISO dates compare like dates in SQL text order)."""
    return now.astimezone(UTC).date().isoformat()


def list_workarounds(
    store: ViewStore,
    now: datetime,
    overdue: bool | None = None,
    state: str = "open",
    filters: dict[str, str] | None = None,
    limit: int = 500,
) -> list[dict[str, Any]]:
    """Overdue workarounds first, then by retire-by date, with `overdue` and `days_overdue` as of now.

    `state`: open, retired, all, or overdue (open and past retire-by, the same as `overdue=True`).
    A go-live compromise has `issue_key`, `title` and `module` null and its `WA-` key as
    `workaround_id`.
    """
    if state not in STATES:
        raise ValueError(f"state must be one of {', '.join(STATES)}")
    today = _today(now)
    clauses: list[str] = []
    params: list[Any] = []
    if state == "overdue":
        state, overdue = "open", True
    if state == "open":
        clauses.append("w.retired_at IS NULL")
    elif state == "retired":
        clauses.append("w.retired_at IS NOT NULL")
    if overdue is True:
        clauses += ["w.retired_at IS NULL", "w.retire_by < ?"]
        params.append(today)
    elif overdue is False:
        clauses.append("NOT (w.retired_at IS NULL AND w.retire_by < ?)")
        params.append(today)
    for name in FILTERS:
        value = (filters or {}).get(name)
        if value:
            clauses.append(f"{'i.module' if name == 'module' else 'w.' + name} = ?")
            params.append(value)
    where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
    with store.transaction(commit=False) as sql:
        rows = sql.execute(
            "SELECT w.*, i.title, i.module FROM workaround w LEFT JOIN workaround_issue i ON i.issue_id = w.issue_id"
            f" {where} ORDER BY CASE WHEN w.retired_at IS NULL AND w.retire_by < ? THEN 0 ELSE 1 END,"
            " w.retire_by, w.issue_key, w.workaround_id LIMIT ?",
            [*params, today, limit],
        ).fetchall()
    items = []
    for row in rows:
        late = row["retired_at"] is None and row["retire_by"] < today
        items.append(
            {
                "issue_key": row["issue_key"] or None,
                "workaround_id": row["workaround_id"],
                "title": row["title"],
                "module": row["module"],
                "kind": row["kind"],
                "description": row["description"],
                "owner": row["owner"],
                "retire_by": date.fromisoformat(row["retire_by"]),
                "recorded_at": from_iso(row["recorded_at"]),
                "retired_at": from_iso(row["retired_at"]),
                "note": row["note"],
                "rescheduled": int(row["rescheduled"]),
                "overdue": late,
                "days_overdue": (date.fromisoformat(today) - date.fromisoformat(row["retire_by"])).days if late else 0,
            }
        )
    return items


def workaround_counts(sql: Sql, at: datetime) -> tuple[int, int]:
    """(open, overdue) as of the instant `at`: recorded before it and not retired by then.

    The retire-by date used is the current one (a reschedule applies to the past too).
    """
    stamp, today = iso(at), _today(at)
    row = sql.execute(
        "SELECT COUNT(*) AS open_count,"
        " SUM(CASE WHEN retire_by < ? THEN 1 ELSE 0 END) AS overdue_count FROM workaround"
        " WHERE recorded_at < ? AND (retired_at IS NULL OR retired_at >= ?)",
        (today, stamp, stamp),
    ).fetchone()
    if row is None:
        return 0, 0
    return int(row["open_count"] or 0), int(row["overdue_count"] or 0)
