"""The vendor scorecard: one vendor's quarter under its terms (`GET /reports/vendor-scorecard`).

Definitions (docs/reference.md, "Vendor scorecard"; quarters are calendar quarters in UTC):

* **clocks by kind**: `projections.reports.sla_compliance` with `vendor=` and `kind=` over the
  clocks started in the quarter, judged now: the compliance report's own figures, not a copy.
* **times**: business hours used by the clocks of that kind that have stopped (met or late),
  median and nearest-rank p90 (`projections.reports._percentile`), as the response-times
  report computes them.
* **incidents**: the quota counts of `application.vendor_terms` (the `IncidentCount`
  aggregates written with each escalation), for the quota period holding the quarter's last
  moment, and for the quarter itself.
* **fees**: the fee recorded on each `EscalatedToVendor` event in the quarter, summed per currency.
* **service credit**: the terms version in force at the quarter's last moment (the latest `Put`
  at or before it; else the shipped default), its tiers applied to the quarter's % met over
  every clock of the vendor (`domain.scorecard.credit_owed`).
* **reopen rate**: distinct issues reopened in the quarter / distinct issues resolved in the
  quarter, among issues escalated to the vendor at or before that resolution or reopen.

This module's view keeps the three facts no other view has: escalations with their fee,
resolutions and reopens, and the terms versions with the time each was put.
"""

from __future__ import annotations

import json
import statistics
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from domain.actor import Actor
from domain.compliance_scope import clock_kinds
from domain.health import Quarter
from domain.scorecard import TIME_KINDS, credit_owed, fees_per_currency, last_moment
from domain.vendor_terms import period_key
from domain.vendor_terms_defaults import default_terms_document
from projections.reports import _percentile, sla_compliance
from projections.store import Sql, ViewStore
from projections.view import Inserts, View, from_iso, iso, originator

IncidentsUsed = Callable[[str, str, datetime], int]
"""`(vendor, period, at) -> escalations counted`: `VendorTermsCommands.incidents_used`."""


class ScorecardView(View):
    name = "scorecard"
    tables = ("scorecard_escalation", "scorecard_issue_event", "scorecard_terms")

    def __init__(self) -> None:
        self._inserts = Inserts()  # rows are never read back within a batch

    def create(self, sql: Sql) -> None:
        sql.execute(
            "CREATE TABLE IF NOT EXISTS scorecard_escalation (issue_id TEXT NOT NULL, version BIGINT NOT NULL,"
            " vendor TEXT NOT NULL, occurred_at TEXT NOT NULL, fee_amount TEXT, fee_currency TEXT,"
            " over_quota INTEGER NOT NULL, PRIMARY KEY (issue_id, version))"
        )
        sql.execute(
            "CREATE TABLE IF NOT EXISTS scorecard_issue_event (issue_id TEXT NOT NULL, version BIGINT NOT NULL,"
            " kind TEXT NOT NULL, occurred_at TEXT NOT NULL, PRIMARY KEY (issue_id, version))"
        )
        sql.execute(
            "CREATE TABLE IF NOT EXISTS scorecard_terms (vendor TEXT NOT NULL, version BIGINT NOT NULL,"
            " put_at TEXT NOT NULL, document TEXT NOT NULL, PRIMARY KEY (vendor, version))"
        )

    def create_indexes(self, sql: Sql) -> None:
        sql.execute(
            "CREATE INDEX IF NOT EXISTS scorecard_escalation_vendor ON scorecard_escalation (vendor, occurred_at)"
        )
        sql.execute("CREATE INDEX IF NOT EXISTS scorecard_issue_event_at ON scorecard_issue_event (occurred_at)")

    def begin(self, sql: Sql, events: Sequence[Any]) -> None:
        self._inserts = Inserts()

    def flush(self, sql: Sql) -> None:
        self._inserts.write(sql)

    def handlers(self) -> dict[str, Callable[[Sql, Any, int], None]]:
        return {
            "Issue.EscalatedToVendor": self._escalated,
            "Issue.Resolved": self._issue_event("resolved"),
            "Issue.Reopened": self._issue_event("reopened"),
            "VendorTerms.Put": self._terms_put,
        }

    def _escalated(self, sql: Sql, e: Any, position: int) -> None:
        d = e.__dict__
        fee = d.get("fee") or {}  # absent from escalations recorded before vendor terms
        self._inserts.add(
            "INSERT INTO scorecard_escalation (issue_id, version, vendor, occurred_at, fee_amount, fee_currency,"
            " over_quota) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (issue_id, version) DO NOTHING",
            (
                originator(e),
                e.originator_version,
                str(d["vendor"]).lower(),
                iso(d["occurred_at"]),
                fee.get("amount"),
                fee.get("currency"),
                1 if d.get("quota_override_reason") else 0,
            ),
        )

    def _issue_event(self, kind: str) -> Callable[[Sql, Any, int], None]:
        def handler(sql: Sql, e: Any, position: int) -> None:
            self._inserts.add(
                "INSERT INTO scorecard_issue_event (issue_id, version, kind, occurred_at) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (issue_id, version) DO NOTHING",
                (originator(e), e.originator_version, kind, iso(e.__dict__["occurred_at"])),
            )

        return handler

    def _terms_put(self, sql: Sql, e: Any, position: int) -> None:
        d = e.__dict__
        self._inserts.add(
            "INSERT INTO scorecard_terms (vendor, version, put_at, document) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (vendor, version) DO NOTHING",
            (d["vendor"], int(d["terms_version"]), iso(d["occurred_at"]), json.dumps(d["document"], sort_keys=True)),
        )


