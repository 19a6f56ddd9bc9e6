"""A rehearsal of commands against the live store that writes nothing to it.

The import validates a whole file before it writes a line. It used to do so against an empty
in-memory copy of the application, which allocated other keys than the live store would and
could not see the live aggregates a line refers to: merging into an existing `SG-1` was
reported as "merged into itself". A rehearsal reads every aggregate from the live store and
keeps what it writes in memory, on top: keys continue the live sequences, existing issues and
suggestions are found, and an idempotency key the live store already holds is recognised, so
the rehearsal answers exactly what the real run will do.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from eventsourcing.persistence import ApplicationRecorder, IntegrityError, StoredEvent
from eventsourcing.popo import POPOApplicationRecorder

from application.config import StoreSettings
from application.desk import KaizenDesk

IN_MEMORY = {"PERSISTENCE_MODULE": "eventsourcing.popo"}


class OverlayRecorder(POPOApplicationRecorder):
    """Reads an aggregate's live events followed by the rehearsal's own; writes only to memory.

    A rehearsal only ever appends after the live versions (it read them first), so the merged
    sequence is the live one with the rehearsal's versions after it. An append whose version
    the live store already holds fails as it would live: that is how a retried idempotency key
    and a lost race are recognised.
    """

    def __init__(self, live: ApplicationRecorder) -> None:
        super().__init__()
        self.live = live

    def select_events(
        self,
        originator_id: UUID | str,
        *,
        gt: int | None = None,
        lte: int | None = None,
        desc: bool = False,
        limit: int | None = None,
    ) -> Sequence[StoredEvent]:
        live = list(self.live.select_events(originator_id, gt=gt, lte=lte))
        own = list(super().select_events(originator_id, gt=gt, lte=lte))
        merged = sorted({e.originator_version: e for e in [*live, *own]}.values(), key=lambda e: e.originator_version)
        if desc:
            merged.reverse()
        return merged if limit is None else merged[:limit]

    def insert_events(self, stored_events: Sequence[StoredEvent], **kwargs: Any) -> Sequence[int] | None:
        for stored in stored_events:
            version = stored.originator_version
            if self.live.select_events(stored.originator_id, gt=version - 1, lte=version, limit=1):
                raise IntegrityError(f"version {version} of {stored.originator_id} is already stored")
        return super().insert_events(stored_events, **kwargs)


def rehearsal_settings(live: StoreSettings) -> StoreSettings:
    """The live settings (same transcoding of stored events), but kept in memory."""
    return StoreSettings(url="memory:", engine="popo", environment={**live.environment, **IN_MEMORY})


class RehearsalDesk(KaizenDesk):
    """The whole application, its commands and rules unchanged, over an `OverlayRecorder`."""

    def __init__(self, live: KaizenDesk) -> None:
        self._live_recorder = live.recorder
        super().__init__(rehearsal_settings(live.settings), clock=live.clock)

    def construct_recorder(self) -> ApplicationRecorder:
        return OverlayRecorder(self._live_recorder)
