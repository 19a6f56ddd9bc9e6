"""What the projection runner and the notification loop need from the outside world.

`projections/` imports nothing from `adapters/` (tests/unit/test_layers.py checks it): the
election and the transports are handed in by the composition points (`interfaces/`), which
wire `adapters.election.Election` and `adapters.transports.TRANSPORTS`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from application.ports import Resolver
from domain.notification_egress import EgressPolicy
from domain.notification_messages import english


class LeaderElection(Protocol):
    """One active runner per database: the others stand by until the holder dies."""

    @property
    def is_leader(self) -> bool: ...

    def try_acquire(self) -> bool:
        """True once this process holds the leadership (asks again if it does not)."""
        ...

    def still_held(self) -> bool:
        """False when the leadership was lost (its connection died)."""
        ...

    def release(self) -> None: ...


@dataclass(frozen=True)
class Sent:
    """What one attempt gave: HTTP status (None when no answer), the answer's start, the error."""

    status: int | None
    body: bytes
    error: str | None
    duration_ms: int


@dataclass(frozen=True)
class SmtpSettings:
    """`KAIZEN_SMTP_HOST`, `_PORT` (25), `_FROM`, `_USER` / `_PASSWORD` (optional),
    `_STARTTLS` (1 to upgrade the connection before logging in)."""

    host: str | None
    port: int = 25
    sender: str = "kaizen-desk@localhost"
    user: str | None = None
    password: str | None = None
    starttls: bool = False
    timeout: float = 10.0
    reply_to: str | None = None
    """`KAIZEN_MAIL_REPLY_TO`: the desk's mailbox address replies go to (default: `sender`)."""

    @classmethod
    def from_env(cls, env: dict[str, str]) -> SmtpSettings:
        return cls(
            host=env.get("KAIZEN_SMTP_HOST") or None,
            port=int(env.get("KAIZEN_SMTP_PORT") or 25),
            sender=env.get("KAIZEN_SMTP_FROM") or "kaizen-desk@localhost",
            user=env.get("KAIZEN_SMTP_USER") or None,
            password=env.get("KAIZEN_SMTP_PASSWORD") or None,
            starttls=(env.get("KAIZEN_SMTP_STARTTLS") or "").lower() in ("1", "true", "yes"),
            reply_to=(env.get("KAIZEN_MAIL_REPLY_TO") or "").strip() or None,
        )


class Post(Protocol):
    def __call__(
        self, url: str, body: bytes, headers: dict[str, str], policy: EgressPolicy, resolver: Resolver, timeout: float
    ) -> Sent:
        """POST `body` to a checked address of `url`'s host; never raises for network trouble."""
        ...


class SendMail(Protocol):
    def __call__(self, settings: SmtpSettings, to: str, subject: str, text: str, headers: dict[str, str]) -> Sent:
        """Send one plain-text message; never raises for network trouble."""
        ...


def english_only(language: str) -> Callable[[str], str]:
    """No catalogue: every notification in English, whatever `language` says."""
    return english


@dataclass(frozen=True)
class Transports:
    """The two ways a notification leaves the building, and the words it goes in:
    `gettext_for(language)` is that language's gettext (`adapters.catalogues`; English when
    not wired, as in tests that fake a transport)."""

    post: Post
    send_mail: SendMail
    gettext_for: Callable[[str], Callable[[str], str]] = english_only
