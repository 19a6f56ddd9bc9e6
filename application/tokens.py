"""API tokens: issue, revoke, authenticate and list, all from the event log."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.utils import get_topic

from application.base import DeskBase
from application.context import Context
from application.errors import NotFound
from domain.token import ApiToken, parse_token


@dataclass(frozen=True)
class Principal:
    """An authenticated caller: which token, with which role, for which subject."""

    token_id: str
    role: str
    subject: str


@dataclass(frozen=True)
class TokenSummary:
    token_id: str
    role: str
    subject: str
    issued_at: datetime
    revoked_at: datetime | None


class TokenCommands(DeskBase):
    def issue_token(self, ctx: Context, role: str, subject: str) -> tuple[str, str]:
        """Return (token_id, plain token). The plain token is not stored anywhere."""
        token, plain = ApiToken.issue(role, subject, ctx.actor, self.now(ctx))
        self.save(token)
        return token.token_id, plain

    def revoke_token(self, ctx: Context, token_id: str) -> None:
        token = self._token(token_id)
        token.revoke(ctx.actor, self.now(ctx))
        self.save(token)

    def token_status(self, token_id: str) -> TokenSummary:
        """A token's role, subject and revocation, by its public id (never by its secret)."""
        token = self._token(token_id)
        return TokenSummary(token.token_id, token.role, token.subject, token.issued_at, token.revoked_at)

    def _token(self, token_id: str) -> ApiToken:
        try:
            token: Any = self.repository.get(ApiToken.create_id(token_id))
        except AggregateNotFoundError:
            raise NotFound(f"token {token_id} was not found") from None
        assert isinstance(token, ApiToken)
        return token

    def authenticate(self, presented: str) -> Principal | None:
        """The principal for a bearer token, or None; never says which part was wrong."""
        parsed = parse_token(presented)
        if parsed is None:
            return None
        token_id, secret = parsed
        try:
            token = self._token(token_id)
        except NotFound:
            return None
        if not token.matches(secret):
            return None
        return Principal(token_id=token.token_id, role=token.role, subject=token.subject)

    def list_tokens(self) -> list[TokenSummary]:
        """Every token ever issued, read from the log by event topic (tokens are few)."""
        topic = get_topic(ApiToken.TokenIssued)  # type: ignore[attr-defined]  # made by @event
        summaries = []
        for notification in self.recorder.select_notifications(start=None, limit=1_000_000, topics=[topic]):
            token = self._token(self.mapper.to_domain_event(notification).__dict__["token_id"])
            summaries.append(TokenSummary(token.token_id, token.role, token.subject, token.issued_at, token.revoked_at))
        return summaries
