"""The delivery worker: takes due outbox rows and sends them, with retries and backoff.

Webhooks get the notice as JSON with `X-Kaizen-Delivery` (the id receivers deduplicate on:
delivery is at least once), `X-Kaizen-Event`, `X-Kaizen-Timestamp` and `X-Kaizen-Signature:
v1=<hex>` (HMAC-SHA256 of `f"{timestamp}.{body}"` with the subscription's secret). E-mail goes
through SMTP; DingTalk, Feishu and Teams get their own message formats
(`domain.notification_messages`). A failure is retried after 10 s, 30 s, 90 s, 270 s and
810 s (+-20 % jitter); the sixth failure makes the delivery dead (an administrator can
redeliver it). The loop runs only in the elected worker, beside the projection runner.
"""

from __future__ import annotations

import json
import logging
import os
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from domain.mail_triage import LOOP_HEADER, OWN_MESSAGE_ID_DOMAIN, reply_address
from domain.notification_messages import chat_refusal, dingtalk_request, feishu_body, render, teams_body
from domain.notification_rules import retry_delay, sign
from projections.alerts import AlertScheduler, AlertSettings
from projections.automation import AutomationPass
from projections.outbox import WRITTEN
from projections.outbox_queries import Claimed, claim_due, give_up, record_attempt
from projections.ports import LeaderElection, Sent, SmtpSettings, Transports
from projections.store import ViewStore

log = logging.getLogger("kaizen.delivery")


@dataclass(frozen=True)
class DeliverySettings:
    """`KAIZEN_WEBHOOK_TIMEOUT` (seconds, 5), `KAIZEN_DELIVERY_POLL` (seconds, 0.05), SMTP settings,
    and `KAIZEN_NOTIFICATIONS=off` to run no delivery or alert loop in this process."""

    timeout: float = 5.0
    poll: float = 0.05
    lease: timedelta = timedelta(seconds=60)
    batch: int = 20
    smtp: SmtpSettings = field(default_factory=lambda: SmtpSettings(host=None))
    enabled: bool = True

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> DeliverySettings:
        source = dict(os.environ if env is None else env)
        timeout = float(source.get("KAIZEN_WEBHOOK_TIMEOUT") or 5.0)
        return cls(
            timeout=timeout,
            poll=float(source.get("KAIZEN_DELIVERY_POLL") or 0.05),
            lease=timedelta(seconds=max(60.0, 4 * timeout)),
            smtp=SmtpSettings.from_env(source),
            enabled=(source.get("KAIZEN_NOTIFICATIONS") or "on").lower() not in ("off", "0", "false", "no"),
        )


class DeliveryWorker:
    """Sends due deliveries. `clock` and `rand` are injectable so tests run retries without sleeping."""

    def __init__(
        self,
        desk: Any,
        store: ViewStore,
        settings: DeliverySettings | None = None,
        clock: Callable[[], datetime] | None = None,
        rand: Callable[[], float] = random.random,
        *,
        transports: Transports,
    ) -> None:
        self.desk = desk
        self.store = store
        self.transports = transports
        self.settings = settings or DeliverySettings.from_env()
        self.clock = clock or desk.clock
        self.rand = rand

    def deliver_due(self) -> int:
        """One pass: every due delivery (up to a batch) is attempted once; returns how many."""
        claimed = claim_due(self.store, self.clock(), self.settings.lease, self.settings.batch)
        for item in claimed:
            self._deliver(item)
        return len(claimed)

    def _deliver(self, item: Claimed) -> None:
        subscription = self.desk.find_subscription(item.subscription_id)
        if subscription is None or subscription.revoked_at is not None:
            give_up(self.store, item, self.clock(), "the subscription is revoked")
            return
        try:
            sent = self.send(item, subscription)
        except Exception as exc:  # a bug in an adapter must not stop the loop: count it as a failure
            log.exception("delivery %s failed unexpectedly", item.delivery_id)
            sent = Sent(None, b"", f"{type(exc).__name__}: {exc}", 0)
        at = self.clock()
        failures = item.attempts + 1
        delay = None if sent.error is None else retry_delay(failures, self.rand)
        state = record_attempt(
            self.store,
            item,
            at,
            ok=sent.error is None,
            status=sent.status,
            error=sent.error,
            duration_ms=sent.duration_ms,
            next_attempt=None if delay is None else at + delay,
        )
        if state == "dead":
            log.warning(
                "delivery %s to %s is dead after %d attempts: %s",
                item.delivery_id,
                item.subscription_id,
                failures,
                sent.error,
            )

    # -- one attempt ----------------------------------------------------------------------------------
    def send(self, item: Claimed, subscription: Any) -> Sent:
        notice = item.notice
        title, text = render(notice, self.transports.gettext_for(subscription.language))
        now = self.clock()
        if subscription.kind == "email":
            headers = notification_headers(
                item.delivery_id, item.event_type, (notice.get("subject") or {}).get("key"), self.settings.smtp
            )
            details = (
                f"{title}\n\n{text}\n\n--\n{item.event_type} · position {item.position} · delivery {item.delivery_id}"
            )
            return self.transports.send_mail(self.settings.smtp, subscription.target, title, details, headers)
        target = subscription.target
        headers = {"X-Kaizen-Delivery": item.delivery_id, "X-Kaizen-Event": item.event_type}
        if subscription.kind == "webhook":
            body = json.dumps(
                {
                    "delivery_id": item.delivery_id,
                    "position": item.position,
                    "type": item.event_type,
                    "message": {"title": title, "text": text, "language": subscription.language},
                    "event": notice,
                },
                ensure_ascii=False,
                sort_keys=True,
            ).encode("utf-8")
            timestamp = int(now.timestamp())
            headers |= {
                "X-Kaizen-Timestamp": str(timestamp),
                "X-Kaizen-Signature": sign(subscription.secret, timestamp, body),
            }
        elif subscription.kind == "dingtalk":
            query, payload = dingtalk_request(title, text, subscription.signing_secret, int(now.timestamp() * 1000))
            target = f"{target}{'&' if '?' in target else '?'}{query}" if query else target
            body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        elif subscription.kind == "feishu":
            body = json.dumps(
                feishu_body(title, text, subscription.signing_secret, int(now.timestamp())), ensure_ascii=False
            ).encode("utf-8")
        else:
            body = json.dumps(teams_body(title, text), ensure_ascii=False).encode("utf-8")
        sent = self.transports.post(
            target, body, headers, self.desk.egress_policy(), self.desk.resolve_addresses, self.settings.timeout
        )
        if sent.error is None and subscription.kind != "webhook":
            refusal = chat_refusal(subscription.kind, sent.status or 0, sent.body)
            if refusal is not None:
                return Sent(sent.status, sent.body, refusal, sent.duration_ms)
        return sent


