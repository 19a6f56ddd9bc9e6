"""Which issue events matter to SLA clocks, as `SlaFact`s; shared by the SLA view and replay.

Keeping the mapping in one place means `kaizen replay` and `/issues/{key}/sla` can never
disagree about what started, paused or stopped a clock.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime
from typing import Any

from domain.base import event_name
from domain.sla_clocks import PolicyResolver, SlaClock, SlaFact, compute_clocks

FACT_OF_EVENT = {
    "Issue.Reported": "reported",
    "Issue.Triaged": "priority_changed",
    "Issue.PriorityOverridden": "priority_changed",
    "Issue.Responded": "responded",
    "Issue.EscalatedToVendor": "escalated",
    "Issue.VendorUpdated": "vendor_updated",
    "Issue.WaitingStarted": "waiting",
    "Issue.Resumed": "resumed",
    "Issue.Resolved": "resolved",
    "Issue.Reopened": "reopened",
    "Issue.Closed": "closed",
}


def fact_from_event(event: Any) -> SlaFact | None:
    """The SLA fact an event records, or None (a re-triage that kept the priority is no fact)."""
    kind = FACT_OF_EVENT.get(event_name(event))
    if kind is None:
        return None
    d = event.__dict__
    if kind == "priority_changed" and d.get("priority") == d.get("previous_priority"):
        return None
    return SlaFact(
        kind=kind,
        occurred_at=d["occurred_at"],
        recorded_at=event.timestamp,
        priority=str(d["priority"]) if kind in ("reported", "priority_changed") else None,
        vendor=d.get("vendor") if kind == "escalated" else None,
        on=str(d["on"]) if kind == "waiting" else None,
        site=d.get("site") if kind == "reported" else None,
    )


def monotonic(facts: Iterable[SlaFact]) -> list[SlaFact]:
    """Facts in version order with non-decreasing business time: a server with a skewed clock
    must not make the clocks refuse an issue (the events' order is the truth)."""
    ordered: list[SlaFact] = []
    for fact in facts:
        if ordered and fact.occurred_at < ordered[-1].occurred_at:
            fact = replace(fact, occurred_at=ordered[-1].occurred_at)
        ordered.append(fact)
    return ordered


def clocks_after_each_event(
    events: Iterable[Any], resolve: PolicyResolver, now: datetime | None = None
) -> list[tuple[int, list[SlaClock]]]:
    """(version, clocks) after every event: what `kaizen replay` shows beside the timeline.

    Each event's clocks are computed as of that event's business time (or `now` for the last).
    """
    facts: list[SlaFact] = []
    out: list[tuple[int, list[SlaClock]]] = []
    for event in events:
        fact = fact_from_event(event)
        if fact is not None:
            facts = monotonic([*facts, fact])
        at = facts[-1].occurred_at if facts else event.__dict__.get("occurred_at") or event.timestamp
        out.append((event.originator_version, compute_clocks(facts, resolve, at) if facts else []))
    if out and now is not None and facts:
        out[-1] = (out[-1][0], compute_clocks(facts, resolve, now))
    return out
