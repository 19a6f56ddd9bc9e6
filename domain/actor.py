"""Who did something, in what capacity, and through which internal app."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from enum import StrEnum

from domain.errors import InvalidCommand


class Role(StrEnum):
    """The roles of the HTTP contract; `vendor:<name>` roles are `VENDOR` plus a vendor slug."""

    REPORTER = "reporter"
    ADMIN = "admin"
    VENDOR = "vendor"
    AUDITOR = "auditor"
    APP = "app"
    SYSTEM = "system"
    AUTOMATION = "automation"  # an automation rule (`rule:<id>`), never a token's role


@dataclass(frozen=True)
class Actor:
    """The person (or system) behind an event.

    `via` names the internal app that posted the command on the person's behalf, so an auditor
    can tell "lina did it" from "the expense app did it for lina".
    """

    id: str
    role: str
    via: str | None = None

    @property
    def vendor(self) -> str | None:
        """The vendor slug of a `vendor:<name>` actor, else None."""
        if self.role.startswith("vendor:"):
            return self.role.split(":", 1)[1]
        return None

    def as_dict(self) -> dict[str, str | None]:
        return {"id": self.id, "role": self.role, "via": self.via}

    @classmethod
    def from_dict(cls, data: dict[str, str | None]) -> Actor:
        return cls(id=str(data["id"]), role=str(data["role"]), via=data.get("via"))


SYSTEM = Actor(id="kaizen", role=Role.SYSTEM)


RULE_PREFIX = "rule:"
_ACTING_RULE: ContextVar[str | None] = ContextVar("kaizen_acting_rule", default=None)


def rule_actor(rule_id: str) -> Actor:
    """The actor of every event an automation rule causes: history names the rule, not a person."""
    return Actor(id=f"{RULE_PREFIX}{rule_id}", role=Role.AUTOMATION)


def claims_automation(actor: Actor) -> bool:
    """Whether `actor` presents itself as an automation rule (by its role or its id)."""
    return actor.role == Role.AUTOMATION or actor.id.startswith(RULE_PREFIX)


@contextlib.contextmanager
def acting_as_rule(actor: Actor) -> Iterator[Actor]:
    """The automation's turn: inside it, and only inside it, events may name `actor` (a rule).

    A token's subject, an app's employee or an imported line is free text, so without this a
    caller could write `rule:auto-close` into the history and pass a person's act off as the
    desk's. The automation enters this block in the worker's pass; nothing reachable from a
    request does."""
    if not claims_automation(actor):
        raise ValueError(f"{actor.id} is not an automation rule")
    token = _ACTING_RULE.set(actor.id)
    try:
        yield actor
    finally:
        _ACTING_RULE.reset(token)


def refuse_impersonated_rule(actor: Actor) -> None:
    """Refuse an event naming a rule as its actor outside that rule's turn (`acting_as_rule`)."""
    if claims_automation(actor) and _ACTING_RULE.get() != actor.id:
        raise InvalidCommand(
            f"actor {actor.id!r} (role {actor.role}) is reserved for the desk's automation rules", "actor"
        )
