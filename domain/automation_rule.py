"""SLA automation rules an administrator sets, and the ledger that makes each action happen once.

A rule says what the desk does by itself when something happens to an issue of a vendor and/or
priority: when an SLA clock is at risk (tell a subscription, hand the issue to a group, or raise
its priority one step), when a vendor has posted no update for a while (remind the vendor's
fixed team), when a resolved issue has not been reopened for some business days (close it).

One `AutomationRule` aggregate per rule id, versioned like the SLA policy: each `Put` is a
whole, validated document; `Deleted` ends it (a later `Put` starts it again). A rule acts only
on what happens while it is in force, so switching one on does not act on last week's alerts.

Each action is recorded as an `AutomationFiring`, whose id follows from the rule and the
occurrence that triggered it (this clock's at-risk moment, this resolution, this stretch without
a vendor update). It is saved in the same write as the action itself: a second attempt (after a
restart, by a second worker) fails on the store's unique (id, version), as an SLA alert does.

The reporter's reply resuming an issue waiting on them is the domain's own rule (`Issue.comment`):
it is shown among the rules as built in and cannot be switched off.

Pure: standard library, eventsourcing's aggregate, and other domain modules.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any, Final
from uuid import UUID
from zoneinfo import ZoneInfo

from eventsourcing.domain import event

from domain.actor import Actor
from domain.base import KaizenAggregate
from domain.calendar import BusinessCalendar
from domain.errors import InvalidCommand, TransitionRefused
from domain.keys import named_id
from domain.sla_clocks import CLOCK_KINDS
from domain.sla_policy import check_vendor
from domain.sla_policy_document import PRIORITIES, iso_duration, parse_iso_duration
from domain.values import identifier, optional_text

RULE_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
SUBSCRIPTION_ID = re.compile(r"^sub_[0-9a-f]{16}$")
GROUP_ID = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")

AT_RISK: Final = "sla_at_risk"
UPDATE_OVERDUE: Final = "vendor_update_overdue"
RESOLVED: Final = "resolved"
REPORTER_REPLIED: Final = "reporter_replied"
TRIGGERS: Final = (AT_RISK, UPDATE_OVERDUE, RESOLVED)

NOTIFY, REASSIGN, RAISE_PRIORITY = "notify", "reassign", "raise_priority"
REMIND_VENDOR_TEAM, CLOSE, RESUME = "remind_vendor_team", "close", "resume"
ACTIONS_OF: Final[Mapping[str, tuple[str, ...]]] = {
    AT_RISK: (NOTIFY, REASSIGN, RAISE_PRIORITY),
    UPDATE_OVERDUE: (REMIND_VENDOR_TEAM,),
    RESOLVED: (CLOSE,),
}
ACTION_KEYS: Final[Mapping[str, frozenset[str]]] = {
    NOTIFY: frozenset({"type", "subscription"}),
    REASSIGN: frozenset({"type", "group"}),
    RAISE_PRIORITY: frozenset({"type"}),
    REMIND_VENDOR_TEAM: frozenset({"type", "subscription"}),
    CLOSE: frozenset({"type"}),
}
RULE_KEYS: Final = frozenset({"name", "trigger", "vendor", "priorities", "clock", "after", "business_days", "action"})
DOCUMENT_KEYS: Final = RULE_KEYS | {"enabled"}
MAX_AFTER = timedelta(days=90)  # business time; a reminder later than that is no reminder
MAX_BUSINESS_DAYS = 90
RAISED: Final = {"P4": "P3", "P3": "P2", "P2": "P1"}

BUILT_IN_ID: Final = "reporter-reply-resumes"
BUILT_IN_RULES: Final[tuple[dict[str, Any], ...]] = (
    {
        "id": BUILT_IN_ID,
        "name": "A reporter's reply resumes an issue waiting on the reporter",
        "trigger": REPORTER_REPLIED,
        "vendor": None,
        "priorities": [],
        "action": {"type": RESUME},
        "enabled": True,
        "built_in": True,
    },
)
BUILT_IN_IDS: Final = frozenset(rule["id"] for rule in BUILT_IN_RULES)


def check_rule_id(rule_id: str) -> str:
    if not isinstance(rule_id, str) or not RULE_ID.match(rule_id):
        raise InvalidCommand(
            f"{rule_id!r} is not a rule id (1 to 64 of lower-case letters, digits, - and _)", "rule_id"
        )
    return rule_id


def raised_priority(priority: str) -> str | None:
    """One step more urgent (P3 -> P2); None for P1, which has nowhere to go."""
    return RAISED.get(priority)


def _refuse(field: str, reason: str) -> InvalidCommand:
    return InvalidCommand(f"{field}: {reason}", field)


@dataclass(frozen=True)
class RuleDocument:
    """A validated rule: the trigger, whom it applies to, its parameter, and its action."""

    trigger: str
    action: str
    name: str | None = None
    vendor: str | None = None
    priorities: tuple[str, ...] = ()
    clock: str | None = None
    after: timedelta | None = None
    business_days: int | None = None
    subscription: str | None = None
    group: str | None = None
    enabled: bool = True

    @classmethod
    def from_document(cls, doc: object) -> RuleDocument:
        """Parse strictly: unknown keys, a parameter of another trigger, an action the trigger
        does not take are refused (naming the field), so a typo never makes a silent rule."""
        if not isinstance(doc, Mapping):
            raise _refuse("document", "must be an object")
        unknown = sorted(str(k) for k in doc if k not in DOCUMENT_KEYS)
        if unknown:
            raise _refuse(unknown[0], f"unknown field; use {', '.join(sorted(DOCUMENT_KEYS))}")
        trigger = doc.get("trigger")
        if trigger not in TRIGGERS:
            raise _refuse("trigger", f"must be one of {', '.join(TRIGGERS)}")
        enabled = doc.get("enabled", True)
        if not isinstance(enabled, bool):
            raise _refuse("enabled", "must be true or false")
        vendor = doc.get("vendor")
        if vendor is not None:
            vendor = check_vendor(vendor if isinstance(vendor, str) else "")
        priorities = _priorities(doc.get("priorities"))
        clock = _only_for(doc, "clock", AT_RISK)
        if clock is not None and clock not in CLOCK_KINDS:
            raise _refuse("clock", f"must be one of {', '.join(CLOCK_KINDS)}")
        after = _after(_only_for(doc, "after", UPDATE_OVERDUE), required=trigger == UPDATE_OVERDUE)
        business_days = _business_days(_only_for(doc, "business_days", RESOLVED), required=trigger == RESOLVED)
        action, subscription, group = _action(doc.get("action"), str(trigger))
        return cls(
            trigger=str(trigger),
            action=action,
            name=optional_text(doc.get("name") or None, "name", 200),
            vendor=vendor,
            priorities=priorities,
            clock=clock,
            after=after,
            business_days=business_days,
            subscription=subscription,
            group=group,
            enabled=enabled,
        )

    def to_document(self) -> dict[str, Any]:
        """The normalised document, as stored and as answered (every field, null when unset)."""
        action: dict[str, Any] = {"type": self.action}
        if self.action == REASSIGN:
            action["group"] = self.group
        if self.action in (NOTIFY, REMIND_VENDOR_TEAM):
            action["subscription"] = self.subscription
        return {
            "name": self.name,
            "trigger": self.trigger,
            "vendor": self.vendor,
            "priorities": list(self.priorities),
            "clock": self.clock,
            "after": iso_duration(self.after) if self.after is not None else None,
            "business_days": self.business_days,
            "action": action,
            "enabled": self.enabled,
        }

    def applies_to(self, vendor: str | None, priority: str | None, clock: str | None = None) -> bool:
        """Whether an issue of `vendor` at `priority` (and, for at-risk, this clock) is the rule's."""
        if self.vendor is not None and vendor != self.vendor:
            return False
        if self.priorities and priority not in self.priorities:
            return False
        return self.clock is None or clock == self.clock


