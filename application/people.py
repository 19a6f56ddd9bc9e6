"""People and groups: enrolment, roles, memberships, one-time links, sign-in and sessions.

Every write saves the person, the groups whose membership changes and the directory together,
in one atomic append, so membership is never half-recorded and ids and e-mail addresses stay
unique under concurrency (see domain.directory). Sign-ins are events on the person (who signed in
when, and which attempts were refused), so a lock-out holds in every process on either store.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError

from application.context import Context, Receipt
from application.errors import ConcurrencyExhausted, NotFound, SignInRefused, StaleVersion
from application.passwords import hash_password, password_matches
from application.reading import Reading
from domain.access import (
    authorise_people_admin,
    authorise_people_list,
    authorise_person_change,
    authorise_person_read,
)
from domain.actor import SYSTEM, Actor
from domain.directory import DIRECTORY_ID, Directory
from domain.errors import InvalidCommand
from domain.group import Group, group_members
from domain.passwords import check_password
from domain.person import LOCKOUT_DURATION, LOCKOUT_FAILURES, LOCKOUT_WINDOW, PROFILE_FIELDS, Person, person_id

WRONG_CREDENTIALS = "The login or the password is not right."
LOCKED = "Too many failed sign-ins: this account is locked for 15 minutes. Try again later."
SSO_UNKNOWN = "No active person in Kaizen Desk has this e-mail address; ask an administrator to add you."
SSO_UNVERIFIED = "Your identity provider did not confirm this e-mail address, so it cannot sign you in."
SAVE_ATTEMPTS = 8
PERSON_FIELDS = frozenset({*PROFILE_FIELDS, "roles", "groups"})
GROUP_FIELDS = frozenset({"name", "members"})


def link_digest(secret: str) -> str:
    """What is stored of a one-time link: its SHA-256 (the link has 256 random bits)."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def invitation_path(person: str, secret: str) -> str:
    """The console page that sets a password; the interface puts its own address in front."""
    return f"/console/invitations/{person}/{secret}"


@dataclass(frozen=True)
class Enrolment:
    """A command's answer that comes with a one-time link (shown once, never stored)."""

    receipt: Receipt
    person: Person
    invitation_path: str


class UnknownLogins:
    """Failed attempts for logins that name nobody, kept in this process only.

    They lock out exactly like real accounts, so the answer after five tries does not tell an
    attacker which logins exist; nothing about them is stored (the log is forever, and attackers
    would choose what it holds). Bounded: logins arrive from outside.
    """

    MAX = 10_000

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._failures: dict[str, list[float]] = {}

    def locked(self, login: str) -> bool:
        now = time.monotonic()
        recent = [t for t in self._failures.get(login, []) if t > now - LOCKOUT_DURATION.total_seconds()]
        return len(recent) >= LOCKOUT_FAILURES

    def fail(self, login: str) -> None:
        now = time.monotonic()
        with self._lock:
            if len(self._failures) >= self.MAX:
                self._failures.clear()
            recent = [t for t in self._failures.get(login, []) if t > now - LOCKOUT_WINDOW.total_seconds()]
            self._failures[login] = [*recent, now]


