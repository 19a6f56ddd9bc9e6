"""The elected worker signs checkpoints on its interval, and `audit.checkpoint` reaches
subscribers through the outbox like any other notification, on both stores."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from adapters.checkpoint_keys import generate, public_path
from adapters.checkpoint_log import log_file
from adapters.transports import TRANSPORTS
from application.checkpoints import CheckpointSettings, parse_interval
from application.config import store_settings
from application.desk import KaizenDesk
from domain.notification_egress import EgressPolicy
from interfaces.checkpoint_worker import CheckpointService
from projections.catalogue import all_views
from projections.delivery import DeliverySettings, DeliveryWorker
from projections.runner import ProjectionRunner
from projections.store import ViewStore
from tests.conftest import REPORTER, ctx
from tests.integration.test_notification_alerts import Receiver


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


class Leader:
    is_leader = True


class Standby:
    is_leader = False


def test_the_leader_signs_publishes_and_tells_subscribers(
    desk: KaizenDesk, store_url: str, tmp_path: Path, receiver: Receiver
) -> None:
    key = tmp_path / "checkpoint.key"
    generate(key)
    settings = CheckpointSettings(key=str(key), directory=str(tmp_path / "published"), interval=3600)
    views = ViewStore(store_settings(store_url))
    try:
        runner = ProjectionRunner(desk, views, all_views())
        runner.setup()
        desk.egress = EgressPolicy.parse("127.0.0.1/32")
        desk.create_subscription(ctx(), kind="webhook", target=receiver.url, events=["audit.checkpoint"], language="en")
        desk.report(
            ctx(REPORTER),
            title="t",
            description="d",
            module="finance",
            impact_scope="team",
            urgency="minor",
            vendor="sap",
        )
        service = CheckpointService(desk, Leader(), settings)
        first = service.round()
        assert first is not None and first["position"] >= 3
        runner.catch_up()
        worker = DeliveryWorker(desk, views, DeliverySettings(timeout=2), transports=TRANSPORTS)
        deadline = time.monotonic() + 10
        while not receiver.bodies and time.monotonic() < deadline:
            worker.deliver_due()
            time.sleep(0.05)
        assert [b["type"] for b in receiver.bodies] == ["audit.checkpoint"]
        assert receiver.bodies[0]["event"]["data"] == first  # the whole signed checkpoint, off-site
        lines = [json.loads(line) for line in log_file(settings.directory or "").read_text().splitlines()]
        assert lines == [first]
        assert service.round() is None  # only its own notice since: an idle desk is not re-signed
        desk.report(ctx(REPORTER), title="t2", description="d", module="finance", impact_scope="team", urgency="minor")
        second = CheckpointService(desk, Leader(), settings).round()
        assert second is not None and second["position"] > first["position"]
        assert public_path(key).exists()
    finally:
        views.close()


def test_a_standby_worker_signs_nothing(desk: KaizenDesk, tmp_path: Path) -> None:
    import threading

    key = tmp_path / "checkpoint.key"
    generate(key)
    settings = CheckpointSettings(key=str(key), directory=str(tmp_path / "published"), interval=1)
    stop = threading.Event()
    thread = threading.Thread(target=CheckpointService(desk, Standby(), settings).run, args=(stop,), daemon=True)
    thread.start()
    time.sleep(1.2)
    stop.set()
    thread.join(timeout=5)
    assert not log_file(settings.directory or "").exists()


def test_the_interval_reads_seconds_minutes_and_hours() -> None:
    assert [parse_interval(t) for t in ("3600", "90s", "15m", "1h")] == [3600, 90, 900, 3600]
    assert CheckpointSettings.from_env({}).interval == 3600
    for bad in ("soon", "0", "-5m", "1e400h"):
        with pytest.raises(ValueError, match="KAIZEN_CHECKPOINT_INTERVAL"):
            parse_interval(bad)
