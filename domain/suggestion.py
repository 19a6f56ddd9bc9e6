"""The Suggestion aggregate: an improvement idea from staff, voted on, decided, rewarded."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.domain import event

from domain.actor import Actor
from domain.attached_file import attachment_entry, file_facts
from domain.base import KaizenAggregate
from domain.errors import InvalidCommand, TransitionRefused
from domain.keys import aggregate_id
from domain.money import Money
from domain.values import text as _text
from domain.vocabulary import Module, SuggestionStatus

S = SuggestionStatus
VOTABLE = frozenset({S.SUBMITTED, S.REVIEWED, S.PLANNED})
UNDECIDED = frozenset({S.SUBMITTED, S.REVIEWED})


def _score(value: int, field: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 5:
        raise InvalidCommand(f"{field} must be an integer from 1 to 5", field)
    return value


class Suggestion(KaizenAggregate):
    """Votes are a set of people: voting twice is refused, merging never double-counts."""

    @staticmethod
    def create_id(key: str) -> UUID:
        return aggregate_id(key)

    @event("Submitted")
    def __init__(
        self, key: str, title: str, description: str, module: str, actor: Actor, occurred_at: datetime
    ) -> None:
        self.key = key
        self.title = title
        self.description = description
        self.module = Module(module)
        self.submitter = actor.id
        self.submitted_at = occurred_at
        self.status = S.SUBMITTED
        self.voters: list[str] = []
        self.vote_times: dict[str, datetime] = {}
        self.comments: list[dict[str, Any]] = []
        self.merged_into: str | None = None
        self.merged_from: list[str] = []
        self.review: dict[str, Any] | None = None
        self.decision: dict[str, Any] | None = None
        self.implemented_at: datetime | None = None
        self.rewards: list[dict[str, Any]] = []
        self.updated_at = occurred_at

    @classmethod
    def submit(
        cls, key: str, *, title: str, description: str, module: str, actor: Actor, occurred_at: datetime
    ) -> Suggestion:
        return cls(
            key=key,
            title=_text(title, "title", 300, multiline=False),
            description=_text(description, "description", 20_000),
            module=Module(module),
            actor=actor,
            occurred_at=occurred_at,
        )

    @property
    def votes(self) -> int:
        return len(self.voters)

    # -- votes ----------------------------------------------------------------------------------
    def vote(self, actor: Actor, occurred_at: datetime) -> None:
        self._require(self.status in VOTABLE, "vote on")
        self._require(actor.id not in self.voters, "vote on", f"{actor.id} has already voted for {self.key}")
        self._voted(voter=actor.id, actor=actor, occurred_at=occurred_at)

    @event("Voted")
    def _voted(self, voter: str, actor: Actor, occurred_at: datetime) -> None:
        self.voters.append(voter)
        self.vote_times[voter] = occurred_at
        self.updated_at = occurred_at

    def withdraw_vote(self, actor: Actor, occurred_at: datetime) -> None:
        self._require(self.status in VOTABLE, "withdraw a vote on")
        self._require(actor.id in self.voters, "withdraw a vote on", f"{actor.id} has not voted for {self.key}")
        self._vote_withdrawn(voter=actor.id, actor=actor, occurred_at=occurred_at)

    @event("VoteWithdrawn")
    def _vote_withdrawn(self, voter: str, actor: Actor, occurred_at: datetime) -> None:
        self.voters.remove(voter)
        self.vote_times.pop(voter, None)
        self.updated_at = occurred_at

    # -- discussion -------------------------------------------------------------------------------
    def comment(self, body: str, actor: Actor, occurred_at: datetime, visibility: str = "public") -> None:
        self._require(self.status != S.MERGED, "comment on")
        self._commented(
            comment_id=f"c{len(self.comments) + 1}",
            body=_text(body, "body", 20_000),
            visibility=visibility,
            actor=actor,
            occurred_at=occurred_at,
        )

    @event("Commented")
    def _commented(self, comment_id: str, body: str, visibility: str, actor: Actor, occurred_at: datetime) -> None:
        self.comments.append(
            {"id": comment_id, "body": body, "visibility": visibility, "author": actor.id, "at": occurred_at}
        )
        self.updated_at = occurred_at

    # -- attachments ------------------------------------------------------------------------------
    def attach(
        self, file: dict[str, Any], comment: str | None, visibility: str, actor: Actor, occurred_at: datetime
    ) -> str:
        """Record a file (already stored under its sha256), with the optional comment it belongs
        to; the event names the sha256, so the hash chain covers the file's bytes."""
        self._require(self.status != S.MERGED, "attach a file to")
        comment_id = None
        if comment:
            self.comment(comment, actor, occurred_at, visibility)
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

    @property
    def attachments(self) -> list[dict[str, Any]]:
        """Files recorded on the suggestion (snapshots taken before attachments existed have none)."""
        files: list[dict[str, Any]] = self.__dict__.get("attachments") or []
        return files

    # -- merge ------------------------------------------------------------------------------------
    def merge_into(self, target: Suggestion, actor: Actor, occurred_at: datetime) -> None:
        """Fold this duplicate into `target`: its votes move, a person counted once.

        Both aggregates change; the application saves them in one atomic save.
        """
        if target.key == self.key:
            raise InvalidCommand("a suggestion cannot be merged into itself", "into")
        self._require(self.status in UNDECIDED, "merge")
        if target.status not in VOTABLE:
            raise TransitionRefused(
                "merge into", str(target.status), f"{target.key} is {target.status} and cannot absorb votes"
            )
        moved = [v for v in self.voters if v not in target.voters]
        self._merged(into=target.key, actor=actor, occurred_at=occurred_at)
        target._absorbed(
            source=self.key,
            voters=moved,
            vote_times={v: self.vote_times.get(v, occurred_at) for v in moved},
            actor=actor,
            occurred_at=occurred_at,
        )

    @event("MergedInto")
    def _merged(self, into: str, actor: Actor, occurred_at: datetime) -> None:
        self.merged_into = into
        self.status = S.MERGED
        self.updated_at = occurred_at

    @event("DuplicateAbsorbed")
    def _absorbed(
        self, source: str, voters: list[str], vote_times: dict[str, datetime], actor: Actor, occurred_at: datetime
    ) -> None:
        self.merged_from.append(source)
        for voter in voters:
            if voter not in self.voters:
                self.voters.append(voter)
                self.vote_times[voter] = vote_times.get(voter, occurred_at)
        self.updated_at = occurred_at

    # -- decisions --------------------------------------------------------------------------------
    def record_review(self, impact: int, effort: int, meeting: str | None, actor: Actor, occurred_at: datetime) -> None:
        self._require(self.status in UNDECIDED, "review")
        self._reviewed(
            impact=_score(impact, "impact"),
            effort=_score(effort, "effort"),
            meeting=meeting,
            actor=actor,
            occurred_at=occurred_at,
        )

    @event("Reviewed")
    def _reviewed(self, impact: int, effort: int, meeting: str | None, actor: Actor, occurred_at: datetime) -> None:
        self.review = {"impact": impact, "effort": effort, "meeting": meeting, "at": occurred_at}
        self.status = S.REVIEWED
        self.updated_at = occurred_at

    def plan(self, target_release: str, actor: Actor, occurred_at: datetime, reason: str | None = None) -> None:
        self._require(self.status in UNDECIDED, "plan")
        self._planned(
            target_release=_text(target_release, "target_release", 100),
            reason=reason,
            actor=actor,
            occurred_at=occurred_at,
        )

    @event("Planned")
    def _planned(self, target_release: str, reason: str | None, actor: Actor, occurred_at: datetime) -> None:
        self.decision = {"outcome": "planned", "target_release": target_release, "reason": reason, "at": occurred_at}
        self.status = S.PLANNED
        self.updated_at = occurred_at

    def decline(self, reason: str, actor: Actor, occurred_at: datetime) -> None:
        self._require(self.status in UNDECIDED, "decline")
        self._declined(reason=_text(reason, "reason", 2000), actor=actor, occurred_at=occurred_at)

    @event("Declined")
    def _declined(self, reason: str, actor: Actor, occurred_at: datetime) -> None:
        self.decision = {"outcome": "declined", "target_release": None, "reason": reason, "at": occurred_at}
        self.status = S.DECLINED
        self.updated_at = occurred_at

    def mark_implemented(self, actor: Actor, occurred_at: datetime, note: str | None = None) -> None:
        self._require(self.status == S.PLANNED, "mark implemented")
        self._implemented(note=note, actor=actor, occurred_at=occurred_at)

    @event("Implemented")
    def _implemented(self, note: str | None, actor: Actor, occurred_at: datetime) -> None:
        self.implemented_at = occurred_at
        self.status = S.IMPLEMENTED
        self.updated_at = occurred_at

    def reward(
        self, amount: Money, note: str, actor: Actor, occurred_at: datetime, recipient: str | None = None
    ) -> None:
        """Small rewards for good suggestions; only once the idea has been implemented."""
        self._require(self.status == S.IMPLEMENTED, "reward")
        self._rewarded(
            amount=str(amount.amount),
            currency=amount.currency,
            note=_text(note, "note", 2000),
            recipient=recipient or self.submitter,
            actor=actor,
            occurred_at=occurred_at,
        )

    @event("Rewarded")
    def _rewarded(
        self, amount: str, currency: str, note: str, recipient: str, actor: Actor, occurred_at: datetime
    ) -> None:
        self.rewards.append(
            {"amount": amount, "currency": currency, "note": note, "recipient": recipient, "at": occurred_at}
        )
        self.updated_at = occurred_at
