"""Big logs, fast: issues written through the application in batches.

A loop over `desk.report` runs at a few hundred commands a second; this saves hundreds of new
`Issue` aggregates together with the `KeySequence` in one `desk.save(...)` (the same atomic,
hash-sealed save every command uses), so 100k issues take about a minute. Every event is a
real product event (chained, upcast-able, verified by `audit verify`), with business times
spread over the past six months so the SLA views have met, breached and running clocks.

Two mixes:
- `full`: after the report, some issues are triaged, responded to, escalated (with a vendor
  update), commented on, resolved and closed (about 3 events per issue with the key allocation);
- `minimal`: the report alone (2 events per issue with the key allocation), to reach a
  given number of issues without a longer log.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from bench.common import enrol_assignee
from domain.actor import Actor
from domain.errors import DomainError
from domain.issue import Issue
from domain.keys import ISSUE_PREFIX

REPORTERS = [Actor(name, "reporter") for name in ("lina", "minh", "ayu", "kasun", "wei", "mei", "raj", "tom")]
ADMIN = Actor("admin-wong", "admin")
VENDORS = ["sap", "oracle", "microsoft", "yonyou", "multiable", "internal"]
MODULES = ["finance", "warehouse", "production", "sales", "purchasing", "hr", "reporting", "other"]
SITES = ["HK", "SG", "SZ", "JKT", "HCM", "CMB"]
WORDS = [
    "posting",
    "invoice",
    "goods receipt",
    "payroll",
    "MRP run",
    "credit check",
    "period close",
    "batch job",
    "stock count",
    "tax code",
    "approval",
    "report export",
    "库存",
    "凭证",
    "hóa đơn",
]


def _issue(rng: random.Random, key: str, at: datetime, mix: str) -> Issue:
    words = rng.sample(WORDS, 3)
    issue = Issue.report(
        key,
        title=f"{words[0]} fails on {words[1]} ({key})",
        description=f"Steps: open {words[2]}, run the {words[0]} job; it stops with error F5 {rng.randint(100, 999)}. "
        "Seen since the last support package on two company codes.",
        module=rng.choice(MODULES),
        impact_scope=rng.choice(["company", "department", "team", "user"]),
        urgency=rng.choice(["blocking", "degraded", "minor"]),
        vendor=rng.choice(VENDORS),
        actor=rng.choice(REPORTERS),
        occurred_at=at,
        site=rng.choice(SITES),
        language="en",
    )
    if mix == "minimal":
        return issue
    t = at
    roll = rng.random()

    def later(low: int, high: int) -> datetime:
        nonlocal t
        t = t + timedelta(minutes=rng.randint(low, high))
        return t

    try:
        if roll < 0.45:
            issue.triage(ADMIN, later(5, 240), assignee="admin-wong")
        if roll < 0.65:
            issue.respond("Looking at it; please send a screenshot of the error.", ADMIN, later(5, 600))
        if 0.2 < roll < 0.35 and issue.vendor != "internal":
            issue.escalate_to_vendor(issue.vendor, f"INC-{rng.randint(10_000, 99_999)}", None, ADMIN, later(30, 900))
            if rng.random() < 0.7:
                issue.record_vendor_update(
                    "Vendor note 3312 applies; patch planned.",
                    Actor(f"{issue.vendor}-support", f"vendor:{issue.vendor}"),
                    later(30, 3000),
                )
        if rng.random() < 0.25:
            issue.comment("Same on the SZ plant since Monday.", "public", rng.choice(REPORTERS), later(10, 600))
        if roll < 0.5:
            issue.resolve("Configuration corrected and job re-run.", "missing config", ADMIN, later(60, 6000))
            if rng.random() < 0.5:
                issue.close(ADMIN, later(60, 3000))
    except DomainError:
        pass
    return issue


def seed(
    desk: Any,
    *,
    until_events: int | None = None,
    add_issues: int | None = None,
    mix: str = "full",
    batch: int = 500,
    rng_seed: int = 7,
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, Any]:
    """Add issues until the log holds `until_events` events, or add `add_issues` issues."""
    assert (until_events is None) != (add_issues is None)
    rng = random.Random(rng_seed)
    enrol_assignee(desk)  # the triages below name them, as an HTTP triage must
    start_head = int(desk.recorder.max_notification_id() or 0)
    head = start_head
    added = 0
    now = datetime.now(UTC)
    first = now - timedelta(days=182)
    span = (now - timedelta(days=12) - first).total_seconds()  # follow-ups stay in the past
    started = time.perf_counter()
    while True:
        if until_events is not None and head >= until_events:
            break
        if add_issues is not None and added >= add_issues:
            break
        sequence = desk._next_key(ISSUE_PREFIX)
        issues = []
        if add_issues is None:  # about 4 events per issue in the full mix: do not overshoot much
            assert until_events is not None
            size = min(batch, max(1, (until_events - head) // (5 if mix == "full" else 2)))
        else:
            size = min(batch, add_issues - added)
        for _ in range(size):
            at = first + timedelta(seconds=rng.random() * span)
            issues.append(_issue(rng, sequence.allocate(ADMIN), at, mix))
        recordings = desk.save(*issues, sequence)
        head = max(r.notification.id for r in recordings)
        added += len(issues)
        if progress is not None:
            progress(head, until_events or 0)
    seconds = time.perf_counter() - started
    return {
        "issues": added,
        "events": head - start_head,
        "head": head,
        "seconds": round(seconds, 2),
        "events_per_s": round((head - start_head) / seconds) if seconds else None,
    }


def long_issue(desk: Any, events: int = 1000) -> tuple[str, list[datetime]]:
    """One issue with `events` events, each saved by its own command (snapshots as in production).

    Returns the key and the recorded time of every version (for as_of queries)."""
    from application.context import Context

    receipt = desk.report(
        Context(REPORTERS[0]),
        title="Month-end close keeps failing (long thread)",
        description="A long-running issue with a long discussion.",
        module="finance",
        impact_scope="company",
        urgency="degraded",
        vendor="sap",
        site="HK",
    )
    for n in range(events - 1):
        desk.comment_on_issue(
            Context(ADMIN), receipt.key, body=f"Status update {n}: re-ran the close; see log.", visibility="public"
        )
    times = [e.timestamp for e in desk.events_of(receipt.key)]
    return receipt.key, times
