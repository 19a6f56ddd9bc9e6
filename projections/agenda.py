"""Improvement meetings as a list, and each meeting's agenda built from the data.

The agenda of a meeting, as of now:

* **top suggestions** not yet decided (submitted or reviewed), by votes, then oldest first;
* **breached issues**: open issues with at least one breached SLA clock, by priority;
* **aging issues**: open issues reported more than ``AGING_DAYS`` days ago that are not already
  listed as breached, oldest first;
* **overdue workarounds** (see `projections.workarounds`);
* **vendors with the worst response** since the last meeting: vendor_response clocks started
  since the previous *closed* meeting's date (or, for a first meeting, one cadence before this
  meeting's date), per vendor; worst first by breached clocks, then by median business hours
  to the first response.
"""

from __future__ import annotations

import json
import statistics
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Final

from projections.issue_list import BREACHED_CLOCK
from projections.store import Sql, ViewStore
from projections.suggestion_ranking import score
from projections.view import View, from_iso, iso
from projections.workarounds import list_workarounds

AGING_DAYS: Final = 30
TOP_SUGGESTIONS: Final = 10
ISSUE_LIMIT: Final = 20
VENDOR_LIMIT: Final = 5
LOOKBACK: Final = {"monthly": timedelta(days=31), "quarterly": timedelta(days=92)}
OPEN_STATUSES: Final = "('resolved', 'closed')"


def _day(value: Any) -> str:
    return value if isinstance(value, str) else value.isoformat()


class MeetingView(View):
    name = "meetings"
    tables = ("meeting",)

    def create(self, sql: Sql) -> None:
        sql.execute(
            "CREATE TABLE IF NOT EXISTS meeting (key TEXT PRIMARY KEY, meeting_id TEXT NOT NULL UNIQUE,"
            " seq BIGINT NOT NULL, title TEXT, cadence TEXT NOT NULL, meeting_date TEXT NOT NULL, status TEXT NOT NULL,"
            " attendees TEXT NOT NULL, decisions INTEGER NOT NULL, closed_at TEXT, updated_at TEXT NOT NULL,"
            " version BIGINT NOT NULL)"
        )

    def handlers(self) -> dict[str, Callable[[Sql, Any, int], None]]:
        return {
            "ImprovementMeeting.Scheduled": self._scheduled,
            "ImprovementMeeting.DecisionTaken": self._decided,
            "ImprovementMeeting.Closed": self._closed,
        }

    def _scheduled(self, sql: Sql, e: Any, position: int) -> None:
        d = e.__dict__
        sql.execute(
            "INSERT INTO meeting (key, meeting_id, seq, title, cadence, meeting_date, status, attendees, decisions,"
            " closed_at, updated_at, version) VALUES (?, ?, ?, ?, ?, ?, 'scheduled', ?, 0, NULL, ?, ?)"
            " ON CONFLICT (key) DO NOTHING",
            (
                d["key"],
                str(e.originator_id),
                int(d["key"].split("-")[1]),
                d.get("title"),
                d["cadence"],
                _day(d["meeting_date"]),
                json.dumps(d["attendees"], ensure_ascii=False, sort_keys=True),
                iso(d["occurred_at"]),
                e.originator_version,
            ),
        )

    def _decided(self, sql: Sql, e: Any, position: int) -> None:
        sql.execute(
            "UPDATE meeting SET decisions = decisions + 1, updated_at = ?, version = ? WHERE meeting_id = ?",
            (iso(e.__dict__["occurred_at"]), e.originator_version, str(e.originator_id)),
        )

    def _closed(self, sql: Sql, e: Any, position: int) -> None:
        stamp = iso(e.__dict__["occurred_at"])
        sql.execute(
            "UPDATE meeting SET status = 'closed', closed_at = ?, updated_at = ?, version = ? WHERE meeting_id = ?",
            (stamp, stamp, e.originator_version, str(e.originator_id)),
        )


def _meeting_item(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "key": row["key"],
        "title": row["title"],
        "cadence": row["cadence"],
        "date": date.fromisoformat(row["meeting_date"]),
        "status": row["status"],
        "attendees": json.loads(row["attendees"]),
        "decisions": int(row["decisions"]),
        "closed_at": from_iso(row["closed_at"]),
        "updated_at": from_iso(row["updated_at"]),
    }


def list_meetings(store: ViewStore, limit: int, cursor: int | None = None) -> tuple[list[dict[str, Any]], int | None]:
    """Newest first (by key number); the cursor is the last key number seen."""
    clause, params = ("WHERE seq < ?", [cursor]) if cursor else ("", [])
    with store.transaction(commit=False) as sql:
        rows = sql.execute(f"SELECT * FROM meeting {clause} ORDER BY seq DESC LIMIT ?", [*params, limit + 1]).fetchall()
    more = len(rows) > limit
    rows = rows[:limit]
    return [_meeting_item(r) for r in rows], (rows[-1]["seq"] if more and rows else None)


