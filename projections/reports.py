"""Compliance reports over the SLA view: figures a reviewer can recompute from `/sla`.

Percentiles are computed in Python over the selected rows (SQLite has no percentile
function); the rows are already narrowed by SQL to one period.
"""

from __future__ import annotations

import statistics
from datetime import date, datetime, timedelta
from typing import Any

from domain.access import role_family
from domain.actor import Actor
from projections.store import ViewStore
from projections.view import from_iso, iso

GROUPS = {
    "vendor": "c.vendor",
    "priority": "c.priority",
    "module": "c.module",
    "site": "c.site",
    "month": "SUBSTR(c.started_at, 1, 7)",
}


def is_month_end(day: date, last: int = 3, first: int = 2) -> bool:
    """Month-end close: the last `last` and first `first` working days (Mon-Fri) of a month."""
    if day.weekday() >= 5:
        return False
    start = day.replace(day=1)
    firsts = [start + timedelta(d) for d in range(10) if (start + timedelta(d)).weekday() < 5][:first]
    next_month = (start + timedelta(days=32)).replace(day=1)
    lasts = [next_month - timedelta(d) for d in range(1, 11) if (next_month - timedelta(d)).weekday() < 5][:last]
    return day in firsts or day in lasts


def _period(clauses: list[str], params: list[Any], start: datetime | None, end: datetime | None) -> None:
    if start is not None:
        clauses.append("c.started_at >= ?")
        params.append(iso(start))
    if end is not None:
        clauses.append("c.started_at < ?")
        params.append(iso(end))


def _vendor_scope(viewer: Actor, clauses: list[str], params: list[Any]) -> None:
    if role_family(viewer) == "vendor":
        clauses.append("c.vendor = ?")
        params.append(viewer.vendor)


FILTER_COLUMNS = {"vendor": "c.vendor", "priority": "c.priority", "module": "c.module", "site": "c.site"}


def compliance_clauses(
    viewer: Actor,
    start: datetime | None,
    end: datetime | None,
    filters: dict[str, str] | None,
    kinds: tuple[str, ...] | None,
) -> tuple[list[str], list[Any]]:
    """The compliance report's WHERE clauses on `sla_clock c` (also `projections.incidents`)."""
    clauses: list[str] = []
    params: list[Any] = []
    _period(clauses, params, start, end)
    _vendor_scope(viewer, clauses, params)
    for name, value in (filters or {}).items():
        if value:
            clauses.append(f"{FILTER_COLUMNS[name]} = ?")
            params.append(value)
    if kinds:
        clauses.append(f"c.kind IN ({', '.join('?' * len(kinds))})")
        params.extend(kinds)
    return clauses, params


def outcome_columns() -> str:
    """`met` and `breached` sums of the report's rule; the one `?` is the time judged at."""
    return (
        "SUM(CASE WHEN c.stopped_at IS NOT NULL AND c.stopped_at <= c.due_at THEN 1 ELSE 0 END) AS met,"
        " SUM(CASE WHEN (c.stopped_at IS NOT NULL AND c.stopped_at > c.due_at)"
        "  OR (c.stopped_at IS NULL AND c.paused = 0 AND c.due_at < ?) THEN 1 ELSE 0 END) AS breached"
    )


def sla_compliance(
    store: ViewStore,
    group_by: str,
    viewer: Actor,
    now: datetime,
    start: datetime | None = None,
    end: datetime | None = None,
    filters: dict[str, str] | None = None,
    kinds: tuple[str, ...] | None = None,
) -> list[dict[str, Any]]:
    """Per group: clocks, met, breached, running, % met of those decided (met + breached).

    `kinds` keeps the clock kinds of one report kind (`domain.compliance_scope`).

    `filters` narrows by vendor, priority, module and site (the console's filter bar). Module
    and site are copied onto each clock row by the SLA view, so no grouping joins the issue
    list: the join of every clock with its issue was a large part of the report's time."""
    column = GROUPS[group_by]
    clauses, params = compliance_clauses(viewer, start, end, filters, kinds)
    where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
    stamp = iso(now)
    with store.transaction(commit=False) as sql:
        rows = sql.execute(
            f"SELECT {column} AS grp, COUNT(*) AS clocks, {outcome_columns()}"
            f" FROM sla_clock c {where}"
            f" GROUP BY {column} ORDER BY {column}",
            (stamp, *params),
        ).fetchall()
    result = []
    for row in rows:
        met, breached = int(row["met"] or 0), int(row["breached"] or 0)
        result.append(compliance_row(group_by, row["grp"], met, breached, int(row["clocks"]) - met - breached))
    return result