# -- the report ---------------------------------------------------------------------------------


def terms_in_force(sql: Sql, vendor: str, at: datetime) -> tuple[int, dict[str, Any] | None, datetime | None]:
    """(version, document, put_at) of the latest terms put at or before `at`; version 0 (the
    shipped default, or None for a vendor without one) when none was put by then."""
    row = sql.execute(
        "SELECT version, put_at, document FROM scorecard_terms WHERE vendor = ? AND put_at <= ?"
        " ORDER BY version DESC LIMIT 1",
        (vendor, iso(at)),
    ).fetchone()
    if row is None:
        return 0, default_terms_document(vendor), None
    return int(row["version"]), json.loads(row["document"]), from_iso(row["put_at"])


def _times(sql: Sql, vendor: str, quarter: Quarter) -> dict[str, list[float]]:
    """Business hours used by each stopped clock of the vendor started in the quarter, per report kind."""
    rows = sql.execute(
        "SELECT kind, business_seconds_used FROM sla_clock WHERE vendor = ? AND started_at >= ? AND started_at < ?"
        " AND stopped_at IS NOT NULL",
        (vendor, iso(quarter.start), iso(quarter.end)),
    ).fetchall()
    hours: dict[str, list[float]] = {kind: [] for kind in TIME_KINDS}
    for kind in TIME_KINDS:
        kinds = clock_kinds(kind) or ()
        hours[kind] = [int(r["business_seconds_used"]) / 3600.0 for r in rows if r["kind"] in kinds]
    return hours


def _fees(sql: Sql, vendor: str, quarter: Quarter) -> list[tuple[str, str]]:
    """The (amount, currency) of each paid escalation to the vendor in the quarter."""
    rows = sql.execute(
        "SELECT fee_amount, fee_currency FROM scorecard_escalation WHERE vendor = ? AND occurred_at >= ?"
        " AND occurred_at < ?",
        (vendor, iso(quarter.start), iso(quarter.end)),
    ).fetchall()
    return [(r["fee_amount"], r["fee_currency"]) for r in rows if r["fee_amount"]]


def _reopens(sql: Sql, vendor: str, quarter: Quarter) -> tuple[int, int]:
    """(issues resolved, issues reopened) in the quarter, of those escalated to the vendor by then."""
    rows = sql.execute(
        "SELECT e.kind, COUNT(DISTINCT e.issue_id) AS n FROM scorecard_issue_event e"
        " WHERE e.occurred_at >= ? AND e.occurred_at < ? AND EXISTS (SELECT 1 FROM scorecard_escalation s"
        "  WHERE s.issue_id = e.issue_id AND s.vendor = ? AND s.occurred_at <= e.occurred_at)"
        " GROUP BY e.kind",
        (iso(quarter.start), iso(quarter.end), vendor),
    ).fetchall()
    counts = {r["kind"]: int(r["n"]) for r in rows}
    return counts.get("resolved", 0), counts.get("reopened", 0)


def _figures(row: dict[str, Any] | None) -> dict[str, Any]:
    """A compliance row without its group, or zeros for a kind without a clock."""
    if row is None:
        return {"clocks": 0, "met": 0, "breached": 0, "running": 0, "percent_met": None}
    return {k: row[k] for k in ("clocks", "met", "breached", "running", "percent_met")}


