"""Time-driven SLA alerts on both stores: once per clock and threshold, across restarts and
racing workers, and caught up after the worker was down across a due time."""

from __future__ import annotations

import http.server
import json
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from adapters.transports import TRANSPORTS
from application.config import store_settings
from application.desk import KaizenDesk
from domain.notification_egress import EgressPolicy
from domain.sla_alert import SlaAlert
from projections.alerts import AlertScheduler, AlertSettings
from projections.catalogue import all_views
from projections.delivery import DeliverySettings, NotificationService
from projections.outbox import OUTBOX
from projections.runner import ProjectionRunner
from projections.store import ViewStore
from projections.view import from_iso
from tests.conftest import REPORTER, FakeClock, ctx

SLA = ["sla.at_risk", "sla.breached"]


class Receiver(http.server.ThreadingHTTPServer):
    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.bodies: list[dict[str, Any]] = []
        threading.Thread(target=self.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/alerts"


class Handler(http.server.BaseHTTPRequestHandler):
    server: Receiver

    def do_POST(self) -> None:
        self.server.bodies.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        return


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def store(desk: KaizenDesk, store_url: str) -> Iterator[ViewStore]:
    views = ViewStore(store_settings(store_url))
    ProjectionRunner(desk, views, all_views()).setup()
    desk.egress = EgressPolicy.parse("127.0.0.1/32")
    try:
        yield views
    finally:
        views.close()


def project(desk: KaizenDesk, store: ViewStore) -> None:
    ProjectionRunner(desk, store, all_views()).catch_up()


def scheduler(desk: KaizenDesk, store: ViewStore) -> AlertScheduler:
    return AlertScheduler(desk, store, AlertSettings(), catch_up_wait=0)


def reported_clock(desk: KaizenDesk, store: ViewStore, kind: str = "internal_response") -> tuple[str, dict[str, Any]]:
    key = desk.report(
        ctx(REPORTER),
        title="MRP run fails",
        description="d",
        module="production",
        impact_scope="company",
        urgency="blocking",
        vendor="sap",
    ).key
    project(desk, store)
    with store.transaction(commit=False) as sql:
        row = sql.execute("SELECT * FROM sla_clock WHERE issue_key = ? AND kind = ?", (key, kind)).fetchone()
    assert row is not None
    return key, row


def alert_events(desk: KaizenDesk) -> list[Any]:
    from eventsourcing.utils import get_topic

    topic = get_topic(SlaAlert.Raised)  # type: ignore[attr-defined]  # made by @event at class creation
    return [desk.mapper.to_domain_event(n) for n in desk.recorder.select_notifications(1, 10_000, topics=[topic])]


def times(row: dict[str, Any]) -> tuple[Any, Any]:
    due = from_iso(row["due_at"])
    assert due is not None
    return due - timedelta(seconds=row["target_seconds"] * 0.2), due


def test_each_threshold_is_raised_once_even_after_a_restart(
    desk: KaizenDesk, store: ViewStore, clock: FakeClock
) -> None:
    desk.create_subscription(ctx(), kind="webhook", target="http://127.0.0.1:9/x", events=SLA)
    key, row = reported_clock(desk, store)
    at_risk, due = times(row)
    clock.now = at_risk - timedelta(seconds=1)
    assert scheduler(desk, store).scan() == 0
    clock.now = at_risk + timedelta(seconds=1)
    first = scheduler(desk, store)
    assert first.scan() == 1
    project(desk, store)
    assert first.scan() == 0 and scheduler(desk, store).scan() == 0  # the same worker, and a restarted one
    clock.now = due + timedelta(seconds=1)
    assert first.scan() == 1
    project(desk, store)
    assert scheduler(desk, store).scan() == 0
    events = alert_events(desk)
    assert [(e.issue_key, e.clock_kind, e.threshold) for e in events] == [
        (key, "internal_response", "sla.at_risk"),
        (key, "internal_response", "sla.breached"),
    ]
    assert events[1].occurred_at == due  # business time of the fact: the due time itself
    with store.transaction(commit=False) as sql:
        rows = sql.execute(f"SELECT event_type, notice FROM {OUTBOX} ORDER BY position").fetchall()
    assert [r["event_type"] for r in rows] == SLA
    assert json.loads(rows[1]["notice"])["data"]["clock"] == "internal_response"


def test_a_clock_stopped_in_time_raises_nothing(desk: KaizenDesk, store: ViewStore, clock: FakeClock) -> None:
    desk.create_subscription(ctx(), kind="webhook", target="http://127.0.0.1:9/x", events=SLA)
    key, row = reported_clock(desk, store)
    at_risk, due = times(row)
    clock.now = at_risk - timedelta(seconds=5)
    desk.respond(ctx(), key, message="looking into it")
    project(desk, store)
    clock.now = due + timedelta(minutes=5)
    scheduler(desk, store).scan()
    assert [e for e in alert_events(desk) if e.clock_kind == "internal_response"] == []


def test_no_alert_events_without_a_subscriber(desk: KaizenDesk, store: ViewStore, clock: FakeClock) -> None:
    _, row = reported_clock(desk, store)
    clock.now = times(row)[1] + timedelta(minutes=1)
    assert scheduler(desk, store).scan() == 0 and alert_events(desk) == []


def test_two_workers_racing_raise_each_alert_once(
    desk: KaizenDesk, store: ViewStore, store_url: str, clock: FakeClock
) -> None:
    desk.create_subscription(ctx(), kind="webhook", target="http://127.0.0.1:9/x", events=SLA)
    _, row = reported_clock(desk, store)
    clock.now = times(row)[1] + timedelta(seconds=1)
    other_desk = KaizenDesk(store_settings(store_url), clock=clock)
    other_store = ViewStore(store_settings(store_url))
    results: list[int] = []
    barrier = threading.Barrier(2)

    def race(d: KaizenDesk, s: ViewStore) -> None:
        barrier.wait()
        results.append(scheduler(d, s).scan())

    try:
        threads = [threading.Thread(target=race, args=pair) for pair in ((desk, store), (other_desk, other_store))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
    finally:
        other_store.close()
        other_desk.close()
    assert sorted(results) == [0, 1]
    assert [e.threshold for e in alert_events(desk) if e.clock_kind == "internal_response"] == ["sla.breached"]
    # the ledger itself: a second recording of the same alert is refused by the store
    again = {
        "issue_key": row["issue_key"],
        "clock_kind": "internal_response",
        "vendor": row["vendor"],
        "priority": row["priority"],
        "threshold": "sla.breached",
        "started_at": from_iso(row["started_at"]),
        "due_at": times(row)[1],
        "target_seconds": row["target_seconds"],
        "threshold_at": times(row)[1],
    }
    assert desk.raise_sla_alert(**again) is False


class Worker:
    """The elected worker's two loops (projections; alerts and deliveries) in threads."""

    def __init__(self, store_url: str, clock: FakeClock) -> None:
        settings = store_settings(store_url)
        self.desk = KaizenDesk(settings, clock=clock)
        self.desk.egress = EgressPolicy.parse("127.0.0.1/32")
        self.store = ViewStore(settings)
        runner = ProjectionRunner(self.desk, self.store, all_views())
        runner.setup()
        self.stop = threading.Event()
        service = NotificationService(
            self.desk,
            self.store,
            None,
            DeliverySettings(timeout=2, poll=0.02),
            AlertSettings(interval=0.05),
            transports=TRANSPORTS,
        )
        self.threads = [
            threading.Thread(target=runner.run, args=(self.stop, None, 0.1), daemon=True),
            threading.Thread(target=service.run, args=(self.stop,), daemon=True),
        ]
        for thread in self.threads:
            thread.start()

    def halt(self) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=15)
        self.store.close()
        self.desk.close()


def wait_until(predicate: Any, timeout: float = 20.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


@pytest.mark.slow
def test_worker_down_across_a_due_time_delivers_the_breach_once_after_restart(
    desk: KaizenDesk, store: ViewStore, store_url: str, clock: FakeClock, receiver: Receiver
) -> None:
    desk.create_subscription(ctx(), kind="webhook", target=receiver.url, events=["sla.breached"])
    worker = Worker(store_url, clock)
    try:
        key, row = reported_clock(desk, store)
        assert wait_until(lambda: store.position("notifications") >= int(desk.recorder.max_notification_id() or 0))
        time.sleep(0.3)  # several scans while nothing is due
        assert receiver.bodies == []
    finally:
        worker.halt()
    clock.now = times(row)[1] + timedelta(minutes=30)  # the due time passes while no worker runs
    worker = Worker(store_url, clock)
    try:
        assert wait_until(lambda: len(receiver.bodies) >= 1)
        time.sleep(0.5)  # many more scans and delivery passes: still one
    finally:
        worker.halt()
    worker = Worker(store_url, clock)  # and another restart adds nothing
    try:
        time.sleep(0.5)
    finally:
        worker.halt()
    [body] = receiver.bodies
    assert body["type"] == "sla.breached" and body["event"]["subject"]["key"] == key
    assert body["event"]["data"]["clock"] == "internal_response"
