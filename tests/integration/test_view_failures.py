"""A view that fails on an event: it says so (where, what, since when) and holds no other view back.

The failing view here is a small real view whose handler raises for one event type while it is
"broken"; everything else (the log, the views, the tracking, the failures table) is the product's.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from typing import Any
from uuid import uuid4

import pytest
from eventsourcing.persistence import StoredEvent

from application.config import store_settings
from application.desk import KaizenDesk
from projections import runner as runner_module
from projections import stalls
from projections.catalogue import all_views
from projections.runner import ProjectionRunner, ViewStuck
from projections.store import Sql, ViewStore
from projections.view import View, originator
from tests.conftest import ADMIN, REPORTER, FakeClock, ctx, enrol_assignees


class TriageLedger(View):
    """Counts triages per issue; while `broken`, it cannot take `Issue.Triaged` (a bug in a
    deploy, fixed by the next one)."""

    name = "triage_ledger"
    tables = ("triage_ledger",)

    def __init__(self) -> None:
        self.broken = True

    def create(self, sql: Sql) -> None:
        sql.execute("CREATE TABLE IF NOT EXISTS triage_ledger (issue_id TEXT PRIMARY KEY, triages BIGINT NOT NULL)")

    def handlers(self) -> dict[str, Callable[[Sql, Any, int], None]]:
        return {"Issue.Triaged": self._triaged}

    def _triaged(self, sql: Sql, event: Any, position: int) -> None:
        if self.broken:
            raise ValueError(f"cannot count the triage of {originator(event)}\nsecond line never shown")
        sql.execute(
            "INSERT INTO triage_ledger (issue_id, triages) VALUES (?, 1) "
            "ON CONFLICT (issue_id) DO UPDATE SET triages = triage_ledger.triages + 1",
            (originator(event),),
        )


def report(desk: KaizenDesk, title: str) -> str:
    receipt = desk.report(
        ctx(REPORTER),
        title=title,
        description="d",
        module="finance",
        impact_scope="company",
        urgency="blocking",
        vendor="sap",
    )
    return receipt.key


@pytest.fixture
def parts(store_url: str, clock: FakeClock) -> Iterator[tuple[KaizenDesk, ViewStore, str]]:
    desk = KaizenDesk(store_settings(store_url), clock=clock)
    store = ViewStore(store_settings(store_url))
    enrol_assignees(desk, "wong")
    try:
        yield desk, store, store_url
    finally:
        store.close()
        desk.close()


def triage_position(desk: KaizenDesk) -> int:
    return next(n.id for n in desk.recorder.select_notifications(start=1, limit=1000) if "Triaged" in n.topic)


def test_a_failing_view_records_its_event_and_the_others_go_on(
    parts: tuple[KaizenDesk, ViewStore, str], caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    desk, store, url = parts
    ledger = TriageLedger()
    runner = ProjectionRunner(desk, store, [*all_views(), ledger], batch_size=5)
    runner.setup()
    first = report(desk, "Posting run stops")
    desk.triage(ctx(ADMIN), first, assignee="wong")
    for n in range(4):
        report(desk, f"later issue {n}")
    failing_at = triage_position(desk)
    head = runner.head()

    monkeypatch.setattr(runner_module, "RETRY_FAILING_SECONDS", 0.0)  # every step retries
    with caplog.at_level(logging.DEBUG, logger="kaizen.projections"):
        for _ in range(4):
            runner.catch_up()

    positions = runner.positions()
    assert positions[ledger.name] == failing_at - 1
    assert all(position == head for name, position in positions.items() if name != ledger.name)
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1 and errors[0].exc_info is not None  # once, with its traceback, not per retry
    assert ledger.name in errors[0].getMessage() and str(failing_at) in errors[0].getMessage()

    # Another process (a web worker) reads the failure from the store.
    other = ViewStore(store_settings(url))
    try:
        (failure,) = stalls.current(other, other.positions([v.name for v in runner.views]))
    finally:
        other.close()
    assert (failure.view, failure.position) == (ledger.name, failing_at)
    assert failure.error == f"ValueError: cannot count the triage of {desk.get_issue(first).id}"
    since = failure.since

    # A runner that takes over keeps `since`: the view has failed on this event all along.
    takeover = ProjectionRunner(desk, store, [*all_views(), ledger], batch_size=5)
    takeover.catch_up()
    assert [(f.view, f.position, f.since) for f in takeover.failures()] == [(ledger.name, failing_at, since)]

    ledger.broken = False  # the fix is deployed
    takeover.catch_up()
    assert takeover.positions()[ledger.name] == head and takeover.failures() == []
    assert stalls.current(store, takeover.positions()) == []
    with store.transaction(commit=False) as sql:
        assert sql.execute("SELECT COUNT(*) AS n FROM view_failures").scalar() == 0
        assert sql.execute("SELECT triages FROM triage_ledger").scalar() == 1


def test_a_rebuild_that_cannot_pass_an_event_says_which(parts: tuple[KaizenDesk, ViewStore, str]) -> None:
    desk, store, _ = parts
    ledger = TriageLedger()
    runner = ProjectionRunner(desk, store, [*all_views(), ledger])
    runner.setup()
    key = report(desk, "Posting run stops")
    desk.triage(ctx(ADMIN), key, assignee="wong")
    with pytest.raises(ViewStuck) as stuck:
        runner.rebuild([ledger.name, "issue_list"])
    assert str(stuck.value) == (
        f"view triage_ledger fails on event {triage_position(desk)}: "
        f"ValueError: cannot count the triage of {desk.get_issue(key).id}"
    )
    assert runner.positions()["issue_list"] == runner.head()


def test_an_event_no_module_can_read_stops_every_view_there_and_says_so(
    parts: tuple[KaizenDesk, ViewStore, str],
) -> None:
    """An event whose class no longer exists (a module removed, a topic renamed without an
    alias): no view can apply it, so each records it, and none skips it."""
    desk, store, _ = parts
    runner = ProjectionRunner(desk, store, all_views())
    runner.setup()
    report(desk, "Before the unreadable event")
    desk.recorder.insert_events([StoredEvent(uuid4(), 1, "domain.retired:Vanished.Happened", b"{}")])
    unreadable = runner.head()
    report(desk, "After it")
    runner.catch_up()
    assert set(runner.positions().values()) == {unreadable - 1}
    failures = stalls.current(store, runner.positions())
    assert [f.view for f in failures] == sorted(v.name for v in all_views())
    assert {f.position for f in failures} == {unreadable}
    assert all("domain.retired" in f.error and "\n" not in f.error for f in failures)