def since_last_meeting(sql: Sql, key: str, meeting_date: date, cadence: str) -> tuple[datetime, str | None]:
    """Where "since the last meeting" starts: the previous closed meeting's date, else a lookback."""
    row = sql.execute(
        "SELECT key, meeting_date FROM meeting WHERE status = 'closed' AND key <> ? AND meeting_date < ?"
        " ORDER BY meeting_date DESC, seq DESC LIMIT 1",
        (key, meeting_date.isoformat()),
    ).fetchone()
    if row is not None:
        return datetime.combine(date.fromisoformat(row["meeting_date"]), time(0), tzinfo=UTC), row["key"]
    start = datetime.combine(meeting_date, time(0), tzinfo=UTC) - LOOKBACK.get(cadence, LOOKBACK["monthly"])
    return start, None


def _top_suggestions(sql: Sql) -> list[dict[str, Any]]:
    rows = sql.execute(
        "SELECT key, title, module, status, votes, impact, effort FROM suggestion_rank"
        " WHERE status IN ('submitted', 'reviewed') ORDER BY votes DESC, seq ASC LIMIT ?",
        (TOP_SUGGESTIONS,),
    ).fetchall()
    return [{**r, "score": round(score(r["impact"], r["effort"], int(r["votes"])), 2)} for r in rows]


def _breached_issues(sql: Sql, now: datetime) -> list[dict[str, Any]]:
    stamp = iso(now)
    rows = sql.execute(
        "SELECT key, title, priority, status, module, vendor, reported_at FROM issue_list"
        f" WHERE status NOT IN {OPEN_STATUSES} AND {BREACHED_CLOCK} ORDER BY priority, seq LIMIT ?",
        (stamp, ISSUE_LIMIT),
    ).fetchall()
    items = []
    for r in rows:
        clocks = sql.execute(
            "SELECT kind FROM sla_clock WHERE issue_key = ? AND ((stopped_at IS NOT NULL AND stopped_at > due_at)"
            " OR (stopped_at IS NULL AND paused = 0 AND due_at < ?)) ORDER BY idx",
            (r["key"], stamp),
        ).fetchall()
        items.append(
            {
                **r,
                "reported_at": from_iso(r["reported_at"]),
                "breached_clocks": list(dict.fromkeys(c["kind"] for c in clocks)),
            }
        )
    return items


def _aging_issues(sql: Sql, now: datetime, exclude: set[str]) -> list[dict[str, Any]]:
    rows = sql.execute(
        "SELECT key, title, priority, status, module, vendor, reported_at FROM issue_list"
        f" WHERE status NOT IN {OPEN_STATUSES} AND reported_at < ? ORDER BY reported_at, seq LIMIT ?",
        (iso(now - timedelta(days=AGING_DAYS)), ISSUE_LIMIT + len(exclude)),
    ).fetchall()
    items = []
    for r in rows:
        if r["key"] in exclude:
            continue
        reported = from_iso(r["reported_at"])
        assert reported is not None
        items.append({**r, "reported_at": reported, "age_days": (now - reported).days})
    return items[:ISSUE_LIMIT]


def _vendors(sql: Sql, since: datetime, now: datetime) -> list[dict[str, Any]]:
    rows = sql.execute(
        "SELECT vendor, stopped_at, due_at, paused, business_seconds_used FROM sla_clock"
        " WHERE kind = 'vendor_response' AND started_at >= ?",
        (iso(since),),
    ).fetchall()
    stamp = iso(now) or ""
    per: dict[str, dict[str, Any]] = {}
    for r in rows:
        v = per.setdefault(
            r["vendor"], {"vendor": r["vendor"], "escalations": 0, "hours": [], "breached": 0, "waiting": 0}
        )
        v["escalations"] += 1
        if r["stopped_at"] is not None:
            v["hours"].append(r["business_seconds_used"] / 3600)
            v["breached"] += 1 if r["stopped_at"] > r["due_at"] else 0
        else:
            v["waiting"] += 1
            v["breached"] += 1 if not r["paused"] and r["due_at"] < stamp else 0
    result = []
    for v in per.values():
        hours = v.pop("hours")
        v["responded"] = len(hours)
        v["median_hours_to_response"] = round(statistics.median(hours), 2) if hours else None
        result.append(v)
    result.sort(key=lambda v: (-v["breached"], -(v["median_hours_to_response"] or 0.0), v["vendor"]))
    return result[:VENDOR_LIMIT]


def build_agenda(store: ViewStore, meeting: dict[str, Any], now: datetime) -> dict[str, Any]:
    """The agenda of `meeting` ({key, cadence, date, ...}) from the views, as of `now`."""
    with store.transaction(commit=False) as sql:
        since, previous = since_last_meeting(sql, meeting["key"], meeting["date"], meeting["cadence"])
        suggestions = _top_suggestions(sql)
        breached = _breached_issues(sql, now)
        aging = _aging_issues(sql, now, {i["key"] for i in breached})
        vendors = _vendors(sql, since, now)
    return {
        "meeting": {
            "key": meeting["key"],
            "cadence": meeting["cadence"],
            "date": meeting["date"],
            "status": meeting.get("status"),
        },
        "generated_at": now,
        "since": since,
        "previous_meeting": previous,
        "top_suggestions": suggestions,
        "breached_issues": breached,
        "aging_issues": aging,
        "overdue_workarounds": list_workarounds(store, now, overdue=True, limit=ISSUE_LIMIT),
        "vendors_worst_response": vendors,
    }
