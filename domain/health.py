"""The quarterly health check: measurements per module and quarter, and the rules that turn the
quarter's figures into recommendations.

Some figures only the ERP (or an administrator counting by hand) knows: data accuracy, process
execution rate and user activity per module. Those are *posted* as measurements and kept in a
`HealthCheck` aggregate per quarter, so every figure in a report can be traced to who posted it
and when; a correction is simply a later measurement. The other figures come from the desk's own
log (issue volume, SLA adherence, reopen rate, workarounds, participation) and are computed by
the projections. :func:`recommend` then applies fixed, documented rules; each recommendation
names the figures that triggered it, so a reader can check it by hand.

Quarters are calendar quarters in UTC: ``2026Q3`` is ``[2026-07-01T00:00Z, 2026-10-01T00:00Z)``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final
from uuid import UUID

from eventsourcing.domain import event

from domain.access import ADMIN_ONLY, AccessDenied, role_family
from domain.actor import Actor
from domain.base import KaizenAggregate
from domain.errors import InvalidCommand
from domain.keys import named_id
from domain.vocabulary import Module

QUARTER_PATTERN: Final = re.compile(r"^([0-9]{4})Q([1-4])$")
FIGURES: Final = ("data_accuracy", "process_execution_rate", "user_activity")

# -- the thresholds of the rules (see `recommend`) ------------------------------------------------
ISSUES_RISING_MIN: Final = 2  # at least two issues more than the previous quarter ...
ISSUES_RISING_RATIO: Final = 1.2  # ... and at least 20 % more
EXECUTION_FALL: Final = 0.02  # process execution fell by two points or more
EXECUTION_FLOOR: Final = 0.70
ACCURACY_FLOOR: Final = 0.95
ACTIVITY_FLOOR: Final = 0.60
SLA_FLOOR_PERCENT: Final = 80.0
SLA_MIN_DECIDED: Final = 3
REOPEN_CEILING: Final = 0.10
REOPEN_MIN_RESOLVED: Final = 5
PARTICIPATION_FLOOR: Final = 0.20
PARTICIPATION_MIN_STAFF: Final = 5
RESOLUTION_SLOWDOWN: Final = 1.25


@dataclass(frozen=True, order=True)
class Quarter:
    """A calendar quarter in UTC."""

    year: int
    number: int

    @classmethod
    def parse(cls, text: str) -> Quarter:
        match = QUARTER_PATTERN.match(text or "")
        if match is None or not 2000 <= int(match.group(1)) <= 2100:
            raise InvalidCommand(f"{text!r} is not a quarter like 2026Q3", "quarter")
        return cls(int(match.group(1)), int(match.group(2)))

    @classmethod
    def containing(cls, when: datetime) -> Quarter:
        utc = when.astimezone(UTC)
        return cls(utc.year, (utc.month - 1) // 3 + 1)

    @property
    def start(self) -> datetime:
        return datetime(self.year, 3 * self.number - 2, 1, tzinfo=UTC)

    @property
    def end(self) -> datetime:
        """Exclusive: the start of the next quarter."""
        nxt = self.next
        return datetime(nxt.year, 3 * nxt.number - 2, 1, tzinfo=UTC)

    @property
    def previous(self) -> Quarter:
        return Quarter(self.year - 1, 4) if self.number == 1 else Quarter(self.year, self.number - 1)

    @property
    def next(self) -> Quarter:
        return Quarter(self.year + 1, 1) if self.number == 4 else Quarter(self.year, self.number + 1)

    def __str__(self) -> str:
        return f"{self.year}Q{self.number}"


def authorise_measurement(actor: Actor) -> None:
    """Administrators post measurements, and so do internal apps (the ERP integration)."""
    if role_family(actor) not in ADMIN_ONLY and actor.role != "app":
        raise AccessDenied(f"role {actor.role} may not post health-check measurements", visible=True)


def _ratio(value: object, name: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0.0 <= float(value) <= 1.0:
        raise InvalidCommand(f"{name} must be a number from 0 to 1", name)
    return float(value)


class HealthCheck(KaizenAggregate):
    """One quarter's posted measurements; the latest figure per module and kind counts."""

    @staticmethod
    def create_id(quarter: str) -> UUID:
        return named_id("health-check", quarter)

    @event("Started")
    def __init__(self, quarter: str, key: str, actor: Actor, occurred_at: datetime) -> None:
        self.quarter = quarter
        self.key = key
        self.measurements: dict[str, dict[str, Any]] = {}

    @classmethod
    def start(cls, quarter: str, actor: Actor, occurred_at: datetime) -> HealthCheck:
        parsed = str(Quarter.parse(quarter))
        return cls(quarter=parsed, key=f"HC-{parsed}", actor=actor, occurred_at=occurred_at)

    def record_measurement(
        self,
        module: str,
        actor: Actor,
        occurred_at: datetime,
        *,
        data_accuracy: float | None = None,
        process_execution_rate: float | None = None,
        user_activity: float | None = None,
        source: str | None = None,
    ) -> None:
        """Figures from 0 to 1; at least one. A figure left out keeps its earlier value."""
        if module not in tuple(Module):
            raise InvalidCommand(f"module must be one of {', '.join(Module)}", "module")
        values = {
            "data_accuracy": _ratio(data_accuracy, "data_accuracy"),
            "process_execution_rate": _ratio(process_execution_rate, "process_execution_rate"),
            "user_activity": _ratio(user_activity, "user_activity"),
        }
        if all(v is None for v in values.values()):
            raise InvalidCommand(f"give at least one of {', '.join(FIGURES)}", "_schema")
        if source is not None and (not source.strip() or len(source) > 200):
            raise InvalidCommand("source must be a short non-empty text", "source")
        self._measured(module=module, **values, source=source, actor=actor, occurred_at=occurred_at)

    @event("MeasurementRecorded")
    def _measured(
        self,
        module: str,
        data_accuracy: float | None,
        process_execution_rate: float | None,
        user_activity: float | None,
        source: str | None,
        actor: Actor,
        occurred_at: datetime,
    ) -> None:
        current = self.measurements.setdefault(module, {"module": module})
        for name, value in (
            ("data_accuracy", data_accuracy),
            ("process_execution_rate", process_execution_rate),
            ("user_activity", user_activity),
        ):
            if value is not None:
                current[name] = value
        current["source"] = source
        current["recorded_by"] = actor.id
        current["at"] = occurred_at


