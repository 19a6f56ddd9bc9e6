"""A group people belong to: a department, a vendor's fixed team, or the admin team.

Members carry an optional duty (`consultant`, `technical_support`), which is how a Multiable
customer's fixed team (implementation consultant plus technical support) is recorded. A group
can be an assignee, like a person. Membership is kept on both sides, saved together in one
atomic write (`application.people`): the group knows its members and their duties, the person
knows their groups, so neither read needs the other.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.domain import event

from domain.actor import Actor
from domain.base import KaizenAggregate
from domain.errors import InvalidCommand
from domain.keys import named_id
from domain.person import person_id
from domain.values import identifier

GROUP_KINDS = ("department", "vendor_team", "admin_team")
VENDOR_SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
DUTY = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")


def group_members(value: object) -> dict[str, str | None]:
    """`[{"person": id, "duty": d?}]` (or `"id"`/`"id:duty"`) as {person: duty}."""
    if not isinstance(value, list | tuple):
        raise InvalidCommand("members must be a list", "members")
    members: dict[str, str | None] = {}
    for entry in value:
        if isinstance(entry, str):
            who, _, duty_text = entry.partition(":")
            entry = {"person": who, "duty": duty_text or None}
        if not isinstance(entry, dict) or set(entry) - {"person", "duty"}:
            raise InvalidCommand("each member is {person, duty}", "members")
        who = person_id(entry.get("person"), "members")
        duty = entry.get("duty") or None
        if duty is not None and (not isinstance(duty, str) or not DUTY.match(duty)):
            raise InvalidCommand(f"duty {duty!r} must be a short name like consultant", "members")
        members[who] = duty
    return members


class Group(KaizenAggregate):
    @staticmethod
    def create_id(group_id: str) -> UUID:
        return named_id("group", group_id)

    @classmethod
    def form(
        cls, group: str, *, name: str, kind: str, vendor: str | None, actor: Actor, occurred_at: datetime
    ) -> Group:
        if kind not in GROUP_KINDS:
            raise InvalidCommand(f"kind must be one of {', '.join(GROUP_KINDS)}", "kind")
        if kind == "vendor_team":
            if not isinstance(vendor, str) or not VENDOR_SLUG.match(vendor):
                raise InvalidCommand("a vendor team names its vendor (like sap or multiable)", "vendor")
        elif vendor:
            raise InvalidCommand("only a vendor team names a vendor", "vendor")
        return cls(
            group_id=person_id(group, "id"),
            name=identifier(name, "name", 200),
            kind=kind,
            vendor=vendor if kind == "vendor_team" else None,
            actor=actor,
            occurred_at=occurred_at,
        )

    @event("Created")
    def __init__(
        self, group_id: str, name: str, kind: str, vendor: str | None, actor: Actor, occurred_at: datetime
    ) -> None:
        self.group_id = group_id
        self.name = name
        self.kind = kind
        self.vendor = vendor
        self.members: dict[str, str | None] = {}
        self.status = "active"

    @property
    def key(self) -> str:
        return self.group_id

    def rename(self, name: str, actor: Actor, occurred_at: datetime) -> None:
        checked = identifier(name, "name", 200)
        if checked != self.name:
            self._renamed(name=checked, actor=actor, occurred_at=occurred_at)

    @event("Renamed")
    def _renamed(self, name: str, actor: Actor, occurred_at: datetime) -> None:
        self.name = name

    def add_member(self, person: str, duty: str | None, actor: Actor, occurred_at: datetime) -> None:
        """Adds the person, or changes their duty when they are already a member."""
        checked = group_members([{"person": person, "duty": duty}])
        if person in self.members and self.members[person] == checked[person]:
            return
        self._member_added(person=person, duty=checked[person], actor=actor, occurred_at=occurred_at)

    @event("MemberAdded")
    def _member_added(self, person: str, duty: str | None, actor: Actor, occurred_at: datetime) -> None:
        self.members = {**self.members, person: duty}

    def remove_member(self, person: str, actor: Actor, occurred_at: datetime) -> None:
        if person in self.members:
            self._member_removed(person=person, actor=actor, occurred_at=occurred_at)

    @event("MemberRemoved")
    def _member_removed(self, person: str, actor: Actor, occurred_at: datetime) -> None:
        self.members = {k: v for k, v in self.members.items() if k != person}

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.group_id,
            "name": self.name,
            "kind": self.kind,
            "vendor": self.vendor,
            "members": [{"person": p, "duty": d} for p, d in sorted(self.members.items())],
        }
