"""The alert ledger: one aggregate per SLA clock and threshold, so each alert is raised once.

Its id is derived from the clock's identity and the threshold. Raising an alert creates the
aggregate; a second attempt (after a restart, or by a second worker racing the first) fails
on the event store's unique (id, version) constraint, which is what makes "exactly once" hold
without a lock. The event is also what the outbox projection turns into deliveries.

A clock is identified by issue key, kind, vendor and start time rather than by its position
in the issue's clock list: a priority change can add or remove a clock (a priority without an
`update` target has no vendor_update clock), which shifts positions but not starts.
"""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID

from eventsourcing.domain import event

from domain.actor import Actor
from domain.base import KaizenAggregate
from domain.errors import InvalidCommand
from domain.keys import named_id
from domain.notification_rules import AT_RISK, BREACHED


def alert_id(issue_key: str, clock_kind: str, vendor: str, started_at: datetime, threshold: str) -> UUID:
    """The deterministic id of one alert: the same clock and threshold always give the same id."""
    started = started_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return named_id("sla-alert", f"{issue_key}|{clock_kind}|{vendor}|{started}|{threshold}")


class SlaAlert(KaizenAggregate):
    """A threshold of one SLA clock that passed: `sla.at_risk` or `sla.breached`."""

    @staticmethod
    def create_id(issue_key: str, clock_kind: str, vendor: str, started_at: datetime, threshold: str) -> UUID:
        return alert_id(issue_key, clock_kind, vendor, started_at, threshold)

    @event("Raised")
    def __init__(
        self,
        issue_key: str,
        clock_kind: str,
        vendor: str,
        priority: str,
        threshold: str,
        started_at: datetime,
        due_at: datetime,
        target_seconds: int,
        actor: Actor,
        occurred_at: datetime,
    ) -> None:
        self.key = f"{issue_key}:{clock_kind}:{threshold}"
        self.issue_key = issue_key
        self.clock_kind = clock_kind
        self.vendor = vendor
        self.priority = priority
        self.threshold = threshold
        self.started_at = started_at
        self.due_at = due_at
        self.target_seconds = target_seconds
        self.raised_for = occurred_at

    @classmethod
    def raise_alert(
        cls,
        *,
        issue_key: str,
        clock_kind: str,
        vendor: str,
        priority: str,
        threshold: str,
        started_at: datetime,
        due_at: datetime,
        target_seconds: int,
        actor: Actor,
        threshold_at: datetime,
    ) -> SlaAlert:
        """`occurred_at` is the threshold's time (business time), not when the worker noticed."""
        if threshold not in (AT_RISK, BREACHED):
            raise InvalidCommand(f"threshold must be {AT_RISK} or {BREACHED}", "threshold")
        return cls(
            issue_key=issue_key,
            clock_kind=clock_kind,
            vendor=vendor,
            priority=priority,
            threshold=threshold,
            started_at=started_at,
            due_at=due_at,
            target_seconds=target_seconds,
            actor=actor,
            occurred_at=threshold_at,
        )
