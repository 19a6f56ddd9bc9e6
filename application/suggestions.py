"""Suggestion commands: submit, vote, withdraw, comment, merge, review, decide, implement, reward."""

from __future__ import annotations

from typing import Any

from application.attachments import AttachmentStore, Upload
from application.context import Context, Receipt
from application.errors import StaleVersion
from domain.access import authorise_suggestion
from domain.errors import InvalidCommand
from domain.keys import SUGGESTION_PREFIX, aggregate_id
from domain.money import Money
from domain.suggestion import Suggestion


class SuggestionCommands(AttachmentStore):
    def get_suggestion(self, key: str, version: int | None = None) -> Suggestion:
        return self._load(aggregate_id(key), Suggestion, f"suggestion {key}", version)

    def _suggestion(self, ctx: Context, key: str, action: str, mutate: Any) -> Receipt:
        authorise_suggestion(ctx.actor, action)
        return self._change(ctx, aggregate_id(key), Suggestion, f"suggestion {key}", "suggestion", mutate)

    def submit_suggestion(self, ctx: Context, *, title: str, description: str, module: str) -> Receipt:
        authorise_suggestion(ctx.actor, "suggest")

        def attempt() -> Receipt:
            with self._allocating(SUGGESTION_PREFIX) as sequence:
                key = sequence.allocate(ctx.actor)
                suggestion = Suggestion.submit(
                    key, title=title, description=description, module=module, actor=ctx.actor, occurred_at=self.now(ctx)
                )
                return self._commit(ctx, suggestion, sequence, kind="suggestion", created=True)

        return self._retrying(ctx, attempt)

    def vote(self, ctx: Context, key: str) -> Receipt:
        return self._suggestion(ctx, key, "votes", lambda s: s.vote(ctx.actor, self.now(ctx)))

    def withdraw_vote(self, ctx: Context, key: str) -> Receipt:
        return self._suggestion(ctx, key, "votes", lambda s: s.withdraw_vote(ctx.actor, self.now(ctx)))

    def comment_on_suggestion(self, ctx: Context, key: str, *, body: str, visibility: str = "public") -> Receipt:
        if visibility not in ("public", "internal"):
            raise InvalidCommand("visibility must be public or internal", "visibility")
        if visibility == "internal" and ctx.actor.role not in ("admin", "system"):
            raise InvalidCommand("only administrators may post internal comments", "visibility")
        return self._suggestion(ctx, key, "comments", lambda s: s.comment(body, ctx.actor, self.now(ctx), visibility))

    def attach_to_suggestion(
        self, ctx: Context, key: str, upload: Upload, *, comment: str | None = None, visibility: str = "public"
    ) -> Receipt:
        """Store the file's bytes (judged first: 413/415 write nothing), then record it, with its
        optional comment, in one event; the receipt's `attachment_id` names the new file."""
        if visibility not in ("public", "internal"):
            raise InvalidCommand("visibility must be public or internal", "visibility")
        if visibility == "internal" and ctx.actor.role not in ("admin", "system"):
            raise InvalidCommand("only administrators may post internal comments", "visibility")
        authorise_suggestion(ctx.actor, "attachments")
        self.get_suggestion(key)  # 404 before any byte is written
        file = self.store_upload(upload)
        return self._suggestion(
            ctx,
            key,
            "attachments",
            lambda s: {"attachment_id": s.attach(file, comment or None, visibility, ctx.actor, self.now(ctx))},
        )

    def merge(self, ctx: Context, key: str, *, into: str) -> Receipt:
        """Both suggestions change in one atomic save, so votes never exist twice or nowhere."""
        authorise_suggestion(ctx.actor, "merge")
        if into == key:
            raise InvalidCommand("a suggestion cannot be merged into itself", "into")

        def attempt() -> Receipt:
            source = self.get_suggestion(key)
            if ctx.expected_version is not None and source.version != ctx.expected_version:
                raise StaleVersion(ctx.expected_version, source.version)
            target = self.get_suggestion(into)
            source.merge_into(target, ctx.actor, self.now(ctx))
            return self._commit(ctx, source, target, kind="suggestion")

        return self._retrying(ctx, attempt)

    def review(self, ctx: Context, key: str, *, impact: int, effort: int, meeting: str | None = None) -> Receipt:
        return self._suggestion(
            ctx, key, "review", lambda s: s.record_review(impact, effort, meeting, ctx.actor, self.now(ctx))
        )

    def decide(
        self, ctx: Context, key: str, *, outcome: str, target_release: str | None = None, reason: str | None = None
    ) -> Receipt:
        def apply(s: Suggestion) -> None:
            if outcome == "planned":
                if not target_release:
                    raise InvalidCommand("a planned suggestion needs a target_release", "target_release")
                s.plan(target_release, ctx.actor, self.now(ctx), reason)
            elif outcome == "declined":
                if not reason:
                    raise InvalidCommand("a declined suggestion needs a reason", "reason")
                s.decline(reason, ctx.actor, self.now(ctx))
            else:
                raise InvalidCommand("outcome must be planned or declined", "outcome")

        return self._suggestion(ctx, key, "decision", apply)

    def mark_implemented(self, ctx: Context, key: str, *, note: str | None = None) -> Receipt:
        return self._suggestion(ctx, key, "implemented", lambda s: s.mark_implemented(ctx.actor, self.now(ctx), note))

    def reward(self, ctx: Context, key: str, *, amount: dict[str, str], note: str) -> Receipt:
        money = Money.of(amount.get("amount", ""), amount.get("currency", ""))
        return self._suggestion(ctx, key, "reward", lambda s: s.reward(money, note, ctx.actor, self.now(ctx)))