# -- figures and rules --------------------------------------------------------------------------


@dataclass(frozen=True)
class Measures:
    """The posted figures of one module in one quarter (None: nobody posted it)."""

    data_accuracy: float | None = None
    process_execution_rate: float | None = None
    user_activity: float | None = None


@dataclass(frozen=True)
class ModuleFigures:
    module: str
    issues: int
    issues_previous: int
    measures: Measures = field(default_factory=Measures)
    previous: Measures = field(default_factory=Measures)

    @property
    def trend(self) -> str:
        if self.issues > self.issues_previous:
            return "rising"
        return "falling" if self.issues < self.issues_previous else "steady"

    @property
    def change_percent(self) -> float | None:
        if not self.issues_previous:
            return None
        return round(100.0 * (self.issues - self.issues_previous) / self.issues_previous, 1)

    @property
    def issues_rising(self) -> bool:
        """Rising enough to matter: +2 issues or more, and +20 % or more."""
        grew = self.issues - self.issues_previous
        return grew >= ISSUES_RISING_MIN and self.issues >= ISSUES_RISING_RATIO * self.issues_previous


@dataclass(frozen=True)
class VendorFigures:
    vendor: str
    met: int
    breached: int

    @property
    def percent_met(self) -> float | None:
        decided = self.met + self.breached
        return round(100.0 * self.met / decided, 1) if decided else None


@dataclass(frozen=True)
class HealthFigures:
    """Everything the rules look at, for one quarter (and the previous one, where it matters)."""

    quarter: str
    modules: tuple[ModuleFigures, ...] = ()
    vendors: tuple[VendorFigures, ...] = ()
    resolved: int = 0
    reopened: int = 0
    median_hours_to_resolve: float | None = None
    median_hours_to_resolve_previous: float | None = None
    open_workarounds: int = 0
    overdue_workarounds: int = 0
    staff: int = 0
    participants: int = 0

    @property
    def reopen_rate(self) -> float | None:
        return round(self.reopened / self.resolved, 3) if self.resolved else None

    @property
    def participation(self) -> float | None:
        return round(self.participants / self.staff, 3) if self.staff else None


@dataclass(frozen=True)
class Recommendation:
    rule: str
    subject: str | None
    action: str
    figures: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return {"rule": self.rule, "subject": self.subject, "action": self.action, "figures": self.figures}


def _pct(value: float) -> str:
    return f"{100 * value:.0f}%"


def _rec(rule: str, subject: str | None, action: str, **figures: Any) -> Recommendation:
    return Recommendation(rule, subject, action, figures)


