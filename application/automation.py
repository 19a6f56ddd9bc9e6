"""Automation rules: the admin's commands and reads, and the actions the elected worker takes.

An administrator puts, reads and deletes rules (`domain.automation_rule`); whether the group,
the subscription and the vendor's fixed team a rule names exist is checked here, so the console
refuses exactly what the API refuses.

The worker's pass (`projections.automation`) finds what may be due from the views and calls a
`fire_*` method; each re-reads the rule and the issue, decides from the aggregates (the views
only said where to look), and saves the issue's change together with the `AutomationFiring`
whose id names the rule and the occurrence: one write, so the action and its "done" stand or
fall together, and a second worker (or a restarted one) fails on the firing's unique id.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError

from application.context import Context, Receipt
from application.errors import NotFound, StaleVersion
from application.issues import IssueCommands
from application.policies import PolicyCommands
from application.reading import HistoryPage, events_page
from application.subscriptions import SubscriptionCommands
from domain.access import ADMIN_ONLY, AccessDenied, role_family
from domain.actor import Actor, acting_as_rule, rule_actor
from domain.automation_rule import (
    BUILT_IN_IDS,
    BUILT_IN_RULES,
    NOTIFY,
    RAISE_PRIORITY,
    REASSIGN,
    REMIND_VENDOR_TEAM,
    AutomationFiring,
    AutomationRule,
    RuleDocument,
    business_days_after,
    check_rule_id,
    firing_id,
    raised_priority,
    stamp,
)
from domain.calendar import BusinessCalendar
from domain.errors import DomainError, InvalidCommand
from domain.issue import OPEN, Issue
from domain.sla_policy import VENDOR_SLUG
from domain.sla_policy_document import SlaPolicyDocument
from domain.vocabulary import IssueStatus

MAX_FIRING_ATTEMPTS = 5
Act = Callable[[Issue, RuleDocument, Actor, datetime], dict[str, Any] | None]


@dataclass(frozen=True)
class RuleView:
    rule_id: str
    version: int
    document: dict[str, Any]
    put_at: datetime | None
    in_force_since: datetime | None
    built_in: bool = False


@dataclass(frozen=True)
class Firing:
    """What one `fire_*` call did: `fired`, or when to look again (`not_before`), or neither
    (this occurrence will never fire: the rule, the issue or its state moved on)."""

    fired: bool = False
    not_before: datetime | None = None


NOT_THIS_TIME = Firing()


def _authorise_admin(actor: Actor) -> None:
    if role_family(actor) not in ADMIN_ONLY:
        raise AccessDenied(f"role {actor.role} may not change automation rules", visible=True)


class AutomationCommands(PolicyCommands, SubscriptionCommands, IssueCommands):
    """Built on the issue commands (the actions), the SLA policies (the calendars business time
    is counted on) and the subscriptions (a notice's carrier)."""

    # -- the administrator's ---------------------------------------------------------------------
    def _automation_rule(self, rule_id: str) -> AutomationRule | None:
        try:
            rule: Any = self.repository.get(AutomationRule.create_id(check_rule_id(rule_id)))
        except AggregateNotFoundError:
            return None
        assert isinstance(rule, AutomationRule)
        return rule

    def put_automation_rule(self, ctx: Context, rule_id: str, document: dict[str, Any]) -> Receipt:
        """Put a whole rule as its next version (If-Match: the version read; 0 for a new one)."""
        _authorise_admin(ctx.actor)

        def attempt() -> Receipt:
            rule = self._automation_rule(rule_id) or AutomationRule.start(rule_id, ctx.actor, self.now(ctx))
            if ctx.expected_version is not None and rule.rule_version != ctx.expected_version:
                raise StaleVersion(ctx.expected_version, rule.rule_version)
            self._check_rule_references(rule.put(document, ctx.actor, self.now(ctx)))
            return self._commit(ctx, rule, kind="automation-rule")

        return self._retrying(ctx, attempt)

    def _check_rule_references(self, rule: RuleDocument) -> None:
        """What the rule names must exist now: a group to reassign to, a live subscription, the
        fixed team of the vendor it reminds."""
        if rule.action == REASSIGN and rule.group is not None:
            try:
                self.get_group(rule.group)
            except NotFound:
                raise InvalidCommand(f"action.group: group {rule.group!r} was not found", "action.group") from None
        if rule.subscription is not None:
            found = self.find_subscription(rule.subscription)
            if found is None or found.revoked_at is not None:
                raise InvalidCommand(
                    f"action.subscription: subscription {rule.subscription} was not found or is revoked",
                    "action.subscription",
                )
        if rule.action == REMIND_VENDOR_TEAM and rule.vendor is not None and self._fixed_team(rule.vendor) is None:
            raise InvalidCommand(f"vendor: the terms of {rule.vendor} name no fixed_team to remind", "vendor")

    def delete_automation_rule(self, ctx: Context, rule_id: str) -> Receipt:
        _authorise_admin(ctx.actor)
        if rule_id in BUILT_IN_IDS:
            AutomationRule.start(rule_id, ctx.actor, self.now(ctx))  # refuses: built in, always on

        def delete(rule: AutomationRule) -> None:
            rule.delete(ctx.actor, self.now(ctx))

        return self._change(
            ctx,
            AutomationRule.create_id(check_rule_id(rule_id)),
            AutomationRule,
            f"rule {rule_id}",
            "automation-rule",
            delete,
        )

    def get_automation_rule(self, rule_id: str) -> RuleView:
        """A rule in force or switched off; a deleted or unknown one is NotFound."""
        for built_in in BUILT_IN_RULES:
            if built_in["id"] == rule_id:
                return _built_in_view(built_in)
        rule = self._automation_rule(rule_id) if isinstance(rule_id, str) and rule_id else None
        if rule is None or rule.document is None:
            raise NotFound(f"rule {rule_id} was not found")
        return RuleView(rule.rule_id, rule.rule_version, rule.document, rule.put_at, rule.in_force_since)

    def list_automation_rules(self) -> list[RuleView]:
        """The built-in rules, then every rule not deleted, by id (they are few)."""
        rules = [rule for rule in self._all_automation_rules() if rule.document is not None]
        views = [RuleView(r.rule_id, r.rule_version, r.document or {}, r.put_at, r.in_force_since) for r in rules]
        return [_built_in_view(b) for b in BUILT_IN_RULES] + sorted(views, key=lambda v: v.rule_id)

    def _all_automation_rules(self) -> list[AutomationRule]:
        return self.created_aggregates(AutomationRule.Created, AutomationRule)

    def automation_rule_by_id(self, aggregate_id: UUID) -> AutomationRule | None:
        try:
            rule: Any = self.repository.get(aggregate_id)
        except AggregateNotFoundError:  # pragma: no cover - a created aggregate always loads
            return None
        return rule if isinstance(rule, AutomationRule) else None

    def automation_rule_history_page(self, rule_id: str, limit: int, after: int = 0) -> HistoryPage:
        """A page of the rule's events; a rule never put has none (not a 404), as a policy."""
        return events_page(self, AutomationRule.create_id(check_rule_id(rule_id)), limit, after)

    def automation_rules_in_force(self) -> list[AutomationRule]:
        return [rule for rule in self._all_automation_rules() if rule.in_force]

    # -- calendars and teams -----------------------------------------------------------------------
    def rule_calendar(self, vendor: str | None, priority: str, site: str | None = None) -> BusinessCalendar:
        """The calendar `vendor`'s SLA policy counts `priority` on (the internal one for an issue
        of no vendor, or of a name that is not a vendor slug), at the issue's `site` (a site's
        office calendar where the policy names one)."""
        slug = vendor if vendor and VENDOR_SLUG.match(vendor) else "internal"
        document = SlaPolicyDocument.from_document(self.get_policy(slug).document)
        return document.calendar_for(priority, site)

    def _fixed_team(self, vendor: str) -> str | None:
        if not VENDOR_SLUG.match(vendor or ""):
            return None
        document = self.get_vendor_terms(vendor).document or {}
        team = document.get("fixed_team")
        return team if isinstance(team, str) else None

    # -- the worker's ------------------------------------------------------------------------------
    def automation_fired(self, rule_id: str, occurrence: str) -> bool:
        """Whether the ledger holds this firing (one indexed read, no write)."""
        return bool(self.recorder.select_events(firing_id(rule_id, occurrence), limit=1))

    def _fire(self, rule_id: str, occurrence: str, issue_key: str, act: Act, since: datetime | None = None) -> bool:
        """Act once for (rule, occurrence); False when it was done already, the rule is not in
        force (or was not when the occurrence happened, `since`), or there is nothing to do.

        A collision with another writer of the issue retries on fresh state; one with the
        firing's id means another worker has done it."""
        for _ in range(MAX_FIRING_ATTEMPTS):
            rule = self._automation_rule(rule_id)
            document = rule.rule if rule is not None and rule.in_force else None
            if rule is None or document is None:
                return False
            if since is not None and (rule.in_force_since is None or since < rule.in_force_since):
                return False
            if self.automation_fired(rule_id, occurrence):
                return False
            try:
                issue = self.get_issue(issue_key)
            except (NotFound, InvalidCommand):
                return False
            actor, at = rule_actor(rule_id), self.clock()
            try:
                with acting_as_rule(actor):
                    details = act(issue, document, actor, at)
                    if details is None:
                        return False
                    firing = AutomationFiring.fire(rule, occurrence, issue_key, details, actor, at)
            except DomainError:  # the issue moved on (closed, no longer escalated): nothing to do
                return False
            try:
                self.save(issue, firing)
            except IntegrityError:
                continue
            return True
        return False

    def fire_at_risk(
        self,
        rule_id: str,
        *,
        issue_key: str,
        clock_kind: str,
        vendor: str,
        priority: str,
        started_at: datetime,
        due_at: datetime,
        target_seconds: int,
        threshold_at: datetime,
    ) -> bool:
        """The rule's answer to one clock at risk: once per clock (its issue, kind, vendor and
        start), whichever alert said so first. Only for a clock at risk while the rule was in force."""
        occurrence = f"at-risk|{issue_key}|{clock_kind}|{vendor}|{stamp(started_at)}"
        facts: dict[str, Any] = {
            "clock": clock_kind,
            "vendor": vendor,
            "priority": priority,
            "started_at": stamp(started_at),
            "due_at": stamp(due_at),
            "target_seconds": target_seconds,
            "threshold_at": stamp(threshold_at),
        }

        def act(issue: Issue, rule: RuleDocument, actor: Actor, at: datetime) -> dict[str, Any] | None:
            if issue.status not in OPEN or not rule.applies_to(vendor, priority, clock_kind):
                return None
            if rule.action == NOTIFY:
                found = self.find_subscription(rule.subscription or "")
                return facts if found is not None and found.revoked_at is None else None
            if rule.action == REASSIGN and rule.group is not None:
                if issue.assignee == rule.group or not self.is_assignable(rule.group):
                    return None
                issue.assign(rule.group, actor, at)
                return {**facts, "assignee": rule.group}
            if rule.action == RAISE_PRIORITY:
                higher = raised_priority(str(issue.priority))
                if higher is None or str(issue.priority) != priority:  # P1, or changed since the alert
                    return None
                reason = f"rule {rule_id}: the {clock_kind} clock is at risk (due {stamp(due_at)})"
                issue.override_priority(higher, reason, actor, at)
                return {**facts, "raised_to": higher}
            return None

        return self._fire(rule_id, occurrence, issue_key, act, since=threshold_at)

    def fire_vendor_reminder(self, rule_id: str, issue_key: str, since: datetime) -> Firing:
        """Remind the vendor's fixed team when no vendor update came for the rule's business time
        since `since` (the escalation or the last update): once per such stretch."""
        occurrence = f"update-overdue|{issue_key}|{stamp(since)}"
        state: dict[str, datetime] = {}

        def act(issue: Issue, rule: RuleDocument, actor: Actor, at: datetime) -> dict[str, Any] | None:
            vendor = issue.escalated_vendor
            if issue.status != IssueStatus.ESCALATED or vendor is None or rule.after is None:
                return None
            if _last_vendor_word(issue) != since or not rule.applies_to(vendor, str(issue.priority)):
                return None
            due = self.rule_calendar(vendor, str(issue.priority), issue.site).add(since, rule.after)
            if due > at:
                state["not_before"] = due
                return None
            team = self._fixed_team(vendor)
            if team is None:
                return None
            members = sorted(self.get_group(team).members)
            issue.remind_vendor_team(team, members, since, actor, at)
            return {"vendor": vendor, "team": team, "members": members, "since": stamp(since), "due_at": stamp(due)}

        fired = self._fire(rule_id, occurrence, issue_key, act)
        return Firing(fired, state.get("not_before"))

    def fire_auto_close(self, rule_id: str, issue_key: str, resolved_at: datetime) -> Firing:
        """Close a resolved issue the rule's business days after its resolution, unless it was
        reopened (a new resolution is a new occurrence, counted from its own day)."""
        occurrence = f"resolved|{issue_key}|{stamp(resolved_at)}"
        state: dict[str, datetime] = {}

        def act(issue: Issue, rule: RuleDocument, actor: Actor, at: datetime) -> dict[str, Any] | None:
            if issue.status != IssueStatus.RESOLVED or issue.resolved_at != resolved_at or rule.business_days is None:
                return None
            if not rule.applies_to(issue.vendor, str(issue.priority)):
                return None
            calendar = self.rule_calendar(issue.vendor, str(issue.priority), issue.site)
            due = business_days_after(calendar, resolved_at, rule.business_days)
            if due > at:
                state["not_before"] = due
                return None
            note = f"closed by rule {rule_id}: resolved {rule.business_days} business days ago and not reopened"
            issue.close(actor, at, note)
            return {"resolved_at": stamp(resolved_at), "due_at": stamp(due)}

        fired = self._fire(rule_id, occurrence, issue_key, act)
        return Firing(fired, state.get("not_before"))


def _last_vendor_word(issue: Issue) -> datetime | None:
    """When the vendor last spoke: its last update, else the escalation itself."""
    if issue.vendor_updates:
        at: datetime = issue.vendor_updates[-1]["at"]
        return at
    return issue.escalation["escalated_at"] if issue.escalation else None


def _built_in_view(rule: dict[str, Any]) -> RuleView:
    document = {k: v for k, v in rule.items() if k not in ("id", "built_in")}
    return RuleView(str(rule["id"]), 0, document, None, None, built_in=True)
