"""The workaround register's commands: register (with or without an issue), retire, reschedule.

One method decides where a workaround lives, so the API (`POST /workarounds`) and the console
(`/console/workarounds`) share the rule: with an issue key it is that issue's workaround
(`IssueCommands.record_workaround`, an `Issue.WorkaroundRecorded` event); without one it is a
go-live compromise of its own (`domain.workaround.GoLiveCompromise`, under the next `WA-` key).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from application.context import Context, Receipt
from application.errors import NotFound, StaleVersion
from application.issues import IssueCommands
from domain.errors import InvalidCommand
from domain.workaround import WORKAROUND_PREFIX, GoLiveCompromise, authorise_workarounds, workaround_id

KIND = "workaround"


class WorkaroundCommands(IssueCommands):
    """Built on `IssueCommands` because a workaround with an issue is that issue's command."""

    def get_go_live_compromise(self, key: str, version: int | None = None) -> GoLiveCompromise:
        try:
            found_id = workaround_id(key)
        except InvalidCommand:
            raise NotFound(f"workaround {key} was not found") from None
        return self._load(found_id, GoLiveCompromise, f"workaround {key}", version)

    def register_workaround(
        self,
        ctx: Context,
        *,
        kind: str,
        description: str,
        retire_by: date,
        owner: str | None = None,
        issue_key: str | None = None,
    ) -> Receipt:
        """The issue's workaround when `issue_key` is given; else a go-live compromise (`WA-<n>`).

        Either way the receipt's `extra["workaround_id"]` names it (`w1` within the issue, or
        the `WA-` key itself).
        """
        authorise_workarounds(ctx.actor, "register")
        if issue_key:
            return self.record_workaround(
                ctx, issue_key, kind=kind, description=description, retire_by=retire_by, owner=owner
            )

        def attempt() -> Receipt:
            with self._allocating(WORKAROUND_PREFIX) as sequence:
                key = sequence.allocate(ctx.actor)
                compromise = GoLiveCompromise.register(
                    key,
                    kind=kind,
                    description=description,
                    retire_by=retire_by,
                    owner=owner,
                    actor=ctx.actor,
                    occurred_at=self.now(ctx),
                )
                return self._commit(ctx, compromise, sequence, kind=KIND, created=True, extra={"workaround_id": key})

        return self._retrying(ctx, attempt)

    def _compromise(self, ctx: Context, key: str, mutate: Callable[[GoLiveCompromise], None]) -> Receipt:
        def attempt() -> Receipt:
            found = self.get_go_live_compromise(key)
            if ctx.expected_version is not None and found.version != ctx.expected_version:
                raise StaleVersion(ctx.expected_version, found.version)
            mutate(found)
            return self._commit(ctx, found, kind=KIND, extra={"workaround_id": key})

        return self._retrying(ctx, attempt)

    def retire_registered_workaround(
        self, ctx: Context, workaround: str, *, issue_key: str | None = None, note: str | None = None
    ) -> Receipt:
        """Retire one row of the register: an issue's (`w1` of `issue_key`) or a `WA-` key."""
        authorise_workarounds(ctx.actor, "retire")
        if issue_key:
            return self.retire_workaround(ctx, issue_key, workaround, note=note)
        return self._compromise(ctx, workaround, lambda c: c.retire(note, ctx.actor, self.now(ctx)))

    def reschedule_go_live_compromise(
        self, ctx: Context, key: str, *, retire_by: date, reason: str | None = None
    ) -> Receipt:
        """A new retire-by date for a go-live compromise (an issue's: a meeting decision)."""
        return self._compromise(ctx, key, lambda c: c.reschedule(retire_by, reason, ctx.actor, self.now(ctx)))
