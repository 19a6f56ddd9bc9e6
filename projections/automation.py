"""The automation pass: finds where a rule may be due and asks the desk to act, in the elected worker.

It runs beside the SLA alert scan (`projections.delivery.NotificationService`):
- at-risk rules follow the SLA alerts themselves, read from the log after a cursor: the alert
  ledger already says, once per clock, that a clock is at risk (or breached, when the at-risk
  moment was superseded), and the rule's answer is once per clock too;
- vendor-update and auto-close rules are states, not events: the issue list and the SLA facts
  say which escalated issues have been quiet, and which resolved issues have stayed resolved,
  long enough in elapsed time that the business time may have passed. Those are read every
  `interval` seconds (`KAIZEN_AUTOMATION_INTERVAL`, 60), because the reads span every open
  escalation and resolution, and a reminder or a close a minute late is on time.

Whether an action is due is decided by the desk on the aggregates (`application.automation`):
the views only say where to look, so a view that lags delays an action and never causes a wrong
one. What fired (or never will) is remembered here so a pass does not ask again; forgetting it
(a restart) costs a look, never a repetition: the firing's id makes a second action fail.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from eventsourcing.utils import get_topic

from domain.automation_rule import AT_RISK, RESOLVED, UPDATE_OVERDUE, AutomationRule, RuleDocument
from domain.sla_alert import SlaAlert
from projections.store import ViewStore
from projections.view import from_iso, iso

log = logging.getLogger("kaizen.automation")
PAGE = 500
REMEMBERED = 100_000  # occurrences kept in memory; past that, the ledger answers instead


@dataclass(frozen=True)
class AutomationSettings:
    """`KAIZEN_AUTOMATION_INTERVAL`: seconds between the reads of quiet escalations and
    resolutions (60; 0 reads at every pass)."""

    interval: float = 60.0

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> AutomationSettings:
        source = dict(os.environ if env is None else env)
        interval = float(source.get("KAIZEN_AUTOMATION_INTERVAL") or 60.0)
        if not 0.0 <= interval <= 86_400.0:
            raise ValueError("KAIZEN_AUTOMATION_INTERVAL must be 0 to 86400 seconds")
        return cls(interval)


ACTIVE_QUIET = (
    "SELECT l.key, l.escalated_vendor AS vendor, l.priority, MAX(f.occurred_at) AS since"
    " FROM issue_list l JOIN sla_fact f ON f.issue_id = l.issue_id AND f.kind IN ('escalated', 'vendor_updated')"
    " WHERE l.status = 'escalated' GROUP BY l.key, l.escalated_vendor, l.priority HAVING MAX(f.occurred_at) <= ?"
)
RESOLVED_QUIET = (
    "SELECT l.key, l.vendor, l.priority, MAX(f.occurred_at) AS since"
    " FROM issue_list l JOIN sla_fact f ON f.issue_id = l.issue_id AND f.kind = 'resolved'"
    " WHERE l.status = 'resolved' GROUP BY l.key, l.vendor, l.priority HAVING MAX(f.occurred_at) <= ?"
)


class AutomationPass:
    def __init__(
        self,
        desk: Any,
        store: ViewStore,
        settings: AutomationSettings | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.desk = desk
        self.store = store
        self.settings = settings or AutomationSettings.from_env()
        self.clock = clock or desk.clock
        self._alerts_after = 0  # the log position of the last alert read
        self._rules_after = 0  # ... and of the last rule created
        self._rule_ids: set[UUID] = set()
        self._next_states = 0.0
        self._settled: set[tuple[str, str]] = set()  # (rule, occurrence): fired, or never will
        self._not_before: dict[tuple[str, str], datetime] = {}

    def scan(self) -> int:
        """Act on everything due; returns how many actions this call took."""
        head = int(self.desk.recorder.max_notification_id() or 0)
        by_trigger: dict[str, list[tuple[str, RuleDocument]]] = {}
        for rule in self._rules_in_force():
            document = rule.rule
            if document is not None:
                by_trigger.setdefault(document.trigger, []).append((rule.rule_id, document))
        fired = self._at_risk(by_trigger.get(AT_RISK, []), head)
        if time.monotonic() >= self._next_states:
            self._next_states = time.monotonic() + self.settings.interval
            fired += self._quiet(by_trigger.get(UPDATE_OVERDUE, []), by_trigger.get(RESOLVED, []))
        if len(self._settled) > REMEMBERED:
            self._settled.clear()
        return fired

    def wants_alerts(self) -> bool:
        """Whether a rule in force answers at-risk clocks: the alert scan raises alerts for it
        even when no subscription takes them."""
        return any(rule.rule is not None and rule.rule.trigger == AT_RISK for rule in self._rules_in_force())

    def _rules_in_force(self) -> list[AutomationRule]:
        """Every rule in force now. The rules' ids are learnt from their `Created` events after
        the last one read (a read of the log's new rows, not of the whole log at every pass);
        each rule is then read as it stands."""
        topic = get_topic(AutomationRule.Created)
        while True:
            page = self.desk.recorder.select_notifications(
                start=self._rules_after, limit=PAGE, topics=[topic], inclusive_of_start=False
            )
            for notification in page:
                self._rule_ids.add(UUID(str(notification.originator_id)))
                self._rules_after = int(notification.id)
            if len(page) < PAGE:
                break
        found = (self.desk.automation_rule_by_id(rule_id) for rule_id in sorted(self._rule_ids))
        return sorted((rule for rule in found if rule is not None and rule.in_force), key=lambda r: r.rule_id)

    # -- at risk --------------------------------------------------------------------------------
    def _at_risk(self, rules: list[tuple[str, RuleDocument]], head: int) -> int:
        """Every alert since the last pass, against every at-risk rule it concerns. With no such
        rule the alerts are passed over: a rule acts only on clocks at risk while it is in force."""
        if not rules:
            self._alerts_after = max(self._alerts_after, head)
            return 0
        topic = get_topic(SlaAlert.Raised)  # type: ignore[attr-defined]  # made by @event
        fired = 0
        while True:
            page = self.desk.recorder.select_notifications(
                start=self._alerts_after, limit=PAGE, topics=[topic], inclusive_of_start=False
            )
            for notification in page:
                fired += self._answer(self.desk.mapper.to_domain_event(notification), rules)
                self._alerts_after = int(notification.id)
            if len(page) < PAGE:
                return fired

    def _answer(self, alert: Any, rules: list[tuple[str, RuleDocument]]) -> int:
        fired = 0
        for rule_id, rule in rules:
            if not rule.applies_to(alert.vendor, alert.priority, alert.clock_kind):
                continue
            fired += bool(
                self.desk.fire_at_risk(
                    rule_id,
                    issue_key=alert.issue_key,
                    clock_kind=alert.clock_kind,
                    vendor=alert.vendor,
                    priority=alert.priority,
                    started_at=alert.started_at,
                    due_at=alert.due_at,
                    target_seconds=int(alert.target_seconds),
                    threshold_at=alert.occurred_at,
                )
            )
        return fired

    # -- quiet issues ---------------------------------------------------------------------------
    def _quiet(self, overdue: list[tuple[str, RuleDocument]], closing: list[tuple[str, RuleDocument]]) -> int:
        now = self.clock()
        fired = 0
        if overdue:
            # business time never passes faster than elapsed time: nothing quieter is due yet
            shortest = min(rule.after or timedelta(0) for _, rule in overdue)
            for row in self._rows(ACTIVE_QUIET, now - shortest):
                fired += self._consider(overdue, row, now, self.desk.fire_vendor_reminder, "update-overdue")
        if closing:
            # the N-th business day after a day ends at least N-1 whole days after any time of it
            fewest = min(rule.business_days or 1 for _, rule in closing)
            for row in self._rows(RESOLVED_QUIET, now - timedelta(days=fewest - 1)):
                fired += self._consider(closing, row, now, self.desk.fire_auto_close, "resolved")
        return fired

    def _rows(self, query: str, cutoff: datetime) -> Iterable[dict[str, Any]]:
        with self.store.transaction(commit=False) as sql:
            rows: list[dict[str, Any]] = sql.execute(query, (iso(cutoff),)).fetchall()
        return rows

    def _consider(
        self,
        rules: list[tuple[str, RuleDocument]],
        row: dict[str, Any],
        now: datetime,
        fire: Callable[[str, str, datetime], Any],
        kind: str,
    ) -> int:
        since = from_iso(row["since"])
        if since is None:
            return 0
        fired = 0
        for rule_id, rule in rules:
            if not rule.applies_to(row["vendor"], row["priority"]):
                continue
            remembered = (rule_id, f"{kind}|{row['key']}|{iso(since)}")
            if remembered in self._settled or self._not_before.get(remembered, now) > now:
                continue
            outcome = fire(rule_id, row["key"], since)
            if outcome.not_before is not None and not outcome.fired:
                self._not_before[remembered] = outcome.not_before
            else:
                self._settled.add(remembered)
                self._not_before.pop(remembered, None)
                fired += int(outcome.fired)
        return fired
