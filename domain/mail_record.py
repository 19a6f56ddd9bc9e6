"""What the desk remembers of each e-mail it took in: applied, or quarantined and then decided.

Both aggregates of a message share one id, derived from its `Message-ID` (`mail_record_id`), and
the first of them is saved in the same write as whatever the message caused (an issue
reported, a comment, a vendor update) or as its quarantine. So a message is taken in exactly
once: a second worker, a restart, or the same message read again under another UID all meet
the event store's unique key on that id, and find the message already handled.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.domain import event

from domain.actor import Actor
from domain.base import KaizenAggregate
from domain.errors import InvalidCommand
from domain.keys import named_id
from domain.mail_triage import QuarantineReason
from domain.values import identifier

MESSAGE_ID_LIMIT = 998  # RFC 5322's longest line


def mail_record_id(message_id: str) -> UUID:
    """The id of a message's record: one per Message-ID, whichever mailbox or UID it came under."""
    return named_id("mail", message_id_of(message_id))


def message_id_of(value: object) -> str:
    """The Message-ID as the record keeps it: without angle brackets or surrounding blanks."""
    if not isinstance(value, str):
        raise InvalidCommand("message_id must be text", "message_id")
    return identifier(value.strip().strip("<>").strip(), "message_id", MESSAGE_ID_LIMIT)


class AppliedMail(KaizenAggregate):
    """A message that caused a command: which one, on which issue, and where it was read."""

    @staticmethod
    def create_id(message_id: str) -> UUID:
        return mail_record_id(message_id)

    @event("Applied")
    def __init__(
        self,
        message_id: str,
        uid_key: str,
        sender: str,
        outcome: str,
        issue_key: str,
        notes: list[str],
        actor: Actor,
        occurred_at: datetime,
    ) -> None:
        self.message_id = message_id
        self.uid_key = uid_key
        self.sender = sender
        self.outcome = outcome
        self.issue_key = issue_key
        self.notes = list(notes)
        self.applied_at = occurred_at

    @property
    def key(self) -> str:
        return f"mail:{self.message_id}"


class QuarantinedMail(KaizenAggregate):
    """A message set aside for an administrator, with what they need to decide: the sender, the
    subject, why, an excerpt, and the raw bytes (a blob, by sha256) to read it whole. The body
    and the attachments (stored like uploads, by sha256) are kept as the intake read them, so
    accepting the message applies what the administrator read, without parsing it again."""

    @staticmethod
    def create_id(message_id: str) -> UUID:
        return mail_record_id(message_id)

    @event("Quarantined")
    def __init__(
        self,
        message_id: str,
        uid_key: str,
        sender: str,
        subject: str,
        reason: str,
        detail: str | None,
        excerpt: str,
        body: str,
        files: list[dict[str, Any]],
        notes: list[str],
        received_at: datetime | None,
        raw_sha256: str | None,
        raw_size: int,
        named_key: str | None,
        actor: Actor,
        occurred_at: datetime,
    ) -> None:
        self.message_id = message_id
        self.uid_key = uid_key
        self.sender = sender
        self.subject = subject
        self.reason = QuarantineReason(reason)
        self.detail = detail
        self.excerpt = excerpt
        self.body = body
        self.files = [dict(f) for f in files]
        self.notes = list(notes)
        self.received_at = received_at
        self.raw_sha256 = raw_sha256
        self.raw_size = raw_size
        self.named_key = named_key
        self.quarantined_at = occurred_at
        self.status = "quarantined"
        self.decision: dict[str, Any] | None = None

    @property
    def key(self) -> str:
        return f"mail:{self.message_id}"

    @property
    def quarantine_id(self) -> str:
        return str(self.id)

    def accept(self, person: str, issue_key: str, outcome: str, actor: Actor, occurred_at: datetime) -> None:
        """Decided once: the message was applied as `person`, with `outcome` on `issue_key`; saved
        with that command's events, so an accepted message always has its issue change."""
        self._require(self.status == "quarantined", "accept this message", "it was already decided")
        self._accepted(person=person, issue_key=issue_key, outcome=outcome, actor=actor, occurred_at=occurred_at)

    @event("Accepted")
    def _accepted(self, person: str, issue_key: str, outcome: str, actor: Actor, occurred_at: datetime) -> None:
        self.status = "accepted"
        self.decision = {
            "person": person,
            "issue_key": issue_key,
            "outcome": outcome,
            "by": actor.id,
            "at": occurred_at,
        }

    def discard(self, actor: Actor, occurred_at: datetime) -> None:
        self._require(self.status == "quarantined", "discard this message", "it was already decided")
        self._discarded(actor=actor, occurred_at=occurred_at)

    @event("Discarded")
    def _discarded(self, actor: Actor, occurred_at: datetime) -> None:
        self.status = "discarded"
        self.decision = {"person": None, "issue_key": None, "outcome": "discarded", "by": actor.id, "at": occurred_at}
