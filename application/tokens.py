"""API tokens: issue, revoke, authenticate and list, all from the event log."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError
from eventsourcing.utils import get_topic

from application.base import DeskBase
from application.context import Context
from application.errors import ConcurrencyExhausted, NotFound
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
    ended_sessions: frozenset[str] = frozenset()  # digests of console sessions signed out


SAVE_ATTEMPTS = 5


class TokensRead:
    """Token aggregates as this process last read them, with when (monotonic seconds).

    Every request authenticates, and on PostgreSQL each read is a round trip, a visible share
    of a command's time (bench/command_path.py). Only tokens that exist are kept (an unknown id is read
    again next time, so a token issued by another process works at once), the secret is
    still checked against the stored digest on every request, and a revocation by this
    process forgets the copy at once. Bounded: tokens are few, but ids arrive from outside.
    """

    MAX_TOKENS = 4096

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._tokens: dict[str, tuple[float, ApiToken]] = {}

    def get(self, token_id: str, fresh_within: float) -> ApiToken | None:
        found = self._tokens.get(token_id)
        if found is None or time.monotonic() - found[0] > fresh_within:
            return None
        return found[1]

    def keep(self, token: ApiToken, read_at: float) -> None:
        with self._lock:
            if len(self._tokens) >= self.MAX_TOKENS:
                self._tokens.clear()
            self._tokens[token.token_id] = (read_at, token)

    def forget(self, token_id: str) -> None:
        with self._lock:
            self._tokens.pop(token_id, None)


class TokenCommands(DeskBase):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._tokens_read = TokensRead()
        super().__init__(*args, **kwargs)

    def issue_token(self, ctx: Context, role: str, subject: str) -> tuple[str, str]:
        """Return (token_id, plain token). The plain token is not stored anywhere."""
        token, plain = ApiToken.issue(role, subject, ctx.actor, self.now(ctx))
        self.save(token)
        return token.token_id, plain

    def revoke_token(self, ctx: Context, token_id: str) -> None:
        token = self._token(token_id)
        token.revoke(ctx.actor, self.now(ctx))
        self.save(token)
        self._tokens_read.forget(token_id)

    def token_status(self, token_id: str) -> TokenSummary:
        """A token's role, subject, revocation and ended console sessions, by its public id
        (never by its secret): read from the store, so what another process did counts at once."""
        token = self._token(token_id)
        return TokenSummary(
            token.token_id,
            token.role,
            token.subject,
            token.issued_at,
            token.revoked_at,
            frozenset(token.ended_sessions),
        )

    def end_console_session(self, ctx: Context, token_id: str, session_digest: str, until: datetime) -> None:
        """Sign out one console session opened with this token, in every process (see domain.token)."""

        for _ in range(SAVE_ATTEMPTS):  # another sign-out of the same token may save first
            token = self._token(token_id)
            token.end_console_session(session_digest, until, ctx.actor, self.now(ctx))
            try:
                self.save(token)
                return
            except IntegrityError:
                continue
        raise ConcurrencyExhausted("too many concurrent sign-outs; retry")

    def _token(self, token_id: str) -> ApiToken:
        try:
            token: Any = self.repository.get(ApiToken.create_id(token_id))
        except AggregateNotFoundError:
            raise NotFound(f"token {token_id} was not found") from None
        assert isinstance(token, ApiToken)
        return token

    def authenticate(self, presented: str, fresh_within: float = 0.0) -> Principal | None:
        """The principal for a bearer token, or None; never says which part was wrong.

        `fresh_within` > 0 accepts the token as read from the store up to that many seconds
        ago, so a revocation made by another process takes effect within that time.
        """
        parsed = parse_token(presented)
        if parsed is None:
            return None
        token_id, secret = parsed
        token = self._tokens_read.get(token_id, fresh_within) if fresh_within > 0 else None
        if token is None:
            read_at = time.monotonic()
            try:
                token = self._token(token_id)
            except NotFound:
                return None
            if fresh_within > 0:
                self._tokens_read.keep(token, read_at)
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