def _only_for(doc: Mapping[str, Any], field: str, trigger: str) -> Any:
    value = doc.get(field)
    if value is not None and doc.get("trigger") != trigger:
        raise _refuse(field, f"applies only to trigger {trigger}")
    return value


def _priorities(value: object) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list | tuple) or any(p not in PRIORITIES for p in value):
        raise _refuse("priorities", f"must be a list of {', '.join(PRIORITIES)} (empty: every priority)")
    return tuple(p for p in PRIORITIES if p in value)


def _after(value: object, *, required: bool) -> timedelta | None:
    if value is None:
        if required:
            raise _refuse("after", "is required: business time without a vendor update, like PT8H")
        return None
    try:
        after = parse_iso_duration(value)  # type: ignore[arg-type]  # refuses anything but a string
    except ValueError as exc:
        raise _refuse("after", str(exc)) from None
    if not timedelta(0) < after <= MAX_AFTER:
        raise _refuse("after", "must be more than zero and at most P90D")
    return after


def _business_days(value: object, *, required: bool) -> int | None:
    if value is None:
        if required:
            raise _refuse("business_days", "is required: business days a resolved issue stays open")
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_BUSINESS_DAYS:
        raise _refuse("business_days", f"must be a whole number from 1 to {MAX_BUSINESS_DAYS}")
    return value


