"""The quarterly health check on both stores: every figure from a known history, every rule
triggered by it, and the improvement views rebuilt equal to their incremental build."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import pytest

from application.config import store_settings
from application.desk import KaizenDesk
from domain.actor import Actor
from domain.health import Quarter
from projections.agenda import MeetingView
from projections.catalogue import all_views
from projections.health_check import HealthView, health_report, report_rows
from projections.runner import ProjectionRunner
from projections.store import ViewStore
from projections.suggestion_ranking import SuggestionRankingView
from projections.workarounds import WorkaroundView
from tests.conftest import ADMIN, FakeClock, ctx

ORACLE = Actor("oracle-support", "vendor:oracle")
AUDITOR = Actor("audrey", "auditor")
USERS = [Actor(f"user{n}", "reporter") for n in range(6)]
AFTER_Q3 = datetime(2026, 10, 5, 1, 0, tzinfo=UTC)


@pytest.fixture
def store(desk: KaizenDesk, store_url: str) -> Iterator[ViewStore]:
    views = ViewStore(store_settings(store_url))
    try:
        yield views
    finally:
        views.close()


def catch_up(desk: KaizenDesk, store: ViewStore) -> ProjectionRunner:
    runner = ProjectionRunner(desk, store, all_views(), batch_size=9)
    runner.setup()
    runner.catch_up()
    return runner


def warehouse_issue(desk: KaizenDesk, clock: FakeClock, by: Actor, resolve_after: float | None) -> str:
    key = desk.report(
        ctx(by), title="Picking list wrong", description="d", module="warehouse", impact_scope="team", urgency="minor"
    ).key
    if resolve_after is not None:
        clock.advance(hours=resolve_after)
        desk.resolve(ctx(), key, resolution="fixed the layout")
    return key


def quarter_history(desk: KaizenDesk, clock: FakeClock) -> dict[str, str]:
    """Q2: 2 warehouse issues resolved in 10 h. Q3: 5 warehouse issues resolved in 20 h (one reopened),
    3 Oracle escalations answered late, measurements falling, an overdue workaround, 1 of 7 staff
    taking part in suggestions."""
    keys: dict[str, str] = {}
    clock.now = datetime(2026, 5, 4, 1, 0, tzinfo=UTC)
    for n in range(2):
        warehouse_issue(desk, clock, USERS[n], 10)
    desk.record_measurement(ctx(), "2026Q2", module="warehouse", process_execution_rate=0.85)
    clock.now = datetime(2026, 7, 6, 1, 0, tzinfo=UTC)
    for n in range(5):
        keys[f"w{n}"] = warehouse_issue(desk, clock, USERS[n], 20)
    desk.reopen(ctx(), keys["w0"], reason="still wrong")
    desk.record_workaround(
        ctx(), keys["w0"], kind="manual_report", description="paper picking list", retire_by=date(2026, 8, 31)
    )
    for n in range(3):
        key = desk.report(
            ctx(USERS[5]),
            title=f"PO approval {n}",
            description="d",
            module="purchasing",
            impact_scope="company",
            urgency="blocking",
            vendor="oracle",
        ).key
        desk.escalate(ctx(), key, vendor="oracle", vendor_ticket=f"SR-{n}")
        clock.advance(hours=2)  # the P1 response target is one hour around the clock
        desk.record_vendor_update(ctx(ORACLE), key, message="queued")
    desk.record_measurement(
        ctx(), "2026Q3", module="warehouse", data_accuracy=0.99, process_execution_rate=0.80, user_activity=0.9
    )
    desk.record_measurement(
        ctx(), "2026Q3", module="finance", data_accuracy=0.97, process_execution_rate=0.65, user_activity=0.50
    )
    desk.record_measurement(ctx(), "2026Q3", module="finance", data_accuracy=0.90, source="erp-sync")  # correction
    keys["idea"] = desk.submit_suggestion(
        ctx(USERS[3]), title="Print picking lists by zone", description="d", module="warehouse"
    ).key
    desk.vote(ctx(USERS[3]), keys["idea"])
    return keys


def test_figures_and_recommendations_of_a_quarter(desk: KaizenDesk, clock: FakeClock, store: ViewStore) -> None:
    quarter_history(desk, clock)
    catch_up(desk, store)
    report = health_report(store, "2026Q3", ADMIN, AFTER_Q3)
    assert report["as_of"] == datetime(2026, 10, 1, tzinfo=UTC) and report["previous_quarter"] == "2026Q2"
    modules = {m["module"]: m for m in report["modules"]}
    assert list(modules) == ["finance", "warehouse", "purchasing"]  # in the vocabulary's order
    warehouse = modules["warehouse"]
    assert (warehouse["issues"], warehouse["issues_previous"], warehouse["trend"], warehouse["change_percent"]) == (
        5,
        2,
        "rising",
        150.0,
    )
    assert (warehouse["process_execution_rate"], warehouse["previous"]["process_execution_rate"]) == (0.80, 0.85)
    assert (modules["finance"]["data_accuracy"], modules["finance"]["user_activity"]) == (0.90, 0.50)
    assert report["reopen_rate"] == {"resolved": 5, "reopened": 1, "rate": 0.2}
    assert report["time_to_resolve"] == {"median_hours": 20.0, "median_hours_previous": 10.0}
    assert report["workarounds"] == {"open": 1, "overdue": 1}
    assert report["participation"] == {"staff": 7, "participants": 1, "rate": 0.143}  # 6 users and the admin
    oracle = next(v for v in report["sla_by_vendor"] if v["vendor"] == "oracle")
    assert oracle["breached"] >= 3 and oracle["percent_met"] is not None and oracle["percent_met"] < 80
    fired = {(r["rule"], r["subject"]) for r in report["recommendations"]}
    assert {
        ("training", "warehouse"),
        ("process_review", "finance"),
        ("data_cleansing", "finance"),
        ("adoption", "finance"),
        ("vendor_sla_review", "oracle"),
        ("root_cause_review", None),
        ("resolution_slowing", None),
        ("retire_workarounds", None),
        ("participation_campaign", None),
    } <= fired
    training = next(r for r in report["recommendations"] if r["rule"] == "training")
    assert training["figures"] == {
        "issues": 5,
        "issues_previous": 2,
        "process_execution_rate": 0.8,
        "process_execution_rate_previous": 0.85,
    }
    rows = report_rows(report)
    assert {"quarter": "2026Q3", "section": "module", "subject": "warehouse", "metric": "issues", "value": 5} in rows
    assert sum(1 for r in rows if r["section"] == "recommendation") == len(report["recommendations"])


def test_a_running_quarter_is_judged_as_of_now(desk: KaizenDesk, clock: FakeClock, store: ViewStore) -> None:
    quarter_history(desk, clock)
    catch_up(desk, store)
    mid = datetime(2026, 8, 15, tzinfo=UTC)
    report = health_report(store, "2026Q3", AUDITOR, mid)
    assert report["as_of"] == mid and report["workarounds"] == {"open": 1, "overdue": 0}
    assert "retire_workarounds" not in {r["rule"] for r in report["recommendations"]}
    empty = health_report(store, "2025Q1", ADMIN, AFTER_Q3)
    assert empty["modules"] == [] and empty["recommendations"] == [] and empty["participation"]["staff"] == 0


def test_the_current_quarter_of_a_time() -> None:
    assert str(Quarter.containing(AFTER_Q3)) == "2026Q4"


def _dump(store: ViewStore) -> dict[str, list[tuple[tuple[str, str], ...]]]:
    mine = [SuggestionRankingView(), WorkaroundView(), MeetingView(), HealthView()]
    out = {}
    with store.transaction(commit=False) as sql:
        for table in (t for v in mine for t in v.tables):
            rows = sql.execute(f"SELECT * FROM {table}").fetchall()
            out[table] = sorted(tuple(sorted((k, str(v)) for k, v in r.items())) for r in rows)
    return out


def test_rebuild_equals_the_incremental_build(desk: KaizenDesk, clock: FakeClock, store: ViewStore) -> None:
    runner = ProjectionRunner(desk, store, all_views(), batch_size=4)
    runner.setup()
    keys = quarter_history(desk, clock)
    runner.catch_up()
    other = desk.submit_suggestion(ctx(USERS[1]), title="Zone picking", description="d", module="warehouse").key
    desk.vote(ctx(USERS[2]), other)
    desk.merge(ctx(), other, into=keys["idea"])
    meeting = desk.schedule_meeting(
        ctx(), cadence="quarterly", date=date(2026, 10, 2), attendees=[{"name": "Mr Lee", "department": "warehouse"}]
    ).key
    runner.catch_up()
    desk.take_decision(
        ctx(),
        meeting,
        kind="reschedule_workaround",
        subject=keys["w0"],
        workaround_id="w1",
        retire_by=clock.now.date() + timedelta(days=30),
    )
    desk.take_decision(ctx(), meeting, kind="review_suggestion", subject=keys["idea"], impact=4, effort=2)
    desk.close_meeting(ctx(), meeting, minutes="Quarterly review")
    desk.retire_workaround(ctx(), keys["w0"], "w1", note="report built")
    runner.catch_up()
    incremental = _dump(store)
    assert incremental["suggestion_vote"] and incremental["meeting"] and incremental["health_measurement"]
    runner.rebuild([v.name for v in (SuggestionRankingView(), WorkaroundView(), MeetingView(), HealthView())])
    assert _dump(store) == incremental
