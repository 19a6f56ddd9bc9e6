"""The GoLiveCompromise aggregate: a workaround kept beside the system with no issue behind it.

Most workarounds belong to an issue (`Issue.record_workaround`): the real fix is that issue's
resolution. A go-live compromise is the other kind: a measure the company agreed to at go-live
("approvals by e-mail until the workflow module is configured") that no issue tracks, yet must
still be retired by a date, by an owner. It carries the same facts as an issue's workaround
(kind, description, retire-by date, owner) under its own key, `WA-<n>`, so the register
(`projections.workarounds`) lists both kinds together.

The rules, checked before any event: the kind is one of `WorkaroundKind`; the description is
non-empty text; a retire-by date may not be before the day the command happens (UTC) when it is
registered or rescheduled; a retired one is never retired or rescheduled again.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Final
from uuid import UUID

from eventsourcing.domain import event

from domain.access import ADMIN_ONLY, AccessDenied, role_family
from domain.actor import Actor
from domain.base import KaizenAggregate
from domain.errors import InvalidCommand, TransitionRefused
from domain.keys import named_id
from domain.values import optional_text
from domain.values import text as _text
from domain.vocabulary import WorkaroundKind

WORKAROUND_PREFIX: Final = "WA"
WORKAROUND_KEY: Final = re.compile(r"^WA-[1-9][0-9]{0,9}$")
LATEST_RETIRE_BY: Final = date(2199, 12, 31)
MAX_DESCRIPTION: Final = 4000
MAX_OWNER: Final = 200
MAX_NOTE: Final = 2000


def authorise_workarounds(actor: Actor, action: str) -> None:
    """Workarounds are the administrators' (docs/reference.md role table), as for an issue's."""
    if role_family(actor) not in ADMIN_ONLY:
        raise AccessDenied(f"role {actor.role} may not {action} workarounds", visible=True)


def workaround_id(key: str) -> UUID:
    """The aggregate id behind `WA-<n>`; InvalidCommand for anything else."""
    if not WORKAROUND_KEY.match(key or ""):
        raise InvalidCommand(f"{key!r} is not a workaround key like WA-1", "key")
    return named_id("workaround", key)


def _retire_by(value: object, occurred_at: datetime) -> date:
    """A date no earlier than the command's own day (UTC): a compromise is planned to end."""
    if isinstance(value, datetime) or not isinstance(value, date):
        raise InvalidCommand("retire_by must be a date (YYYY-MM-DD)", "retire_by")
    today = occurred_at.astimezone(UTC).date()
    if value < today:
        raise InvalidCommand(
            f"retire_by {value.isoformat()} is in the past (today is {today.isoformat()})", "retire_by"
        )
    if value > LATEST_RETIRE_BY:
        raise InvalidCommand("retire_by must be before 2200", "retire_by")
    return value


class GoLiveCompromise(KaizenAggregate):
    """One standalone workaround; every method below is one command."""

    @staticmethod
    def create_id(key: str) -> UUID:
        return workaround_id(key)

    @event("WorkaroundRegistered")
    def __init__(
        self,
        key: str,
        kind: str,
        description: str,
        retire_by: date,
        owner: str,
        actor: Actor,
        occurred_at: datetime,
    ) -> None:
        self.key = key
        self.kind = WorkaroundKind(kind)
        self.description = description
        self.retire_by = retire_by
        self.owner = owner
        self.recorded_at = occurred_at
        self.retired_at: datetime | None = None
        self.note: str | None = None
        self.rescheduled = 0

    @classmethod
    def register(
        cls,
        key: str,
        *,
        kind: str,
        description: str,
        retire_by: date,
        owner: str | None,
        actor: Actor,
        occurred_at: datetime,
    ) -> GoLiveCompromise:
        """Register a go-live compromise; its owner is the registering person unless named."""
        authorise_workarounds(actor, "register")
        if not WORKAROUND_KEY.match(key):
            raise InvalidCommand(f"{key!r} is not a workaround key like WA-1", "key")
        try:
            chosen = WorkaroundKind(kind)
        except ValueError:
            kinds = ", ".join(k.value for k in WorkaroundKind)
            raise InvalidCommand(f"kind must be one of {kinds}", "kind") from None
        return cls(
            key=key,
            kind=chosen.value,
            description=_text(description, "description", MAX_DESCRIPTION),
            retire_by=_retire_by(retire_by, occurred_at),
            owner=_text(owner, "owner", MAX_OWNER, multiline=False) if owner else actor.id,
            actor=actor,
            occurred_at=occurred_at,
        )

    @property
    def is_retired(self) -> bool:
        return self.retired_at is not None

    def overdue(self, today: date) -> bool:
        """Not retired and its retire-by date is before `today` (the register's rule)."""
        return not self.is_retired and self.retire_by < today

    def _require_open(self, action: str) -> None:
        if self.is_retired:
            raise TransitionRefused(action, "retired", f"workaround {self.key} is already retired")

    def retire(self, note: str | None, actor: Actor, occurred_at: datetime) -> None:
        authorise_workarounds(actor, "retire")
        self._require_open("retire")
        self._retired(note=optional_text(note, "note", MAX_NOTE), actor=actor, occurred_at=occurred_at)

    @event("WorkaroundRetired")
    def _retired(self, note: str | None, actor: Actor, occurred_at: datetime) -> None:
        self.retired_at = occurred_at
        self.note = note

    def reschedule(self, retire_by: date, reason: str | None, actor: Actor, occurred_at: datetime) -> None:
        """A new retire-by date (not in the past), typically agreed in an improvement meeting."""
        authorise_workarounds(actor, "reschedule")
        self._require_open("reschedule")
        self._rescheduled(
            retire_by=_retire_by(retire_by, occurred_at),
            reason=optional_text(reason, "reason", MAX_NOTE),
            actor=actor,
            occurred_at=occurred_at,
        )

    @event("WorkaroundRescheduled")
    def _rescheduled(self, retire_by: date, reason: str | None, actor: Actor, occurred_at: datetime) -> None:
        self.retire_by = retire_by
        self.rescheduled += 1
