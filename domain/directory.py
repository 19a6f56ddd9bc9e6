"""The register of every person and group id, and of every person's e-mail address.

One aggregate, so that uniqueness is decided by the event store's optimistic concurrency: two
administrators creating `ada.wong` (or two people with one e-mail address) at once cannot both
succeed, because both append the directory's next version and one of them is refused. Person
and group ids share one namespace, since either may be an issue's assignee.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from eventsourcing.domain import event

from domain.actor import Actor
from domain.base import KaizenAggregate
from domain.errors import InvalidCommand
from domain.keys import named_id

DIRECTORY_ID = named_id("directory", "people-and-groups")


class Directory(KaizenAggregate):
    @staticmethod
    def create_id() -> UUID:
        return DIRECTORY_ID

    @event("Opened")
    def __init__(self, actor: Actor, occurred_at: datetime) -> None:
        self.people: dict[str, str] = {}  # person id -> e-mail, lower-cased
        self.emails: dict[str, str] = {}  # e-mail, lower-cased -> person id
        self.groups: list[str] = []

    def knows(self, name: str) -> bool:
        return name in self.people or name in self.groups

    def person_by_email(self, email: str) -> str | None:
        return self.emails.get(email.lower())

    def list_person(self, person: str, email: str, actor: Actor, occurred_at: datetime) -> None:
        if self.knows(person):
            raise InvalidCommand(f"{person} is already a person or group id", "id")
        self._refuse_taken_email(email, None)
        self._person_listed(person=person, email=email.lower(), actor=actor, occurred_at=occurred_at)

    @event("PersonListed")
    def _person_listed(self, person: str, email: str, actor: Actor, occurred_at: datetime) -> None:
        self.people = {**self.people, person: email}
        self.emails = {**self.emails, email: person}

    def change_email(self, person: str, email: str, actor: Actor, occurred_at: datetime) -> None:
        if self.people.get(person) == email.lower():
            return
        self._refuse_taken_email(email, person)
        self._email_changed(person=person, email=email.lower(), actor=actor, occurred_at=occurred_at)

    @event("EmailChanged")
    def _email_changed(self, person: str, email: str, actor: Actor, occurred_at: datetime) -> None:
        previous = self.people.get(person)
        self.emails = {k: v for k, v in self.emails.items() if k != previous}
        self.emails[email] = person
        self.people = {**self.people, person: email}

    def list_group(self, group: str, actor: Actor, occurred_at: datetime) -> None:
        if self.knows(group):
            raise InvalidCommand(f"{group} is already a person or group id", "id")
        self._group_listed(group=group, actor=actor, occurred_at=occurred_at)

    @event("GroupListed")
    def _group_listed(self, group: str, actor: Actor, occurred_at: datetime) -> None:
        self.groups = [*self.groups, group]

    def _refuse_taken_email(self, email: str, person: str | None) -> None:
        owner = self.emails.get(email.lower())
        if owner is not None and owner != person:
            raise InvalidCommand("another person already has this e-mail address", "email")
