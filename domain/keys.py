"""Human keys (KZ-7, SG-3) and the deterministic aggregate ids behind them.

The aggregate id is a UUID5 of the key, so finding an issue by key needs no index, and two
processes that race for the same number collide on the event store's unique constraint
instead of silently creating two issues with one key.
"""

from __future__ import annotations

import re
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import event

from domain.actor import Actor
from domain.base import KaizenAggregate
from domain.errors import InvalidCommand

NAMESPACE = uuid5(NAMESPACE_URL, "https://kaizen-desk.example/ids")
ISSUE_PREFIX = "KZ"
SUGGESTION_PREFIX = "SG"
KEY_PATTERN = re.compile(r"^(KZ|SG)-([1-9][0-9]{0,9})$")


def aggregate_id(key: str) -> UUID:
    """The aggregate id behind a human key; raises InvalidCommand for a malformed key."""
    if not KEY_PATTERN.match(key):
        raise InvalidCommand(f"{key!r} is not a key like KZ-1 or SG-1", "key")
    return uuid5(NAMESPACE, f"key:{key}")


def named_id(kind: str, name: str) -> UUID:
    """A stable id for singleton-like aggregates (per-vendor policy, key sequences, tokens)."""
    return uuid5(NAMESPACE, f"{kind}:{name}")


class KeySequence(KaizenAggregate):
    """Hands out the next number of a key prefix.

    Saving the allocation together with the new aggregate makes the two atomic; a concurrent
    allocation of the same number fails the save, and the application retries with the next.
    """

    @staticmethod
    def create_id(prefix: str) -> UUID:
        return named_id("sequence", prefix)

    @event("Started")
    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self.last = 0

    @classmethod
    def start(cls, prefix: str) -> KeySequence:
        return cls(prefix=prefix)

    def allocate(self, actor: Actor) -> str:
        self._allocated(number=self.last + 1, actor=actor)
        return f"{self.prefix}-{self.last}"

    @event("KeyAllocated")
    def _allocated(self, number: int, actor: Actor) -> None:
        self.last = number
