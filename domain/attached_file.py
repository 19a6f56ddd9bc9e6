"""What an `AttachmentAdded` event of an issue or a suggestion records, and the row it leaves.

Each aggregate keeps its own `AttachmentAdded` event class (its topic names the aggregate, and
stored topics are forever), so only the shape is shared here: the file's facts as the command
passes them, and the entry the event appends to the aggregate's `attachments`.

Pure: standard library and the domain's actor only.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from domain.actor import Actor


def file_facts(file: dict[str, Any]) -> dict[str, Any]:
    """The stored file's facts the event records: its sha256 (so the hash chain covers its
    bytes), name, declared type and size."""
    return {"sha256": file["sha256"], "name": file["name"], "content_type": file["content_type"], "size": file["size"]}


def attachment_entry(
    attachment_id: str,
    sha256: str,
    name: str,
    content_type: str,
    size: int,
    comment_id: str | None,
    actor: Actor,
    occurred_at: datetime,
) -> dict[str, Any]:
    """The `attachments` entry an `AttachmentAdded` event leaves on its aggregate."""
    return {
        "id": attachment_id,
        "sha256": sha256,
        "name": name,
        "content_type": content_type,
        "size": size,
        "comment_id": comment_id,
        "uploaded_by": actor.id,
        "uploaded_at": occurred_at,
    }
