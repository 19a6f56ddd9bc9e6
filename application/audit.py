"""Audit over the stored log itself: chain verification, the global log, export.

Verification reads the stored rows and decodes their state without upcasting, because the hash
was computed over the event as it was recorded; an upcast event must still verify.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import tarfile
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import IO, Any

from application.attachments import AttachmentStore
from application.base import DeskBase
from application.reading import redacted
from domain.chain import chain_hash, to_plain

BATCH = 2000


@dataclass(frozen=True)
class Broken:
    """The first event of an aggregate whose chain does not hold."""

    aggregate_id: str
    name: str  # KZ-7, SG-3, or the aggregate type and id
    version: int
    reason: str

    def line(self) -> str:
        return f"{self.name}: chain broken at version {self.version} ({self.reason})"


@dataclass(frozen=True)
class ChangedFile(Broken):
    """An attachment whose stored bytes no longer have the sha256 its event recorded."""

    attachment_id: str = ""

    def line(self) -> str:
        return f"{self.name}: attachment {self.attachment_id} {self.reason}"


@dataclass(frozen=True)
class RecordedFile:
    aggregate_id: str
    version: int
    attachment_id: str
    sha256: str
    size: int


def _recorded_files(stored: Any, state: dict[str, Any]) -> list[RecordedFile]:
    """The files an event names by sha256: an attachment, or a quarantined message's raw bytes
    and the attachments the intake kept from it (accepting it later records those on an issue)."""
    owner, version = str(stored.originator_id), stored.originator_version
    if stored.topic.endswith(".AttachmentAdded") and "sha256" in state:
        return [
            RecordedFile(
                owner, version, str(state.get("attachment_id")), str(state["sha256"]), int(state.get("size") or 0)
            )
        ]
    if not stored.topic.endswith("QuarantinedMail.Quarantined"):
        return []
    found = []
    if state.get("raw_sha256"):
        found.append(
            RecordedFile(owner, version, "raw message", str(state["raw_sha256"]), int(state.get("raw_size") or 0))
        )
    for file in state.get("files") or []:
        if isinstance(file, dict) and file.get("sha256"):
            name = f"mail file {file.get('name') or file['sha256'][:12]}"
            found.append(RecordedFile(owner, version, name, str(file["sha256"]), int(file.get("size") or 0)))
    return found


@dataclass(frozen=True)
class VerifyReport:
    events: int
    aggregates: int
    broken: list[Broken]

    @property
    def ok(self) -> bool:
        return not self.broken


def iterate_log(desk: DeskBase, after: int = 0, limit: int | None = None) -> Iterator[Any]:
    """Stored notifications in commit order, in batches (constant memory)."""
    start = after + 1
    remaining = limit
    while remaining is None or remaining > 0:
        size = BATCH if remaining is None else min(BATCH, remaining)
        batch = desk.recorder.select_notifications(start=start, limit=size)
        if not batch:
            return
        yield from batch
        start = batch[-1].id + 1
        if remaining is not None:
            remaining -= len(batch)


def _decode(desk: DeskBase, stored: Any) -> dict[str, Any]:
    state: dict[str, Any] = desk.mapper.transcoder.decode(stored.state)
    return state


def event_data(desk: DeskBase, raw: bytes) -> dict[str, Any]:
    """A stored state's facts (before redaction), without the who, when and chain hash."""
    state: dict[str, Any] = desk.mapper.transcoder.decode(raw)
    return {k: v for k, v in state.items() if k not in ("actor", "occurred_at", "timestamp", "hash")}


def _name(topic: str, state: dict[str, Any], aggregate_id: str) -> str:
    key = state.get("key")
    if isinstance(key, str) and key:
        return key
    return f"{topic.split(':')[-1].split('.')[0]} {aggregate_id}"


def verify(desk: DeskBase, progress: Callable[[int], None] | None = None) -> VerifyReport:
    """Recompute every aggregate's chain; report the first broken event of each."""
    heads: dict[str, tuple[str | None, int]] = {}
    files: list[RecordedFile] = []
    names: dict[str, str] = {}
    broken: dict[str, Broken] = {}
    count = 0
    for stored in iterate_log(desk):
        count += 1
        if progress is not None and count % 10_000 == 0:
            progress(count)
        agg = str(stored.originator_id)
        if agg in broken:
            continue
        try:
            state = _decode(desk, stored)
        except Exception:
            broken[agg] = Broken(agg, names.get(agg, agg), stored.originator_version, "state cannot be decoded")
            continue
        names.setdefault(agg, _name(stored.topic, state, agg))
        previous, last_version = heads.get(agg, (None, 0))
        if stored.originator_version != last_version + 1:
            expected = last_version + 1
            broken[agg] = Broken(
                agg, names[agg], expected, f"expected version {expected}, found {stored.originator_version}"
            )
            continue
        expected_hash = chain_hash(previous, stored.topic, stored.originator_id, stored.originator_version, state)
        if state.get("hash") != expected_hash:
            broken[agg] = Broken(agg, names[agg], stored.originator_version, "hash does not match the event")
            continue
        heads[agg] = (expected_hash, stored.originator_version)
        files += _recorded_files(stored, state)
    _verify_files(desk, files, names, broken)
    return VerifyReport(events=count, aggregates=len(heads) + len(broken), broken=list(broken.values()))


