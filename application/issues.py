"""Issue commands: one method per command of the contract; load, check, call, save."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any
from uuid import UUID

from application.attachments import AttachmentStore, Upload
from application.context import Context, Receipt
from application.errors import NotFound, StaleVersion
from application.freeze_windows import FreezeWindows
from application.people import PeopleCommands
from application.vendor_terms import VendorTermsCommands
from domain.access import authorise_issue
from domain.errors import InvalidCommand
from domain.issue import Issue
from domain.keys import ISSUE_PREFIX, aggregate_id
from domain.vocabulary import Visibility


class IssueCommands(FreezeWindows, VendorTermsCommands, PeopleCommands, AttachmentStore):
    """Issue commands. Built on `FreezeWindows` because `schedule_change` must ask it which freeze
    window covers the change, and on `PeopleCommands` because an assignee must be an active
    person or a group: the dependency is in the class itself, so no order of `KaizenDesk`'s
    bases can leave a default in its place (one that answered "never frozen"). On
    `VendorTermsCommands` because an escalation is judged under the vendor's terms."""

    def _issue(self, ctx: Context, key: str, action: str, mutate: Any) -> Receipt:
        issue_id: UUID = aggregate_id(key)

        def guarded(issue: Issue) -> dict[str, Any] | None:
            authorise_issue(ctx.actor, action, issue)
            result: dict[str, Any] | None = mutate(issue)
            return result

        return self._change(ctx, issue_id, Issue, f"issue {key}", "issue", guarded)

    def _assignable(self, assignee: str | None) -> bool:
        """True, or InvalidCommand: used inside a command's lambda, before the issue changes."""
        self.check_assignee(assignee)
        return True

    def get_issue(self, key: str, version: int | None = None) -> Issue:
        return self._load(aggregate_id(key), Issue, f"issue {key}", version)

    def report(
        self,
        ctx: Context,
        *,
        title: str,
        description: str,
        module: str,
        impact_scope: str,
        urgency: str,
        vendor: str = "internal",
        scenario: str | None = None,
        site: str | None = None,
        language: str | None = None,
        noticed_at: datetime | None = None,
        files: Sequence[dict[str, Any]] = (),
    ) -> Receipt:
        """Record a new issue under the next free key (unique across processes); `files` (already
        stored, `store_upload`) are recorded on it in the same write, so the issue never exists
        without them (the mail intake's new issue with its attachments)."""
        authorise_issue(ctx.actor, "report", None)

        def attempt() -> Receipt:
            with self._allocating(ISSUE_PREFIX) as sequence:
                key = sequence.allocate(ctx.actor)
                issue = Issue.report(
                    key,
                    title=title,
                    description=description,
                    module=module,
                    impact_scope=impact_scope,
                    urgency=urgency,
                    vendor=(vendor or "internal").lower(),
                    scenario=scenario,
                    site=site,
                    language=language,
                    noticed_at=noticed_at,
                    actor=ctx.actor,
                    occurred_at=self.now(ctx),
                )
                for file in files:
                    issue.attach(file, None, Visibility.PUBLIC, ctx.actor, self.now(ctx))
                return self._commit(ctx, issue, sequence, kind="issue", created=True)

        return self._retrying(ctx, attempt)

    def triage(
        self,
        ctx: Context,
        key: str,
        *,
        priority: str | None = None,
        impact_scope: str | None = None,
        urgency: str | None = None,
        impact_class: str | None = None,
        assignee: str | None = None,
        reason: str | None = None,
    ) -> Receipt:
        return self._issue(
            ctx,
            key,
            "triage",
            lambda i: (
                self._assignable(assignee)
                and i.triage(
                    ctx.actor,
                    self.now(ctx),
                    priority=priority,
                    impact_scope=impact_scope,
                    urgency=urgency,
                    impact_class=impact_class,
                    assignee=assignee,
                    reason=reason,
                )
            ),
        )

    def assign(self, ctx: Context, key: str, *, assignee: str) -> Receipt:
        return self._issue(
            ctx, key, "assign", lambda i: self._assignable(assignee) and i.assign(assignee, ctx.actor, self.now(ctx))
        )

    def respond(self, ctx: Context, key: str, *, message: str) -> Receipt:
        return self._issue(ctx, key, "respond", lambda i: i.respond(message, ctx.actor, self.now(ctx)))

    def comment_on_issue(
        self, ctx: Context, key: str, *, body: str, visibility: str = "public", files: Sequence[dict[str, Any]] = ()
    ) -> Receipt:
        """A comment; `files` (already stored) are recorded with it in the same write, the first
        one as the comment's own (a mailed reply with its attachments)."""
        if visibility == Visibility.INTERNAL and ctx.actor.role not in ("admin", "system"):
            raise InvalidCommand("only administrators may post internal comments", "visibility")
        if not files:
            return self._issue(ctx, key, "comments", lambda i: i.comment(body, visibility, ctx.actor, self.now(ctx)))

        def with_files(i: Issue) -> dict[str, Any]:
            first, *rest = files
            ids = [i.attach(first, body, visibility, ctx.actor, self.now(ctx))]
            ids += [i.attach(file, None, visibility, ctx.actor, self.now(ctx)) for file in rest]
            return {"attachment_ids": ids}

        return self._issue(ctx, key, "comments", with_files)

    def attach_to_issue(
        self, ctx: Context, key: str, upload: Upload, *, comment: str | None = None, visibility: str = "public"
    ) -> Receipt:
        """Store the file's bytes (judged first: 413/415 write nothing), then record it, with its
        optional comment, in one event; the receipt's `attachment` is the new file's facts."""
        if visibility == Visibility.INTERNAL and ctx.actor.role not in ("admin", "system"):
            raise InvalidCommand("only administrators may post internal comments", "visibility")
        authorise_issue(ctx.actor, "attachments", self.get_issue(key))  # before any byte is written
        return self._record_attachment(ctx, key, self.store_upload(upload), comment, visibility)

    def _record_attachment(
        self, ctx: Context, key: str, file: dict[str, Any], comment: str | None, visibility: str = "public"
    ) -> Receipt:
        return self._issue(
            ctx,
            key,
            "attachments",
            lambda i: {"attachment_id": i.attach(file, comment or None, visibility, ctx.actor, self.now(ctx))},
        )

    def report_with_attachment(self, ctx: Context, upload: Upload, **report: Any) -> Receipt:
        """Report, with a file: the file is judged and stored first (a refused file reports
        nothing), then the issue is reported and the file recorded on it. The receipt is the
        report's."""
        authorise_issue(ctx.actor, "report", None)
        file = self.store_upload(upload)
        receipt = self.report(ctx, **report)
        self._record_attachment(Context(ctx.actor, at=ctx.at), receipt.key, file, None)
        return receipt

    def escalate(
        self,
        ctx: Context,
        key: str,
        *,
        vendor: str,
        vendor_ticket: str,
        vendor_priority: str | None = None,
        override_reason: str | None = None,
    ) -> Receipt:
        """Escalate under the vendor's terms; the month's incident count is saved with the issue
        in one write (`application.vendor_terms`), so the quota counts each escalation once."""
        issue_id: UUID = aggregate_id(key)

        def attempt() -> Receipt:
            issue = self._load(issue_id, Issue, f"issue {key}")
            authorise_issue(ctx.actor, "escalate", issue)
            if ctx.expected_version is not None and issue.version != ctx.expected_version:
                raise StaleVersion(ctx.expected_version, issue.version)
            at = self.now(ctx)
            terms = self.escalation_terms(vendor, at)
            issue.escalate_to_vendor(vendor, vendor_ticket, vendor_priority, ctx.actor, at, terms, override_reason)
            count = self.count_incident(issue.vendor, issue.key, ctx.actor, at)
            return self._commit(ctx, issue, count, kind="issue")

        return self._retrying(ctx, attempt)

    def record_vendor_update(
        self, ctx: Context, key: str, *, message: str, files: Sequence[dict[str, Any]] = ()
    ) -> Receipt:
        """The vendor's update; `files` (already stored) are recorded with it in the same write."""

        def update(i: Issue) -> None:
            i.record_vendor_update(message, ctx.actor, self.now(ctx))
            for file in files:
                i.attach(file, None, Visibility.PUBLIC, ctx.actor, self.now(ctx))

        return self._issue(ctx, key, "vendor-updates", update)

    def wait(self, ctx: Context, key: str, *, on: str, reason: str) -> Receipt:
        return self._issue(ctx, key, "wait", lambda i: i.wait(on, reason, ctx.actor, self.now(ctx)))

    def resume(self, ctx: Context, key: str, *, reason: str | None = None) -> Receipt:
        return self._issue(ctx, key, "resume", lambda i: i.resume(ctx.actor, self.now(ctx), reason))

    def record_workaround(
        self, ctx: Context, key: str, *, kind: str, description: str, retire_by: date, owner: str | None = None
    ) -> Receipt:
        return self._issue(
            ctx,
            key,
            "workarounds",
            lambda i: {
                "workaround_id": i.record_workaround(kind, description, retire_by, owner, ctx.actor, self.now(ctx))
            },
        )

    def retire_workaround(self, ctx: Context, key: str, workaround_id: str, *, note: str | None = None) -> Receipt:
        return self._issue(
            ctx, key, "retire", lambda i: i.retire_workaround(workaround_id, note, ctx.actor, self.now(ctx))
        )

    def schedule_change(
        self, ctx: Context, key: str, *, scheduled_for: datetime, description: str, override_reason: str | None = None
    ) -> Receipt:
        self.freeze_window_at(scheduled_for)  # a time out of range is refused before the issue is read
        return self._issue(
            ctx,
            key,
            "changes",
            lambda i: {
                "change_id": i.schedule_change(
                    scheduled_for,
                    description,
                    self.freeze_window_at(scheduled_for, i.site),  # a site's window freezes its issues only
                    override_reason,
                    ctx.actor,
                    self.now(ctx),
                )
            },
        )

    def resolve(self, ctx: Context, key: str, *, resolution: str, root_cause: str | None = None) -> Receipt:
        return self._issue(ctx, key, "resolve", lambda i: i.resolve(resolution, root_cause, ctx.actor, self.now(ctx)))

    def reopen(self, ctx: Context, key: str, *, reason: str) -> Receipt:
        return self._issue(ctx, key, "reopen", lambda i: i.reopen(reason, ctx.actor, self.now(ctx)))

    def close_issue(self, ctx: Context, key: str, *, note: str | None = None) -> Receipt:
        return self._issue(ctx, key, "close", lambda i: i.close(ctx.actor, self.now(ctx), note))

    def link_issue(self, ctx: Context, key: str, *, kind: str, target: str) -> Receipt:
        """Link `key` to `target` (`duplicate_of`, `relates_to`, `caused_by`); both issues record
        it in one save. The target is looked up here (the domain decides what its absence means)."""
        issue_id: UUID = aggregate_id(key)

        def attempt() -> Receipt:
            issue = self._load(issue_id, Issue, f"issue {key}")
            authorise_issue(ctx.actor, "links", issue)
            if ctx.expected_version is not None and issue.version != ctx.expected_version:
                raise StaleVersion(ctx.expected_version, issue.version)
            other = self._linkable(target) if target != key else None
            issue.link_to(kind, target, other, ctx.actor, self.now(ctx))
            return self._commit(ctx, issue, *([other] if other is not None else []), kind="issue")

        return self._retrying(ctx, attempt)

    def _linkable(self, target: str) -> Issue | None:
        """The target issue, or None when there is none (a malformed key is none either)."""
        try:
            return self.get_issue(target)
        except (NotFound, InvalidCommand):
            return None

    def mark_affected(self, ctx: Context, key: str) -> Receipt:
        """Me too: the caller hits this problem as well (`domain.access.may_glimpse_issue` says
        on which issues a reporter may say so)."""
        return self._issue(ctx, key, "affected", lambda i: i.mark_affected(ctx.actor.id, ctx.actor, self.now(ctx)))
