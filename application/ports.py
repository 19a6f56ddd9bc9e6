"""What the use cases need from the outside world, as typed ports; `adapters/` implements them.

`application/` imports nothing from `adapters/` (tests/unit/test_layers.py checks it): a desk
is built from store settings alone, and the store adapter that `application.config` selects
by topic string (the library's `PERSISTENCE_MODULE` and recorder topics) answers these ports
on its application recorder. What is not about the store (DNS) is handed to the desk by the
composition point (`interfaces/`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, runtime_checkable
from uuid import UUID

from eventsourcing.persistence import StoredEvent

if TYPE_CHECKING:
    from application.config import StoreSettings

Resolver = Callable[[str, int], list[str]]
"""Every address a host name resolves to for a port, empty when it does not resolve."""


@dataclass(frozen=True)
class Since:
    """The key sequence a caller already holds a copy of, at `version`."""

    sequence_id: UUID
    version: int


class SharedTurns(Protocol):
    """The turn every process on one store takes to allocate a key of a prefix: an
    optimisation (fewer failed appends), never a correctness condition."""

    def acquire(self, prefix: str, wait: float, since: Since | None = None) -> bool | list[StoredEvent]:
        """True when taken; with `since`, the sequence's events after it when the store can
        read them in the same round trip; False when `wait` seconds passed without the turn."""
        ...

    def release(self, prefix: str) -> None: ...

    def close(self) -> None: ...


@runtime_checkable
class TakesKeyTurns(Protocol):
    """An application recorder that offers its store's own way for processes to take key
    turns (`adapters.postgres_recorders`, `adapters.sqlite_store`)."""

    def shared_turns(self, settings: StoreSettings) -> SharedTurns | None:
        """The turns for this store; None when no other process can share it (in memory)."""
        ...
