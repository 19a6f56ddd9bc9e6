"""The SlaPolicy aggregate: one per vendor slug (plus `internal`), versioned by its events.

Each publication is a whole, validated document; a clock records which version it used, so
changing a policy never rewrites the past.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.domain import event

from domain.actor import Actor
from domain.base import KaizenAggregate
from domain.errors import InvalidCommand
from domain.keys import named_id
from domain.sla_policy_document import PolicyDocumentError, SlaPolicyDocument

VENDOR_SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")


def check_vendor(vendor: str) -> str:
    if not VENDOR_SLUG.match(vendor or ""):
        raise InvalidCommand(f"{vendor!r} is not a vendor slug (lower-case letters, digits, - and _)", "vendor")
    return vendor


def validated_document(document: Any) -> dict[str, Any]:
    """Parse and normalise; the stored document is the normalised one."""
    try:
        return SlaPolicyDocument.from_document(document).to_document()
    except PolicyDocumentError as exc:
        raise InvalidCommand(str(exc), "document") from None


class SlaPolicy(KaizenAggregate):
    @staticmethod
    def create_id(vendor: str) -> UUID:
        return named_id("sla-policy", vendor)

    @event("Created")
    def __init__(self, vendor: str, actor: Actor, occurred_at: datetime) -> None:
        self.vendor = vendor
        self.key = vendor  # receipts and ETags name every aggregate by its key
        self.document: dict[str, Any] | None = None
        self.policy_version = 0
        self.published_at: datetime | None = None

    @classmethod
    def start(cls, vendor: str, actor: Actor, occurred_at: datetime) -> SlaPolicy:
        return cls(vendor=check_vendor(vendor), actor=actor, occurred_at=occurred_at)

    def publish(self, document: dict[str, Any], actor: Actor, occurred_at: datetime) -> None:
        self._published(
            vendor=self.vendor,
            policy_version=self.policy_version + 1,
            document=validated_document(document),
            actor=actor,
            occurred_at=occurred_at,
        )

    @event("Published")
    def _published(
        self, vendor: str, policy_version: int, document: dict[str, Any], actor: Actor, occurred_at: datetime
    ) -> None:
        self.policy_version = policy_version
        self.document = document
        self.published_at = occurred_at
