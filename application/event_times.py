"""When each version of an aggregate was recorded and when it occurred, for time travel.

`?as_of=` asks for "the last version recorded (or occurred) at or before T". Times need not
rise with versions: an imported merge lands on a live suggestion with its past business time,
and two servers' clocks may disagree by a few milliseconds, so a binary search over versions
could pick the wrong one. Every version's time is therefore looked at, but only the times:
each stored event's JSON is parsed without building a domain event (far cheaper than decoding
it; bench/history.py), and an aggregate's times, which never change once recorded, are kept (a
bounded LRU per process) and topped up by reading only the versions recorded since.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Iterable
from datetime import datetime
from typing import Any
from uuid import UUID

# (version, recorded_at, occurred_at): occurred_at is recorded_at for events without one.
VersionTimes = tuple[int, datetime, datetime]

MAX_AGGREGATES = 256


def last_version_at_or_before(times: Iterable[tuple[int, datetime]], as_of: datetime) -> int:
    """The highest version whose time is at or before `as_of`, 0 when there is none (the definition
    of `as_of`, whatever the order of the times)."""
    return max((version for version, when in times if when <= as_of), default=0)


def _datetime(encoded: Any) -> datetime | None:
    """A time as the library's JSON transcoder writes it; ValueError for any other shape."""
    if encoded is None:
        return None
    if isinstance(encoded, dict) and encoded.get("_type_") == "datetime_iso" and isinstance(encoded.get("_data_"), str):
        return datetime.fromisoformat(encoded["_data_"])
    raise ValueError(f"not a transcoded datetime: {encoded!r}")


class EventTimes:
    """The times of every version of recently asked-about aggregates, read from the store."""

    def __init__(self, recorder: Any, mapper: Any, max_aggregates: int = MAX_AGGREGATES) -> None:
        self.recorder = recorder
        self.mapper = mapper
        self.max_aggregates = max_aggregates
        self._known: OrderedDict[UUID, tuple[VersionTimes, ...]] = OrderedDict()
        self._lock = threading.Lock()

    def of(self, originator_id: UUID) -> tuple[VersionTimes, ...]:
        """Every version's times, oldest first (empty for an aggregate with no events)."""
        with self._lock:
            known = self._known.get(originator_id, ())
        after = known[-1][0] if known else None
        fresh = tuple(self._times(s) for s in self.recorder.select_events(originator_id, gt=after))
        times = known + fresh
        if times:
            with self._lock:
                current = self._known.get(originator_id, ())
                if len(current) <= len(times):  # another thread may have read further meanwhile
                    self._known[originator_id] = times
                self._known.move_to_end(originator_id)
                while len(self._known) > self.max_aggregates:
                    self._known.popitem(last=False)
        return times

    def _times(self, stored: Any) -> VersionTimes:
        try:
            state = stored.state
            if self.mapper.cipher is not None:
                state = self.mapper.cipher.decrypt(state)
            if self.mapper.compressor is not None:
                state = self.mapper.compressor.decompress(state)
            raw = json.loads(state)
            recorded = _datetime(raw["timestamp"])
            occurred = _datetime(raw.get("occurred_at"))
        except (ValueError, KeyError, TypeError):
            # Not the shape the JSON transcoder writes: decode the event the library's way.
            event = self.mapper.to_domain_event(stored)
            recorded, occurred = event.timestamp, event.__dict__.get("occurred_at")
        if recorded is None:
            raise ValueError(f"stored event {stored.originator_version} has no timestamp")
        return stored.originator_version, recorded, occurred or recorded
