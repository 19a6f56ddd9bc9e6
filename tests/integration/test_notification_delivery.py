"""The outbox and the delivery worker on both stores, against real local receivers: an HTTP
server in a thread (signatures, 500s, timeouts, redirects) and an aiosmtpd SMTP server."""

from __future__ import annotations

import http.server
import json
import socket
import threading
import time
from collections.abc import Iterator
from email import message_from_bytes
from email.header import decode_header, make_header
from typing import Any

import pytest

from adapters.transports import TRANSPORTS
from application.config import store_settings
from application.desk import KaizenDesk
from application.ports import Resolver
from domain.notification_egress import EgressPolicy
from domain.notification_rules import RETRY_DELAYS, verify
from projections.catalogue import all_views
from projections.delivery import DeliverySettings, DeliveryWorker
from projections.outbox import OUTBOX
from projections.outbox_queries import list_deliveries
from projections.ports import Sent, SmtpSettings, Transports
from projections.runner import ProjectionRunner
from projections.store import ViewStore
from tests.conftest import ADMIN, REPORTER, FakeClock, ctx, enrol_assignees


class Receiver(http.server.ThreadingHTTPServer):
    """Records every request; `script` (status codes, or "slow") answers them in turn, then 200."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.requests: list[tuple[dict[str, str], bytes]] = []
        self.script: list[Any] = []
        threading.Thread(target=self.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/hooks/kaizen"

    def close(self) -> None:
        self.shutdown()
        self.server_close()


class Handler(http.server.BaseHTTPRequestHandler):
    server: Receiver

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.server.requests.append((dict(self.headers.items()), body))
        answer = self.server.script.pop(0) if self.server.script else 200
        if answer == "slow":
            time.sleep(1.5)
            answer = 200
        self.send_response(int(answer) if not isinstance(answer, tuple) else answer[0])
        if isinstance(answer, tuple):
            self.send_header("Location", answer[1])
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        return


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    try:
        yield server
    finally:
        server.close()


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


def subscribe(desk: KaizenDesk, target: str, kind: str = "webhook", **changes: Any) -> tuple[str, str]:
    fields: dict[str, Any] = {
        "events": ["issue.reported", "issue.escalated", "issue.status_changed"],
        "language": "en",
        **changes,
    }
    receipt, secret = desk.create_subscription(ctx(), kind=kind, target=target, **fields)
    assert secret is not None
    return receipt.key, secret


def report(desk: KaizenDesk, vendor: str = "sap") -> str:
    return desk.report(
        ctx(REPORTER),
        title="月结凭证无法过账",
        description="d",
        module="finance",
        impact_scope="company",
        urgency="blocking",
        vendor=vendor,
        site="HK",
    ).key


def outbox(store: ViewStore) -> list[dict[str, Any]]:
    with store.transaction(commit=False) as sql:
        return sql.execute(f"SELECT * FROM {OUTBOX} ORDER BY position, subscription_id").fetchall()


def test_one_outbox_row_per_event_and_subscription_and_rebuild_keeps_delivery_state(
    desk: KaizenDesk, store: ViewStore, receiver: Receiver, clock: FakeClock
) -> None:
    everything, _ = subscribe(desk, receiver.url)
    oracle_only, _ = subscribe(desk, receiver.url, filters={"vendor": ["oracle"]})
    enrol_assignees(desk, "admin-wong")
    key = report(desk)
    desk.triage(ctx(), key, assignee="admin-wong")
    desk.escalate(ctx(), key, vendor="oracle", vendor_ticket="SR-1")
    project(desk, store)
    rows = outbox(store)
    kinds = sorted((r["subscription_id"] != everything, r["event_type"]) for r in rows)
    # the escalation is one row per subscription: its most specific type, not also status_changed
    assert kinds == [
        (False, "issue.escalated"),
        (False, "issue.reported"),
        (False, "issue.status_changed"),
        (True, "issue.escalated"),
    ]
    assert {r["subscription_id"] for r in rows} == {everything, oracle_only}
    assert ProjectionRunner(desk, store, all_views()).catch_up() == 0 and outbox(store) == rows
    assert DeliveryWorker(desk, store, clock=clock, transports=TRANSPORTS).deliver_due() == 4
    delivered = outbox(store)
    assert {r["state"] for r in delivered} == {"delivered"}
    ProjectionRunner(desk, store, all_views()).rebuild(["notifications"])
    assert outbox(store) == delivered  # nothing forgotten, nothing queued again
    assert (
        DeliveryWorker(desk, store, clock=clock, transports=TRANSPORTS).deliver_due() == 0
        and len(receiver.requests) == 4
    )


def test_webhook_is_signed_over_timestamp_and_body_with_the_position(
    desk: KaizenDesk, store: ViewStore, receiver: Receiver, clock: FakeClock
) -> None:
    _subscription, secret = subscribe(desk, receiver.url, language="zh")
    report(desk)
    project(desk, store)
    DeliveryWorker(desk, store, clock=clock, transports=TRANSPORTS).deliver_due()
    [(headers, body)] = receiver.requests
    [row] = outbox(store)
    assert headers["X-Kaizen-Delivery"] == row["delivery_id"] and headers["X-Kaizen-Event"] == "issue.reported"
    assert headers["X-Kaizen-Timestamp"] == str(int(clock.now.timestamp()))
    assert verify(secret, headers["X-Kaizen-Timestamp"], body, headers["X-Kaizen-Signature"], clock.now.timestamp())
    assert not verify(
        secret, headers["X-Kaizen-Timestamp"], body + b" ", headers["X-Kaizen-Signature"], clock.now.timestamp()
    )
    assert not verify(
        "whsec_other", headers["X-Kaizen-Timestamp"], body, headers["X-Kaizen-Signature"], clock.now.timestamp()
    )
    payload = json.loads(body)
    assert payload["position"] == row["position"] and payload["delivery_id"] == row["delivery_id"]
    assert payload["event"]["subject"]["title"] == "月结凭证无法过账" and payload["type"] == "issue.reported"
    assert payload["message"]["title"].startswith("[KZ-1] 新问题")


def test_failures_back_off_10_30_90_270_810_then_dead(
    desk: KaizenDesk, store: ViewStore, receiver: Receiver, clock: FakeClock
) -> None:
    _subscription, _ = subscribe(desk, receiver.url)
    report(desk)
    project(desk, store)
    receiver.script = [500] * 10
    worker = DeliveryWorker(
        desk, store, DeliverySettings(timeout=2), clock=clock, rand=lambda: 0.5, transports=TRANSPORTS
    )
    assert worker.deliver_due() == 1
    for delay in RETRY_DELAYS:
        clock.advance(seconds=delay - 1)
        assert worker.deliver_due() == 0, "retried before its time"
        clock.advance(seconds=1)
        assert worker.deliver_due() == 1
    [row] = outbox(store)
    assert row["state"] == "dead" and row["attempts"] == 6 and row["last_status"] == 500
    clock.advance(hours=1)
    assert worker.deliver_due() == 0 and len(receiver.requests) == 6


def test_a_timeout_is_a_failure_and_the_retry_succeeds(
    desk: KaizenDesk, store: ViewStore, receiver: Receiver, clock: FakeClock
) -> None:
    subscription, _ = subscribe(desk, receiver.url)
    report(desk)
    project(desk, store)
    receiver.script = ["slow"]
    worker = DeliveryWorker(
        desk, store, DeliverySettings(timeout=0.3), clock=clock, rand=lambda: 0.0, transports=TRANSPORTS
    )
    worker.deliver_due()
    [row] = outbox(store)
    assert row["state"] == "pending" and "timed out" in row["last_error"] and row["last_status"] is None
    clock.advance(seconds=8)  # 10 s - 20 % jitter
    assert worker.deliver_due() == 1
    items, _ = list_deliveries(store, subscription, None, 10, None)
    assert items[0]["state"] == "delivered" and [e["outcome"] for e in items[0]["log"]] == ["failed", "delivered"]
    assert len({h["X-Kaizen-Delivery"] for h, _ in receiver.requests}) == 1  # same id: receivers dedupe


def test_redirects_are_not_followed(desk: KaizenDesk, store: ViewStore, receiver: Receiver, clock: FakeClock) -> None:
    elsewhere = Receiver()
    try:
        subscribe(desk, receiver.url)
        report(desk)
        project(desk, store)
        receiver.script = [(302, elsewhere.url)]
        DeliveryWorker(desk, store, clock=clock, transports=TRANSPORTS).deliver_due()
        [row] = outbox(store)
        assert row["last_error"] == "redirect not followed" and row["state"] == "pending"
        assert elsewhere.requests == []
    finally:
        elsewhere.close()


def test_dns_rebinding_is_refused_at_delivery(
    desk: KaizenDesk, store: ViewStore, receiver: Receiver, clock: FakeClock
) -> None:
    port = receiver.server_address[1]
    answers = {"hooks.example.com": ["93.184.216.34"]}
    desk.resolver = lambda host, _port: answers.get(host, [])
    desk.egress = EgressPolicy.parse(None)  # any public host
    subscribe(desk, f"http://hooks.example.com:{port}/x")
    answers["hooks.example.com"] = ["127.0.0.1"]  # the name now points inside
    report(desk)
    project(desk, store)
    DeliveryWorker(desk, store, clock=clock, transports=TRANSPORTS).deliver_due()
    [row] = outbox(store)
    assert "egress policy" in row["last_error"] and "127.0.0.1" in row["last_error"]
    assert receiver.requests == []


def test_revoked_subscription_gives_up_pending_deliveries(
    desk: KaizenDesk, store: ViewStore, receiver: Receiver, clock: FakeClock
) -> None:
    subscription, _ = subscribe(desk, receiver.url)
    report(desk)
    project(desk, store)
    desk.revoke_subscription(ctx(ADMIN), subscription)
    report(desk)
    project(desk, store)
    DeliveryWorker(desk, store, clock=clock, transports=TRANSPORTS).deliver_due()
    [row] = outbox(store)  # nothing for the second issue: revoked before it
    assert row["state"] == "dead" and "revoked" in row["last_error"] and receiver.requests == []


def test_email_goes_through_smtp(desk: KaizenDesk, store: ViewStore, clock: FakeClock) -> None:
    import aiosmtpd.controller as controller_module

    received: list[Any] = []

    class Collect:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            received.append(envelope)
            return "250 OK"

    with socket.socket() as probe:  # a free port (the controller checks readiness by connecting)
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = controller_module.Controller(Collect(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        subscribe(desk, "ops@example.com", kind="email", language="zh")
        report(desk)
        project(desk, store)
        smtp = SmtpSettings(host="127.0.0.1", port=port, sender="kaizen@example.com", reply_to="support@example.com")
        settings = DeliverySettings(smtp=smtp)
        DeliveryWorker(desk, store, settings, clock=clock, transports=TRANSPORTS).deliver_due()
    finally:
        controller.stop()
    [envelope] = received
    message = message_from_bytes(envelope.content)
    [row] = outbox(store)
    assert envelope.rcpt_tos == ["ops@example.com"] and envelope.mail_from == "kaizen@example.com"
    assert str(make_header(decode_header(message["Subject"]))).startswith("[KZ-1] 新问题")
    assert message["X-Kaizen-Delivery"] == row["delivery_id"] and row["state"] == "delivered"
    # a reply threads back onto the issue (the plus-address), and no responder answers it
    assert message["Reply-To"] == "support+KZ-1@example.com"
    assert message["Auto-Submitted"] == "auto-generated" and message["X-Kaizen-Desk"] == "notification"
    payload = message.get_payload(decode=True)
    assert isinstance(payload, bytes) and "月结凭证无法过账" in payload.decode("utf-8")


def test_chat_adapters_send_their_formats(desk: KaizenDesk, store: ViewStore, clock: FakeClock) -> None:
    sent: list[tuple[str, dict[str, Any]]] = []
    answers = {"dingtalk": b'{"errcode": 310000, "errmsg": "sign not match"}', "feishu": b'{"code": 0}', "teams": b""}

    def fake_post(
        url: str, body: bytes, headers: dict[str, str], policy: EgressPolicy, resolver: Resolver, timeout: float
    ) -> Sent:
        kind = "dingtalk" if "dingtalk" in url else "feishu" if "feishu" in url else "teams"
        sent.append((url, json.loads(body)))
        return Sent(200 if kind != "teams" else 202, answers[kind], None, 1)

    desk.resolver = lambda host, _port: ["93.184.216.34"]
    desk.egress = EgressPolicy.parse(None)
    subscribe(desk, "https://oapi.dingtalk.com/robot/send?access_token=t", kind="dingtalk", signing_secret="SECabc")
    subscribe(desk, "https://open.feishu.cn/open-apis/bot/v2/hook/h", kind="feishu", language="zh")
    subscribe(desk, "https://prod.logic.azure.com/workflows/w/triggers/manual/paths/invoke", kind="teams")
    report(desk)
    project(desk, store)
    DeliveryWorker(
        desk, store, clock=clock, transports=Transports(fake_post, TRANSPORTS.send_mail, TRANSPORTS.gettext_for)
    ).deliver_due()
    by_kind = {("dingtalk" if "dingtalk" in u else "feishu" if "feishu" in u else "teams"): (u, b) for u, b in sent}
    url, body = by_kind["dingtalk"]
    assert "access_token=t&timestamp=" in url and "&sign=" in url and body["msgtype"] == "markdown"
    assert by_kind["feishu"][1]["msg_type"] == "text" and "新问题" in by_kind["feishu"][1]["content"]["text"]
    card = by_kind["teams"][1]["attachments"][0]
    assert card["contentType"] == "application/vnd.microsoft.card.adaptive"
    states = {r["subscription_id"]: (r["state"], r["last_error"]) for r in outbox(store)}
    assert sorted(s for s, _ in states.values()) == ["delivered", "delivered", "pending"]
    assert any(e and "sign not match" in e for _, e in states.values())


def test_planned_suggestions_and_module_filters(
    desk: KaizenDesk, store: ViewStore, receiver: Receiver, clock: FakeClock
) -> None:
    subscribe(desk, receiver.url, events=["suggestion.planned"], filters={"module": ["warehouse"]})
    wanted = desk.submit_suggestion(ctx(REPORTER), title="Scan receipts", description="d", module="warehouse").key
    other = desk.submit_suggestion(ctx(REPORTER), title="Bigger font", description="d", module="finance").key
    for key in (wanted, other):
        desk.decide(ctx(), key, outcome="planned", target_release="2026.2")
    project(desk, store)
    DeliveryWorker(desk, store, clock=clock, transports=TRANSPORTS).deliver_due()
    [(_, body)] = receiver.requests
    payload = json.loads(body)
    assert payload["type"] == "suggestion.planned" and payload["event"]["subject"]["key"] == wanted
    assert payload["event"]["data"] == {"target_release": "2026.2"} and "2026.2" in payload["message"]["text"]