class PeopleCommands(Reading):
    """Built on `Reading` for time travel: a person as they were at a past time."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._unknown_logins = UnknownLogins()
        super().__init__(*args, **kwargs)

    # -- reading ------------------------------------------------------------------------------
    def _directory(self) -> Directory | None:
        try:
            found: Any = self.repository.get(DIRECTORY_ID)
        except AggregateNotFoundError:
            return None
        assert isinstance(found, Directory)
        return found

    def _person(self, person: str, version: int | None = None) -> Person:
        try:
            checked = person_id(person)
        except InvalidCommand:
            raise NotFound(f"person {person} was not found") from None
        return self._load(Person.create_id(checked), Person, f"person {person}", version)

    def _group(self, group: str) -> Group:
        try:
            checked = person_id(group)
        except InvalidCommand:
            raise NotFound(f"group {group} was not found") from None
        return self._load(Group.create_id(checked), Group, f"group {group}")

    def get_person(
        self,
        actor: Actor,
        person: str,
        version: int | None = None,
        as_of: datetime | None = None,
        axis: str = "recorded",
    ) -> Person:
        """One person as the caller may see them (themself, or anyone for admins and auditors),
        now, at a version, or as recorded at a past time ("who had admin rights on 3 March")."""
        authorise_person_read(actor, person)
        if as_of is not None:
            version = self.version_of_as_of(self._checked_id(person), f"person {person}", as_of, axis)
        return self._person(person, version)

    def person_now(self, person: str) -> Person | None:
        """The person as stored now, or None: what a console session re-reads on every page."""
        try:
            return self._person(person)
        except NotFound:
            return None

    def list_people(self, actor: Actor) -> list[Person]:
        authorise_people_list(actor)
        directory = self._directory()
        return [self._person(p) for p in sorted(directory.people)] if directory else []

    def get_group(self, group: str) -> Group:
        return self._group(group)

    def list_groups(self) -> list[Group]:
        directory = self._directory()
        return [self._group(g) for g in sorted(directory.groups)] if directory else []

    def person_by_login(self, login: str) -> Person | None:
        """By id or by e-mail address (case does not matter for either)."""
        login = login.strip().lower()
        found = self._directory()
        if found is None:
            return None
        person = login if login in found.people else found.person_by_email(login)
        return self.person_now(person) if person else None

    def is_assignable(self, name: str) -> bool:
        """An active person or a group: what triage and assign accept as an assignee."""
        person = self.person_now(name)
        if person is not None:
            return person.active
        try:
            self._group(name)
        except NotFound:
            return False
        return True

    def check_assignee(self, assignee: str | None) -> None:
        if assignee and not self.is_assignable(assignee):
            raise InvalidCommand(f"assignee {assignee!r} is not an active person or a group", "assignee")

    # -- people -------------------------------------------------------------------------------
    def create_person(
        self,
        ctx: Context,
        person: str,
        *,
        name: str,
        email: str,
        roles: list[str],
        groups: Iterable[str] = (),
        site: str | None = None,
        language: str = "en",
        time_zone: str = "UTC",
    ) -> Enrolment:
        authorise_people_admin(ctx.actor, "add people")
        secret = secrets.token_urlsafe(32)
        wanted = sorted(set(groups))

        def attempt() -> Receipt:
            now = self.now(ctx)
            directory = self._directory() or Directory(actor=SYSTEM, occurred_at=now)
            member_of = [self._existing_group(g) for g in wanted]
            created = Person.enrol(
                person,
                name=name,
                email=email,
                roles=roles,
                groups=wanted,
                site=site,
                language_code=language,
                zone=time_zone,
                actor=ctx.actor,
                occurred_at=now,
            )
            directory.list_person(created.person_id, created.email, ctx.actor, now)
            created.invite(link_digest(secret), ctx.actor, now)
            for group in member_of:
                group.add_member(created.person_id, None, ctx.actor, now)
            return self._commit(ctx, created, directory, *member_of, kind="person", created=True)

        receipt = self._retrying(ctx, attempt)
        return Enrolment(receipt, receipt.aggregate or self._person(person), invitation_path(person, secret))

    def _existing_group(self, group: str) -> Group:
        try:
            return self._group(group)
        except NotFound:
            raise InvalidCommand(f"group {group} does not exist", "groups") from None

    def update_person(self, ctx: Context, person: str, changes: dict[str, Any]) -> Receipt:
        """Profile, roles and groups; an admin changes anything, a person their own profile."""
        unknown = sorted(set(changes) - PERSON_FIELDS)
        if unknown:
            raise InvalidCommand(f"{unknown[0]} cannot be changed here", unknown[0])
        authorise_person_change(ctx.actor, person, set(changes))

        def attempt() -> Receipt:
            now = self.now(ctx)
            target = self._person(person)
            if ctx.expected_version is not None and target.version != ctx.expected_version:
                raise StaleVersion(ctx.expected_version, target.version)
            others: list[Any] = []
            profile = {k: v for k, v in changes.items() if k in PROFILE_FIELDS}
            if "email" in profile and profile["email"] != target.email:
                directory = self._directory()
                assert directory is not None  # a person exists, so the directory does
                target.change_profile({"email": profile["email"]}, ctx.actor, now)
                directory.change_email(person, target.email, ctx.actor, now)
                others.append(directory)
            target.change_profile(profile, ctx.actor, now)
            if "roles" in changes:
                target.change_roles(list(changes["roles"] or []), ctx.actor, now)
            if "groups" in changes:
                others.extend(self._move(target, list(changes["groups"] or []), ctx.actor, now))
            return self._commit(ctx, target, *others, kind="person")

        return self._retrying(ctx, attempt)

    def _move(self, target: Person, groups: list[str], actor: Actor, now: datetime) -> list[Group]:
        wanted, before = set(groups), set(target.groups)
        changed = [self._existing_group(g) for g in sorted(wanted ^ before)]
        for group in changed:
            if group.group_id in wanted:
                group.add_member(target.person_id, None, actor, now)
            else:
                group.remove_member(target.person_id, actor, now)
        target.move_to_groups(sorted(wanted), actor, now)
        return changed

    def deactivate_person(self, ctx: Context, person: str) -> Receipt:
        authorise_people_admin(ctx.actor, "deactivate people")
        return self._change(
            ctx, self._checked_id(person), Person, f"person {person}", "person",
            lambda p: p.deactivate(ctx.actor, self.now(ctx)),
        )  # fmt: skip

    def reset_person(self, ctx: Context, person: str) -> Enrolment:
        authorise_people_admin(ctx.actor, "reset passwords")
        secret = secrets.token_urlsafe(32)
        receipt = self._change(
            ctx, self._checked_id(person), Person, f"person {person}", "person",
            lambda p: p.reset_password(link_digest(secret), ctx.actor, self.now(ctx)),
        )  # fmt: skip
        return Enrolment(receipt, receipt.aggregate, invitation_path(person, secret))

    def _checked_id(self, person: str) -> Any:
        try:
            return Person.create_id(person_id(person))
        except InvalidCommand:
            raise NotFound(f"person {person} was not found") from None

    # -- one-time links -----------------------------------------------------------------------
    def open_invitation(self, person: str, secret: str) -> Person | None:
        """The person a link may set a password for, or None (unknown, used or expired)."""
        found = self.person_now(person)
        if found is None or not found.invitation_open(link_digest(secret), self.clock()):
            return None
        return found

    def accept_invitation(self, person: str, secret: str, password: str, password_confirm: str) -> Person:
        """Set the password with a one-time link; the link stops working at once."""
        found = self.open_invitation(person, secret)
        if found is None:
            raise InvalidCommand("this link has expired or was already used; ask an administrator for a new one")
        if password != password_confirm:
            raise InvalidCommand("the two passwords are not the same", "password_confirm")
        check_password(password, login=found.person_id, email=found.email)
        hashed = hash_password(password)
        return self._on_person(person, lambda p: p.set_password(link_digest(secret), hashed, p.actor, self.clock()))

    # -- signing in ---------------------------------------------------------------------------
    def sign_in_with_password(self, login: str, password: str) -> Person:
        """The person, with the sign-in recorded; SignInRefused says the same for any wrong login."""
        now = self.clock()
        typed = login.strip().lower()[:254]
        found = self.person_by_login(typed) if typed else None
        if found is None:
            if self._unknown_logins.locked(typed):
                raise SignInRefused(LOCKED, locked=True)
            password_matches(None, password)  # the same work as for a real account
            self._unknown_logins.fail(typed)
            locked = self._unknown_logins.locked(typed)
            raise SignInRefused(LOCKED if locked else WRONG_CREDENTIALS, locked=locked)
        if found.is_locked(now):
            self._on_person(found.person_id, lambda p: p.refuse_sign_in("locked", "password", SYSTEM, now))
            raise SignInRefused(LOCKED, locked=True)
        if not password_matches(found.password_hash, password[:1024]) or not found.active:
            reason = "wrong_password" if found.password_hash else "no_password"
            if not found.active:
                reason = "deactivated"
            after = self._on_person(found.person_id, lambda p: p.refuse_sign_in(reason, "password", SYSTEM, now))
            raise SignInRefused(LOCKED if after.is_locked(now) else WRONG_CREDENTIALS, locked=after.is_locked(now))
        return self._on_person(found.person_id, lambda p: p.record_sign_in("password", p.actor, now))

    def sign_in_with_sso(self, email: str, name: str | None, auto_create: str | None) -> Person:
        """A person matched by the identity provider's verified e-mail address.

        `auto_create="reporter"` enrols an unknown address as a reporter (a new person's id is
        made from the address); otherwise an unknown address is refused.
        """
        now = self.clock()
        found = self.person_by_login(email)
        if found is None and auto_create == "reporter":
            found = self._enrol_from_sso(email, name).person
        if found is None or not found.active:
            raise SignInRefused(SSO_UNKNOWN)
        if found.is_locked(now):
            raise SignInRefused(LOCKED, locked=True)
        return self._on_person(found.person_id, lambda p: p.record_sign_in("sso", p.actor, now))

    def _enrol_from_sso(self, email: str, name: str | None) -> Enrolment:
        local = "".join(c if c.isascii() and (c.isalnum() or c in "._-") else "." for c in email.split("@")[0].lower())
        base = (local.strip(".") or "person")[:56].ljust(2, "x")
        directory = self._directory()
        candidate, n = base, 1
        while directory is not None and directory.knows(candidate):
            n += 1
            candidate = f"{base}.{n}"
        return self.create_person(
            Context(SYSTEM),
            candidate,
            name=(name or "").strip()[:200] or email,
            email=email,
            roles=["reporter"],
        )

    def sign_in_with_token(self, person: str) -> Person:
        """Record a console sign-in made by pasting a person's token (the admins' fallback)."""
        now = self.clock()
        return self._on_person(person, lambda p: p.record_sign_in("token", p.actor, now))

    def end_person_session(self, ctx: Context, person: str, session_digest: str, until: datetime) -> None:
        """Sign one console session out, in every process (see domain.person)."""
        self._on_person(person, lambda p: p.end_session(session_digest, until, ctx.actor, self.now(ctx)))

    def _on_person(self, person: str, change: Callable[[Person], None]) -> Person:
        """Load, change, save; a concurrent write to the same person is retried on fresh state."""
        for _ in range(SAVE_ATTEMPTS):
            found = self._person(person)
            change(found)
            try:
                self.save(found)
                return found
            except IntegrityError:
                continue
        raise ConcurrencyExhausted("too many concurrent changes to this person; retry")

    # -- groups -------------------------------------------------------------------------------
    def create_group(
        self,
        ctx: Context,
        group: str,
        *,
        name: str,
        kind: str,
        vendor: str | None = None,
        members: list[Any] | None = None,
    ) -> Receipt:
        authorise_people_admin(ctx.actor, "add groups")
        wanted = group_members(members or [])

        def attempt() -> Receipt:
            now = self.now(ctx)
            directory = self._directory() or Directory(actor=SYSTEM, occurred_at=now)
            formed = Group.form(group, name=name, kind=kind, vendor=vendor, actor=ctx.actor, occurred_at=now)
            directory.list_group(formed.group_id, ctx.actor, now)
            people = [self._member(p) for p in wanted]
            for person in people:
                formed.add_member(person.person_id, wanted[person.person_id], ctx.actor, now)
                person.move_to_groups([*person.groups, formed.group_id], ctx.actor, now)
            return self._commit(ctx, formed, directory, *people, kind="group", created=True)

        return self._retrying(ctx, attempt)

    def update_group(self, ctx: Context, group: str, changes: dict[str, Any]) -> Receipt:
        """Rename, or give the full list of members (with duties): who joins and who leaves."""
        authorise_people_admin(ctx.actor, "change groups")
        unknown = sorted(set(changes) - GROUP_FIELDS)
        if unknown:
            raise InvalidCommand(f"{unknown[0]} cannot be changed here", unknown[0])
        wanted = group_members(changes["members"]) if "members" in changes else None

        def attempt() -> Receipt:
            now = self.now(ctx)
            target = self._group(group)
            if ctx.expected_version is not None and target.version != ctx.expected_version:
                raise StaleVersion(ctx.expected_version, target.version)
            if "name" in changes:
                target.rename(changes["name"], ctx.actor, now)
            people: list[Person] = []
            if wanted is not None:
                for leaving in sorted(set(target.members) - set(wanted)):
                    person = self._person(leaving)
                    target.remove_member(leaving, ctx.actor, now)
                    person.move_to_groups([g for g in person.groups if g != target.group_id], ctx.actor, now)
                    people.append(person)
                for joining, duty in wanted.items():
                    person = self._member(joining)
                    target.add_member(joining, duty, ctx.actor, now)
                    person.move_to_groups([*person.groups, target.group_id], ctx.actor, now)
                    if person.pending_events:
                        people.append(person)
            return self._commit(ctx, target, *people, kind="group")

        return self._retrying(ctx, attempt)

    def _member(self, person: str) -> Person:
        try:
            return self._person(person)
        except NotFound:
            raise InvalidCommand(f"person {person} does not exist", "members") from None
