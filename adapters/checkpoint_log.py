"""Published checkpoints: one JSON object a line, appended to `KAIZEN_CHECKPOINT_DIR/checkpoints.jsonl`.

Append-only on purpose: a line is written whole under an exclusive `flock` (the elected worker
and an operator's `kaizen audit checkpoint` may append at the same moment) and fsynced; nothing
ever rewrites the file. Copy it off the database host (or point the directory at a write-once
mount): the file and the public key, not the database, are what an auditor trusts.
"""

from __future__ import annotations

import fcntl
import json
import os
import struct
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

FILE_NAME = "checkpoints.jsonl"


def log_file(directory: str | Path) -> Path:
    return Path(directory) / FILE_NAME


def append(directory: str | Path, checkpoint: dict[str, Any]) -> Path:
    target = log_file(directory)
    target.parent.mkdir(parents=True, exist_ok=True)
    line = (json.dumps(checkpoint, sort_keys=True, separators=(",", ":")) + "\n").encode("utf-8")
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        os.write(fd, line)
        os.fsync(fd)
    finally:
        os.close(fd)
    return target


def read(path: str | Path) -> list[dict[str, Any]]:
    """Every checkpoint of a JSON Lines file (a checkpoints file or the directory holding one)."""
    source = Path(path)
    if source.is_dir():
        source = log_file(source)
    if not source.exists():
        return []
    found: list[dict[str, Any]] = []
    with source.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                value = json.loads(line)
            except json.JSONDecodeError:
                raise ValueError(f"{source} line {number}: not valid JSON") from None
            if not isinstance(value, dict):
                raise ValueError(f"{source} line {number}: not a checkpoint object")
            found.append(value)
    return found


LEAVES_NAME = "leaves.bin"
LOCK_NAME = ".checkpoint.lock"
RECORD = 40  # 8-byte big-endian position, 32-byte leaf hash


def leaves_file(path: str | Path) -> Path:
    """The leaves beside a checkpoints file (or in a checkpoint directory)."""
    source = Path(path)
    return (source if source.is_dir() else source.parent) / LEAVES_NAME


class PublishedLog:
    """The checkpoint directory: checkpoints.jsonl and leaves.bin, appended under one lock.

    leaves.bin holds (position, leaf hash) of every row the latest checkpoint covers. It is
    not trusted on its own: a verifier accepts it only up to a checkpoint whose signed root it
    reproduces, and then uses it to name exactly which position of the store changed."""

    def __init__(self, directory: str | Path) -> None:
        self.directory = Path(directory)
        self._fd: int | None = None

    def __enter__(self) -> PublishedLog:
        self.directory.mkdir(parents=True, exist_ok=True)
        self._fd = os.open(self.directory / LOCK_NAME, os.O_WRONLY | os.O_CREAT, 0o644)
        fcntl.flock(self._fd, fcntl.LOCK_EX)  # the worker and an operator's command take turns
        return self

    def __exit__(self, *exc: object) -> None:
        if self._fd is not None:
            os.close(self._fd)  # releases the lock
            self._fd = None

    def records(self) -> Iterator[tuple[int, bytes]]:
        return read_leaves(self.directory / LEAVES_NAME)

    def append_records(self, records: Iterable[tuple[int, bytes]]) -> None:
        fd = os.open(self.directory / LEAVES_NAME, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        try:
            size = os.fstat(fd).st_size
            if size % RECORD:  # a record torn by a crash: drop it, or every later one is misread
                os.ftruncate(fd, size - size % RECORD)
            chunk: list[bytes] = []
            for position, leaf in records:
                chunk.append(struct.pack(">Q", position) + leaf)
                if len(chunk) >= 4096:
                    os.write(fd, b"".join(chunk))
                    chunk.clear()
            if chunk:
                os.write(fd, b"".join(chunk))
            os.fsync(fd)
        finally:
            os.close(fd)

    def append_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        append(self.directory, checkpoint)


def read_leaves(path: str | Path) -> Iterator[tuple[int, bytes]]:
    """(position, leaf) records in file order, read in blocks; a torn last record is ignored."""
    target = Path(path)
    if not target.exists():
        return
    with target.open("rb") as handle:
        while block := handle.read(RECORD * 4096):
            for start in range(0, len(block) - RECORD + 1, RECORD):
                yield struct.unpack(">Q", block[start : start + 8])[0], block[start + 8 : start + RECORD]
