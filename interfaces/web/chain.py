"""Verify one aggregate's hash chain, for the issue page.

`application.audit.verify` walks the whole log, which is right for `/audit/verify` but too slow
to run on every page view. The rule is the same (versions without gaps from 1, each hash equal
to sha256(previous hash + the event as stored)); only the events read differ: this aggregate's
stored rows, decoded without upcasting exactly as `verify` does, so both always agree.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from application.base import DeskBase
from domain.chain import chain_hash
from domain.keys import aggregate_id


@dataclass(frozen=True)
class ChainResult:
    """`broken_at` is the first bad version (None: the chain holds); `reason` says what failed."""

    key: str
    events: int
    broken_at: int | None
    reason: str | None
    head: str | None  # the last good hash: what an external anchor would record

    @property
    def ok(self) -> bool:
        return self.broken_at is None


def verify_chain(desk: DeskBase, key: str) -> ChainResult:
    """Recompute the chain of `key` from its stored rows; stop at the first broken event."""
    stored_events = desk.recorder.select_events(aggregate_id(key))
    previous: str | None = None
    for expected_version, stored in enumerate(stored_events, start=1):
        if stored.originator_version != expected_version:
            reason = f"expected version {expected_version}, found {stored.originator_version}"
            return ChainResult(key, len(stored_events), expected_version, reason, previous)
        try:
            state: dict[str, Any] = desk.mapper.transcoder.decode(stored.state)
        except Exception:
            return ChainResult(key, len(stored_events), expected_version, "state cannot be decoded", previous)
        digest = chain_hash(previous, stored.topic, stored.originator_id, stored.originator_version, state)
        if state.get("hash") != digest:
            return ChainResult(key, len(stored_events), expected_version, "hash does not match the event", previous)
        previous = digest
    return ChainResult(key, len(stored_events), None, None, previous)
