"""The base every Kaizen aggregate shares: provenance on events and the hash chain."""

from __future__ import annotations

import copy
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate
from eventsourcing.utils import get_topic

from domain.actor import Actor, refuse_impersonated_rule
from domain.chain import chain_hash
from domain.errors import TransitionRefused
from domain.values import identifier, refuse_unstorable

_EVENT_NAMES: dict[type, str] = {}


def event_name(event: Any) -> str:
    """`Issue.Reported` style names: the aggregate and the fact, the keys of every view's handler
    table and of the SLA facts. Kept per class, because every view asks for every event."""
    cls = type(event)
    name = _EVENT_NAMES.get(cls)
    if name is None:
        name = _EVENT_NAMES[cls] = ".".join(cls.__qualname__.split(".")[-2:])
    return name


EVENT_ENVELOPE = frozenset({"originator_id", "originator_version", "originator_topic", "timestamp"})
"""Attributes the library sets itself; everything else an event carries came from a command."""


class KaizenAggregate(Aggregate):
    """An aggregate whose events carry who/when/via and chain their hashes.

    Command methods check the rules and then call a private `@event` method; the private method
    only mutates state, so replaying stored events never re-runs a rule that depends on "now".
    """

    class Event(Aggregate.Event):
        """Every event of every aggregate: remembers the chain head when replayed."""

        def apply(self, aggregate: Any) -> None:
            sealed = self.__dict__.get("hash")
            if sealed is not None:
                aggregate.chain_head = sealed

    @classmethod
    def _create(cls, event_class: type[Any], **kwargs: Any) -> Any:
        """Refuse what no view could store before the created event exists (see domain.values)."""
        refuse_unstorable_facts(kwargs)
        return super()._create(event_class, **kwargs)

    def trigger_event(self, event_class: type[Any], **kwargs: Any) -> None:
        """Refuse what no view could store before the event exists: an event in the log is forever."""
        refuse_unstorable_facts(kwargs)
        super().trigger_event(event_class, **kwargs)

    def __deepcopy__(self, memo: dict[int, Any]) -> Any:
        """The copy the repository hands each command (and each read) out of its cache.

        The same result as `copy.deepcopy`, much sooner on a long issue (bench/command_path.py): the state is
        plain dicts and lists of strings and times, and the library's generic copy rebuilds
        every (immutable) datetime through `__reduce_ex__`; here immutable values are shared and
        only containers are walked. Anything else still goes through `copy.deepcopy`.
        """
        clone = object.__new__(type(self))
        memo[id(self)] = clone
        clone.__dict__.update({name: _copied(value, memo) for name, value in self.__dict__.items()})
        return clone

    def seal_pending_events(self) -> None:
        """Give each pending event its chain hash just before it is saved."""
        head: str | None = getattr(self, "chain_head", None)
        for pending in self.pending_events:
            state = dict(vars(pending))
            if "hash" not in state:
                sealed = chain_hash(
                    head,
                    get_topic(type(pending)),
                    pending.originator_id,
                    pending.originator_version,
                    state,
                )
                object.__setattr__(pending, "hash", sealed)
            head = pending.__dict__["hash"]
        self.chain_head = head

    @property
    def state_name(self) -> str:
        """The name of the current life-cycle state, for refusals."""
        return str(getattr(self, "status", "unknown"))

    def _require(self, condition: bool, action: str, detail: str | None = None) -> None:
        if not condition:
            raise TransitionRefused(action, self.state_name, detail)


def refuse_unstorable_facts(facts: dict[str, Any]) -> None:
    """The net under every command: the actor is a real identifier, and every other fact storable.

    Raises `InvalidCommand` naming the field, so the caller gets a 422 and nothing is written.
    """
    actor = facts.get("actor")
    if isinstance(actor, Actor):
        refuse_impersonated_rule(actor)  # only the automation's own turn may name a rule
        identifier(actor.id, "actor")
        identifier(actor.role, "role")
        if actor.via is not None:
            identifier(actor.via, "via")
    refuse_unstorable({name: value for name, value in facts.items() if name not in EVENT_ENVELOPE and name != "actor"})


IMMUTABLE = (str, int, float, bool, type(None), bytes, datetime, date, Decimal, UUID, Enum)


def _copied(value: Any, memo: dict[int, Any]) -> Any:
    """`copy.deepcopy(value, memo)`, without copying immutable values (shared containers stay shared)."""
    if isinstance(value, IMMUTABLE):
        return value
    if id(value) in memo:
        return memo[id(value)]
    kind = type(value)
    if kind is dict:
        mapping: dict[Any, Any] = {}
        memo[id(value)] = mapping
        mapping.update({key: _copied(item, memo) for key, item in value.items()})
        return mapping
    if kind is list:
        items: list[Any] = []
        memo[id(value)] = items
        items.extend(_copied(item, memo) for item in value)
        return items
    return copy.deepcopy(value, memo)
