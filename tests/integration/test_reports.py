"""Compliance figures recomputed by hand from a small, known history, on both stores."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from application.config import store_settings
from application.desk import KaizenDesk
from projections.catalogue import all_views
from projections.read_side import ReportQueries
from projections.reports import is_month_end
from projections.runner import ProjectionRunner
from projections.store import ViewStore
from tests.conftest import ADMIN, REPORTER, VENDOR_SAP, FakeClock, ctx

P1: dict[str, Any] = dict(description="d", module="finance", impact_scope="company", urgency="blocking", vendor="sap")


def test_vendor_response_and_compliance_figures(desk: KaizenDesk, store_url: str, clock: FakeClock) -> None:
    clock.now = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)  # a Tuesday, not month-end
    minutes = [30, 50, 90]  # SAP P1 first response target: PT1H around the clock
    for n, wait in enumerate(minutes):
        key = desk.report(ctx(REPORTER), title=f"P1 {n}", **P1).key
        desk.escalate(ctx(), key, vendor="sap", vendor_ticket=f"INC-{n}", vendor_priority="Very High")
        clock.advance(minutes=wait)
        desk.record_vendor_update(ctx(VENDOR_SAP), key, message="on it")
        clock.advance(hours=1)
    store = ViewStore(store_settings(store_url))
    runner = ProjectionRunner(desk, store, all_views())
    runner.setup()
    runner.catch_up()
    reports = ReportQueries(store)
    rows = reports.vendor_response_times(ADMIN)
    assert rows == [
        {
            "vendor": "sap",
            "priority": "P1",
            "month": "2026-03",
            "period": "rest_of_month",
            "count": 3,
            "median_hours": round(50 / 60, 2),
            "p90_hours": 1.5,
            "max_hours": 1.5,
        }
    ]
    by_vendor = {r["vendor"]: r for r in reports.sla_compliance("vendor", ADMIN, clock.now)}
    sap = by_vendor["sap"]
    # vendor_response: 2 met, 1 breached (90 min); vendor_update (PT4H): the three first intervals met,
    # and KZ-1's second interval (since its update at 02:30, due 06:30) is overdue at 07:50
    assert clock.now == datetime(2026, 3, 10, 7, 50, tzinfo=UTC)
    assert (sap["met"], sap["breached"]) == (5, 2)
    assert sap["percent_met"] == round(100 * 5 / 7, 1)
    breaches = reports.open_breaches(clock.now)  # what /metrics exports as kaizen_open_sla_breaches
    assert breaches["sap"] == 1 and breaches["internal"] == 3  # nobody answered the three reporters
    # a vendor sees only its own rows
    assert {r["vendor"] for r in reports.sla_compliance("vendor", VENDOR_SAP, clock.now)} == {"sap"}
    at_risk = reports.sla_at_risk(ADMIN, clock.now, timedelta(hours=24))
    assert {r["kind"] for r in at_risk} <= {
        "vendor_resolution",
        "vendor_update",
        "internal_resolution",
        "internal_response",
    }
    store.close()


def test_month_end_close_days() -> None:
    # March 2026: Mon 2 and Tue 3 open the month; Thu 26, Fri 27, Mon 30, Tue 31 -> last three are 27, 30, 31
    assert is_month_end(datetime(2026, 3, 2).date()) and is_month_end(datetime(2026, 3, 3).date())
    assert not is_month_end(datetime(2026, 3, 4).date())
    assert is_month_end(datetime(2026, 3, 27).date()) and is_month_end(datetime(2026, 3, 31).date())
    assert not is_month_end(datetime(2026, 3, 26).date())
    assert not is_month_end(datetime(2026, 3, 28).date())  # Saturday


def test_clock_uses_the_policy_version_in_force_when_it_started(
    desk: KaizenDesk, store_url: str, clock: FakeClock
) -> None:
    from domain.sla_defaults import default_policy_document

    before = desk.report(ctx(REPORTER), title="before", **P1).key
    desk.escalate(ctx(), before, vendor="sap", vendor_ticket="INC-A")
    clock.advance(minutes=5)
    document = default_policy_document("sap")
    document["targets"]["P1"]["response"] = "PT2H"
    assert desk.put_policy(ctx(), "sap", document).version >= 1
    clock.advance(minutes=5)
    after = desk.report(ctx(REPORTER), title="after", **P1).key
    desk.escalate(ctx(), after, vendor="sap", vendor_ticket="INC-B")
    store = ViewStore(store_settings(store_url))
    runner = ProjectionRunner(desk, store, all_views())
    runner.setup()
    runner.catch_up()
    reports = ReportQueries(store)

    def vendor_response(key: str) -> dict[str, object]:
        return next(c.to_dict() for c in reports.issue_clocks(key, clock.now) if c.kind == "vendor_response")

    assert (vendor_response(before)["policy_version"], vendor_response(before)["target"]) == (0, "PT1H")
    assert (vendor_response(after)["policy_version"], vendor_response(after)["target"]) == (1, "PT2H")
    assert desk.get_policy("sap").version == 1 and len(desk.policy_history("sap")) == 2
    store.close()
