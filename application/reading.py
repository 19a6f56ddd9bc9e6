"""Reading aggregates by key, at a version or a past time, and their event histories."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from application.base import DeskBase
from application.errors import NotFound
from domain.actor import Actor
from domain.keys import aggregate_id

SECRET_FIELDS = frozenset({"secret", "signing_secret"})
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


class Reading(DeskBase):
    def events_of(self, key: str) -> list[Any]:
        events = list(self.events.get(aggregate_id(key)))
        if not events:
            raise NotFound(f"{key} was not found")
        return events

    def history(self, key: str) -> list[dict[str, Any]]:
        return [describe_event(e) for e in self.events_of(key)]

    def version_as_of(self, key: str, as_of: datetime, axis: str = "recorded") -> int:
        """The last version recorded (or, on the business axis, occurred) at or before `as_of`."""
        version = 0
        for domain_event in self.events_of(key):
            when = (
                domain_event.timestamp
                if axis == "recorded"
                else (domain_event.__dict__.get("occurred_at") or domain_event.timestamp)
            )
            if when <= as_of:
                version = max(version, domain_event.originator_version)
        if version == 0:
            raise NotFound(f"{key} did not exist at {as_of.isoformat()}")
        return version

    def aggregate_by_key(self, key: str, version: int | None = None) -> Any:
        return self._load(aggregate_id(key), object, key, version)  # type: ignore[type-var]

    def aggregate_id_of(self, key: str) -> UUID:
        return aggregate_id(key)
