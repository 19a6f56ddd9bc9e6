"""What every command carries besides its own data: who, when, and the safe-write options."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from domain.actor import Actor


class Companion(Protocol):
    """A record saved in the same write as a command's own aggregates, which also tells whether
    the command already happened: the mail intake's record of the message that caused it.

    Like an Idempotency-Key's record, but the caller's own: `record` makes a fresh aggregate on
    every attempt (a failed save consumes its pending events), and `recorded` is read only after
    a save or a rule failed, to tell "already applied" from "someone else changed the issue"."""

    def record(self, receipt: Receipt) -> Any: ...

    def recorded(self) -> Receipt | None: ...


@dataclass(frozen=True)
class Context:
    """`at` is set only by imports (business time in the past); live commands use the clock."""

    actor: Actor
    at: datetime | None = None
    expected_version: int | None = None
    idempotency_key: str | None = None
    fingerprint: str | None = None
    principal: str | None = None
    companion: Companion | None = None

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
