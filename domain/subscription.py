"""Subscriptions: who is told about what, where, in which language; created and revoked as events.

The HMAC secret is generated at creation and stored *in the event* (not hashed): unlike an API
token, which is only ever compared, a signing secret must be read back to sign every delivery.
The creation answer shows it once; no read returns it again. Being in the event log, it is also
in what reads the raw log (`/audit/events`, `kaizen export`): treat those as confidential, as
they already hold every issue's text. A leaked secret is replaced by revoking the subscription
and creating a new one.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.domain import event

from domain.actor import Actor
from domain.base import KaizenAggregate
from domain.errors import InvalidCommand
from domain.keys import named_id
from domain.notification_rules import (
    LANGUAGE_ALIASES,
    LANGUAGES,
    NotificationFilter,
    check_target,
    redact_target,
    subscription_language,
)


class Subscription(KaizenAggregate):
    """A target (webhook, e-mail, DingTalk, Feishu, Teams), a filter, a language and a secret."""

    @staticmethod
    def create_id(subscription_id: str) -> UUID:
        return named_id("subscription", subscription_id)

    @event("Created")
    def __init__(
        self,
        subscription_id: str,
        name: str,
        kind: str,
        target: str,
        event_types: list[str],
        filters: dict[str, list[str]],
        language: str,
        secret: str,
        signing_secret: str | None,
        actor: Actor,
        occurred_at: datetime,
    ) -> None:
        self.key = subscription_id
        self.name = name
        self.kind = kind
        self.target = target
        self.event_types = list(event_types)
        self.filters = {k: list(v) for k, v in filters.items()}
        self.language = subscription_language(language)  # `zh` in events from before zh-Hans
        self.secret = secret
        self.signing_secret = signing_secret
        self.created_by = actor.id
        self.created_at = occurred_at
        self.revoked_at: datetime | None = None
        self.status = "active"

    @classmethod
    def create(
        cls,
        *,
        kind: str,
        target: str,
        event_types: Sequence[str],
        filters: Mapping[str, Sequence[str]] | None,
        language: str,
        actor: Actor,
        occurred_at: datetime,
        name: str | None = None,
        signing_secret: str | None = None,
    ) -> tuple[Subscription, str]:
        """Check the parts and record the subscription; returns it and its secret (shown once)."""
        checked_target = check_target(kind, target)
        notice_filter = NotificationFilter.build(event_types, filters)
        if language not in LANGUAGES and language not in LANGUAGE_ALIASES:
            raise InvalidCommand(f"language must be one of {', '.join(LANGUAGES)}", "language")
        language = subscription_language(language)
        if signing_secret is not None and (
            kind not in ("dingtalk", "feishu") or not signing_secret.strip() or len(signing_secret) > 200
        ):
            raise InvalidCommand(
                "signing_secret is the DingTalk or Feishu robot's own secret (1-200 characters)", "signing_secret"
            )
        label = (name or "").strip() or redact_target(kind, checked_target)
        if len(label) > 200:
            raise InvalidCommand("name is longer than 200 characters", "name")
        subscription_id = f"sub_{secrets.token_hex(8)}"
        secret = f"whsec_{secrets.token_urlsafe(32)}"
        created = cls(
            subscription_id=subscription_id,
            name=label,
            kind=kind,
            target=checked_target,
            event_types=list(notice_filter.event_types),
            filters=notice_filter.as_dict(),
            language=language,
            secret=secret,
            signing_secret=signing_secret,
            actor=actor,
            occurred_at=occurred_at,
        )
        return created, secret

    def __repr__(self) -> str:
        """Without the secrets, so a log line or a traceback cannot leak them."""
        return f"Subscription(id={self.id!s}, key={self.key!r}, kind={self.kind!r}, status={self.status!r})"

    @property
    def notice_filter(self) -> NotificationFilter:
        return NotificationFilter.build(self.event_types, self.filters)

    def revoke(self, actor: Actor, occurred_at: datetime) -> None:
        """No more deliveries: pending ones are given up when the worker next picks them."""
        self._require(self.revoked_at is None, "revoke")
        self._revoked(actor=actor, occurred_at=occurred_at)

    @event("Revoked")
    def _revoked(self, actor: Actor, occurred_at: datetime) -> None:
        self.revoked_at = occurred_at
        self.status = "revoked"

    def public_view(self) -> dict[str, Any]:
        """Everything an administrator may see again: never the secrets, the target redacted."""
        return {
            "id": self.key,
            "name": self.name,
            "kind": self.kind,
            "target": redact_target(self.kind, self.target),
            "events": list(self.event_types),
            "filters": {k: list(v) for k, v in self.filters.items()},
            "language": self.language,
            "status": self.status,
            "signing_secret_set": self.signing_secret is not None,
            "created_by": self.created_by,
            "created_at": self.created_at,
            "revoked_at": self.revoked_at,
            "version": self.version,
        }
