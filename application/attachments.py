"""Attachments: files on issues, comments and suggestions, stored once per SHA-256.

The order is what makes the log trustworthy: the bytes are judged (type from their first bytes,
size against `KAIZEN_ATTACHMENT_MAX_MB`), then streamed into the blob store, and only then does
the `AttachmentAdded` event record their sha256. A refused or failed upload writes no event; a
crash between the two leaves an orphan blob (harmless), never an event without its bytes.
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, Any

from eventsourcing.utils import resolve_topic

from application.base import DeskBase
from application.config import number_from_env
from application.errors import NotFound
from application.ports import BlobStore, BlobTooLarge
from domain.attachment_types import SNIFF_BYTES, AttachmentRefused, Limit, judge, safe_name
from domain.keys import ISSUE_PREFIX, SUGGESTION_PREFIX

DEFAULT_MAX_MB = 20
BLOB_STORE_TOPIC = "adapters.attachment_blobs:blob_store_for"


def attachment_limit(env: dict[str, str] | None = None) -> Limit:
    """`KAIZEN_ATTACHMENT_MAX_MB` (default 20), read now so a test or an operator can change it."""
    mb = number_from_env("KAIZEN_ATTACHMENT_MAX_MB", DEFAULT_MAX_MB, 10_000, "megabytes", "20", env)
    return Limit(int(mb * 1024 * 1024))


@dataclass(frozen=True)
class Upload:
    """A file as it arrives: its stream (read once, in chunks), declared name and type."""

    stream: IO[bytes]
    name: str | None
    content_type: str | None
    length: int | None = None  # what the request said, when it said it: refused early if too big


class _Rewound(io.RawIOBase):
    """The head already read for sniffing, then the rest of the stream: read once, in order."""

    def __init__(self, head: bytes, rest: IO[bytes]) -> None:
        self.head = head
        self.rest = rest

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        if self.head:
            part = self.head if size < 0 else self.head[:size]
            self.head = self.head[len(part) :]
            return part
        return self.rest.read(size)


def owner_key(attachment_id: str) -> str:
    """`KZ-3-a1` -> `KZ-3`: an attachment's id names its issue or suggestion, so reading it
    needs no index and its access check is exactly the issue's (or suggestion's)."""
    key, _, number = attachment_id.rpartition("-")
    prefixes = (f"{ISSUE_PREFIX}-", f"{SUGGESTION_PREFIX}-")
    if not key.startswith(prefixes) or not number.startswith("a") or not number[1:].isdigit():
        raise NotFound(f"attachment {attachment_id} was not found")
    return key


class AttachmentStore(DeskBase):
    """The blob store and the judging of uploads, shared by issue and suggestion commands."""

    _blob_store: BlobStore | None = None

    @property
    def blobs(self) -> BlobStore:
        """The store `KAIZEN_ATTACHMENT_STORE` names (default: this desk's own database)."""
        if self._blob_store is None:
            location = os.environ.get("KAIZEN_ATTACHMENT_STORE", "").strip()
            factory: Any = resolve_topic(BLOB_STORE_TOPIC)
            self._blob_store = factory(self.settings, self.recorder, location)
        assert self._blob_store is not None
        return self._blob_store

    def store_upload(self, upload: Upload) -> dict[str, Any]:
        """Judge and store an upload's bytes; the facts its event will record. AttachmentRefused
        (413/415) before anything is written."""
        limit = attachment_limit()
        if upload.length is not None:
            limit.check(upload.length)
        name = safe_name(upload.name)
        head = upload.stream.read(SNIFF_BYTES)
        content_type = judge(upload.content_type, name, head)
        try:
            stored = self.blobs.put(_Rewound(head, upload.stream), max_bytes=limit.max_bytes)  # type: ignore[arg-type]
        except BlobTooLarge:
            limit.check(limit.max_bytes + 1)
            raise
        return {"sha256": stored.sha256, "name": name, "content_type": content_type, "size": stored.size}

    def attachment_bytes(self, sha256: str) -> Iterator[bytes]:
        try:
            return self.blobs.open(sha256)
        except KeyError:
            raise NotFound("the attachment's file is missing from the store") from None


__all__ = ["AttachmentRefused", "AttachmentStore", "Upload", "attachment_limit", "owner_key"]
