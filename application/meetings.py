"""Improvement-meeting commands: schedule, decide (atomically with the decision's subject), close."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from application.context import Context, Receipt
from application.errors import NotFound, StaleVersion
from application.people import PeopleCommands
from domain.errors import InvalidCommand
from domain.issue import Issue
from domain.keys import aggregate_id
from domain.meeting import (
    MEETING_PREFIX,
    Decision,
    ImprovementMeeting,
    authorise_meeting,
    meeting_id,
    take_decision,
)
from domain.suggestion import Suggestion


class MeetingCommands(PeopleCommands):
    """Meeting commands. Built on `PeopleCommands` because a decision's `owner` must be an active
    person or a group, checked exactly as an issue's assignee is (`is_assignable`)."""

    def get_meeting(self, key: str, version: int | None = None) -> ImprovementMeeting:
        try:
            found_id = meeting_id(key)
        except InvalidCommand:
            raise NotFound(f"meeting {key} was not found") from None
        return self._load(found_id, ImprovementMeeting, f"meeting {key}", version)

    def schedule_meeting(
        self,
        ctx: Context,
        *,
        cadence: str,
        date: date,
        attendees: Sequence[Mapping[str, Any]],
        title: str | None = None,
    ) -> Receipt:
        """A new meeting under the next free MT- key."""
        authorise_meeting(ctx.actor, "schedule")

        def attempt() -> Receipt:
            with self._allocating(MEETING_PREFIX) as sequence:
                key = sequence.allocate(ctx.actor)
                meeting = ImprovementMeeting.schedule(
                    key,
                    cadence=cadence,
                    meeting_date=date,
                    attendees=attendees,
                    title=title,
                    actor=ctx.actor,
                    occurred_at=self.now(ctx),
                )
                return self._commit(ctx, meeting, sequence, kind="meeting", created=True)

        return self._retrying(ctx, attempt)

    def _open_meeting(self, ctx: Context, key: str) -> ImprovementMeeting:
        meeting = self.get_meeting(key)
        if ctx.expected_version is not None and meeting.version != ctx.expected_version:
            raise StaleVersion(ctx.expected_version, meeting.version)
        return meeting

    def take_decision(self, ctx: Context, key: str, *, kind: str, subject: str | None = None, **fields: Any) -> Receipt:
        """Change the subject and minute the decision in ONE save of both aggregates.

        `If-Match` names the meeting's version. A concurrent change to either aggregate fails the
        save as a whole and the decision is retried on fresh state of both.
        """
        authorise_meeting(ctx.actor, "take decisions in")
        decision = Decision(kind=kind, subject=subject, **fields)
        if decision.owner is not None and not self.is_assignable(decision.owner):
            raise InvalidCommand(f"owner {decision.owner!r} is not an active person or a group", "owner")

        def attempt() -> Receipt:
            meeting = self._open_meeting(ctx, key)
            meeting.require_open("take a decision in")
            target: Suggestion | Issue | None = None
            if decision.subject_kind == "suggestion":
                target = self._load(aggregate_id(subject or ""), Suggestion, f"suggestion {subject}")
            elif decision.subject_kind == "issue":
                target = self._load(aggregate_id(subject or ""), Issue, f"issue {subject}")
            decision_id = take_decision(meeting, decision, target, ctx.actor, self.now(ctx))
            others = [target] if target is not None else []
            return self._commit(ctx, meeting, *others, kind="meeting", extra={"decision_id": decision_id})

        return self._retrying(ctx, attempt)

    def close_meeting(
        self, ctx: Context, key: str, *, minutes: str, agenda: Mapping[str, Any] | None = None
    ) -> Receipt:
        """Close with minutes; `agenda` is the snapshot the interface built from the views."""
        authorise_meeting(ctx.actor, "close")

        def attempt() -> Receipt:
            meeting = self._open_meeting(ctx, key)
            meeting.close(minutes, agenda, ctx.actor, self.now(ctx))
            return self._commit(ctx, meeting, kind="meeting")

        return self._retrying(ctx, attempt)
