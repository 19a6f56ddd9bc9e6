"""The Issue aggregate: a problem someone hit in the ERP, from report to close."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import UUID

from eventsourcing.domain import event

from domain.access import AccessDenied
from domain.actor import Actor
from domain.attached_file import attachment_entry, file_facts
from domain.base import KaizenAggregate
from domain.errors import InvalidCommand, TransitionRefused
from domain.keys import KEY_PATTERN, aggregate_id
from domain.notification_rules import followers_of
from domain.priority_matrix import impact_class_for, priority_for
from domain.values import identifier, moment, optional_identifier, optional_text
from domain.values import text as _text
from domain.vendor_terms import EscalationTerms
from domain.vocabulary import (
    ImpactClass,
    ImpactScope,
    IssueStatus,
    Module,
    Priority,
    Urgency,
    Visibility,
    WaitingOn,
    WorkaroundKind,
)

S = IssueStatus
OPEN = frozenset({S.NEW, S.TRIAGED, S.IN_PROGRESS, S.WAITING_ON_REPORTER, S.WAITING_ON_CUSTOMER, S.ESCALATED})
ACTIVE = frozenset({S.NEW, S.TRIAGED, S.IN_PROGRESS, S.ESCALATED})
ESCALATABLE = frozenset({S.NEW, S.TRIAGED, S.IN_PROGRESS})
WAITING = frozenset({S.WAITING_ON_REPORTER, S.WAITING_ON_CUSTOMER})
REPORTER_REPLIED = "the reporter replied"
LINK_KINDS = ("duplicate_of", "relates_to", "caused_by")
DUPLICATE_OF = "duplicate_of"
OUTWARD, INWARD = "outward", "inward"


class Issue(KaizenAggregate):
    """An issue's state is whatever its events say; every method below is one command."""

    @staticmethod
    def create_id(key: str) -> UUID:
        """An issue's id follows from its key, so lookups by key need no index."""
        return aggregate_id(key)

    @event("Reported")
    def __init__(
        self,
        key: str,
        title: str,
        description: str,
        module: str,
        scenario: str | None,
        impact_scope: str,
        urgency: str,
        priority: str,
        impact_class: str,
        vendor: str,
        site: str | None,
        language: str | None,
        noticed_at: datetime | None,
        actor: Actor,
        occurred_at: datetime,
    ) -> None:
        self.key = key
        self.title = title
        self.description = description
        self.module = Module(module)
        self.scenario = scenario
        self.impact_scope = ImpactScope(impact_scope)
        self.urgency = Urgency(urgency)
        self.priority = Priority(priority)
        self.impact_class = ImpactClass(impact_class)
        self.vendor = vendor
        self.site = site
        self.language = language
        self.noticed_at = noticed_at
        self.reporter = actor.id
        self.reported_at = occurred_at
        self.status = S.NEW
        self.assignee: str | None = None
        self.first_response_at: datetime | None = None
        self.escalation: dict[str, Any] | None = None
        self.status_before_wait: str | None = None
        self.waiting_reason: str | None = None
        self.comments: list[dict[str, Any]] = []
        self.vendor_updates: list[dict[str, Any]] = []
        self.workarounds: dict[str, dict[str, Any]] = {}
        self.changes: list[dict[str, Any]] = []
        self.resolution: str | None = None
        self.root_cause: str | None = None
        self.resolved_at: datetime | None = None
        self.closed_at: datetime | None = None
        self.reopen_count = 0
        self.links: list[dict[str, Any]] = []
        self.affected: list[str] = []
        self.updated_at = occurred_at

    # -- report ---------------------------------------------------------------------------
    @classmethod
    def report(
        cls,
        key: str,
        *,
        title: str,
        description: str,
        module: str,
        impact_scope: str,
        urgency: str,
        vendor: str,
        actor: Actor,
        occurred_at: datetime,
        scenario: str | None = None,
        site: str | None = None,
        language: str | None = None,
        noticed_at: datetime | None = None,
    ) -> Issue:
        """Record a new issue; its first priority comes from the matrix, never from the reporter."""
        scope, urg = ImpactScope(impact_scope), Urgency(urgency)
        if noticed_at is not None and moment(noticed_at, "noticed_at") > moment(occurred_at, "occurred_at"):
            raise InvalidCommand("noticed_at cannot be after the report", "noticed_at")
        return cls(
            key=key,
            title=_text(title, "title", 300, multiline=False),
            description=_text(description, "description"),
            module=Module(module),
            scenario=optional_text(scenario, "scenario", 2000),
            impact_scope=scope,
            urgency=urg,
            priority=priority_for(scope, urg),
            impact_class=impact_class_for(urg),
            vendor=identifier(vendor, "vendor", 64),
            site=optional_identifier(site, "site"),
            language=optional_identifier(language, "language", 35),
            noticed_at=noticed_at,
            actor=actor,
            occurred_at=occurred_at,
        )

    # -- triage and priority ----------------------------------------------------------------
    def triage(
        self,
        actor: Actor,
        occurred_at: datetime,
        priority: str | None = None,
        impact_scope: str | None = None,
        urgency: str | None = None,
        impact_class: str | None = None,
        assignee: str | None = None,
        reason: str | None = None,
    ) -> None:
        """Set scope/urgency (the matrix decides) or override the priority with a reason."""
        self._require(self.status in OPEN, "triage")
        scope = ImpactScope(impact_scope) if impact_scope else self.impact_scope
        urg = Urgency(urgency) if urgency else self.urgency
        matrix_priority = priority_for(scope, urg)
        chosen = Priority(priority) if priority else matrix_priority
        if chosen != matrix_priority and not (reason and reason.strip()):
            raise InvalidCommand(
                f"priority {chosen} differs from the matrix ({matrix_priority}); give a reason",
                "reason",
            )
        klass = ImpactClass(impact_class) if impact_class else impact_class_for(urg)
        self._triaged(
            priority=chosen,
            previous_priority=self.priority,
            impact_scope=scope,
            urgency=urg,
            impact_class=klass,
            assignee=optional_identifier(assignee or None, "assignee"),
            reason=optional_text(reason or None, "reason", 2000),
            overridden=chosen != matrix_priority,
            actor=actor,
            occurred_at=occurred_at,
        )
        self._follow_vendor_label(actor, occurred_at)

    @event("Triaged")
    def _triaged(
        self,
        priority: str,
        previous_priority: str,
        impact_scope: str,
        urgency: str,
        impact_class: str,
        assignee: str | None,
        reason: str | None,
        overridden: bool,
        actor: Actor,
        occurred_at: datetime,
    ) -> None:
        self.priority = Priority(priority)
        self.impact_scope = ImpactScope(impact_scope)
        self.urgency = Urgency(urgency)
        self.impact_class = ImpactClass(impact_class)
        if assignee:
            self.assignee = assignee
        if self.status == S.NEW:
            self.status = S.TRIAGED
        self.updated_at = occurred_at

    def override_priority(self, priority: str, reason: str, actor: Actor, occurred_at: datetime) -> None:
        """An admin's (or a meeting's) decision to change priority, always with a reason."""
        self._require(self.status in OPEN, "change the priority of")
        _text(reason, "reason", 2000)
        self._priority_overridden(
            priority=Priority(priority),
            previous_priority=self.priority,
            reason=reason,
            actor=actor,
            occurred_at=occurred_at,
        )
        self._follow_vendor_label(actor, occurred_at)

    @event("PriorityOverridden")
    def _priority_overridden(
        self, priority: str, previous_priority: str, reason: str, actor: Actor, occurred_at: datetime
    ) -> None:
        self.priority = Priority(priority)
        self.updated_at = occurred_at

    # -- work ---------------------------------------------------------------------------------
    def assign(self, assignee: str, actor: Actor, occurred_at: datetime) -> None:
        self._require(self.status in OPEN, "assign")
        self._assigned(assignee=identifier(assignee, "assignee"), actor=actor, occurred_at=occurred_at)

    @event("Assigned")
    def _assigned(self, assignee: str, actor: Actor, occurred_at: datetime) -> None:
        self.assignee = assignee
        if self.status in (S.NEW, S.TRIAGED):
            self.status = S.IN_PROGRESS
        self.updated_at = occurred_at

    def respond(self, message: str, actor: Actor, occurred_at: datetime) -> None:
        """The administrator's answer to the reporter; the first one stops internal_response."""
        self._require(self.status in OPEN, "respond to")
        self._responded(message=_text(message, "message"), actor=actor, occurred_at=occurred_at)

    @event("Responded")
    def _responded(self, message: str, actor: Actor, occurred_at: datetime) -> None:
        if self.first_response_at is None:
            self.first_response_at = occurred_at
        self.comments.append(
            {
                "id": f"c{len(self.comments) + 1}",
                "body": message,
                "visibility": Visibility.PUBLIC,
                "author": actor.id,
                "role": actor.role,
                "at": occurred_at,
                "response": True,
            }
        )
        self.updated_at = occurred_at

    def comment(self, body: str, visibility: str, actor: Actor, occurred_at: datetime) -> None:
        """A comment; the reporter's reply to an issue waiting on them also resumes it, because
        the reply is what the desk was waiting for (Zammad and Jira Service Management both move
        a ticket back to work when the customer answers). The resumption is its own event, by
        the reporter, so the internal clock's pause ends at the reply in every report."""
        self._require(self.status != S.CLOSED, "comment on")
        self._commented(
            comment_id=f"c{len(self.comments) + 1}",
            body=_text(body, "body"),
            visibility=Visibility(visibility),
            actor=actor,
            occurred_at=occurred_at,
        )
        if self.status == S.WAITING_ON_REPORTER and actor.id == self.reporter:
            self._resumed(reason=REPORTER_REPLIED, actor=actor, occurred_at=occurred_at)

    @event("Commented")
    def _commented(self, comment_id: str, body: str, visibility: str, actor: Actor, occurred_at: datetime) -> None:
        self.comments.append(
            {
                "id": comment_id,
                "body": body,
                "visibility": Visibility(visibility),
                "author": actor.id,
                "role": actor.role,
                "at": occurred_at,
                "response": False,
            }
        )
        self.updated_at = occurred_at

    # -- attachments ---------------------------------------------------------------------------
    def attach(
        self, file: dict[str, Any], comment: str | None, visibility: str, actor: Actor, occurred_at: datetime
    ) -> str:
        """Record a file (already stored under its sha256) on the issue, with an optional comment
        it belongs to; the event names the file's sha256, so the hash chain covers its bytes."""
        self._require(self.status != S.CLOSED, "attach a file to")
        comment_id = None
        if comment:
            self.comment(comment, visibility, actor, occurred_at)
            comment_id = self.comments[-1]["id"]
        attachment_id = f"{self.key}-a{len(self.attachments) + 1}"
        self._attachment_added(
            attachment_id=attachment_id, **file_facts(file), comment_id=comment_id, actor=actor, occurred_at=occurred_at
        )
        return attachment_id

    @event("AttachmentAdded")
    def _attachment_added(
        self,
        attachment_id: str,
        sha256: str,
        name: str,
        content_type: str,
        size: int,
        comment_id: str | None,
        actor: Actor,
        occurred_at: datetime,
    ) -> None:
        self.__dict__.setdefault("attachments", []).append(
            attachment_entry(attachment_id, sha256, name, content_type, size, comment_id, actor, occurred_at)
        )
        self.updated_at = occurred_at

    # -- vendor -------------------------------------------------------------------------------
    def escalate_to_vendor(
        self,
        vendor: str,
        vendor_ticket: str,
        vendor_priority: str | None,
        actor: Actor,
        occurred_at: datetime,
        terms: EscalationTerms | None = None,
        override_reason: str | None = None,
    ) -> None:
        """Hand the issue to the vendor; this starts the vendor's SLA clocks.

        Under the vendor's terms (`domain.vendor_terms`): an enforced label must be the vendor's
        (and is filled in from the issue's priority when omitted, then follows it); beyond the
        incident quota the escalation needs `override_reason`; a paid one records its fee."""
        self._require(self.status in ESCALATABLE, "escalate")
        label = optional_identifier(vendor_priority or None, "vendor_priority", 100)
        reason = optional_text(override_reason or None, "override_reason", 2000)
        over_quota = terms is not None and terms.over_quota()
        if terms is not None:
            label = terms.vendor_label(label, str(self.priority))
            if over_quota and reason is None:
                raise TransitionRefused("escalate", str(self.status), f"{terms.quota_text()}; give override_reason")
        self._escalated(
            vendor=identifier(vendor, "vendor", 64).lower(),
            vendor_ticket=identifier(vendor_ticket, "vendor_ticket"),
            vendor_priority=label,
            actor=actor,
            occurred_at=occurred_at,
            vendor_labels=dict(terms.labels) if terms is not None and terms.enforced else None,
            fee=terms.fee_for(str(self.priority)) if terms is not None else None,
            quota_override_reason=reason if over_quota else None,
        )

    @event("EscalatedToVendor")
    def _escalated(
        self,
        vendor: str,
        vendor_ticket: str,
        vendor_priority: str | None,
        actor: Actor,
        occurred_at: datetime,
        vendor_labels: dict[str, str] | None = None,  # absent from events before vendor terms
        fee: dict[str, str] | None = None,
        quota_override_reason: str | None = None,
    ) -> None:
        self.vendor = vendor
        self.escalation = {
            "vendor": vendor,
            "vendor_ticket": vendor_ticket,
            "vendor_priority": vendor_priority,
            "escalated_at": occurred_at,
            "vendor_labels": vendor_labels,
            "fee": fee,
            "quota_override_reason": quota_override_reason,
        }
        self.status = S.ESCALATED
        self.updated_at = occurred_at

    def _follow_vendor_label(self, actor: Actor, occurred_at: datetime) -> None:
        """After a priority change: an escalation under enforced labels takes the new priority's."""
        labels = (self.escalation or {}).get("vendor_labels")
        if not labels or self.escalation is None:
            return
        label = labels.get(str(self.priority))
        if label and label != self.escalation.get("vendor_priority"):
            self._vendor_priority_changed(
                vendor_priority=label,
                previous_vendor_priority=self.escalation.get("vendor_priority"),
                priority=str(self.priority),
                actor=actor,
                occurred_at=occurred_at,
            )

    @event("VendorPriorityChanged")
    def _vendor_priority_changed(
        self,
        vendor_priority: str,
        previous_vendor_priority: str | None,
        priority: str,
        actor: Actor,
        occurred_at: datetime,
    ) -> None:
        if self.escalation is not None:
            self.escalation = {**self.escalation, "vendor_priority": vendor_priority}
        self.updated_at = occurred_at

    def record_vendor_update(self, message: str, actor: Actor, occurred_at: datetime) -> None:
        """The vendor's response or progress update; the first one stops vendor_response."""
        self._require(
            self.escalation is not None and self.status in OPEN,
            "record a vendor update on",
            None if self.escalation is not None else f"issue {self.key} has not been escalated to a vendor",
        )
        self._vendor_updated(message=_text(message, "message"), actor=actor, occurred_at=occurred_at)

    @event("VendorUpdated")
    def _vendor_updated(self, message: str, actor: Actor, occurred_at: datetime) -> None:
        self.vendor_updates.append({"message": message, "author": actor.id, "at": occurred_at})
        self.updated_at = occurred_at

    def remind_vendor_team(
        self, team: str, members: list[str], overdue_since: datetime, actor: Actor, occurred_at: datetime
    ) -> None:
        """Chase the vendor's fixed team for an update (an automation rule's reminder); recorded
        on the issue, so the vendor sees it beside its own updates and auditors see who chased."""
        self._require(
            self.escalation is not None and self.status == S.ESCALATED,
            "remind the vendor team of",
            None if self.escalation is not None else f"issue {self.key} has not been escalated to a vendor",
        )
        self._vendor_team_reminded(
            team=identifier(team, "team"),
            members=[identifier(member, "members") for member in members],
            overdue_since=moment(overdue_since, "overdue_since"),
            actor=actor,
            occurred_at=occurred_at,
        )

    @event("VendorTeamReminded")
    def _vendor_team_reminded(
        self, team: str, members: list[str], overdue_since: datetime, actor: Actor, occurred_at: datetime
    ) -> None:
        self.updated_at = occurred_at

    # -- waiting ------------------------------------------------------------------------------
    def wait(self, on: str, reason: str, actor: Actor, occurred_at: datetime) -> None:
        """Pause the clocks of whoever is waiting: the reporter (internal) or customer (vendor)."""
        waiting_on = WaitingOn(on)
        if actor.role.startswith("vendor:") and waiting_on != WaitingOn.CUSTOMER:
            raise AccessDenied("a vendor may only wait on the customer (ask for information)", visible=True)
        self._require(self.status in ACTIVE, "wait")
        if waiting_on == WaitingOn.CUSTOMER:
            self._require(
                self.status == S.ESCALATED,
                "wait on the customer",
                "only an escalated issue can wait on the customer (the vendor's clocks pause)",
            )
        self._waiting(on=waiting_on, reason=_text(reason, "reason", 2000), actor=actor, occurred_at=occurred_at)

    @event("WaitingStarted")
    def _waiting(self, on: str, reason: str, actor: Actor, occurred_at: datetime) -> None:
        self.status_before_wait = self.status
        self.waiting_reason = reason
        self.status = S.WAITING_ON_REPORTER if on == WaitingOn.REPORTER else S.WAITING_ON_CUSTOMER
        self.updated_at = occurred_at

    def resume(self, actor: Actor, occurred_at: datetime, reason: str | None = None) -> None:
        self._require(self.status in WAITING, "resume")
        self._resumed(reason=reason, actor=actor, occurred_at=occurred_at)

    @event("Resumed")
    def _resumed(self, reason: str | None, actor: Actor, occurred_at: datetime) -> None:
        self.status = IssueStatus(self.status_before_wait or S.IN_PROGRESS)
        self.status_before_wait = None
        self.waiting_reason = None
        self.updated_at = occurred_at

    # -- workarounds and changes ----------------------------------------------------------------
    def record_workaround(
        self, kind: str, description: str, retire_by: date, owner: str | None, actor: Actor, occurred_at: datetime
    ) -> str:
        self._require(self.status != S.CLOSED, "record a workaround on")
        workaround_id = f"w{len(self.workarounds) + 1}"
        self._workaround_recorded(
            workaround_id=workaround_id,
            kind=WorkaroundKind(kind),
            description=_text(description, "description"),
            retire_by=retire_by,
            owner=owner or actor.id,
            actor=actor,
            occurred_at=occurred_at,
        )
        return workaround_id

    @event("WorkaroundRecorded")
    def _workaround_recorded(
        self,
        workaround_id: str,
        kind: str,
        description: str,
        retire_by: date,
        owner: str,
        actor: Actor,
        occurred_at: datetime,
    ) -> None:
        self.workarounds[workaround_id] = {
            "id": workaround_id,
            "kind": WorkaroundKind(kind),
            "description": description,
            "retire_by": retire_by,
            "owner": owner,
            "recorded_at": occurred_at,
            "retired_at": None,
            "note": None,
        }
        self.updated_at = occurred_at

    def retire_workaround(self, workaround_id: str, note: str | None, actor: Actor, occurred_at: datetime) -> None:
        found = self.workarounds.get(workaround_id)
        if found is None:
            raise InvalidCommand(f"issue {self.key} has no workaround {workaround_id}", "workaround_id")
        self._require(found["retired_at"] is None, "retire", f"workaround {workaround_id} is already retired")
        self._workaround_retired(workaround_id=workaround_id, note=note, actor=actor, occurred_at=occurred_at)

    @event("WorkaroundRetired")
    def _workaround_retired(self, workaround_id: str, note: str | None, actor: Actor, occurred_at: datetime) -> None:
        self.workarounds[workaround_id]["retired_at"] = occurred_at
        self.workarounds[workaround_id]["note"] = note
        self.updated_at = occurred_at

    def reschedule_workaround(
        self, workaround_id: str, retire_by: date, reason: str | None, actor: Actor, occurred_at: datetime
    ) -> None:
        """A new retire-by date, typically decided in an improvement meeting."""
        found = self.workarounds.get(workaround_id)
        if found is None:
            raise InvalidCommand(f"issue {self.key} has no workaround {workaround_id}", "workaround_id")
        self._require(found["retired_at"] is None, "reschedule", f"workaround {workaround_id} is already retired")
        self._workaround_rescheduled(
            workaround_id=workaround_id, retire_by=retire_by, reason=reason, actor=actor, occurred_at=occurred_at
        )

    @event("WorkaroundRescheduled")
    def _workaround_rescheduled(
        self, workaround_id: str, retire_by: date, reason: str | None, actor: Actor, occurred_at: datetime
    ) -> None:
        self.workarounds[workaround_id]["retire_by"] = retire_by
        self.updated_at = occurred_at

    def schedule_change(
        self,
        scheduled_for: datetime,
        description: str,
        freeze_window: str | None,
        override_reason: str | None,
        actor: Actor,
        occurred_at: datetime,
    ) -> str:
        """Plan a vendor change; inside a freeze window only with an override reason (recorded)."""
        self._require(self.status in OPEN, "schedule a change on")
        if freeze_window and not (override_reason and override_reason.strip()):
            from domain.errors import TransitionRefused

            raise TransitionRefused(
                "schedule a change",
                self.state_name,
                f"{scheduled_for.isoformat()} is inside the freeze window {freeze_window}; give override_reason",
            )
        change_id = f"ch{len(self.changes) + 1}"
        self._change_scheduled(
            change_id=change_id,
            scheduled_for=scheduled_for,
            description=_text(description, "description"),
            freeze_window=freeze_window,
            override_reason=override_reason if freeze_window else None,
            actor=actor,
            occurred_at=occurred_at,
        )
        return change_id

    @event("ChangeScheduled")
    def _change_scheduled(
        self,
        change_id: str,
        scheduled_for: datetime,
        description: str,
        freeze_window: str | None,
        override_reason: str | None,
        actor: Actor,
        occurred_at: datetime,
    ) -> None:
        self.changes.append(
            {
                "id": change_id,
                "scheduled_for": scheduled_for,
                "description": description,
                "freeze_window": freeze_window,
                "override_reason": override_reason,
            }
        )
        self.updated_at = occurred_at

    # -- end of life ----------------------------------------------------------------------------
    def resolve(self, resolution: str, root_cause: str | None, actor: Actor, occurred_at: datetime) -> None:
        """The event names the issue's followers (duplicates' reporters, people affected), as they
        stood at the moment of resolving, so the notice of it can reach them."""
        self._require(self.status in OPEN, "resolve")
        self._resolved(
            resolution=_text(resolution, "resolution"),
            root_cause=root_cause,
            followers=list(self.followers),
            actor=actor,
            occurred_at=occurred_at,
        )

    @event("Resolved")
    def _resolved(
        self,
        resolution: str,
        root_cause: str | None,
        actor: Actor,
        occurred_at: datetime,
        followers: list[str] | None = None,  # absent from events recorded before linked issues
    ) -> None:
        self.resolution = resolution
        self.root_cause = root_cause
        self.resolved_at = occurred_at
        self.status = S.RESOLVED
        self.status_before_wait = None
        self.updated_at = occurred_at

    def reopen(self, reason: str, actor: Actor, occurred_at: datetime) -> None:
        """A fix that did not hold; resolution clocks restart."""
        self._require(self.status == S.RESOLVED, "reopen")
        self._reopened(reason=_text(reason, "reason", 2000), actor=actor, occurred_at=occurred_at)

    @event("Reopened")
    def _reopened(self, reason: str, actor: Actor, occurred_at: datetime) -> None:
        self.status = S.ESCALATED if self.escalation else S.IN_PROGRESS
        self.resolution = None
        self.root_cause = None
        self.resolved_at = None
        self.reopen_count += 1
        self.updated_at = occurred_at

    def close(self, actor: Actor, occurred_at: datetime, note: str | None = None) -> None:
        self._require(self.status == S.RESOLVED, "close")
        self._closed(note=note, actor=actor, occurred_at=occurred_at)

    @event("Closed")
    def _closed(self, note: str | None, actor: Actor, occurred_at: datetime) -> None:
        self.status = S.CLOSED
        self.closed_at = occurred_at
        self.updated_at = occurred_at

    # -- linked issues and "me too" ------------------------------------------------------------
    def link_to(self, kind: str, target: str, target_issue: Issue | None, actor: Actor, occurred_at: datetime) -> None:
        """Link this issue to another (`kind`: duplicate_of, relates_to, caused_by).

        The application looks the target up and passes it (None: there is no such issue); both
        issues record the link, so the original knows its duplicates and their reporters follow
        it. Refused before any event: an unknown kind, a link to itself, a target that does not
        exist (422), the same link twice (409).
        """
        if kind not in LINK_KINDS:
            raise InvalidCommand(f"kind must be one of {', '.join(LINK_KINDS)}", "kind")
        if not isinstance(target, str) or not KEY_PATTERN.match(target) or not target.startswith("KZ-"):
            raise InvalidCommand("target must be an issue key like KZ-7", "target")
        if target == self.key:
            raise InvalidCommand(f"issue {self.key} cannot be linked to itself", "target")
        if target_issue is None or target_issue.key != target:
            raise InvalidCommand(f"there is no issue {target}", "target")
        if any(link["kind"] == kind and link["key"] == target for link in self.outward_links):
            raise TransitionRefused("link", self.state_name, f"{self.key} is already linked as {kind} {target}")
        self._linked(kind=kind, target=target, actor=actor, occurred_at=occurred_at)
        target_issue._linked_from(
            kind=kind,
            source=self.key,
            follower=self.reporter if kind == DUPLICATE_OF else None,
            actor=actor,
            occurred_at=occurred_at,
        )

    @event("IssueLinked")
    def _linked(self, kind: str, target: str, actor: Actor, occurred_at: datetime) -> None:
        self.__dict__.setdefault("links", []).append(
            {"kind": kind, "key": target, "direction": OUTWARD, "by": actor.id, "at": occurred_at}
        )
        self.updated_at = occurred_at

    @event("LinkedFrom")
    def _linked_from(self, kind: str, source: str, follower: str | None, actor: Actor, occurred_at: datetime) -> None:
        """The other half of a link: `source` is `kind` this issue; a duplicate's reporter follows."""
        self.__dict__.setdefault("links", []).append(
            {"kind": kind, "key": source, "direction": INWARD, "by": actor.id, "at": occurred_at, "follower": follower}
        )
        self.updated_at = occurred_at

    def mark_affected(self, person: str, actor: Actor, occurred_at: datetime) -> None:
        """Me too: `person` hits this problem as well. Once per person, on an open issue; the
        reporter is affected already (as Jira refuses a vote on one's own issue). A second time
        is refused (409), as voting twice on a suggestion is."""
        person = identifier(person, "person")
        self._require(self.status in OPEN, "say me too on")
        if person == self.reporter:
            raise TransitionRefused("say me too on", self.state_name, f"{person} reported {self.key}")
        if person in self.affected_people:
            raise TransitionRefused("say me too on", self.state_name, f"{person} is already affected by {self.key}")
        self._marked_affected(person=person, actor=actor, occurred_at=occurred_at)

    @event("MarkedAffected")
    def _marked_affected(self, person: str, actor: Actor, occurred_at: datetime) -> None:
        self.__dict__.setdefault("affected", []).append(person)

    # -- reading --------------------------------------------------------------------------------
    @property
    def all_links(self) -> list[dict[str, Any]]:
        """Links both ways (snapshots taken before linked issues existed have none)."""
        links: list[dict[str, Any]] = self.__dict__.get("links") or []
        return links

    @property
    def outward_links(self) -> list[dict[str, Any]]:
        return [link for link in self.all_links if link["direction"] == OUTWARD]

    @property
    def attachments(self) -> list[dict[str, Any]]:
        """Files recorded on the issue (snapshots taken before attachments existed have none)."""
        files: list[dict[str, Any]] = self.__dict__.get("attachments") or []
        return files

    @property
    def affected_people(self) -> list[str]:
        people: list[str] = self.__dict__.get("affected") or []
        return people

    @property
    def followers(self) -> tuple[str, ...]:
        """Who hears of this issue's resolution besides its reporter (`notification_rules.followers_of`)."""
        inward = [link for link in self.all_links if link["direction"] == INWARD]
        duplicates = [link["follower"] for link in inward if link.get("follower")]
        return followers_of(self.reporter, duplicates, self.affected_people)

    @property
    def escalated_vendor(self) -> str | None:
        return self.escalation["vendor"] if self.escalation else None


def _upcast_reported_v1_v2(state: dict[str, Any]) -> None:
    """Version 1 of `Reported` (the spreadsheet-era import) had no language or noticed_at."""
    state.setdefault("language", None)
    state.setdefault("noticed_at", None)


# Schema evolution: stored events keep their recorded shape (and so their chain hash); the
# library upcasts them on load. New `Reported` events are written as class version 2.
Issue.Reported.class_version = 2  # type: ignore[attr-defined]
Issue.Reported.upcast_v1_v2 = staticmethod(_upcast_reported_v1_v2)  # type: ignore[attr-defined]
