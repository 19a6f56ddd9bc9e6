"""Idempotency keys as aggregates saved atomically with the command they guard.

Because the record and the command's events commit in one transaction, a client that retries
after a crash either finds the record (the command happened, replay its answer) or finds
nothing (it did not happen, run it now). No window exists in which one is stored without the
other, which is what the kill -9 drill checks.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.domain import event

from domain.actor import Actor
from domain.base import KaizenAggregate
from domain.keys import named_id


def record_id(principal: str, key: str) -> UUID:
    """Keys are kept per principal: two apps may both use key "1" without colliding."""
    return named_id("idempotency", f"{principal}\x00{key}")


class IdempotencyRecord(KaizenAggregate):
    @staticmethod
    def create_id(principal: str, idempotency_key: str) -> UUID:
        return record_id(principal, idempotency_key)

    @event("CommandAccepted")
    def __init__(
        self,
        principal: str,
        idempotency_key: str,
        fingerprint: str,
        result: dict[str, Any],
        actor: Actor,
        occurred_at: datetime,
    ) -> None:
        self.principal = principal
        self.idempotency_key = idempotency_key
        self.fingerprint = fingerprint
        self.result = result
