"""Reading aggregates by key, at a version or a past time, and their event histories."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError

from application.base import DeskBase
from application.errors import NotFound
from application.event_times import EventTimes, last_version_at_or_before
from domain.actor import Actor
from domain.keys import aggregate_id

MAX_PAGE = 500
A = TypeVar("A")

SECRET_FIELDS = frozenset({"secret", "signing_secret", "password_hash", "link_digest", "session_digest"})
REDACTED = "[redacted]"


def redacted(data: dict[str, Any]) -> dict[str, Any]:
    """Signing secrets stay in their events (the worker must read them) but never reach people."""
    return {k: (REDACTED if k in SECRET_FIELDS and v is not None else v) for k, v in data.items()}


META_FIELDS = frozenset(
    {"originator_id", "originator_version", "timestamp", "actor", "occurred_at", "hash", "originator_topic"}
)


def event_type(domain_event: Any) -> str:
    return type(domain_event).__qualname__.split(".")[-1]


def describe_event(domain_event: Any) -> dict[str, Any]:
    """One history entry: the facts, who, when (business and recorded) and the chain hash."""
    state = dict(vars(domain_event))
    actor = state.get("actor")
    if not isinstance(actor, Actor):
        actor = Actor(id="unknown", role="unknown")
    return {
        "type": event_type(domain_event),
        "version": domain_event.originator_version,
        "actor": actor.id,
        "actor_role": actor.role,
        "via": actor.via,
        "occurred_at": state.get("occurred_at") or domain_event.timestamp,
        "recorded_at": domain_event.timestamp,
        "data": redacted({k: v for k, v in state.items() if k not in META_FIELDS}),
        "hash": state.get("hash"),
    }


@dataclass(frozen=True)
class HistoryPage:
    """Entries oldest first; `after` is the last version given (the next page starts after it),
    None when this page reaches the aggregate's last event."""

    entries: list[dict[str, Any]]
    after: int | None


def events_page(app: DeskBase, originator_id: UUID, limit: int, after: int = 0) -> HistoryPage:
    """One page of any aggregate's events: only that page is read from the store and decoded (a
    1,000-event issue costs one page, not the whole thread). One row beyond the page is read,
    undecoded, to learn whether another page follows without a second query."""
    if not 1 <= limit <= MAX_PAGE or after < 0:
        raise ValueError(f"a page is 1 to {MAX_PAGE} events after a version >= 0")
    stored = app.recorder.select_events(originator_id, gt=after or None, limit=limit + 1)
    entries = [describe_event(app.mapper.to_domain_event(s)) for s in stored[:limit]]
    more = len(stored) > limit
    return HistoryPage(entries, entries[-1]["version"] if more else None)


class Reading(DeskBase):
    _event_times: EventTimes | None = None

    def events_of(self, key: str) -> list[Any]:
        events = list(self.events.get(aggregate_id(key)))
        if not events:
            raise NotFound(f"{key} was not found")
        return events

    def history(self, key: str) -> list[dict[str, Any]]:
        """Every event at once: for the CLI and the console, which show a whole issue; the API pages."""
        return [describe_event(e) for e in self.events_of(key)]

    def history_page(self, key: str, limit: int, after: int = 0) -> HistoryPage:
        """Up to `limit` events after version `after`; NotFound for a key that has no events."""
        page = events_page(self, aggregate_id(key), limit, after)
        if not page.entries and not self.recorder.select_events(aggregate_id(key), limit=1):
            raise NotFound(f"{key} was not found")
        return page

    def events_page(self, originator_id: UUID, limit: int, after: int = 0) -> HistoryPage:
        return events_page(self, originator_id, limit, after)

    def version_as_of(self, key: str, as_of: datetime, axis: str = "recorded") -> int:
        """The last version recorded (or, on the business axis, occurred) at or before `as_of`.

        Reads only the events' two times, kept per aggregate and topped up with newer events
        (`application.event_times`), instead of decoding every event of the aggregate.
        """
        return self.version_of_as_of(aggregate_id(key), key, as_of, axis)

    def version_of_as_of(self, originator_id: UUID, label: str, as_of: datetime, axis: str = "recorded") -> int:
        """`version_as_of` for any aggregate by its id (a person, a group), named `label`."""
        key = label
        if self._event_times is None:
            self._event_times = EventTimes(self.recorder, self.mapper)
        times = self._event_times.of(originator_id)
        if not times:
            raise NotFound(f"{key} was not found")
        if axis == "recorded":
            version = last_version_at_or_before(((v, recorded) for v, recorded, _ in times), as_of)
        else:
            version = last_version_at_or_before(((v, occurred) for v, _, occurred in times), as_of)
        if version == 0:
            raise NotFound(f"{key} did not exist at {as_of.isoformat()}")
        return version

    def glance(self, key: str, cls: type[A]) -> A:
        """The aggregate as the cache holds it, not a copy: only to look at a field or two (who may
        see it, its version) before answering with something else, as history and time travel do.
        Never present or change it: another request's thread may fast-forward it meanwhile.
        (`get_issue` must copy, and copying an issue with a thousand comments is not cheap.)"""
        label = f"{cls.__name__.lower()} {key}"
        try:
            found: Any = self.repository.get(aggregate_id(key), deepcopy_from_cache=False)
        except AggregateNotFoundError:
            raise NotFound(f"{label} was not found") from None
        if not isinstance(found, cls):
            raise NotFound(f"{label} was not found")
        return found

    def aggregate_id_of(self, key: str) -> UUID:
        return aggregate_id(key)
