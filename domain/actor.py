"""Who did something, in what capacity, and through which internal app."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    """The roles of the HTTP contract; `vendor:<name>` roles are `VENDOR` plus a vendor slug."""

    REPORTER = "reporter"
    ADMIN = "admin"
    VENDOR = "vendor"
    AUDITOR = "auditor"
    APP = "app"
    SYSTEM = "system"


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
