"""What every command carries besides its own data: who, when, and the safe-write options."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from domain.actor import Actor


@dataclass(frozen=True)
class Context:
    """`at` is set only by imports (business time in the past); live commands use the clock."""

    actor: Actor
    at: datetime | None = None
    expected_version: int | None = None
    idempotency_key: str | None = None
    fingerprint: str | None = None
    principal: str | None = None

    @property
    def idempotency_principal(self) -> str:
        """Keys belong to the authenticated caller (token), not to the person acted for."""
        return self.principal or self.actor.id


@dataclass(frozen=True)
class Receipt:
    """The answer to a command: which aggregate, at which version and log position."""

    key: str
    version: int
    position: int | None
    kind: str = "issue"
    created: bool = False
    replayed: bool = False
    extra: dict[str, Any] = field(default_factory=dict)
    aggregate: Any = None

    def as_record(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "version": self.version,
            "position": self.position,
            "kind": self.kind,
            "created": self.created,
            "extra": self.extra,
        }
