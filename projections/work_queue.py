"""The work queue: open issues with their next SLA due time, backing `/console/queue`.

One row per open issue (not resolved, not closed) the viewer may see, scoped as the issue list
is (`projections.issue_list`): a vendor sees the issues escalated to them, and only their own
clocks count towards "next due". The next due time is the earliest due time of the issue's
running clocks (not stopped, not paused: a paused clock's due time is provisional and keeps
moving). "At risk" is the SLA alerts' notion (`domain.notification_rules.threshold_times`): a
running clock whose at-risk threshold (the given fraction of its target) has passed, breached
ones included.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from domain.access import role_family
from domain.actor import Actor
from domain.notification_rules import AT_RISK, threshold_times
from projections.issue_list import assignee_clause
from projections.store import Sql, ViewStore
from projections.view import from_iso, iso

SORTS = ("due", "priority", "updated")
CLOSED = ("resolved", "closed")
COLUMNS = ("key", "title", "status", "priority", "vendor", "escalated_vendor", "assignee", "updated_at")
RUNNING = "c.stopped_at IS NULL AND c.paused = 0"
ORDER = {
    "due": "(next_due IS NULL), next_due, seq",
    "priority": "priority, (next_due IS NULL), next_due, seq",
    "updated": "updated_at DESC, seq DESC",
}
CHUNK = 500
PRIORITIES = ("P1", "P2", "P3", "P4")
FEW = 2000
"""Up to this many matching issues, each one's next due time is computed and they are sorted
(cost grows with the tab); beyond it the clocks' due-time index is walked instead (cost grows
with how deep the page's issues sit among the running clocks). The unassigned tab of a busy
desk is the first kind, All open the second (bench/work_desk.py)."""


def work_queue(
    store: ViewStore,
    viewer: Actor,
    now: datetime,
    *,
    assignees: Sequence[str | None] | None = None,
    at_risk_only: bool = False,
    sort: str = "due",
    limit: int = 100,
    at_risk_fraction: float = 0.8,
) -> tuple[list[dict[str, Any]], bool]:
    """(rows, more): the first `limit` open issues in `sort` order, and whether there are more.

    `assignees` as in `list_issues` (None: anyone; None among them: nobody). Each row has the
    issue list's columns plus `next_due` (a datetime or None), `next_kind` (that clock's kind)
    and `risk` ("breached", "at_risk" or None)."""
    if sort not in SORTS:
        raise ValueError(f"sort must be one of {', '.join(SORTS)}")
    clauses = ["issue_list.status NOT IN (?, ?)"]
    params: list[Any] = list(CLOSED)
    if assignees is not None:
        clause, names = assignee_clause(assignees)
        clauses.append(clause)
        params.extend(names)
    clock_scope, clock_params = "", []
    family = role_family(viewer)
    if family == "vendor":
        clauses.append("issue_list.escalated_vendor = ?")
        params.append(viewer.vendor)
        clock_scope, clock_params = " AND c.vendor = ?", [viewer.vendor]
    elif family == "reporter":
        clauses.append("issue_list.reporter = ?")
        params.append(viewer.id)
    where = " AND ".join(clauses)
    with store.transaction(commit=False) as sql:
        if at_risk_only:
            rows = _at_risk_rows(sql, where, params, clock_scope, clock_params, now, at_risk_fraction)
            rows.sort(key=_python_order(sort))
            more = len(rows) > limit
            rows = rows[:limit]
        elif sort == "updated":
            found = sql.execute(
                f"SELECT seq, {', '.join(COLUMNS)} FROM issue_list WHERE {where} ORDER BY {ORDER[sort]} LIMIT ?",
                (*params, limit + 1),
            ).fetchall()
            more = len(found) > limit
            rows = [dict(row) for row in found[:limit]]
        elif _matching(sql, where, params) <= FEW:  # a narrow tab: sort its few issues outright
            next_due = (
                f"(SELECT MIN(c.due_at) FROM sla_clock c WHERE c.issue_key = issue_list.key AND {RUNNING}{clock_scope})"
            )
            found = sql.execute(
                f"SELECT * FROM (SELECT seq, {', '.join(COLUMNS)}, {next_due} AS next_due FROM issue_list"
                f" WHERE {where}) queue ORDER BY {ORDER[sort]} LIMIT ?",
                (*clock_params, *params, limit + 1),
            ).fetchall()
            more = len(found) > limit
            rows = [dict(row) for row in found[:limit]]
        else:  # a wide one: walk the clocks in due order until the page is full
            found_rows: list[dict[str, Any]] = []
            for priority in (None,) if sort == "due" else PRIORITIES:
                scope = f"{where} AND issue_list.priority = ?" if priority else where
                scoped = [*params, priority] if priority else params
                found_rows += _by_due(sql, scope, scoped, clock_scope, clock_params, limit + 1 - len(found_rows))
                if len(found_rows) > limit:
                    break
            more = len(found_rows) > limit
            rows = found_rows[:limit]
        clocks = _running_clocks(sql, [row["key"] for row in rows], clock_scope, clock_params)
    return [_shaped(row, clocks.get(row["key"], []), now, at_risk_fraction) for row in rows], more


def _matching(sql: Sql, where: str, params: list[Any]) -> int:
    """How many issues the tab holds, counted up to one past `FEW` (all the choice needs)."""
    counted = sql.execute(
        f"SELECT COUNT(*) FROM (SELECT 1 FROM issue_list WHERE {where} LIMIT ?) tab", (*params, FEW + 1)
    )
    return int(counted.scalar() or 0)


def _by_due(
    sql: Sql, where: str, params: list[Any], clock_scope: str, clock_params: list[Any], want: int
) -> list[dict[str, Any]]:
    """Up to `want` issues matching `where`, next due first, then those with no running clock.

    Read from the clocks' due-time index, a page of clocks at a time, stopping once `want`
    distinct issues are found: the first page of a queue of 100k open issues reads a few
    hundred clock rows instead of computing every open issue's next due time to sort them
    (bench/work_desk.py)."""
    found: dict[str, dict[str, Any]] = {}
    page, offset = max(4 * want, 64), 0
    while len(found) < want:
        batch = sql.execute(
            f"SELECT issue_list.seq, {', '.join('issue_list.' + c for c in COLUMNS)}, c.due_at AS next_due"
            # CROSS JOIN: SQLite keeps the clocks as the outer loop, walking their due-time index,
            # rather than starting from an assignee or status index and sorting every match
            # (PostgreSQL plans it as the inner join it is).
            f" FROM sla_clock c CROSS JOIN issue_list"
            f" WHERE issue_list.key = c.issue_key AND {RUNNING}{clock_scope} AND {where}"
            " ORDER BY c.due_at, issue_list.seq LIMIT ? OFFSET ?",
            (*clock_params, *params, page, offset),
        ).fetchall()
        for row in batch:
            if row["key"] not in found and len(found) < want:
                found[row["key"]] = dict(row)
        if len(batch) < page:
            break
        offset += page
    if len(found) < want:  # every issue with a running clock is listed: those without follow
        tail = sql.execute(
            f"SELECT seq, {', '.join(COLUMNS)}, NULL AS next_due FROM issue_list WHERE {where} AND NOT EXISTS"
            f" (SELECT 1 FROM sla_clock c WHERE c.issue_key = issue_list.key AND {RUNNING}{clock_scope})"
            " ORDER BY seq LIMIT ?",
            (*params, *clock_params, want - len(found)),
        ).fetchall()
        found.update({row["key"]: dict(row) for row in tail})
    return list(found.values())


def _at_risk_rows(
    sql: Sql,
    where: str,
    params: list[Any],
    clock_scope: str,
    clock_params: list[Any],
    now: datetime,
    fraction: float,
) -> list[dict[str, Any]]:
    """The open issues with a running clock past its at-risk threshold. A clock's threshold is
    at most (1 - fraction) of the longest running target before its due time, so only clocks due
    by now plus that lead are read, and each is checked exactly with the alerts' own rule."""
    longest = sql.execute(f"SELECT MAX(c.target_seconds) FROM sla_clock c WHERE {RUNNING}{clock_scope}", clock_params)
    lead = timedelta(seconds=int(longest.scalar() or 0) * (1.0 - fraction) + 1)
    found = sql.execute(
        f"SELECT issue_list.seq, {', '.join('issue_list.' + c for c in COLUMNS)}, c.due_at, c.target_seconds"
        f" FROM sla_clock c JOIN issue_list ON issue_list.key = c.issue_key"
        f" WHERE {RUNNING}{clock_scope} AND c.due_at <= ? AND {where}",
        (*clock_params, iso(now + lead), *params),
    ).fetchall()
    by_key: dict[str, dict[str, Any]] = {}
    risky: set[str] = set()
    for row in found:
        due = from_iso(row["due_at"])
        assert due is not None
        item = by_key.setdefault(row["key"], {**{c: row[c] for c in ("seq", *COLUMNS)}, "next_due": row["due_at"]})
        item["next_due"] = min(item["next_due"], row["due_at"])
        if threshold_times(due, int(row["target_seconds"]), fraction)[AT_RISK] <= now:
            risky.add(row["key"])
    return [item for key, item in by_key.items() if key in risky]


