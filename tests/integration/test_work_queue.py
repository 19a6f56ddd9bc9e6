"""The work queue's order, on both stores, against the rule written out by hand: next due time
first (the earliest due time among an issue's running clocks), issues with no running clock
after them in report order; by priority, the same within each priority. The wide-tab query
reads the clocks' due-time index a page at a time, so the test crosses pages with small limits."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from typing import Any

import pytest

from application.config import store_settings
from application.desk import KaizenDesk
from projections import work_queue as queue_module
from projections.catalogue import all_views
from projections.runner import ProjectionRunner
from projections.store import ViewStore
from projections.work_queue import work_queue
from tests.conftest import ADMIN, REPORTER, FakeClock, ctx, enrol_assignees

SCOPES = ("user", "team", "department", "company")
URGENCIES = ("minor", "degraded", "blocking")


def expected(store: ViewStore, by_priority: bool) -> list[str]:
    """Every open issue in queue order, computed from whole tables in Python."""
    with store.transaction(commit=False) as sql:
        issues = [dict(r) for r in sql.execute("SELECT key, seq, priority, status FROM issue_list").fetchall()]
        clocks = [
            dict(r) for r in sql.execute("SELECT issue_key, due_at, stopped_at, paused FROM sla_clock").fetchall()
        ]
    due: dict[str, str] = {}
    for c in clocks:
        if c["stopped_at"] is None and not c["paused"]:
            due[c["issue_key"]] = min(due.get(c["issue_key"], c["due_at"]), c["due_at"])
    open_issues = [i for i in issues if i["status"] not in ("resolved", "closed")]

    def order(i: dict[str, Any]) -> tuple[Any, ...]:
        moment = due.get(i["key"])
        base = (moment is None, moment or "", int(i["seq"]))
        return (i["priority"], *base) if by_priority else base

    return [i["key"] for i in sorted(open_issues, key=order)]


@pytest.mark.parametrize("walk", [True, False], ids=["index-walk", "sorted-outright"])
@pytest.mark.parametrize("sort", ["due", "priority"])
def test_the_queue_is_in_next_due_order_across_pages(
    desk: KaizenDesk, store_url: str, clock: FakeClock, sort: str, walk: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Both ways of reading the queue (a wide tab walks the clocks' index, a narrow one sorts
    its issues outright: `work_queue.FEW`) give the order written out by hand."""
    monkeypatch.setattr(queue_module, "FEW", -1 if walk else 10_000)
    enrol_assignees(desk, "admin-wong")
    rng = random.Random(11)
    clock.now = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
    for n in range(40):
        key = desk.report(
            ctx(REPORTER),
            title=f"Queue order {n}",
            description="d",
            module="finance",
            impact_scope=rng.choice(SCOPES),
            urgency=rng.choice(URGENCIES),
        ).key
        roll = rng.random()
        if roll < 0.3:
            desk.triage(ctx(), key, assignee="admin-wong")
            desk.wait(ctx(), key, on="reporter", reason="which plant?")  # paused: no running clock
        elif roll < 0.45:
            desk.resolve(ctx(), key, resolution="fixed")
        clock.advance(minutes=rng.randint(1, 90))
    views = ViewStore(store_settings(store_url))
    try:
        runner = ProjectionRunner(desk, views, all_views())
        runner.setup()
        runner.catch_up()
        want = expected(views, by_priority=sort == "priority")
        assert len(want) > 20
        for limit in (1, 3, 7, 100):
            rows, more = work_queue(views, ADMIN, clock.now, sort=sort, limit=limit)
            assert [r["key"] for r in rows] == want[:limit], limit
            assert more == (len(want) > limit)
    finally:
        views.close()
