"""Which files the desk keeps, judged from their first bytes, not from what the uploader says.

A browser (or an attacker) declares any type it likes; a "PNG" that is really HTML would run as
a page if it were ever served inline. So the declared type must be on the allow-list *and* the
bytes must carry that type's magic number. Office Open XML files (docx/xlsx/pptx) are zip
archives, legacy Office files (doc/xls) OLE compound files: the container is what is checked.
Text and CSV must be UTF-8 without NUL bytes and must not open like HTML or SVG. Pure rules,
kept in the domain so the HTTP API, the console and any future intake judge alike.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from domain.errors import DomainError

SNIFF_BYTES = 8192
"""How much of a file's head the judgement reads (enough for every magic number and for text)."""

PNG, JPEG, GIF, WEBP = "image/png", "image/jpeg", "image/gif", "image/webp"
PDF, TEXT, CSV, ZIP = "application/pdf", "text/plain", "text/csv", "application/zip"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PPTX = "application/vnd.openxmlformats-officedocument.presentationml.presentation"
DOC, XLS = "application/msword", "application/vnd.ms-excel"

IMAGES = frozenset({PNG, JPEG, GIF, WEBP})
ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")  # a local file header, or an empty archive
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
EXTENSIONS: dict[str, str] = {
    "png": PNG,
    "jpg": JPEG,
    "jpeg": JPEG,
    "gif": GIF,
    "webp": WEBP,
    "pdf": PDF,
    "txt": TEXT,
    "log": TEXT,
    "csv": CSV,
    "zip": ZIP,
    "docx": DOCX,
    "xlsx": XLSX,
    "pptx": PPTX,
    "doc": DOC,
    "xls": XLS,
}
ALLOWED = frozenset(EXTENSIONS.values())
UNDECLARED = frozenset({"", "application/octet-stream", "binary/octet-stream"})
MARKUP = re.compile(rb"^\s*(<\?xml|<!doctype|<html|<head|<body|<script|<svg|<iframe|<!--)", re.IGNORECASE)


class AttachmentRefused(DomainError):
    """A file the desk does not keep; `status` is the HTTP answer (413 too large, 415 type)."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Limit:
    """The largest file accepted, in bytes (`KAIZEN_ATTACHMENT_MAX_MB`, 20 by default)."""

    max_bytes: int

    def check(self, size: int) -> None:
        if size > self.max_bytes:
            raise AttachmentRefused(
                f"the file is larger than the limit of {self.max_bytes // (1024 * 1024)} MB", status=413
            )


def declared_type(content_type: str | None, name: str) -> str:
    """The type the uploader declared, without parameters; none (or octet-stream) means the
    file name's extension speaks for it."""
    declared = (content_type or "").split(";", 1)[0].strip().lower()
    if declared in UNDECLARED:
        extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
        return EXTENSIONS.get(extension, declared or "application/octet-stream")
    return "image/jpeg" if declared == "image/jpg" else declared


def _is_text(head: bytes) -> bool:
    if b"\x00" in head or MARKUP.match(head):
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:  # a character cut in two at the end of the head is fine
        return exc.start >= len(head) - 3 and exc.reason == "unexpected end of data"
    return True


def matches(content_type: str, head: bytes) -> bool:
    """Whether the first bytes of a file are what `content_type` says it is."""
    if content_type == PNG:
        return head.startswith(b"\x89PNG\r\n\x1a\n")
    if content_type == JPEG:
        return head.startswith(b"\xff\xd8\xff")
    if content_type == GIF:
        return head[:6] in (b"GIF87a", b"GIF89a")
    if content_type == WEBP:
        return head[:4] == b"RIFF" and head[8:12] == b"WEBP"
    if content_type == PDF:
        return head.startswith(b"%PDF-")
    if content_type in (ZIP, DOCX, XLSX, PPTX):
        return head[:4] in ZIP_MAGIC
    if content_type in (DOC, XLS):
        return head.startswith(OLE_MAGIC)
    if content_type in (TEXT, CSV):
        return _is_text(head)
    return False


def judge(content_type: str | None, name: str, head: bytes) -> str:
    """The type the desk records for a file, or AttachmentRefused(415)."""
    declared = declared_type(content_type, name)
    if declared not in ALLOWED:
        raise AttachmentRefused(f"files of type {declared} are not accepted", status=415)
    if not matches(declared, head):
        raise AttachmentRefused(f"the file's content is not {declared}", status=415)
    return declared


def safe_name(name: str | None) -> str:
    """The file's own name without any directory part or control characters (at most 200)."""
    base = re.split(r"[\\/]", name or "")[-1]
    cleaned = "".join(ch for ch in base if ch.isprintable()).strip().strip(".")
    return cleaned[:200] or "attachment"
