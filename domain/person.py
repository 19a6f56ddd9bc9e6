"""A person who signs in: who they are, what they may do, and every sign-in, as events.

Roles, group memberships, deactivation, passwords and sign-ins are all facts on the person, so
"who had admin rights on 3 March" is answered by time travel like any issue, and a lock-out or a
refused sign-in is in the audit trail. Only hashes of secrets are kept: the Argon2id hash of the
password (`application.passwords` makes it) and a SHA-256 digest of each one-time link (links
carry 256 random bits, so a fast hash is enough, as for tokens).

Console sessions are named by a digest of their random id. A session is valid while the person
is active, it began since the last password reset (`sessions_generation`, counted up by every
reset, so it does not depend on clocks agreeing), and it was not signed out (`ended_sessions`,
kept only until the cookie would expire by itself).
"""

from __future__ import annotations

import hmac
import re
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from eventsourcing.domain import event

from domain.actor import Actor
from domain.base import KaizenAggregate
from domain.errors import InvalidCommand
from domain.keys import named_id
from domain.notification_rules import EMAIL
from domain.values import identifier, optional_identifier

PERSON_ID = re.compile(r"^[a-z0-9._-]{2,64}$")
PERSON_ROLE = re.compile(r"^(reporter|admin|auditor|vendor:[a-z0-9][a-z0-9_-]{0,63})$")
LANGUAGES = ("en", "zh-Hans", "zh-Hant", "id", "vi")
DIGEST = re.compile(r"^[0-9a-f]{64}$")
INVITATION_LIFETIME = timedelta(hours=72)
LOCKOUT_FAILURES = 5
LOCKOUT_WINDOW = timedelta(minutes=15)
LOCKOUT_DURATION = timedelta(minutes=15)
SIGN_IN_METHODS = ("password", "sso", "token")
# The strongest role decides what the person may do (an admin who also reports acts as admin).
ROLE_PRECEDENCE = ("admin", "auditor", "vendor", "reporter")


def person_id(value: object, field: str = "id") -> str:
    if not isinstance(value, str) or not PERSON_ID.match(value):
        raise InvalidCommand(f"{field} must be 2 to 64 of a-z, 0-9, '.', '_' or '-' (like ada.wong)", field)
    return value


def email_address(value: object, field: str = "email") -> str:
    if not isinstance(value, str) or len(value) > 254 or not EMAIL.match(value):
        raise InvalidCommand(f"{field} must be an e-mail address like ada.wong@example.com", field)
    return value


def person_roles(value: object, field: str = "roles") -> list[str]:
    if not isinstance(value, list | tuple) or not value:
        raise InvalidCommand(f"{field} must list at least one role", field)
    roles: list[str] = []
    for role in value:
        if not isinstance(role, str) or not PERSON_ROLE.match(role):
            raise InvalidCommand(f"role {role!r} is not one of reporter, admin, auditor, vendor:<slug>", field)
        if role not in roles:
            roles.append(role)
    return roles


def language(value: object, field: str = "language") -> str:
    if value not in LANGUAGES:
        raise InvalidCommand(f"{field} must be one of {', '.join(LANGUAGES)}", field)
    return str(value)


@lru_cache(maxsize=1)
def _zones() -> frozenset[str]:
    return frozenset(available_timezones()) | {"UTC"}


def time_zone(value: object, field: str = "time_zone") -> str:
    if not isinstance(value, str) or value not in _zones():
        raise InvalidCommand(f"{field} must be an IANA time zone like Asia/Hong_Kong", field)
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise InvalidCommand(f"{field} must be an IANA time zone like Asia/Hong_Kong", field) from None
    return value


def primary_role(roles: list[str]) -> str:
    """The one role a person acts with (events record one role per actor)."""
    for family in ROLE_PRECEDENCE:
        for role in roles:
            if role == family or role.startswith(f"{family}:"):
                return role
    return roles[0]


PROFILE_FIELDS = ("name", "email", "site", "language", "time_zone")


def profile_changes(changes: dict[str, Any]) -> dict[str, Any]:
    """Validate a partial profile; unknown fields are the caller's mistake."""
    checked: dict[str, Any] = {}
    for field, value in changes.items():
        if field == "name":
            checked[field] = identifier(value, "name", 200)
        elif field == "email":
            checked[field] = email_address(value)
        elif field == "site":
            checked[field] = optional_identifier(value or None, "site", 100)
        elif field == "language":
            checked[field] = language(value)
        elif field == "time_zone":
            checked[field] = time_zone(value)
        else:
            raise InvalidCommand(f"{field} is not part of a person's profile", field)
    return checked


