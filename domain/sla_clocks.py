"""SLA clocks of one issue, computed from its facts: pure, so every figure can be recomputed.

The projection that keeps SLA timelines feeds an issue's facts (in time order) and a policy
resolver to :func:`compute_clocks` and stores what comes back; rebuilding the view, or asking
"what if today's policy had applied" (a resolver that ignores ``recorded_at``), is the same call.

The rules (docs/design.md "SLA engine"):

* ``internal_response``: report -> first admin response (a resolution also stops it).
* ``internal_resolution``: report -> resolved. Both run on the ``internal`` policy.
* ``vendor_response``: escalation -> first vendor update.
* ``vendor_update``: only when the vendor's policy has an ``update`` target; one clock per
  interval: escalation -> first update, then each update -> the next one. Earlier intervals
  stay in the list, met or breached.
* ``vendor_resolution``: escalation -> resolved. Vendor clocks run on the escalated vendor's
  policy.
* Waiting on the reporter pauses the internal clocks, waiting on the customer the vendor
  clocks; ``resumed`` ends the pause. Paused time is not counted and moves the due time.
* A reopen starts new resolution clocks at the reopen (vendor too, if escalated); the old
  ones stay as they were stopped.
* A priority change re-targets every clock still live (running or paused) from its original
  start ("retroactive start"): same start, the new priority's target and calendar.
* A clock uses the policy version resolved for the ``recorded_at`` of the fact that started it.
* A target counted in office hours is counted on the office calendar of the issue's site when
  the policy names one for it (``site_calendars``); the site is the one the issue was reported
  at (the ``reported`` fact's ``site``). Round-the-clock targets ignore the site.
* A clock stopped at or before its due time is met, after it breached; a live clock is
  breached once its due time is before ``now``, else paused or running.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Final, Literal

from domain.calendar import BusinessCalendar
from domain.sla_policy_document import PRIORITIES, SlaPolicyDocument, iso_duration

__all__ = [
    "CLOCK_KINDS",
    "FACT_KINDS",
    "INTERNAL",
    "PolicyResolver",
    "SlaClock",
    "SlaFact",
    "compute_clocks",
    "iso_duration",
    "rfc3339",
]

INTERNAL: Final = "internal"
FACT_KINDS: Final = frozenset(
    {
        "reported",
        "priority_changed",
        "responded",
        "escalated",
        "vendor_updated",
        "waiting",
        "resumed",
        "resolved",
        "reopened",
        "closed",
    }
)
ClockKind = Literal[
    "internal_response", "internal_resolution", "vendor_response", "vendor_update",
    "vendor_resolution",
]  # fmt: skip
CLOCK_KINDS: Final[tuple[ClockKind, ...]] = (
    "internal_response",
    "internal_resolution",
    "vendor_response",
    "vendor_update",
    "vendor_resolution",
)
_TARGET_OF: Final[dict[str, str]] = {
    "internal_response": "response",
    "internal_resolution": "resolution",
    "vendor_response": "response",
    "vendor_update": "update",
    "vendor_resolution": "resolution",
}
_WAIT_GROUPS: Final = {"reporter": INTERNAL, "customer": "vendor"}

Pause = tuple[datetime, datetime | None]
ClockStatus = Literal["running", "paused", "met", "breached"]
PolicyResolver = Callable[[str, datetime], tuple[int, SlaPolicyDocument]]
"""``(vendor slug, recorded_at) -> (policy version, document)``: the latest version recorded
before ``recorded_at`` (or today's, for what-if reports)."""


def rfc3339(value: datetime) -> str:
    """RFC 3339 in UTC with a ``Z``, the API's time format."""
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


@dataclass(frozen=True)
class SlaFact:
    """One thing that happened to an issue, as far as SLA clocks care.

    ``occurred_at`` is business time (clocks run on it); ``recorded_at`` is when the fact was
    stored and only selects the policy version. ``site`` (on ``reported`` only) is where the
    issue was reported: it picks the office calendar of policies that have one per site.
    """

    kind: str
    occurred_at: datetime
    recorded_at: datetime
    priority: str | None = None
    vendor: str | None = None
    on: str | None = None
    site: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in FACT_KINDS:
            raise ValueError(f"unknown SLA fact kind {self.kind!r}")
        for name in ("occurred_at", "recorded_at"):
            value: datetime = getattr(self, name)
            if value.tzinfo is None or value.utcoffset() is None:
                raise ValueError(f"{name} must be a timezone-aware datetime")
        if self.priority is not None and self.priority not in PRIORITIES:
            raise ValueError(f"unknown priority {self.priority!r}")
        if self.kind == "priority_changed" and self.priority is None:
            raise ValueError("a priority_changed fact needs the new priority")
        if self.kind == "escalated" and not self.vendor:
            raise ValueError("an escalated fact needs the vendor")
        if self.kind == "waiting" and self.on not in _WAIT_GROUPS:
            raise ValueError("a waiting fact needs on = 'reporter' or 'customer'")


@dataclass(frozen=True)
class SlaClock:
    """One target on one issue, as ``GET /issues/{key}/sla`` shows it."""

    kind: str
    vendor: str
    policy_version: int
    priority: str
    target: timedelta
    started_at: datetime
    due_at: datetime
    stopped_at: datetime | None
    paused: tuple[Pause, ...]
    status: ClockStatus
    business_seconds_used: int

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape of docs/reference.md: RFC 3339 UTC times, the target as an ISO 8601 duration."""
        return {
            "kind": self.kind,
            "vendor": self.vendor,
            "policy_version": self.policy_version,
            "priority": self.priority,
            "target": iso_duration(self.target),
            "started_at": rfc3339(self.started_at),
            "due_at": rfc3339(self.due_at),
            "stopped_at": None if self.stopped_at is None else rfc3339(self.stopped_at),
            "paused": [
                {"from": rfc3339(start), "to": None if end is None else rfc3339(end)} for start, end in self.paused
            ],
            "status": self.status,
            "business_seconds_used": self.business_seconds_used,
        }


def compute_clocks(facts: Sequence[SlaFact], resolve: PolicyResolver, now: datetime) -> list[SlaClock]:
    """Every SLA clock of one issue at ``now``, in the order the clocks started.

    ``facts`` must be in ``occurred_at`` order and begin with ``reported``. A clock whose
    target the policy does not set (no ``update`` target, no targets for the priority) is left
    out, because there is nothing to measure it against.
    """
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be a timezone-aware datetime")
    timeline = _Timeline(resolve)
    for fact in facts:
        timeline.apply(fact)
    finished = (_finish(draft, now.astimezone(UTC)) for draft in timeline.drafts)
    return [clock for clock in finished if clock is not None]


# --------------------------------------------------------------------------- the timeline


@dataclass
class _PauseSpan:
    start: datetime
    end: datetime | None = None


@dataclass
class _Draft:
    """A clock being followed through the facts; targets are looked up only at the end, so a
    priority change simply swaps ``priority`` (the retroactive start comes for free)."""

    kind: ClockKind
    vendor: str
    policy_version: int
    document: SlaPolicyDocument
    priority: str | None
    started_at: datetime
    stopped_at: datetime | None = None
    pauses: list[_PauseSpan] = field(default_factory=list)
    site: str | None = None

    @property
    def live(self) -> bool:
        return self.stopped_at is None

    @property
    def group(self) -> str:
        return INTERNAL if self.kind.startswith(INTERNAL) else "vendor"

    @property
    def is_paused(self) -> bool:
        return bool(self.pauses) and self.pauses[-1].end is None

    def pause(self, at: datetime) -> None:
        if not self.is_paused:
            self.pauses.append(_PauseSpan(at))

    def resume(self, at: datetime) -> None:
        if self.is_paused:
            self.pauses[-1].end = at

    def stop(self, at: datetime) -> None:
        self.resume(at)
        self.stopped_at = at


class _Timeline:
    """Walks an issue's facts and keeps the clock drafts and the little state they need."""

    def __init__(self, resolve: PolicyResolver) -> None:
        self.resolve = resolve
        self.drafts: list[_Draft] = []
        self.priority: str | None = None
        self.site: str | None = None
        self.vendor: str | None = None
        self.waiting_on: str | None = None
        self.reported = False
        self.open = False
        self.last_at: datetime | None = None

    def apply(self, fact: SlaFact) -> None:
        at = fact.occurred_at.astimezone(UTC)
        if self.last_at is not None and at < self.last_at:
            raise ValueError(f"facts must be in occurred_at order ({fact.kind} at {at})")
        if not self.reported and fact.kind != "reported":
            raise ValueError(f"the first fact must be 'reported', not {fact.kind!r}")
        self.last_at = at
        getattr(self, f"_on_{fact.kind}")(fact, at)

    # ------------------------------------------------------------------ fact handlers

    def _on_reported(self, fact: SlaFact, at: datetime) -> None:
        if self.reported:
            raise ValueError("an issue is reported once")
        self.reported, self.open, self.priority, self.site = True, True, fact.priority, fact.site
        self._start(("internal_response", "internal_resolution"), INTERNAL, fact, at)

    def _on_priority_changed(self, fact: SlaFact, at: datetime) -> None:
        self.priority = fact.priority
        for draft in self._live():
            draft.priority = fact.priority

    def _on_responded(self, fact: SlaFact, at: datetime) -> None:
        for draft in self._live("internal_response"):
            draft.stop(at)

    def _on_escalated(self, fact: SlaFact, at: datetime) -> None:
        assert fact.vendor is not None  # checked by SlaFact
        for draft in self._live(group="vendor"):
            draft.stop(at)  # handed over: the previous escalation's clocks end here
        self.vendor = fact.vendor
        kinds: tuple[ClockKind, ...] = ("vendor_response", "vendor_update", "vendor_resolution")
        self._start(kinds, fact.vendor, fact, at)

    def _on_vendor_updated(self, fact: SlaFact, at: datetime) -> None:
        if self.vendor is None:
            return
        for draft in self._live("vendor_response", "vendor_update"):
            draft.stop(at)
        if self.open:
            self._start(("vendor_update",), self.vendor, fact, at)

    def _on_waiting(self, fact: SlaFact, at: datetime) -> None:
        if not self.open or fact.on == self.waiting_on:
            return
        self._on_resumed(fact, at)
        self.waiting_on = fact.on
        for draft in self._live(group=_WAIT_GROUPS[str(fact.on)]):
            draft.pause(at)

    def _on_resumed(self, fact: SlaFact, at: datetime) -> None:
        if self.waiting_on is None:
            return
        for draft in self._live(group=_WAIT_GROUPS[self.waiting_on]):
            draft.resume(at)
        self.waiting_on = None

    def _on_resolved(self, fact: SlaFact, at: datetime) -> None:
        for draft in self._live():
            draft.stop(at)
        self.open, self.waiting_on = False, None

    _on_closed = _on_resolved

    def _on_reopened(self, fact: SlaFact, at: datetime) -> None:
        if self.open:
            return
        self.open = True
        self._start(("internal_resolution",), INTERNAL, fact, at)
        if self.vendor is not None:
            self._start(("vendor_resolution",), self.vendor, fact, at)

    # ------------------------------------------------------------------------ helpers

    def _start(self, kinds: tuple[ClockKind, ...], vendor: str, fact: SlaFact, at: datetime) -> None:
        """Start clocks on the policy version in force when ``fact`` was recorded."""
        version, document = self.resolve(vendor, fact.recorded_at)
        waiting_group = _WAIT_GROUPS.get(self.waiting_on or "")
        for kind in kinds:
            draft = _Draft(kind, vendor, version, document, self.priority, at, site=self.site)
            if draft.group == waiting_group:
                draft.pause(at)  # started while its side is already waiting
            self.drafts.append(draft)

    def _live(self, *kinds: str, group: str | None = None) -> Iterator[_Draft]:
        for draft in self.drafts:
            wanted_kind = not kinds or draft.kind in kinds
            if draft.live and wanted_kind and (group is None or draft.group == group):
                yield draft


# ------------------------------------------------------------------------ the arithmetic


def _finish(draft: _Draft, now: datetime) -> SlaClock | None:
    """Turn a draft into a clock: due time, business time used and status at ``now``."""
    if draft.priority is None:
        return None
    target = draft.document.target(draft.priority, _TARGET_OF[draft.kind])
    if target is None:
        return None
    calendar = draft.document.calendar_for(draft.priority, draft.site)
    pauses = tuple((span.start, span.end) for span in draft.pauses)
    due = _due_at(calendar, draft.started_at, pauses, target, now)
    end = draft.stopped_at if draft.stopped_at is not None else now
    used = sum(
        (calendar.between(a, b) for a, b in _active(draft.started_at, pauses, end)),
        timedelta(0),
    )
    return SlaClock(
        kind=draft.kind,
        vendor=draft.vendor,
        policy_version=draft.policy_version,
        priority=draft.priority,
        target=target,
        started_at=draft.started_at,
        due_at=due,
        stopped_at=draft.stopped_at,
        paused=pauses,
        status=_status(draft, due, now),
        business_seconds_used=used // timedelta(seconds=1),
    )


def _active(started: datetime, pauses: tuple[Pause, ...], until: datetime) -> Iterator[tuple[datetime, datetime]]:
    """The stretches in which the clock ticks, from its start up to ``until``."""
    begin = started
    for pause_start, pause_end in pauses:
        yield begin, min(pause_start, until)
        if pause_end is None or pause_end >= until:
            return
        begin = pause_end
    yield begin, until


def _due_at(
    calendar: BusinessCalendar,
    started: datetime,
    pauses: tuple[Pause, ...],
    target: timedelta,
    now: datetime,
) -> datetime:
    """The instant at which the business time used reaches ``target``, pauses excluded.

    While a clock is paused its due time is not yet known; it is shown as if the clock
    resumed at ``now`` (the earliest it can), so it keeps moving while the pause lasts.
    """
    remaining = target
    begin = started
    for pause_start, pause_end in pauses:
        available = calendar.between(begin, pause_start)
        if remaining <= available:
            return calendar.add(begin, remaining)
        remaining -= available
        begin = max(now, pause_start) if pause_end is None else pause_end
    return calendar.add(begin, remaining)


def _status(draft: _Draft, due: datetime, now: datetime) -> ClockStatus:
    """Met or breached once stopped; a live clock breaches as soon as ``now`` passes due."""
    if draft.stopped_at is not None:
        return "met" if draft.stopped_at <= due else "breached"
    if due < now:
        return "breached"
    return "paused" if draft.is_paused else "running"
