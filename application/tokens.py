"""API tokens: issue, revoke, authenticate and list, all from the event log.

A token may belong to a person (`kaizen token create --person ID`): it acts with that person's
primary role as it is now, so a role change applies at the next request and deactivating the
person ends the token at once. A plain token (`--role R --subject S`) whose subject is the id of
a person is that person's too: it keeps its own role, and stops working when they are
deactivated. App tokens act for the employee they name, as before.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError, Recording
from eventsourcing.utils import get_topic

from application.base import DeskBase
from application.context import Context
from application.errors import ConcurrencyExhausted, NotFound
from domain.errors import InvalidCommand
from domain.person import Person, person_id
from domain.token import ApiToken, parse_token


@dataclass(frozen=True)
class Principal:
    """An authenticated caller: which token, with which role, for which subject; `person` is the
    person the token belongs to (their id is then also the subject), None for apps and others."""

    token_id: str
    role: str
    subject: str
    person: str | None = None


@dataclass(frozen=True)
class TokenSummary:
    token_id: str
    role: str
    subject: str
    issued_at: datetime
    revoked_at: datetime | None
    ended_sessions: frozenset[str] = frozenset()  # digests of console sessions signed out
    person: str | None = None  # a person's token (`--person`): the role is theirs at each request


SAVE_ATTEMPTS = 5


@dataclass(frozen=True)
class TokenRead:
    """A token as read, with the person it belongs to as read at the same time (None: it
    belongs to nobody, or to a person who does not exist)."""

    token: ApiToken
    person: Person | None


class TokensRead:
    """Token aggregates (and their people) as this process last read them, with when
    (monotonic seconds).

    Every request authenticates, and on PostgreSQL each read is a round trip, a visible share
    of a command's time (bench/command_path.py). Only tokens that exist are kept (an unknown id is read
    again next time, so a token issued by another process works at once), the secret is
    still checked against the stored digest on every request, and a revocation by this
    process forgets the copy at once, as does any change this process saves to a person
    (a deactivation, a role change). Bounded: tokens are few, but ids arrive from outside.
    """

    MAX_TOKENS = 4096

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._tokens: dict[str, tuple[float, TokenRead]] = {}

    def get(self, token_id: str, fresh_within: float) -> TokenRead | None:
        found = self._tokens.get(token_id)
        if found is None or time.monotonic() - found[0] > fresh_within:
            return None
        return found[1]

    def keep(self, read: TokenRead, read_at: float) -> None:
        with self._lock:
            if len(self._tokens) >= self.MAX_TOKENS:
                self._tokens.clear()
            self._tokens[read.token.token_id] = (read_at, read)

    def forget(self, token_id: str) -> None:
        with self._lock:
            self._tokens.pop(token_id, None)

    def forget_person(self, person: str) -> None:
        """Every kept token of this person (by `--person` or by subject)."""
        with self._lock:
            for token_id in [t for t, (_, read) in self._tokens.items() if _person_of(read.token) == person]:
                del self._tokens[token_id]


def _person_of(token: ApiToken) -> str | None:
    """The id of the person a token may belong to: its `person`, or a subject shaped like one
    (app tokens name an app, never a person)."""
    if token.person is not None:
        return token.person
    if token.role == "app":
        return None
    try:
        return person_id(token.subject)
    except InvalidCommand:
        return None


class TokenCommands(DeskBase):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._tokens_read = TokensRead()
        super().__init__(*args, **kwargs)

    def save(self, *objs: Any, **kwargs: Any) -> list[Recording[UUID]]:
        """Save, and forget this process's copies of the tokens of every person saved: a
        deactivation or role change made here applies to their tokens at the next request."""
        recordings = super().save(*objs, **kwargs)
        for obj in objs:
            if isinstance(obj, Person):
                self._tokens_read.forget_person(obj.person_id)
        return recordings

    def issue_token(self, ctx: Context, role: str, subject: str) -> tuple[str, str]:
        """Return (token_id, plain token). The plain token is not stored anywhere."""
        token, plain = ApiToken.issue(role, subject, ctx.actor, self.now(ctx))
        self.save(token)
        return token.token_id, plain

    def issue_person_token(self, ctx: Context, person: str) -> tuple[str, str]:
        """A token that acts as `person`, with their roles at each request (their role now is
        recorded only to show in `kaizen token list`). Only an active person gets one."""
        try:
            found: Any = self.repository.get(Person.create_id(person_id(person, "person")))
        except AggregateNotFoundError:
            raise InvalidCommand(f"person {person} does not exist", "person") from None
        if not isinstance(found, Person) or not found.active:
            raise InvalidCommand(f"person {person} is not an active person", "person")
        token, plain = ApiToken.issue(found.role, found.person_id, ctx.actor, self.now(ctx), person=found.person_id)
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
            token.person,
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

        `fresh_within` > 0 accepts the token (and its person) as read from the store up to that
        many seconds ago, so a revocation or deactivation made by another process takes effect
        within that time (one made by this process, at once).
        """
        parsed = parse_token(presented)
        if parsed is None:
            return None
        token_id, secret = parsed
        read = self._tokens_read.get(token_id, fresh_within) if fresh_within > 0 else None
        if read is None:
            read_at = time.monotonic()
            try:
                token = self._token(token_id)
            except NotFound:
                return None
            read = TokenRead(token, self._token_person(token))
            if fresh_within > 0:
                self._tokens_read.keep(read, read_at)
        token, person = read.token, read.person
        if not token.matches(secret):
            return None
        if token.person is not None:  # a person's token: their role now, or nothing
            if person is None or not person.active:
                return None
            return Principal(token.token_id, person.role, person.person_id, person.person_id)
        if person is not None:  # a plain token whose subject is a person: its own role, while they are active
            return Principal(token.token_id, token.role, token.subject, person.person_id) if person.active else None
        return Principal(token_id=token.token_id, role=token.role, subject=token.subject)

    def _token_person(self, token: ApiToken) -> Person | None:
        """The person the token belongs to, read now (None when there is none)."""
        person = _person_of(token)
        if person is None:
            return None
        try:
            found: Any = self.repository.get(Person.create_id(person))
        except AggregateNotFoundError:
            return None
        return found if isinstance(found, Person) else None

    def list_tokens(self) -> list[TokenSummary]:
        """Every token ever issued, read from the log by event topic (tokens are few)."""
        topic = get_topic(ApiToken.TokenIssued)  # type: ignore[attr-defined]  # made by @event
        summaries = []
        for notification in self.recorder.select_notifications(start=None, limit=1_000_000, topics=[topic]):
            token = self._token(self.mapper.to_domain_event(notification).__dict__["token_id"])
            summaries.append(
                TokenSummary(
                    token.token_id, token.role, token.subject, token.issued_at, token.revoked_at, person=token.person
                )
            )
        return summaries
