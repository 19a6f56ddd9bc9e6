"""API tokens as an aggregate: issued and revoked as events, so who could act is auditable.

A console session is opened with a token and belongs to it: signing out records that one
session ended (by a digest of its random id), on the token the console re-reads on every page
anyway, so a replayed cookie is refused in every process at no extra read.

Only a SHA-256 digest of the secret is stored. Tokens carry 256 bits of randomness, so a
fast hash is enough (a slow password hash protects low-entropy secrets, which these are not).

A token may belong to a person (`person`): it then acts with that person's roles as they are at
each request, not with the role it was issued under (`application.tokens`). Tokens issued
before people existed have no `person` in their TokenIssued event and replay as plain tokens.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from datetime import datetime
from uuid import UUID

from eventsourcing.domain import event

from domain.actor import Actor
from domain.base import KaizenAggregate
from domain.errors import InvalidCommand
from domain.keys import named_id

ROLE_PATTERN = re.compile(r"^(reporter|admin|auditor|app|vendor:[a-z0-9][a-z0-9_-]{0,63})$")
TOKEN_PATTERN = re.compile(r"^kz_([0-9a-f]{12})_([A-Za-z0-9_-]{43})$")


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def parse_token(token: str) -> tuple[str, str] | None:
    """Split `kz_<token_id>_<secret>`; None for anything else (never raises on junk)."""
    match = TOKEN_PATTERN.match(token)
    return (match.group(1), match.group(2)) if match else None


class ApiToken(KaizenAggregate):
    @staticmethod
    def create_id(token_id: str) -> UUID:
        return named_id("token", token_id)

    @event("TokenIssued")
    def __init__(
        self,
        token_id: str,
        role: str,
        subject: str,
        secret_digest: str,
        actor: Actor,
        occurred_at: datetime,
        person: str | None = None,
    ) -> None:
        self.token_id = token_id
        self.role = role
        self.subject = subject
        self.person = person
        self.secret_digest = secret_digest
        self.issued_at = occurred_at
        self.revoked_at: datetime | None = None
        self.status = "active"
        self.ended_sessions: dict[str, datetime] = {}

    @classmethod
    def issue(
        cls, role: str, subject: str, actor: Actor, occurred_at: datetime, person: str | None = None
    ) -> tuple[ApiToken, str]:
        """Create a token; the plain token is returned once and never stored.

        With `person`, `subject` is that person's id and `role` only the role they had when the
        token was issued (what `kaizen token list` shows); the token acts with their roles now."""
        if not ROLE_PATTERN.match(role):
            raise InvalidCommand(f"role {role!r} is not one of reporter, admin, auditor, app, vendor:<name>", "role")
        if not subject or not subject.strip() or len(subject) > 200:
            raise InvalidCommand("subject must be a non-empty name of at most 200 characters", "subject")
        if person is not None and person != subject.strip():
            raise InvalidCommand("a person's token names that person as its subject", "subject")
        token_id = secrets.token_hex(6)
        secret = secrets.token_urlsafe(32)
        token = cls(
            token_id=token_id,
            role=role,
            subject=subject.strip(),
            secret_digest=digest(secret),
            actor=actor,
            occurred_at=occurred_at,
            person=person,
        )
        return token, f"kz_{token_id}_{secret}"

    def matches(self, secret: str) -> bool:
        """Constant-time comparison, so timing does not leak how much of a guess was right."""
        return self.revoked_at is None and hmac.compare_digest(self.secret_digest, digest(secret))

    def revoke(self, actor: Actor, occurred_at: datetime) -> None:
        self._require(self.revoked_at is None, "revoke")
        self._revoked(actor=actor, occurred_at=occurred_at)

    @event("TokenRevoked")
    def _revoked(self, actor: Actor, occurred_at: datetime) -> None:
        self.revoked_at = occurred_at
        self.status = "revoked"

    def end_console_session(self, session_digest: str, until: datetime, actor: Actor, occurred_at: datetime) -> None:
        """Sign one console session out; `until` is when its cookie would have expired anyway."""
        if not re.fullmatch(r"[0-9a-f]{64}", session_digest):
            raise InvalidCommand("a console session is named by the SHA-256 digest of its id", "session")
        self._console_session_ended(session_digest=session_digest, until=until, actor=actor, occurred_at=occurred_at)

    @event("ConsoleSessionEnded")
    def _console_session_ended(self, session_digest: str, until: datetime, actor: Actor, occurred_at: datetime) -> None:
        # Sessions whose cookies have expired need no entry any more: the list stays short.
        self.ended_sessions = {d: u for d, u in self.ended_sessions.items() if u > occurred_at}
        self.ended_sessions[session_digest] = until
