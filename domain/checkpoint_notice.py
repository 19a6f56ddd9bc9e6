"""The notice that a checkpoint was published: how `audit.checkpoint` reaches subscribers.

The checkpoint itself lives outside the database (the signed JSON Lines file); this event is
only the vehicle that carries a copy through the outbox to an auditor's mailbox or webhook,
which is one more place outside the database where it survives. Nothing trusts this copy: a
verifier checks the signature with the public key, whatever the event says. Its id is derived
from the key and position, so a second worker (or a retry) cannot announce one twice.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from eventsourcing.domain import event

from domain.actor import Actor
from domain.base import KaizenAggregate
from domain.keys import named_id


def notice_id(key_id: str, position: int) -> UUID:
    return named_id("checkpoint-notice", f"{key_id}|{position}")


class CheckpointNotice(KaizenAggregate):
    """One published checkpoint: the five signed fields, as published."""

    @staticmethod
    def create_id(key_id: str, position: int) -> UUID:
        return notice_id(key_id, position)

    @event("Published")
    def __init__(
        self,
        key_id: str,
        position: int,
        root: str,
        signed_at: str,
        signature: str,
        actor: Actor,
        occurred_at: datetime,
    ) -> None:
        self.key = f"checkpoint:{position}"
        self.key_id = key_id
        self.position = position
        self.root = root
        self.signed_at = signed_at
        self.signature = signature