def compliance_row(group_by: str, group: str | None, met: int, breached: int, running: int) -> dict[str, Any]:
    """One row of the compliance report, as the live SQL, the replay (`as_of`, what-if) and the
    incident count all answer it: % met is of the clocks decided (met + breached)."""
    decided = met + breached
    return {
        group_by: group,
        "clocks": decided + running,
        "met": met,
        "breached": breached,
        "running": running,
        "percent_met": round(100.0 * met / decided, 1) if decided else None,
    }


def _percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile: always one of the observed values, so it can be checked by hand."""
    ordered = sorted(values)
    rank = max(1, -(-int(fraction * 100) * len(ordered) // 100))
    return ordered[min(rank, len(ordered)) - 1]


def vendor_response_times(
    store: ViewStore,
    viewer: Actor,
    start: datetime | None = None,
    end: datetime | None = None,
    priority: str | None = None,
) -> list[dict[str, Any]]:
    """Business hours from escalation to first vendor response, per vendor, priority and month,
    with the month-end close period apart from the rest of the month."""
    clauses = ["c.kind = 'vendor_response'", "c.stopped_at IS NOT NULL"]
    params: list[Any] = []
    _period(clauses, params, start, end)
    _vendor_scope(viewer, clauses, params)
    if priority:
        clauses.append("c.priority = ?")
        params.append(priority)
    with store.transaction(commit=False) as sql:
        rows = sql.execute(
            "SELECT c.vendor, c.priority, c.started_at, c.business_seconds_used FROM sla_clock c"
            f" WHERE {' AND '.join(clauses)}",
            params,
        ).fetchall()
    groups: dict[tuple[str, str, str, str], list[float]] = {}
    for row in rows:
        started = from_iso(row["started_at"])
        assert started is not None
        period = "month_end" if is_month_end(started.date()) else "rest_of_month"
        key = (row["vendor"], row["priority"], row["started_at"][:7], period)
        groups.setdefault(key, []).append(row["business_seconds_used"] / 3600.0)
    return [
        {
            "vendor": vendor,
            "priority": prio,
            "month": month,
            "period": period,
            "count": len(hours),
            "median_hours": round(statistics.median(hours), 2),
            "p90_hours": round(_percentile(hours, 0.9), 2),
            "max_hours": round(max(hours), 2),
        }
        for (vendor, prio, month, period), hours in sorted(groups.items())
    ]


def sla_at_risk(store: ViewStore, viewer: Actor, now: datetime, within: timedelta) -> list[dict[str, Any]]:
    """Running clocks due between now and now + within (breached ones are in the breaches list)."""
    clauses = ["c.stopped_at IS NULL", "c.paused = 0", "c.due_at >= ?", "c.due_at <= ?"]
    params: list[Any] = [iso(now), iso(now + within)]
    _vendor_scope(viewer, clauses, params)
    with store.transaction(commit=False) as sql:
        rows = sql.execute(
            "SELECT c.issue_key, c.kind, c.vendor, c.priority, c.due_at, i.title, i.module, i.site"
            f" FROM sla_clock c JOIN issue_list i ON i.key = c.issue_key WHERE {' AND '.join(clauses)}"
            " ORDER BY c.due_at",
            params,
        ).fetchall()
    return [
        {
            **row,
            "due_at": from_iso(row["due_at"]),
            "minutes_left": int(((from_iso(row["due_at"]) or now) - now).total_seconds() // 60),
        }
        for row in rows
    ]


def open_breaches(store: ViewStore, now: datetime) -> dict[str, int]:
    """Per vendor: clocks still running past their due time (the `/metrics` gauge)."""
    with store.transaction(commit=False) as sql:
        rows = sql.execute(
            "SELECT vendor, COUNT(*) AS breached FROM sla_clock"
            " WHERE stopped_at IS NULL AND paused = 0 AND due_at < ? GROUP BY vendor",
            (iso(now),),
        ).fetchall()
    return {row["vendor"]: int(row["breached"]) for row in rows}
