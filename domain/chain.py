"""Tamper evidence: each aggregate's events form a SHA-256 hash chain.

`hash = sha256(prev_hash + canonical JSON of the event)`. The canonical form is computed from
the event's recorded state (before any upcasting), so an auditor can recompute it from the
stored rows alone, and a changed field, a deleted event or two swapped events break the chain
at the first altered version.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, is_dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any
from uuid import UUID

GENESIS = "0" * 64
EXCLUDED_FIELDS = frozenset({"hash", "class_version", "originator_id", "originator_version"})


def to_plain(value: Any) -> Any:
    """Map event values onto JSON types the same way at save time and at verify time."""
    if isinstance(value, Enum):
        return to_plain(value.value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (UUID, Decimal)):
        return str(value)
    if is_dataclass(value) and not isinstance(value, type):
        return to_plain(asdict(value))
    if isinstance(value, dict):
        return {str(k): to_plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        items = [to_plain(v) for v in value]
        return sorted(items, key=repr) if isinstance(value, (set, frozenset)) else items
    return value


def canonical_json(topic: str, originator_id: Any, version: int, state: dict[str, Any]) -> str:
    """The event as sorted, compact JSON; the hash is only as stable as this string."""
    body = {k: v for k, v in state.items() if k not in EXCLUDED_FIELDS}
    document = {
        "type": topic,
        "originator_id": str(originator_id),
        "originator_version": version,
        "state": to_plain(body),
    }
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def chain_hash(previous: str | None, topic: str, originator_id: Any, version: int, state: dict[str, Any]) -> str:
    payload = (previous or GENESIS) + canonical_json(topic, originator_id, version, state)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()