def _python_order(sort: str) -> Any:
    """The SQL orders of `ORDER`, for rows already read."""
    if sort == "updated":
        return lambda row: (_negated(row["updated_at"]), -int(row["seq"]))
    if sort == "priority":
        return lambda row: (row["priority"], row["next_due"] is None, row["next_due"] or "", row["seq"])
    return lambda row: (row["next_due"] is None, row["next_due"] or "", row["seq"])


def _negated(text: str) -> tuple[int, ...]:
    return tuple(-ord(ch) for ch in text)


def _running_clocks(
    sql: Sql, keys: list[str], clock_scope: str, clock_params: list[Any]
) -> dict[str, list[dict[str, Any]]]:
    clocks: dict[str, list[dict[str, Any]]] = {}
    for start in range(0, len(keys), CHUNK):
        chunk = keys[start : start + CHUNK]
        marks = ", ".join("?" * len(chunk))
        for row in sql.execute(
            f"SELECT c.issue_key, c.kind, c.due_at, c.target_seconds FROM sla_clock c"
            f" WHERE c.issue_key IN ({marks}) AND {RUNNING}{clock_scope} ORDER BY c.due_at",
            (*chunk, *clock_params),
        ).fetchall():
            clocks.setdefault(row["issue_key"], []).append(row)
    return clocks


def _shaped(row: dict[str, Any], clocks: list[dict[str, Any]], now: datetime, fraction: float) -> dict[str, Any]:
    item = {c: row[c] for c in COLUMNS}
    item["updated_at"] = from_iso(row["updated_at"])
    item["next_due"], item["next_kind"], item["risk"] = None, None, None
    for clock in clocks:  # earliest due first
        due = from_iso(clock["due_at"])
        assert due is not None
        if item["next_due"] is None:
            item["next_due"], item["next_kind"] = due, clock["kind"]
        if due < now:
            item["risk"] = "breached"
        elif item["risk"] is None and threshold_times(due, int(clock["target_seconds"]), fraction)[AT_RISK] <= now:
            item["risk"] = "at_risk"
    return item
