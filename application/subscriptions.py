"""Subscription commands and the alert ledger: create, revoke, read, and raise an SLA alert once.

Creating a URL subscription resolves its host and checks every address against the outbound
allow-list (`KAIZEN_WEBHOOK_ALLOW`, see `domain.notification_egress`); the delivery worker
checks again at every delivery, because DNS answers change. Resolving is a port
(`application.ports.Resolver`): the composition points (`interfaces/`) wire the system
resolver (`adapters.dns.resolve_host`).
"""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from uuid import UUID

from eventsourcing.persistence import IntegrityError

from application.base import DeskBase
from application.context import Context, Receipt
from application.errors import NotFound
from application.ports import Resolver
from domain.actor import SYSTEM
from domain.errors import InvalidCommand
from domain.notification_egress import EgressPolicy
from domain.notification_rules import URL_KINDS, check_target, target_host
from domain.sla_alert import SlaAlert, alert_id
from domain.subscription import Subscription

SUBSCRIPTION_ID = re.compile(r"^sub_[0-9a-f]{16}$")


def literal_address(host: str, port: int) -> list[str]:
    """What a host resolves to without asking DNS: an IP address is itself, a name is nothing
    (refused as not resolving). The answer of a desk that no composition point gave a resolver."""
    try:
        return [str(ipaddress.ip_address(host))]
    except ValueError:
        return []


class SubscriptionCommands(DeskBase):
    """Admin commands on subscriptions, and the one command the alert scheduler issues."""

    # `egress` None: `KAIZEN_WEBHOOK_ALLOW` read now. `resolver` None: IP literals only; the
    # composition points wire the system resolver (`adapters.dns`). Tests set both per desk.
    egress: EgressPolicy | None = None
    resolver: Resolver | None = None

    def egress_policy(self) -> EgressPolicy:
        """The allow-list in force: set on the desk, else `KAIZEN_WEBHOOK_ALLOW` read now."""
        return self.egress if self.egress is not None else EgressPolicy.parse(os.environ.get("KAIZEN_WEBHOOK_ALLOW"))

    def resolve_addresses(self, host: str, port: int) -> list[str]:
        return (self.resolver or literal_address)(host, port)

    def egress_refusal(self, target: str) -> str | None:
        """Why a URL target may not be contacted right now, or None (resolves the host)."""
        host, port = target_host(target)
        return self.egress_policy().check(host, self.resolve_addresses(host, port))

    def create_subscription(
        self,
        ctx: Context,
        *,
        kind: str,
        target: str,
        events: Sequence[str],
        filters: Mapping[str, Sequence[str]] | None = None,
        language: str = "en",
        name: str | None = None,
        signing_secret: str | None = None,
    ) -> tuple[Receipt, str | None]:
        """Record a subscription; returns its receipt and its secret (None on an idempotent replay:
        the secret is shown once, and a replayed answer is not that once)."""
        if kind in URL_KINDS:
            refusal = self.egress_refusal(check_target(kind, target))
            if refusal is not None:
                raise InvalidCommand(f"target refused: {refusal}", "target")
        shown: dict[str, str] = {}

        def attempt() -> Receipt:
            created, secret = Subscription.create(
                kind=kind,
                target=target,
                event_types=events,
                filters=filters,
                language=language,
                name=name,
                signing_secret=signing_secret,
                actor=ctx.actor,
                occurred_at=self.now(ctx),
            )
            shown["secret"] = secret
            return self._commit(ctx, created, kind="subscription", created=True)

        receipt = self._retrying(ctx, attempt)
        return receipt, None if receipt.replayed else shown.get("secret")

    def revoke_subscription(self, ctx: Context, subscription_id: str) -> Receipt:
        def revoke(subscription: Subscription) -> None:
            subscription.revoke(ctx.actor, self.now(ctx))

        return self._change(
            ctx,
            self._subscription_id(subscription_id),
            Subscription,
            f"subscription {subscription_id}",
            "subscription",
            revoke,
        )

    def _subscription_id(self, subscription_id: str) -> UUID:
        if not SUBSCRIPTION_ID.match(subscription_id or ""):
            raise NotFound(f"subscription {subscription_id} was not found")
        return Subscription.create_id(subscription_id)

    def get_subscription(self, subscription_id: str, version: int | None = None) -> Subscription:
        aggregate_id = self._subscription_id(subscription_id)
        return self._load(aggregate_id, Subscription, f"subscription {subscription_id}", version)

    def find_subscription(self, subscription_id: str) -> Subscription | None:
        try:
            return self.get_subscription(subscription_id)
        except NotFound:
            return None

    def list_subscriptions(self) -> list[Subscription]:
        """Every subscription ever created, oldest first, read by event topic (they are few)."""
        return self.created_aggregates(Subscription.Created, Subscription)

    def raise_sla_alert(
        self,
        *,
        issue_key: str,
        clock_kind: str,
        vendor: str,
        priority: str,
        threshold: str,
        started_at: datetime,
        due_at: datetime,
        target_seconds: int,
        threshold_at: datetime,
    ) -> bool:
        """Record that a clock passed a threshold; False when it was already recorded (by this
        worker before a restart, or by another worker)."""
        alert = SlaAlert.raise_alert(
            issue_key=issue_key,
            clock_kind=clock_kind,
            vendor=vendor,
            priority=priority,
            threshold=threshold,
            started_at=started_at,
            due_at=due_at,
            target_seconds=target_seconds,
            actor=SYSTEM,
            threshold_at=threshold_at,
        )
        try:
            self.save(alert)
        except IntegrityError:
            return False
        return True

    def alert_raised(self, issue_key: str, clock_kind: str, vendor: str, started_at: datetime, threshold: str) -> bool:
        """Whether the ledger already holds this alert (one indexed read, no write)."""
        return bool(
            self.recorder.select_events(alert_id(issue_key, clock_kind, vendor, started_at, threshold), limit=1)
        )