def _action(value: object, trigger: str) -> tuple[str, str | None, str | None]:
    """(action, subscription, group): which exist is the application's to check."""
    allowed = ACTIONS_OF[trigger]
    if not isinstance(value, Mapping) or value.get("type") not in allowed:
        raise _refuse("action.type", f"trigger {trigger} takes the action {' or '.join(allowed)}")
    kind = str(value["type"])
    unknown = sorted(str(k) for k in value if k not in ACTION_KEYS[kind])
    if unknown:
        raise _refuse(f"action.{unknown[0]}", f"is not a field of action {kind}")
    subscription = value.get("subscription")
    if kind == NOTIFY and subscription is None:
        raise _refuse("action.subscription", "is required: the subscription that carries the notice")
    if subscription is not None and (not isinstance(subscription, str) or not SUBSCRIPTION_ID.match(subscription)):
        raise _refuse("action.subscription", "must be a subscription id like sub_0123456789abcdef")
    group = value.get("group")
    if kind == REASSIGN and (not isinstance(group, str) or not GROUP_ID.match(group)):
        raise _refuse("action.group", "must be a group id")
    return kind, subscription, group if kind == REASSIGN else None


# -- business days ------------------------------------------------------------------------------
def business_days_after(calendar: BusinessCalendar, start: datetime, days: int) -> datetime:
    """The close of business of the `days`-th business day after the day of `start`.

    A business day is a day on which the calendar opens at all (its hours, less holidays and
    closed days); resolved on Monday afternoon with 3 days, the issue is due at Thursday's
    closing. A 24x7 calendar counts `days` times 24 hours."""
    if calendar.is_24x7 or calendar.timezone is None:
        return start + timedelta(days=days)
    zone = ZoneInfo(calendar.timezone)
    day = start.astimezone(zone).date()
    counted = 0
    for _ in range(days * 7 + 370):  # a year of closed days at most between two business days
        day += timedelta(days=1)
        begin = datetime.combine(day, time(0), zone)
        opens = calendar.open_intervals(begin, datetime.combine(day + timedelta(days=1), time(0), zone))
        if opens:
            counted += 1
            if counted == days:
                return opens[-1][1].astimezone(UTC)
    raise InvalidCommand(f"calendar {calendar.name!r} has no {days} business days within a year", "business_days")


