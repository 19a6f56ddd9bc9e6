"""The quarterly health check: posted measurements beside what the desk's own log knows.

Definitions (all on business time, `occurred_at`; quarters are calendar quarters in UTC):

* **issue volume** of a module: issues reported in the quarter; the trend compares it with the
  previous quarter.
* **SLA adherence by vendor**: `projections.reports.sla_compliance` over clocks started in the
  quarter, judged at the quarter's end (or now, while the quarter runs).
* **reopen rate**: issues reopened in the quarter / issues resolved in the quarter (distinct).
* **median time to resolve**: elapsed hours from report to each resolution in the quarter.
* **workarounds**: open (recorded, not retired) and overdue (retire-by date passed) at the
  quarter's end, or now while it runs.
* **suggestion participation**: staff who submitted or voted in the quarter / staff. Staff are
  the distinct people seen in the log (reporters, administrators, employees acting through an
  app) up to the quarter's end; vendors, auditors and the system are not staff.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any, Final

from domain.access import role_family
from domain.actor import Actor
from domain.health import (
    FIGURES,
    HealthFigures,
    Measures,
    ModuleFigures,
    Quarter,
    VendorFigures,
    recommend,
)
from domain.vocabulary import Module
from projections.reports import sla_compliance
from projections.store import Sql, ViewStore
from projections.view import Inserts, View, from_iso, iso, originator
from projections.workarounds import workaround_counts

STAFF: Final = frozenset({"reporter", "admin"})
MODULE_ORDER: Final = {m.value: i for i, m in enumerate(Module)}


class HealthView(View):
    name = "health"
    tables = (
        "health_quarter",
        "health_measurement",
        "health_issue",
        "health_issue_event",
        "health_actor",
        "health_participation",
    )

    def create(self, sql: Sql) -> None:
        sql.execute("CREATE TABLE IF NOT EXISTS health_quarter (check_id TEXT PRIMARY KEY, quarter TEXT NOT NULL)")
        sql.execute(
            "CREATE TABLE IF NOT EXISTS health_measurement (quarter TEXT NOT NULL, module TEXT NOT NULL,"
            " data_accuracy DOUBLE PRECISION, process_execution_rate DOUBLE PRECISION, user_activity DOUBLE PRECISION,"
            " source TEXT, recorded_by TEXT NOT NULL, recorded_at TEXT NOT NULL, PRIMARY KEY (quarter, module))"
        )
        sql.execute(
            "CREATE TABLE IF NOT EXISTS health_issue (issue_id TEXT PRIMARY KEY, issue_key TEXT NOT NULL,"
            " module TEXT NOT NULL, reported_at TEXT NOT NULL)"
        )
        sql.execute(
            "CREATE TABLE IF NOT EXISTS health_issue_event (issue_id TEXT NOT NULL, version BIGINT NOT NULL,"
            " kind TEXT NOT NULL, occurred_at TEXT NOT NULL, PRIMARY KEY (issue_id, version))"
        )
        sql.execute("CREATE TABLE IF NOT EXISTS health_actor (actor_id TEXT PRIMARY KEY, first_seen TEXT NOT NULL)")
        sql.execute(
            "CREATE TABLE IF NOT EXISTS health_participation (source_id TEXT NOT NULL, version BIGINT NOT NULL,"
            " actor_id TEXT NOT NULL, kind TEXT NOT NULL, occurred_at TEXT NOT NULL, PRIMARY KEY (source_id, version))"
        )

    def handlers(self) -> dict[str, Callable[[Sql, Any, int], None]]:
        return {
            "HealthCheck.Started": self._started,
            "HealthCheck.MeasurementRecorded": self._measured,
            "Issue.Reported": self._reported,
            "Issue.Resolved": self._issue_event("resolved"),
            "Issue.Reopened": self._issue_event("reopened"),
            "Suggestion.Submitted": self._participated("submitted"),
            "Suggestion.Voted": self._participated("voted"),
        }

    def __init__(self) -> None:
        self._seen: dict[str, datetime] = {}  # actor id -> earliest time seen in the current batch (UTC)
        self._inserts = Inserts()  # issue, issue-event and participation rows (never read in a batch)

    def begin(self, sql: Sql, events: Sequence[Any]) -> None:
        self._seen, self._inserts = {}, Inserts()

    def apply(self, sql: Sql, event: Any, position: int) -> None:
        """Besides the handlers: remember every person seen in the log (the staff count).

        Only the earliest time per person matters, so a batch keeps the minimum in memory and
        writes one row per person at `flush`: a few people act on most events, and one upsert
        per event was the most frequent statement of a catch-up."""
        super().apply(sql, event, position)
        actor = event.__dict__.get("actor")
        if isinstance(actor, Actor) and role_family(actor) in STAFF:
            seen = event.__dict__.get("occurred_at") or event.timestamp
            if seen.tzinfo is not UTC:  # as `iso` reads it; then instants order as their text
                seen = seen.astimezone(UTC)
            earliest = self._seen.get(actor.id)
            if earliest is None or seen < earliest:
                self._seen[actor.id] = seen

    def flush(self, sql: Sql) -> None:
        """The earliest time per person is kept as a datetime and spelled once here: spelling
        every event's time to compare it showed in this view's catch-up (bench/read_side.py)."""
        self._inserts.write(sql)
        seen, self._seen = self._seen, {}
        sql.executemany(
            "INSERT INTO health_actor (actor_id, first_seen) VALUES (?, ?) ON CONFLICT (actor_id)"
            " DO UPDATE SET first_seen = excluded.first_seen WHERE excluded.first_seen < health_actor.first_seen",
            sorted((actor_id, iso(when)) for actor_id, when in seen.items()),
        )

    def _started(self, sql: Sql, e: Any, position: int) -> None:
        sql.execute(
            "INSERT INTO health_quarter (check_id, quarter) VALUES (?, ?) ON CONFLICT (check_id) DO NOTHING",
            (originator(e), e.__dict__["quarter"]),
        )

    def _measured(self, sql: Sql, e: Any, position: int) -> None:
        d = e.__dict__
        quarter = sql.execute("SELECT quarter FROM health_quarter WHERE check_id = ?", (originator(e),)).scalar()
        sql.execute(
            "INSERT INTO health_measurement (quarter, module, data_accuracy, process_execution_rate, user_activity,"
            " source, recorded_by, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (quarter, module) DO UPDATE"
            " SET data_accuracy = COALESCE(excluded.data_accuracy, health_measurement.data_accuracy),"
            " process_execution_rate = COALESCE(excluded.process_execution_rate,"
            " health_measurement.process_execution_rate),"
            " user_activity = COALESCE(excluded.user_activity, health_measurement.user_activity),"
            " source = excluded.source, recorded_by = excluded.recorded_by, recorded_at = excluded.recorded_at",
            (
                quarter,
                d["module"],
                d["data_accuracy"],
                d["process_execution_rate"],
                d["user_activity"],
                d["source"],
                d["actor"].id,
                iso(d["occurred_at"]),
            ),
        )

    def _reported(self, sql: Sql, e: Any, position: int) -> None:
        d = e.__dict__
        self._inserts.add(
            "INSERT INTO health_issue (issue_id, issue_key, module, reported_at) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (issue_id) DO NOTHING",
            (originator(e), d["key"], str(d["module"]), iso(d["occurred_at"])),
        )

    def _issue_event(self, kind: str) -> Callable[[Sql, Any, int], None]:
        def handler(sql: Sql, e: Any, position: int) -> None:
            self._inserts.add(
                "INSERT INTO health_issue_event (issue_id, version, kind, occurred_at) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (issue_id, version) DO NOTHING",
                (originator(e), e.originator_version, kind, iso(e.__dict__["occurred_at"])),
            )

        return handler

    def _participated(self, kind: str) -> Callable[[Sql, Any, int], None]:
        def handler(sql: Sql, e: Any, position: int) -> None:
            self._inserts.add(
                "INSERT INTO health_participation (source_id, version, actor_id, kind, occurred_at)"
                " VALUES (?, ?, ?, ?, ?) ON CONFLICT (source_id, version) DO NOTHING",
                (
                    originator(e),
                    e.originator_version,
                    e.__dict__["actor"].id,
                    kind,
                    iso(e.__dict__["occurred_at"]),
                ),
            )

        return handler


# -- the report ---------------------------------------------------------------------------------


def _measures(sql: Sql, quarter: Quarter) -> dict[str, Measures]:
    rows = sql.execute("SELECT * FROM health_measurement WHERE quarter = ?", (str(quarter),)).fetchall()
    return {r["module"]: Measures(*(None if r[f] is None else float(r[f]) for f in FIGURES)) for r in rows}


def _issue_counts(sql: Sql, quarter: Quarter) -> dict[str, int]:
    rows = sql.execute(
        "SELECT module, COUNT(*) AS n FROM health_issue WHERE reported_at >= ? AND reported_at < ? GROUP BY module",
        (iso(quarter.start), iso(quarter.end)),
    ).fetchall()
    return {r["module"]: int(r["n"]) for r in rows}


def _resolution(sql: Sql, quarter: Quarter) -> tuple[int, int, float | None]:
    """(issues resolved, issues reopened, median hours from report to resolution) in the quarter."""
    rows = sql.execute(
        "SELECT e.issue_id, e.kind, e.occurred_at, i.reported_at FROM health_issue_event e"
        " JOIN health_issue i ON i.issue_id = e.issue_id WHERE e.occurred_at >= ? AND e.occurred_at < ?",
        (iso(quarter.start), iso(quarter.end)),
    ).fetchall()
    hours: list[float] = []
    resolved: set[str] = set()
    reopened: set[str] = set()
    for row in rows:
        if row["kind"] == "resolved":
            resolved.add(row["issue_id"])
            done, began = from_iso(row["occurred_at"]), from_iso(row["reported_at"])
            assert done is not None and began is not None
            hours.append(max(0.0, (done - began).total_seconds() / 3600))
        else:
            reopened.add(row["issue_id"])
    median = round(statistics.median(hours), 2) if hours else None
    return len(resolved), len(reopened), median


def _participation(sql: Sql, quarter: Quarter) -> tuple[int, int]:
    end, start = iso(quarter.end), iso(quarter.start)
    staff = sql.execute("SELECT COUNT(*) FROM health_actor WHERE first_seen < ?", (end,)).scalar()
    participants = sql.execute(
        "SELECT COUNT(DISTINCT p.actor_id) FROM health_participation p JOIN health_actor a ON a.actor_id = p.actor_id"
        " WHERE p.occurred_at >= ? AND p.occurred_at < ?",
        (start, end),
    ).scalar()
    return int(staff or 0), int(participants or 0)


def health_figures(
    store: ViewStore, quarter: Quarter, viewer: Actor, now: datetime
) -> tuple[HealthFigures, list[dict[str, Any]]]:
    """Everything the rules need, and the SLA rows by vendor the report shows."""
    cut = min(now, quarter.end)
    previous = quarter.previous
    with store.transaction(commit=False) as sql:
        measures, measures_before = _measures(sql, quarter), _measures(sql, previous)
        issues, issues_before = _issue_counts(sql, quarter), _issue_counts(sql, previous)
        resolved, reopened, median = _resolution(sql, quarter)
        _, _, median_before = _resolution(sql, previous)
        open_count, overdue_count = workaround_counts(sql, cut)
        staff, participants = _participation(sql, quarter)
    vendors = sla_compliance(store, "vendor", viewer, cut, quarter.start, quarter.end)
    names = sorted({*measures, *measures_before, *issues, *issues_before}, key=lambda m: (MODULE_ORDER.get(m, 99), m))
    modules = tuple(
        ModuleFigures(
            module=m,
            issues=issues.get(m, 0),
            issues_previous=issues_before.get(m, 0),
            measures=measures.get(m, Measures()),
            previous=measures_before.get(m, Measures()),
        )
        for m in names
    )
    figures = HealthFigures(
        quarter=str(quarter),
        modules=modules,
        vendors=tuple(VendorFigures(r["vendor"], r["met"], r["breached"]) for r in vendors),
        resolved=resolved,
        reopened=reopened,
        median_hours_to_resolve=median,
        median_hours_to_resolve_previous=median_before,
        open_workarounds=open_count,
        overdue_workarounds=overdue_count,
        staff=staff,
        participants=participants,
    )
    return figures, vendors


def _measures_dict(m: Measures) -> dict[str, float | None]:
    return {
        "data_accuracy": m.data_accuracy,
        "process_execution_rate": m.process_execution_rate,
        "user_activity": m.user_activity,
    }


def health_report(store: ViewStore, quarter_text: str, viewer: Actor, now: datetime) -> dict[str, Any]:
    """The health check of one quarter, as the API answers it (JSON shape; CSV and HTML derive)."""
    quarter = Quarter.parse(quarter_text)
    f, vendors = health_figures(store, quarter, viewer, now)
    return {
        "quarter": f.quarter,
        "period": {"from": quarter.start, "to": quarter.end},
        "previous_quarter": str(quarter.previous),
        "as_of": min(now, quarter.end),
        "modules": [
            {
                "module": m.module,
                **_measures_dict(m.measures),
                "previous": _measures_dict(m.previous),
                "issues": m.issues,
                "issues_previous": m.issues_previous,
                "trend": m.trend,
                "change_percent": m.change_percent,
            }
            for m in f.modules
        ],
        "sla_by_vendor": vendors,
        "reopen_rate": {"resolved": f.resolved, "reopened": f.reopened, "rate": f.reopen_rate},
        "time_to_resolve": {
            "median_hours": f.median_hours_to_resolve,
            "median_hours_previous": f.median_hours_to_resolve_previous,
        },
        "workarounds": {"open": f.open_workarounds, "overdue": f.overdue_workarounds},
        "participation": {"staff": f.staff, "participants": f.participants, "rate": f.participation},
        "recommendations": [r.to_dict() for r in recommend(f)],
    }


def report_rows(report: dict[str, Any]) -> list[dict[str, Any]]:
    """The report flattened to (section, subject, metric, value) rows, for CSV."""
    rows: list[dict[str, Any]] = []

    def add(section: str, subject: str | None, metric: str, value: Any) -> None:
        rows.append(
            {
                "quarter": report["quarter"],
                "section": section,
                "subject": subject or "",
                "metric": metric,
                "value": "" if value is None else value,
            }
        )

    for m in report["modules"]:
        for metric in (*FIGURES, "issues", "issues_previous", "trend", "change_percent"):
            add("module", m["module"], metric, m[metric])
    for v in report["sla_by_vendor"]:
        for metric in ("clocks", "met", "breached", "running", "percent_met"):
            add("sla", v["vendor"], metric, v[metric])
    for section in ("reopen_rate", "time_to_resolve", "workarounds", "participation"):
        for metric, value in report[section].items():
            add(section, None, metric, value)
    for r in report["recommendations"]:
        add("recommendation", r["subject"], r["rule"], r["action"])
    return rows