def _verify_files(desk: DeskBase, files: list[RecordedFile], names: dict[str, str], broken: dict[str, Broken]) -> None:
    """Every recorded file's bytes, read back and hashed (each sha256 once): the chain covers
    the sha256, this covers the bytes under it. The first mismatch of an aggregate is reported."""
    if not files or not isinstance(desk, AttachmentStore):
        return
    digests: dict[str, str | None] = {}
    for file in files:
        if file.aggregate_id in broken:
            continue
        if file.sha256 not in digests:
            digests[file.sha256] = desk.blobs.digest(file.sha256)
        found = digests[file.sha256]
        if found != file.sha256:
            reason = "bytes are missing" if found is None else "bytes changed"
            name = names.get(file.aggregate_id, file.aggregate_id)
            broken[file.aggregate_id] = ChangedFile(file.aggregate_id, name, file.version, reason, file.attachment_id)


def stored_bytes(topic: str, raw: bytes, data: dict[str, Any]) -> dict[str, Any]:
    """What a checkpoint's leaf covers (docs/checkpoints.md): the full topic, the SHA-256 of the
    stored state bytes and, unless redaction hid a secret in them, those bytes in base64."""
    secret = redacted(data) != data
    return {
        "topic": topic,
        "state_sha256": hashlib.sha256(raw).hexdigest(),
        "state": None if secret else base64.b64encode(raw).decode("ascii"),
    }


def describe_stored(desk: DeskBase, stored: Any) -> dict[str, Any]:
    state = _decode(desk, stored)
    actor = state.get("actor")
    data = {k: v for k, v in state.items() if k not in ("actor", "occurred_at", "timestamp", "hash")}
    return {
        "position": stored.id,
        "aggregate_id": str(stored.originator_id),
        "version": stored.originator_version,
        "type": stored.topic.split(":")[-1],
        "actor": getattr(actor, "id", None),
        "actor_role": getattr(actor, "role", None),
        "via": getattr(actor, "via", None),
        "occurred_at": state.get("occurred_at") or state.get("timestamp"),
        "recorded_at": state.get("timestamp"),
        "data": redacted(data),
        "hash": state.get("hash"),
        **stored_bytes(stored.topic, bytes(stored.state), data),
    }


def to_json(value: Any) -> Any:
    return to_plain(value)


def export_jsonl(desk: DeskBase, stream: IO[str], progress: Callable[[int], None] | None = None) -> int:
    """Write every event as one JSON line, in commit order; memory does not grow with the log."""
    count = 0
    for stored in iterate_log(desk):
        stream.write(json.dumps(to_json(describe_stored(desk, stored)), ensure_ascii=False, sort_keys=True))
        stream.write("\n")
        count += 1
        if progress is not None and count % 10_000 == 0:
            progress(count)
    return count


class _Chunks(io.RawIOBase):
    """A blob's chunks as the file object `tarfile` reads a member from."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self.chunks = chunks
        self.current = b""
        self.offset = 0

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        """At most `size` bytes (all that is left when negative); a read never copies a chunk's
        remainder, so tar's small reads over 1 MiB chunks stay linear."""
        parts: list[bytes] = []
        wanted = size
        while wanted != 0:
            if self.offset >= len(self.current):
                chunk = next(self.chunks, None)
                if chunk is None:
                    break
                self.current, self.offset = chunk, 0
                continue
            end = len(self.current) if wanted < 0 else min(len(self.current), self.offset + wanted)
            parts.append(self.current[self.offset : end])
            if wanted > 0:
                wanted -= end - self.offset
            self.offset = end
        return b"".join(parts)


def export_with_attachments(desk: DeskBase, stream: IO[bytes], progress: Callable[[int], None] | None = None) -> int:
    """A tar of `events.jsonl` (as `export_jsonl`) and every recorded file as `files/<sha256>`,
    written as a stream (a pipe will do): the events go through a temporary file, the files
    straight from the store, a chunk at a time. Each sha256 is written once."""
    files: dict[str, int] = {}
    with tempfile.TemporaryFile(mode="w+b") as events:
        text = io.TextIOWrapper(events, encoding="utf-8", newline="\n")
        count = 0
        for stored in iterate_log(desk):
            text.write(json.dumps(to_json(describe_stored(desk, stored)), ensure_ascii=False, sort_keys=True))
            text.write("\n")
            count += 1
            for recorded in _recorded_files(stored, _decode(desk, stored)):
                files.setdefault(recorded.sha256, recorded.size)
            if progress is not None and count % 10_000 == 0:
                progress(count)
        text.flush()
        size = events.tell()
        events.seek(0)
        with tarfile.open(fileobj=stream, mode="w|") as tar:
            tar.addfile(_member("events.jsonl", size), events)
            if files and isinstance(desk, AttachmentStore):
                for sha256, length in files.items():
                    tar.addfile(_member(f"files/{sha256}", length), _Chunks(iter(desk.attachment_bytes(sha256))))
        text.detach()
    return count


def _member(name: str, size: int) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.size = size
    info.mtime = int(time.time())
    info.mode = 0o644
    return info