def _compliance(
    store: ViewStore, vendor: str, quarter: Quarter, viewer: Actor, now: datetime, kind: str | None
) -> dict[str, Any]:
    kinds = clock_kinds(kind)
    rows = sla_compliance(store, "vendor", viewer, now, quarter.start, quarter.end, {"vendor": vendor}, kinds)
    return _figures(next((r for r in rows if r["vendor"] == vendor), None))


def _quota(
    document: dict[str, Any] | None, vendor: str, quarter: Quarter, at: datetime, used: IncidentsUsed
) -> dict[str, Any]:
    in_quarter = used(vendor, "quarter", at) if at >= quarter.start else 0
    quota = (document or {}).get("incident_quota")
    if quota is None:
        none = dict.fromkeys(("period", "period_key", "quota", "used", "remaining"))
        return {**none, "in_quarter": in_quarter}
    count = used(vendor, quota["period"], at) if at >= quarter.start else 0
    return {
        "period": quota["period"],
        "period_key": period_key(quota["period"], at),
        "quota": int(quota["count"]),
        "used": count,
        "remaining": max(0, int(quota["count"]) - count),
        "in_quarter": in_quarter,
    }


def vendor_scorecard(
    store: ViewStore, vendor: str, quarter: Quarter, viewer: Actor, now: datetime, incidents_used: IncidentsUsed
) -> dict[str, Any]:
    """The scorecard of one vendor and quarter, as the API answers it (CSV and pages derive)."""
    at = last_moment(quarter, now)
    with store.transaction(commit=False) as sql:
        version, document, put_at = terms_in_force(sql, vendor, at)
        hours = _times(sql, vendor, quarter)
        paid = _fees(sql, vendor, quarter)
        resolved, reopened = _reopens(sql, vendor, quarter)
    kinds: dict[str, dict[str, Any]] = {}
    for kind in TIME_KINDS:
        values = hours[kind]
        kinds[kind] = {
            **_compliance(store, vendor, quarter, viewer, now, kind),
            "timed": len(values),
            "median_hours": round(statistics.median(values), 2) if values else None,
            "p90_hours": round(_percentile(values, 0.9), 2) if values else None,
        }
    overall = _compliance(store, vendor, quarter, viewer, now, None)
    credit = credit_owed((document or {}).get("service_credits") or [], overall["percent_met"])
    return {
        "vendor": vendor,
        "quarter": str(quarter),
        "period": {"from": quarter.start, "to": quarter.end},
        "judged_at": now,
        "terms": {"version": version, "put_at": put_at, "in_force_at": at, "known": document is not None},
        "kinds": kinds,
        "overall": overall,
        "incidents": _quota(document, vendor, quarter, at, incidents_used),
        "fees": fees_per_currency(paid),
        "service_credit": credit.to_dict(),
        "reopen_rate": {
            "resolved": resolved,
            "reopened": reopened,
            "rate": round(reopened / resolved, 3) if resolved else None,
        },
    }


def scorecard_rows(card: dict[str, Any]) -> list[dict[str, Any]]:
    """The scorecard flattened to (vendor, quarter, section, subject, metric, value) rows, for CSV."""
    rows: list[dict[str, Any]] = []

    def add(section: str, subject: str, metric: str, value: Any) -> None:
        rows.append(
            {
                "vendor": card["vendor"],
                "quarter": card["quarter"],
                "section": section,
                "subject": subject,
                "metric": metric,
                "value": "" if value is None else value,
            }
        )

    for kind, figures in card["kinds"].items():
        for metric, value in figures.items():
            add("clocks", kind, metric, value)
    for metric, value in card["overall"].items():
        add("clocks", "all", metric, value)
    for metric, value in card["incidents"].items():
        add("incidents", "", metric, value)
    for fee in card["fees"]:
        add("fees", fee["currency"], "amount", fee["amount"])
        add("fees", fee["currency"], "escalations", fee["escalations"])
    credit = card["service_credit"]
    add("service_credit", "", "percent_met", credit["percent_met"])
    add("service_credit", "", "credit_percent", credit["credit_percent"])
    tier = credit["tier"]
    add("service_credit", "", "below_percent_met", tier["below_percent_met"] if tier else None)
    add("service_credit", "", "terms_version", card["terms"]["version"])
    for metric, value in card["reopen_rate"].items():
        add("reopen_rate", "", metric, value)
    return rows