class Person(KaizenAggregate):
    @staticmethod
    def create_id(person_id: str) -> UUID:
        return named_id("person", person_id)

    @classmethod
    def enrol(
        cls,
        person: str,
        *,
        name: str,
        email: str,
        roles: list[str],
        groups: list[str],
        site: str | None,
        language_code: str,
        zone: str,
        actor: Actor,
        occurred_at: datetime,
    ) -> Person:
        profile = profile_changes(
            {"name": name, "email": email, "site": site, "language": language_code, "time_zone": zone}
        )
        return cls(
            person_id=person_id(person),
            name=profile["name"],
            email=profile["email"],
            roles=person_roles(roles),
            groups=sorted(set(groups)),
            site=profile["site"],
            language=profile["language"],
            time_zone=profile["time_zone"],
            actor=actor,
            occurred_at=occurred_at,
        )

    @event("Created")
    def __init__(
        self,
        person_id: str,
        name: str,
        email: str,
        roles: list[str],
        groups: list[str],
        site: str | None,
        language: str,
        time_zone: str,
        actor: Actor,
        occurred_at: datetime,
    ) -> None:
        self.person_id = person_id
        self.name = name
        self.email = email
        self.roles = list(roles)
        self.groups = list(groups)
        self.site = site
        self.language = language
        self.time_zone = time_zone
        self.active = True
        self.status = "active"
        self.created_at = occurred_at
        self.password_hash: str | None = None
        self.invitation: dict[str, Any] | None = None  # {"digest", "expires_at"}
        self.failures: list[datetime] = []
        self.locked_until: datetime | None = None
        self.last_signed_in_at: datetime | None = None
        self.sessions_generation = 0
        self.ended_sessions: dict[str, datetime] = {}

    # -- what the person is --------------------------------------------------------------------
    @property
    def key(self) -> str:
        return self.person_id

    @property
    def role(self) -> str:
        return primary_role(self.roles)

    @property
    def actor(self) -> Actor:
        return Actor(id=self.person_id, role=self.role)

    @property
    def is_vendor(self) -> bool:
        return any(role.startswith("vendor:") for role in self.roles)

    def change_profile(self, changes: dict[str, Any], actor: Actor, occurred_at: datetime) -> None:
        checked = {k: v for k, v in profile_changes(changes).items() if getattr(self, k) != v}
        if checked:
            self._profile_changed(changes=checked, actor=actor, occurred_at=occurred_at)

    @event("ProfileChanged")
    def _profile_changed(self, changes: dict[str, Any], actor: Actor, occurred_at: datetime) -> None:
        for field, value in changes.items():
            setattr(self, field, value)

    def change_roles(self, roles: list[str], actor: Actor, occurred_at: datetime) -> None:
        self._require(self.active, "change the roles of")
        checked = person_roles(roles)
        if checked != self.roles:
            self._roles_changed(roles=checked, previous=list(self.roles), actor=actor, occurred_at=occurred_at)

    @event("RolesChanged")
    def _roles_changed(self, roles: list[str], previous: list[str], actor: Actor, occurred_at: datetime) -> None:
        self.roles = list(roles)

    def move_to_groups(self, groups: list[str], actor: Actor, occurred_at: datetime) -> None:
        """The groups the person now belongs to (the Group aggregates are saved alongside)."""
        wanted = sorted(set(groups))
        if wanted != self.groups:
            self._moved_to_groups(groups=wanted, previous=list(self.groups), actor=actor, occurred_at=occurred_at)

    @event("MovedToGroups")
    def _moved_to_groups(self, groups: list[str], previous: list[str], actor: Actor, occurred_at: datetime) -> None:
        self.groups = list(groups)

    def deactivate(self, actor: Actor, occurred_at: datetime) -> None:
        """Ends every session and token of the person at once: both check `active` on use."""
        self._require(self.active, "deactivate")
        self._deactivated(actor=actor, occurred_at=occurred_at)

    @event("Deactivated")
    def _deactivated(self, actor: Actor, occurred_at: datetime) -> None:
        self.active = False
        self.status = "deactivated"
        self.sessions_generation += 1
        self.invitation = None

    # -- passwords and one-time links ------------------------------------------------------------
    def invite(self, link_digest: str, actor: Actor, occurred_at: datetime) -> None:
        """A one-time link to set a password (the first one, at creation)."""
        self._require(self.active, "invite")
        self._invited(
            link_digest=_digest(link_digest),
            expires_at=occurred_at + INVITATION_LIFETIME,
            actor=actor,
            occurred_at=occurred_at,
        )

    @event("Invited")
    def _invited(self, link_digest: str, expires_at: datetime, actor: Actor, occurred_at: datetime) -> None:
        self.invitation = {"digest": link_digest, "expires_at": expires_at}

    def reset_password(self, link_digest: str, actor: Actor, occurred_at: datetime) -> None:
        """The old password stops working and every session ends; a new link sets a new one."""
        self._require(self.active, "reset the password of")
        self._password_reset(
            link_digest=_digest(link_digest),
            expires_at=occurred_at + INVITATION_LIFETIME,
            actor=actor,
            occurred_at=occurred_at,
        )

    @event("PasswordReset")
    def _password_reset(self, link_digest: str, expires_at: datetime, actor: Actor, occurred_at: datetime) -> None:
        self.password_hash = None
        self.invitation = {"digest": link_digest, "expires_at": expires_at}
        self.sessions_generation += 1
        self.failures = []
        self.locked_until = None

    def invitation_open(self, link_digest: str, now: datetime) -> bool:
        """Whether this link may still set the password (one use, 72 hours)."""
        found = self.invitation
        return (
            self.active
            and found is not None
            and found["expires_at"] > now
            and hmac.compare_digest(str(found["digest"]), link_digest)
        )

    def set_password(self, link_digest: str, password_hash: str, actor: Actor, occurred_at: datetime) -> None:
        if not self.invitation_open(link_digest, occurred_at):
            raise InvalidCommand("this link has expired or was already used; ask an administrator for a new one")
        if not password_hash.startswith("$argon2id$"):
            raise InvalidCommand("a password is stored only as an Argon2id hash", "password")
        self._password_set(password_hash=password_hash, actor=actor, occurred_at=occurred_at)

    @event("PasswordSet")
    def _password_set(self, password_hash: str, actor: Actor, occurred_at: datetime) -> None:
        self.password_hash = password_hash
        self.invitation = None
        self.failures = []
        self.locked_until = None

    # -- signing in ------------------------------------------------------------------------------
    def is_locked(self, now: datetime) -> bool:
        return self.locked_until is not None and self.locked_until > now

    def record_sign_in(self, method: str, actor: Actor, occurred_at: datetime) -> None:
        self._require(self.active, "sign in as")
        if method not in SIGN_IN_METHODS:
            raise InvalidCommand(f"method must be one of {', '.join(SIGN_IN_METHODS)}", "method")
        self._signed_in(method=method, actor=actor, occurred_at=occurred_at)

    @event("SignedIn")
    def _signed_in(self, method: str, actor: Actor, occurred_at: datetime) -> None:
        self.last_signed_in_at = occurred_at
        self.failures = []

    def refuse_sign_in(self, reason: str, method: str, actor: Actor, occurred_at: datetime) -> None:
        """Record a refused attempt; the fifth failure within 15 minutes locks for 15 minutes."""
        if reason not in ("wrong_password", "locked", "deactivated", "no_password"):
            raise InvalidCommand("reason must name why the sign-in was refused", "reason")
        self._sign_in_refused(reason=reason, method=method, actor=actor, occurred_at=occurred_at)

    @event("SignInRefused")
    def _sign_in_refused(self, reason: str, method: str, actor: Actor, occurred_at: datetime) -> None:
        if reason == "locked":
            return  # an attempt while locked does not extend the lock
        recent = [at for at in self.failures if at > occurred_at - LOCKOUT_WINDOW]
        recent.append(occurred_at)
        self.failures = recent
        if len(recent) >= LOCKOUT_FAILURES:
            self.locked_until = occurred_at + LOCKOUT_DURATION
            self.failures = []

    # -- console sessions -------------------------------------------------------------------------
    def session_valid(self, session_digest: str, generation: int) -> bool:
        return self.active and generation == self.sessions_generation and session_digest not in self.ended_sessions

    def end_session(self, session_digest: str, until: datetime, actor: Actor, occurred_at: datetime) -> None:
        """Sign one console session out; `until` is when its cookie would have expired anyway."""
        self._session_ended(session_digest=_digest(session_digest), until=until, actor=actor, occurred_at=occurred_at)

    @event("SessionEnded")
    def _session_ended(self, session_digest: str, until: datetime, actor: Actor, occurred_at: datetime) -> None:
        self.ended_sessions = {d: u for d, u in self.ended_sessions.items() if u > occurred_at}
        self.ended_sessions[session_digest] = until


def _digest(value: str) -> str:
    if not DIGEST.match(value):
        raise InvalidCommand("a secret is recorded only as its SHA-256 digest")
    return value