class NotificationService:
    """The alert scheduler and the delivery worker, looping while this process is the leader."""

    def __init__(
        self,
        desk: Any,
        store: ViewStore,
        election: LeaderElection | None = None,
        delivery: DeliverySettings | None = None,
        alerts: AlertSettings | None = None,
        *,
        transports: Transports,
    ) -> None:
        self.election = election
        self.worker = DeliveryWorker(desk, store, delivery, transports=transports)
        self.automation = AutomationPass(desk, store)  # the admins' SLA automation rules
        self.scheduler = AlertScheduler(desk, store, alerts, rules_listen=self.automation.wants_alerts)
        self._next_scan = 0.0
        self._eager = 0

    def leading(self) -> bool:
        return self.election is None or self.election.is_leader

    def step(self) -> int:
        if time.monotonic() >= self._next_scan:
            self._next_scan = time.monotonic() + self.scheduler.settings.interval
            self.scheduler.scan()
            try:
                self.automation.scan()
            except Exception:  # a rule's trouble must not hold up deliveries: the next scan retries
                log.exception("automation pass failed; retrying at the next scan")
        return self.worker.deliver_due()

    def run(self, stop: threading.Event) -> None:
        while not stop.is_set():
            if not self.leading():
                stop.wait(0.5)
                continue
            try:
                busy = self.step()
            except Exception:
                log.exception("notification step failed; retrying")
                stop.wait(1.0)
                continue
            if busy:
                continue
            if self._eager > 0:  # just signalled: the row commits a moment after the projection wrote it
                self._eager -= 1
                stop.wait(0.003)
            elif WRITTEN.wait(self.worker.settings.poll):
                WRITTEN.clear()
                self._eager = 10


def notification_headers(delivery_id: str, event_type: str, key: str | None, smtp: SmtpSettings) -> dict[str, str]:
    """A notification e-mail's headers. `Auto-Submitted: auto-generated` (RFC 3834) keeps
    vacation responders from answering it and `X-Kaizen-Desk` keeps the desk's own intake from
    taking it back in; `Reply-To` is the desk's address with the issue's key as its plus part
    (`KAIZEN_MAIL_REPLY_TO`, else the sender), so that a person's reply threads back onto the
    issue as a comment even where their client rewrites the subject."""
    headers = {
        "Message-ID": f"<{delivery_id}{OWN_MESSAGE_ID_DOMAIN}>",
        "X-Kaizen-Delivery": delivery_id,
        "X-Kaizen-Event": event_type,
        "Auto-Submitted": "auto-generated",
        LOOP_HEADER: "notification",
    }
    if key:
        headers["Reply-To"] = reply_address(smtp.reply_to or smtp.sender, str(key))
    return headers


def start_notifications(
    desk: Any, store: ViewStore, election: LeaderElection | None, stop: threading.Event, transports: Transports
) -> threading.Thread | None:
    """Start the loop in a daemon thread beside the projection runner (None when switched off)."""
    settings = DeliverySettings.from_env()
    if not settings.enabled:
        return None
    desk.egress_policy()  # a malformed KAIZEN_WEBHOOK_ALLOW stops the start, not every delivery
    service = NotificationService(desk, store, election, settings, transports=transports)
    thread = threading.Thread(target=service.run, args=(stop,), daemon=True, name="kaizen-notifications")
    thread.start()
    return thread