# -- the rule -----------------------------------------------------------------------------------
class AutomationRule(KaizenAggregate):
    @staticmethod
    def create_id(rule_id: str) -> UUID:
        return named_id("automation-rule", rule_id)

    @event("Created")
    def __init__(self, rule_id: str, actor: Actor, occurred_at: datetime) -> None:
        self.rule_id = rule_id
        self.key = rule_id  # receipts and ETags name every aggregate by its key
        self.document: dict[str, Any] | None = None
        self.rule_version = 0
        self.put_at: datetime | None = None
        self.in_force_since: datetime | None = None

    @classmethod
    def start(cls, rule_id: str, actor: Actor, occurred_at: datetime) -> AutomationRule:
        if rule_id in BUILT_IN_IDS:
            raise TransitionRefused("change", "built_in", f"rule {rule_id} is built in and always on")
        return cls(rule_id=check_rule_id(rule_id), actor=actor, occurred_at=occurred_at)

    @property
    def in_force(self) -> bool:
        return self.document is not None and bool(self.document.get("enabled"))

    @property
    def rule(self) -> RuleDocument | None:
        return RuleDocument.from_document(self.document) if self.document is not None else None

    def put(self, document: object, actor: Actor, occurred_at: datetime) -> RuleDocument:
        """Publish the rule's next version (validated whole)."""
        rule = RuleDocument.from_document(document)
        self._put(
            rule_id=self.rule_id,
            rule_version=self.rule_version + 1,
            document=rule.to_document(),
            actor=actor,
            occurred_at=occurred_at,
        )
        return rule

    @event("Put")
    def _put(
        self, rule_id: str, rule_version: int, document: dict[str, Any], actor: Actor, occurred_at: datetime
    ) -> None:
        was_in_force = self.in_force
        self.rule_version = rule_version
        self.document = document
        self.put_at = occurred_at
        if not self.in_force:
            self.in_force_since = None
        elif not was_in_force:
            self.in_force_since = occurred_at

    def delete(self, actor: Actor, occurred_at: datetime) -> None:
        self._require(self.document is not None, "delete", f"rule {self.rule_id} is already deleted")
        self._deleted(rule_id=self.rule_id, actor=actor, occurred_at=occurred_at)

    @event("Deleted")
    def _deleted(self, rule_id: str, actor: Actor, occurred_at: datetime) -> None:
        self.rule_version += 1
        self.document = None
        self.put_at = occurred_at
        self.in_force_since = None

    @property
    def state_name(self) -> str:
        return "deleted" if self.document is None else "active" if self.in_force else "disabled"


# -- the ledger ---------------------------------------------------------------------------------
def firing_id(rule_id: str, occurrence: str) -> UUID:
    """The same rule and occurrence always give the same id (and so one firing)."""
    return named_id("automation-firing", f"{rule_id}|{occurrence}")


def stamp(at: datetime) -> str:
    """A time as it appears in occurrence ids: UTC, microseconds, so equal instants spell alike."""
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class AutomationFiring(KaizenAggregate):
    """One action one rule took for one occurrence; the outbox turns a notice into a delivery."""

    @staticmethod
    def create_id(rule_id: str, occurrence: str) -> UUID:
        return firing_id(rule_id, occurrence)

    @event("Fired")
    def __init__(
        self,
        rule_id: str,
        rule_version: int,
        trigger: str,
        action: str,
        occurrence: str,
        issue_key: str,
        subscription: str | None,
        details: dict[str, Any],
        actor: Actor,
        occurred_at: datetime,
    ) -> None:
        self.key = f"{rule_id}:{occurrence}"
        self.rule_id = rule_id
        self.issue_key = issue_key
        self.action = action

    @classmethod
    def fire(
        cls,
        rule: AutomationRule,
        occurrence: str,
        issue_key: str,
        details: dict[str, Any],
        actor: Actor,
        occurred_at: datetime,
    ) -> AutomationFiring:
        document = rule.rule
        if document is None:
            raise TransitionRefused("fire", "deleted", f"rule {rule.rule_id} is deleted")
        return cls(
            rule_id=rule.rule_id,
            rule_version=rule.rule_version,
            trigger=document.trigger,
            action=document.action,
            occurrence=identifier(occurrence, "occurrence", 300),
            issue_key=issue_key,
            subscription=document.subscription,
            details=details,
            actor=actor,
            occurred_at=occurred_at,
        )
