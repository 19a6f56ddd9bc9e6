"""What the use cases need from the outside world, as typed ports; `adapters/` implements them.

`application/` imports nothing from `adapters/` (tests/unit/test_layers.py checks it): a desk
is built from store settings alone, and the store adapter that `application.config` selects
by topic string (the library's `PERSISTENCE_MODULE` and recorder topics) answers these ports
on its application recorder. What is not about the store (DNS) is handed to the desk by the
composition point (`interfaces/`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING, Protocol, runtime_checkable
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


@dataclass(frozen=True)
class StoredBlob:
    """What a blob store answers for a file it has kept: its content address and length."""

    sha256: str
    size: int


class BlobTooLarge(Exception):
    """The stream went on past the store's `max_bytes`; nothing of it was kept."""


@runtime_checkable
class BlobStore(Protocol):
    """Attachment bytes, stored once per SHA-256 (content-addressed) and streamed both ways.

    The default keeps them in the event store's own database (`adapters.attachment_blobs`), so a
    backup of the database is a backup of the files; an S3-compatible store is the seam for a
    deployment whose files outgrow it (README, "Attachments"). `put` hashes while it writes,
    in chunks, and never holds a whole file in memory.
    """

    def put(self, stream: IO[bytes], max_bytes: int | None = None) -> StoredBlob:
        """Store the stream's bytes; BlobTooLarge (nothing kept) once more than `max_bytes`."""
        ...

    def open(self, sha256: str) -> Iterator[bytes]:
        """The stored bytes in chunks; KeyError when there are none."""
        ...

    def exists(self, sha256: str) -> bool: ...

    def digest(self, sha256: str) -> str | None:
        """The SHA-256 of the bytes stored under `sha256` now, read back (audit); None if absent."""
        ...
