"""Attachment bytes in the event store's own database: `attachment_blobs`, in 1 MiB chunk rows.

Why the same database: one backup, one restore, one set of credentials, and `kaizen audit
verify` finds the bytes where it finds the events. Why chunk rows keyed `(sha256, n)` (SQLite
and PostgreSQL alike, rather than PostgreSQL's large objects): a chunk is written and read in
its own short transaction, so an upload or a slow download never holds SQLite's writer turn
or a pooled connection for longer than one MiB takes, and memory holds one chunk at a time.

An upload is written under a staging name while it is hashed, then renamed to its SHA-256 in
one transaction (or dropped when that SHA-256 is already stored: bytes are kept once), so rows
under a SHA-256 are always a whole file. A crash mid-upload leaves staging rows and no event:
harmless, and the next `put` of the same file does not see them.

`blob_store_for` is the topic `application.attachments` resolves (`KAIZEN_ATTACHMENT_STORE`);
an S3-compatible store would be a second class with the same four methods (README).
"""

from __future__ import annotations

import hashlib
import threading
import uuid
from collections.abc import Iterator
from contextlib import AbstractContextManager
from typing import IO, Any

from application.config import ConfigurationError, StoreSettings
from application.ports import BlobStore, BlobTooLarge, StoredBlob

CHUNK = 1024 * 1024
STAGING = "upload-"


class DatabaseBlobs:
    """A `BlobStore` on the desk's own datastore (the library's SQLite or PostgreSQL one)."""

    def __init__(self, datastore: Any, engine: str) -> None:
        self.datastore = datastore
        self.engine = engine
        self._ready = False
        self._lock = threading.Lock()
        if engine == "postgres":
            schema = str(getattr(datastore, "schema", "public") or "public").replace('"', "")
            self.table = f'"{schema}".attachment_blobs'
            self.mark = "%s"
            self.create = (
                f"CREATE TABLE IF NOT EXISTS {self.table} "
                "(sha256 text NOT NULL, n integer NOT NULL, data bytea NOT NULL, PRIMARY KEY (sha256, n))"
            )
        else:
            self.table = "attachment_blobs"
            self.mark = "?"
            self.create = (
                f"CREATE TABLE IF NOT EXISTS {self.table} "
                "(sha256 TEXT NOT NULL, n INTEGER NOT NULL, data BLOB NOT NULL, PRIMARY KEY (sha256, n))"
            )

    def _transaction(self, commit: bool) -> AbstractContextManager[Any]:
        self.create_table()
        manager: AbstractContextManager[Any] = self.datastore.transaction(commit=commit)
        return manager

    def create_table(self) -> None:
        """Created on first use, like the views' tables; a second process racing to create it is fine."""
        if self._ready:
            return
        with self._lock:
            if self._ready:
                return
            try:
                with self.datastore.transaction(commit=True) as curs:
                    curs.execute(self.create)
            except Exception:  # another process created it between our IF NOT EXISTS and CREATE
                with self.datastore.transaction(commit=False) as curs:
                    curs.execute(f"SELECT 1 FROM {self.table} LIMIT 1")
            self._ready = True

    def _sql(self, text: str) -> str:
        return text.replace("?", self.mark)

    def put(self, stream: IO[bytes], max_bytes: int | None = None) -> StoredBlob:
        staging = STAGING + uuid.uuid4().hex
        digest = hashlib.sha256()
        size = n = 0
        try:
            while chunk := stream.read(CHUNK):
                size += len(chunk)
                if max_bytes is not None and size > max_bytes:
                    raise BlobTooLarge(f"more than {max_bytes} bytes")
                digest.update(chunk)
                with self._transaction(commit=True) as curs:
                    curs.execute(
                        self._sql(f"INSERT INTO {self.table} (sha256, n, data) VALUES (?, ?, ?)"),
                        (staging, n, chunk),
                    )
                n += 1
            sha256 = digest.hexdigest()
            with self._transaction(commit=True) as curs:
                curs.execute(self._sql(f"SELECT 1 FROM {self.table} WHERE sha256 = ? AND n = 0"), (sha256,))
                if curs.fetchone() is not None or n == 0:
                    curs.execute(self._sql(f"DELETE FROM {self.table} WHERE sha256 = ?"), (staging,))
                else:
                    curs.execute(self._sql(f"UPDATE {self.table} SET sha256 = ? WHERE sha256 = ?"), (sha256, staging))
        except BaseException:
            self._discard(staging)
            raise
        return StoredBlob(sha256=sha256, size=size)

    def _discard(self, staging: str) -> None:
        try:
            with self._transaction(commit=True) as curs:
                curs.execute(self._sql(f"DELETE FROM {self.table} WHERE sha256 = ?"), (staging,))
        except Exception:  # the store is away: the staging rows stay, orphaned and harmless
            pass

    def _chunks(self, sha256: str) -> int:
        with self._transaction(commit=False) as curs:
            curs.execute(self._sql(f"SELECT COUNT(*) AS chunks FROM {self.table} WHERE sha256 = ?"), (sha256,))
            row = curs.fetchone()
        return int(row["chunks"] if isinstance(row, dict) else row[0])

    def open(self, sha256: str) -> Iterator[bytes]:
        """The file's chunks, each read in its own transaction (a slow reader holds nothing).
        The empty file is stored as no rows; it opens as nothing."""
        if sha256 == EMPTY_SHA256:
            return iter(())
        count = self._chunks(sha256)
        if count == 0:
            raise KeyError(sha256)
        return self._read(sha256, count)

    def _read(self, sha256: str, count: int) -> Iterator[bytes]:
        for n in range(count):
            with self._transaction(commit=False) as curs:
                curs.execute(self._sql(f"SELECT data FROM {self.table} WHERE sha256 = ? AND n = ?"), (sha256, n))
                row = curs.fetchone()
            if row is None:
                return
            data = row["data"] if isinstance(row, dict) else row[0]
            yield bytes(data)

    def exists(self, sha256: str) -> bool:
        return sha256 == EMPTY_SHA256 or self._chunks(sha256) > 0

    def digest(self, sha256: str) -> str | None:
        try:
            chunks = self.open(sha256)
        except KeyError:
            return None
        digest = hashlib.sha256()
        for chunk in chunks:
            digest.update(chunk)
        return digest.hexdigest()


EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()


def blob_store_for(settings: StoreSettings, recorder: Any, location: str) -> BlobStore:
    """The blob store `KAIZEN_ATTACHMENT_STORE` names: empty or `database` (the default) is the
    desk's own database; `s3://bucket` is the documented seam, not built yet."""
    if location in ("", "database"):
        return DatabaseBlobs(recorder.datastore, settings.engine)
    if location.startswith("s3://"):
        raise ConfigurationError(
            f"KAIZEN_ATTACHMENT_STORE={location!r}: an S3-compatible store is not built in this release"
            " (README, Attachments); leave it unset to keep files in the database"
        )
    raise ConfigurationError(f"KAIZEN_ATTACHMENT_STORE={location!r}: expected database or s3://bucket")
