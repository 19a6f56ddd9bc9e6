"""SLA policy commands and reads; vendors without a published policy use the shipped default."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from eventsourcing.application import AggregateNotFoundError

from application.base import DeskBase
from application.context import Context, Receipt
from application.errors import StaleVersion
from application.reading import HistoryPage, describe_event, events_page
from domain.sla_defaults import default_policy_document
from domain.sla_policy import SlaPolicy, check_vendor
from domain.sla_policy_document import SlaPolicyDocument


@dataclass(frozen=True)
class PolicyView:
    vendor: str
    version: int  # 0 = the shipped default, never published here
    document: dict[str, Any]
    published_at: datetime | None


class PolicyCommands(DeskBase):
    def _policy(self, vendor: str) -> SlaPolicy | None:
        try:
            policy: Any = self.repository.get(SlaPolicy.create_id(check_vendor(vendor)))
        except AggregateNotFoundError:
            return None
        assert isinstance(policy, SlaPolicy)
        return policy

    def put_policy(self, ctx: Context, vendor: str, document: dict[str, Any]) -> Receipt:
        def attempt() -> Receipt:
            policy = self._policy(vendor) or SlaPolicy.start(vendor, ctx.actor, self.now(ctx))
            if ctx.expected_version is not None and policy.policy_version != ctx.expected_version:
                raise StaleVersion(ctx.expected_version, policy.policy_version)
            policy.publish(document, ctx.actor, self.now(ctx))
            return self._commit(ctx, policy, kind="sla-policy")

        return self._retrying(ctx, attempt)

    def get_policy(self, vendor: str) -> PolicyView:
        policy = self._policy(vendor)
        if policy is None or policy.document is None:
            return PolicyView(vendor, 0, default_policy_document(vendor), None)
        return PolicyView(vendor, policy.policy_version, policy.document, policy.published_at)

    def policy_resolver(self) -> Callable[[str, datetime], tuple[int, SlaPolicyDocument]]:
        """Resolve (vendor, recorded_at) to the policy version recorded at or before that time.

        The same rule as the SLA view's, read from the aggregates: used to replay clocks.
        """
        versions: dict[str, list[tuple[datetime, int, SlaPolicyDocument]]] = {}

        def resolve(vendor: str, recorded_at: datetime) -> tuple[int, SlaPolicyDocument]:
            if vendor not in versions:
                policy = self._policy(vendor)
                published: list[Any] = list(self.events.get(policy.id)) if policy is not None else []
                versions[vendor] = [
                    (e.timestamp, e.__dict__["policy_version"], SlaPolicyDocument.from_document(e.__dict__["document"]))
                    for e in published
                    if "policy_version" in e.__dict__
                ]
            chosen = [(version, doc) for when, version, doc in versions[vendor] if when <= recorded_at]
            if chosen:
                return chosen[-1]
            return 0, SlaPolicyDocument.from_document(default_policy_document(vendor))

        return resolve

    def policy_history_page(self, vendor: str, limit: int, after: int = 0) -> HistoryPage:
        """A page of the policy's events; a vendor that never had one published has none (not a 404)."""
        return events_page(self, SlaPolicy.create_id(check_vendor(vendor)), limit, after)

    def policy_history(self, vendor: str) -> list[dict[str, Any]]:
        policy = self._policy(vendor)
        if policy is None:
            return []
        return [describe_event(e) for e in self.events.get(policy.id)]
