"""Notification latency: from a committed command to the signed webhook arriving at a receiver.

For each store (SQLite, PostgreSQL when reachable): the elected worker's loops run in this
process as shipped (the projection runner, woken by LISTEN/NOTIFY on PostgreSQL and polling
every 100 ms on SQLite; the delivery loop polling the outbox every 50 ms), a webhook
subscription takes `issue.reported`, and a receiver on 127.0.0.1 verifies each signature.
Issues are reported one at a time; latency = receipt at the receiver - return of the command
(the event is committed by then). Figures: p50, p99, max over N reports.

    .venv/bin/python -m bench.notification_latency [--reports 200]
"""

from __future__ import annotations

import argparse
import http.server
import json
import operator
import os
import threading
import time
from functools import partial
from typing import Any

from adapters.transports import TRANSPORTS
from application.config import store_settings
from application.context import Context
from application.desk import KaizenDesk
from bench.common import emit, log, pg_available, store, summary, table
from domain.actor import Actor
from domain.notification_egress import EgressPolicy
from domain.notification_rules import verify
from projections.catalogue import all_views
from projections.delivery import DeliverySettings, NotificationService
from projections.runner import ProjectionRunner, running
from projections.store import ViewStore

ADMIN, REPORTER = Actor("bench-admin", "admin"), Actor("bench-reporter", "reporter")


class Receiver(http.server.ThreadingHTTPServer):
    def __init__(self, secret: list[str]) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.secret = secret
        self.arrived: dict[str, float] = {}  # issue key -> perf_counter at receipt
        self.bad_signatures = 0
        self.event = threading.Condition()
        threading.Thread(target=self.serve_forever, daemon=True).start()


class _Handler(http.server.BaseHTTPRequestHandler):
    server: Receiver

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        at = time.perf_counter()
        good = verify(
            self.server.secret[0],
            self.headers["X-Kaizen-Timestamp"],
            body,
            self.headers["X-Kaizen-Signature"],
            time.time(),
        )
        self.send_response(204)
        self.end_headers()
        with self.server.event:
            if not good:
                self.server.bad_signatures += 1
            self.server.arrived[json.loads(body)["event"]["subject"]["key"]] = at
            self.server.event.notify_all()

    def log_message(self, *args: Any) -> None:
        return


def measure(url: str, reports: int) -> dict[str, Any]:
    settings = store_settings(url)
    desk = KaizenDesk(settings)
    desk.egress = EgressPolicy.parse("127.0.0.1/32")
    views = ViewStore(settings)
    runner = ProjectionRunner(desk, views, all_views())
    runner.setup()
    secret: list[str] = []
    receiver = Receiver(secret)
    _, created = desk.create_subscription(
        Context(ADMIN),
        kind="webhook",
        events=["issue.reported"],
        target=f"http://127.0.0.1:{receiver.server_address[1]}/hook",
    )
    secret.append(created or "")
    stop = threading.Event()
    service = NotificationService(desk, views, None, DeliverySettings.from_env(), transports=TRANSPORTS)
    loop = threading.Thread(target=service.run, args=(stop,), daemon=True)
    latencies: list[float] = []
    try:
        with running(runner):
            loop.start()
            for n in range(reports + 5):  # the first five warm up connections and caches
                key = desk.report(
                    Context(REPORTER),
                    title=f"Bench issue {n}",
                    description="d",
                    module="finance",
                    impact_scope="team",
                    urgency="degraded",
                    vendor="sap",
                ).key
                committed = time.perf_counter()
                with receiver.event:
                    if not receiver.event.wait_for(partial(operator.contains, receiver.arrived, key), timeout=30):
                        raise RuntimeError(f"{key} was not delivered within 30 s")
                if n >= 5:
                    latencies.append((receiver.arrived[key] - committed) * 1000)
    finally:
        stop.set()
        loop.join(timeout=15)
        receiver.shutdown()
        receiver.server_close()
        views.close()
        desk.close()
    return {**summary(latencies), "bad_signatures": receiver.bad_signatures}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=int, default=200)
    args = parser.parse_args()
    os.environ.setdefault("KAIZEN_NOTIFICATIONS", "on")
    rows = []
    for engine in ("sqlite", "postgres"):
        if engine == "postgres" and not pg_available():
            log("PostgreSQL unreachable: skipped")
            continue
        with store(engine, "kaizen_bench_notify") as url:
            log(f"{engine}: {args.reports} reports")
            figures = measure(url, args.reports)
        emit("notification_latency", {"store": engine, **figures})
        rows.append(
            (engine, figures["n"], figures["p50_ms"], figures["p99_ms"], figures["max_ms"], figures["bad_signatures"])
        )
    table("Event -> signed webhook at a local receiver (ms)", ("store", "n", "p50", "p99", "max", "bad sig"), rows)


if __name__ == "__main__":
    main()