def _module_rules(m: ModuleFigures) -> list[Recommendation]:
    found: list[Recommendation] = []
    name, now, before = m.module, m.measures, m.previous
    execution, execution_before = now.process_execution_rate, before.process_execution_rate
    if (
        m.issues_rising
        and execution is not None
        and execution_before is not None
        and round(execution_before - execution, 9) >= EXECUTION_FALL  # points, not float noise
    ):
        found.append(_rec(
            "training", name,
            f"Refresher training for {name} users: issues rose from {m.issues_previous} to {m.issues} while "
            f"process execution fell from {_pct(execution_before)} to {_pct(execution)}.",
            issues=m.issues, issues_previous=m.issues_previous, process_execution_rate=execution,
            process_execution_rate_previous=execution_before))  # fmt: skip
    if execution is not None and execution < EXECUTION_FLOOR:
        found.append(_rec(
            "process_review", name,
            f"Review the {name} process with its key users: only {_pct(execution)} of it runs in the system "
            f"(threshold {_pct(EXECUTION_FLOOR)}).",
            process_execution_rate=execution, threshold=EXECUTION_FLOOR))  # fmt: skip
    if now.data_accuracy is not None and now.data_accuracy < ACCURACY_FLOOR:
        found.append(_rec(
            "data_cleansing", name,
            f"Clean {name} master data and add validation: data accuracy is {_pct(now.data_accuracy)} "
            f"(threshold {_pct(ACCURACY_FLOOR)}).",
            data_accuracy=now.data_accuracy, threshold=ACCURACY_FLOOR))  # fmt: skip
    if now.user_activity is not None and now.user_activity < ACTIVITY_FLOOR:
        found.append(_rec(
            "adoption", name,
            f"Adoption drive in {name}: key-user coaching and retiring parallel spreadsheets; user activity is "
            f"{_pct(now.user_activity)} (threshold {_pct(ACTIVITY_FLOOR)}).",
            user_activity=now.user_activity, threshold=ACTIVITY_FLOOR))  # fmt: skip
    return found


def recommend(f: HealthFigures) -> list[Recommendation]:
    """The rules, in a fixed order (per module first, then company-wide):

    1. training: a module's issues rise (+2 and +20 % vs the previous quarter) while its process
       execution rate falls by 2 points or more.
    2. process_review: process execution rate below 70 %.
    3. data_cleansing: data accuracy below 95 %.
    4. adoption: user activity below 60 %.
    5. vendor_sla_review: a vendor met under 80 % of at least 3 decided SLA clocks.
    6. root_cause_review: more than 10 % of at least 5 resolved issues were reopened.
    7. resolution_slowing: median time to resolve grew by 25 % or more vs the previous quarter.
    8. retire_workarounds: workarounds past their retire-by date.
    9. participation_campaign: under 20 % of at least 5 staff submitted or voted on suggestions.
    """
    found: list[Recommendation] = []
    for m in sorted(f.modules, key=lambda x: x.module):
        found.extend(_module_rules(m))
    for v in sorted(f.vendors, key=lambda x: x.vendor):
        percent = v.percent_met
        if v.met + v.breached >= SLA_MIN_DECIDED and percent is not None and percent < SLA_FLOOR_PERCENT:
            found.append(_rec(
                "vendor_sla_review", v.vendor,
                f"Review the support contract with {v.vendor}: {percent}% of SLA clocks met "
                f"({v.met} met, {v.breached} breached; threshold {SLA_FLOOR_PERCENT:.0f}%).",
                met=v.met, breached=v.breached, percent_met=percent, threshold=SLA_FLOOR_PERCENT))  # fmt: skip
    rate = f.reopen_rate
    if f.resolved >= REOPEN_MIN_RESOLVED and rate is not None and rate > REOPEN_CEILING:
        found.append(_rec(
            "root_cause_review", None,
            f"Confirm fixes with the reporter before resolving: {f.reopened} of {f.resolved} resolved issues were "
            f"reopened ({_pct(rate)}, threshold {_pct(REOPEN_CEILING)}).",
            resolved=f.resolved, reopened=f.reopened, reopen_rate=rate, threshold=REOPEN_CEILING))  # fmt: skip
    now_median, before_median = f.median_hours_to_resolve, f.median_hours_to_resolve_previous
    if now_median is not None and before_median and now_median >= RESOLUTION_SLOWDOWN * before_median:
        found.append(_rec(
            "resolution_slowing", None,
            f"Resolution is slowing: the median time to resolve grew from {before_median} h to {now_median} h; "
            "review administrator workload and the vendor queue.",
            median_hours_to_resolve=now_median, median_hours_to_resolve_previous=before_median))  # fmt: skip
    if f.overdue_workarounds > 0:
        found.append(_rec(
            "retire_workarounds", None,
            f"Retire or reschedule {f.overdue_workarounds} overdue workaround(s) in the next improvement meeting "
            f"({f.open_workarounds} open in total).",
            overdue_workarounds=f.overdue_workarounds, open_workarounds=f.open_workarounds))  # fmt: skip
    share = f.participation
    if f.staff >= PARTICIPATION_MIN_STAFF and share is not None and share < PARTICIPATION_FLOOR:
        found.append(_rec(
            "participation_campaign", None,
            f"Run a suggestion campaign with small rewards: {f.participants} of {f.staff} staff took part "
            f"({_pct(share)}, threshold {_pct(PARTICIPATION_FLOOR)}).",
            participants=f.participants, staff=f.staff, participation=share,
            threshold=PARTICIPATION_FLOOR))  # fmt: skip
    return found
