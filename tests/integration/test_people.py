"""People on a real store (SQLite and PostgreSQL): sign-in and lock-out, one-time links,
uniqueness under concurrency, time travel, snapshots, and the tokens that belong to people.

The desk's clock is the test's `FakeClock`, so "15 minutes later" and "72 hours later" are exact.
"""

from __future__ import annotations

import threading
from typing import Any

import pytest

from application.config import store_settings
from application.desk import KaizenDesk
from application.errors import NotFound, SignInRefused
from application.people import LOCKED, WRONG_CREDENTIALS
from domain.access import AccessDenied
from domain.actor import SYSTEM, Actor
from domain.errors import InvalidCommand, TransitionRefused
from domain.person import Person
from domain.token import ApiToken
from tests.conftest import FakeClock, ctx

PASSWORD = "kaizen-desk lantern harbour"
ADMIN = Actor("admin-wong", "admin")


def enrol(desk: KaizenDesk, person: str = "ada.wong", **changes: Any) -> str:
    """Add a person; returns the secret of their one-time link."""
    fields: dict[str, Any] = {"name": "Ada Wong", "email": f"{person}@example.com", "roles": ["reporter"]}
    fields.update(changes)
    enrolment = desk.create_person(ctx(ADMIN), person, **fields)
    return enrolment.invitation_path.rsplit("/", 1)[1]


def with_password(desk: KaizenDesk, person: str = "ada.wong", password: str = PASSWORD, **changes: Any) -> None:
    desk.accept_invitation(person, enrol(desk, person, **changes), password, password)


def refusal(desk: KaizenDesk, login: str, password: str) -> SignInRefused:
    with pytest.raises(SignInRefused) as refused:
        desk.sign_in_with_password(login, password)
    return refused.value


# -- signing in ---------------------------------------------------------------------------------
def test_five_failures_in_fifteen_minutes_lock_the_account_for_fifteen_minutes(
    desk: KaizenDesk, clock: FakeClock
) -> None:
    with_password(desk)
    for _ in range(4):
        assert refusal(desk, "ada.wong", "wrong password!!").locked is False
        clock.advance(minutes=3)
    fifth = refusal(desk, "ada.wong", "wrong password!!")
    assert fifth.locked is True and str(fifth) == LOCKED
    locked = refusal(desk, "ada.wong", PASSWORD)  # even the right password, while locked
    assert locked.locked is True
    clock.advance(minutes=14, seconds=59)
    assert refusal(desk, "ada.wong", PASSWORD).locked is True
    clock.advance(seconds=2)
    assert desk.sign_in_with_password("ada.wong", PASSWORD).person_id == "ada.wong"


def test_failures_spread_over_more_than_fifteen_minutes_do_not_lock(desk: KaizenDesk, clock: FakeClock) -> None:
    with_password(desk)
    for _ in range(8):
        assert refusal(desk, "ada.wong", "wrong password!!").locked is False
        clock.advance(minutes=4)
    assert desk.sign_in_with_password("ada.wong", PASSWORD).person_id == "ada.wong"


def test_an_unknown_login_gets_the_same_answer_as_a_wrong_password(desk: KaizenDesk) -> None:
    with_password(desk)
    wrong = refusal(desk, "ada.wong", "wrong password!!")
    unknown = refusal(desk, "nobody.here", "wrong password!!")
    assert str(wrong) == str(unknown) == WRONG_CREDENTIALS and wrong.locked is unknown.locked is False
    for _ in range(4):
        refusal(desk, "nobody.here", "x")
    assert str(refusal(desk, "nobody.here", "x")) == LOCKED  # unknown logins lock out alike


def test_a_deactivated_person_cannot_sign_in(desk: KaizenDesk) -> None:
    with_password(desk)
    desk.deactivate_person(ctx(ADMIN), "ada.wong")
    assert str(refusal(desk, "ada.wong", PASSWORD)) == WRONG_CREDENTIALS
    with pytest.raises(TransitionRefused):
        desk.deactivate_person(ctx(ADMIN), "ada.wong")


# -- one-time links -------------------------------------------------------------------------------
def test_a_link_sets_a_password_once(desk: KaizenDesk) -> None:
    secret = enrol(desk)
    assert desk.open_invitation("ada.wong", secret) is not None
    desk.accept_invitation("ada.wong", secret, PASSWORD, PASSWORD)
    assert desk.open_invitation("ada.wong", secret) is None
    with pytest.raises(InvalidCommand):
        desk.accept_invitation("ada.wong", secret, "another long passphrase", "another long passphrase")
    assert desk.sign_in_with_password("ada.wong", PASSWORD).person_id == "ada.wong"
    assert str(refusal(desk, "ada.wong", "another long passphrase")) == WRONG_CREDENTIALS


def test_a_link_expires_after_72_hours(desk: KaizenDesk, clock: FakeClock) -> None:
    secret = enrol(desk)
    clock.advance(hours=71, minutes=59)
    assert desk.open_invitation("ada.wong", secret) is not None
    clock.advance(minutes=2)
    assert desk.open_invitation("ada.wong", secret) is None
    with pytest.raises(InvalidCommand):
        desk.accept_invitation("ada.wong", secret, PASSWORD, PASSWORD)


def test_a_link_refuses_weak_or_mismatched_passwords_and_stays_open(desk: KaizenDesk) -> None:
    secret = enrol(desk)
    with pytest.raises(InvalidCommand) as short:
        desk.accept_invitation("ada.wong", secret, "short", "short")
    assert short.value.field == "password"
    with pytest.raises(InvalidCommand) as different:
        desk.accept_invitation("ada.wong", secret, PASSWORD, PASSWORD + "!")
    assert different.value.field == "password_confirm"
    assert desk.open_invitation("ada.wong", secret) is not None


def test_a_reset_stops_the_old_password_and_the_old_link(desk: KaizenDesk) -> None:
    first = enrol(desk)
    desk.accept_invitation("ada.wong", first, PASSWORD, PASSWORD)
    second = desk.reset_person(ctx(ADMIN), "ada.wong").invitation_path.rsplit("/", 1)[1]
    assert str(refusal(desk, "ada.wong", PASSWORD)) == WRONG_CREDENTIALS
    assert desk.open_invitation("ada.wong", first) is None
    desk.accept_invitation("ada.wong", second, "a brand new passphrase", "a brand new passphrase")
    assert desk.sign_in_with_password("ada.wong", "a brand new passphrase").person_id == "ada.wong"


# -- uniqueness, rights, history ------------------------------------------------------------------
@pytest.mark.parametrize("clash", ["id", "email"])
def test_concurrent_creation_of_one_id_or_address_has_exactly_one_winner(store_url: str, clash: str) -> None:
    desks = [KaizenDesk(store_settings(store_url)) for _ in range(4)]
    start = threading.Barrier(len(desks))
    won: list[str] = []
    refused: list[str] = []

    def create(n: int) -> None:
        person = "ada.wong" if clash == "id" else f"ada.{n}"
        email = "ada@example.com" if clash == "email" else f"ada{n}@example.com"
        start.wait()
        try:
            desks[n].create_person(ctx(ADMIN), person, name=f"Ada {n}", email=email, roles=["reporter"])
            won.append(person)
        except InvalidCommand as exc:
            refused.append(str(exc.field))

    try:
        threads = [threading.Thread(target=create, args=(n,)) for n in range(len(desks))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert len(won) == 1 and refused == [clash] * (len(desks) - 1)
        assert [p.person_id for p in desks[0].list_people(ADMIN)] == won
    finally:
        for each in desks:
            each.close()


def test_people_are_read_by_admins_auditors_and_themselves(desk: KaizenDesk) -> None:
    enrol(desk)
    enrol(desk, "bao.tran")
    assert desk.get_person(Actor("audrey", "auditor"), "ada.wong").person_id == "ada.wong"
    assert desk.get_person(Actor("ada.wong", "reporter"), "ada.wong").person_id == "ada.wong"
    with pytest.raises(AccessDenied) as hidden:
        desk.get_person(Actor("bao.tran", "reporter"), "ada.wong")
    assert hidden.value.visible is False
    with pytest.raises(AccessDenied):
        desk.list_people(Actor("sap-support", "vendor:sap"))
    with pytest.raises(AccessDenied) as auditor_change:
        desk.update_person(ctx(Actor("audrey", "auditor")), "ada.wong", {"name": "Changed"})
    assert auditor_change.value.visible is True
    with pytest.raises(NotFound):
        desk.get_person(ADMIN, "nobody.here")


def test_time_travel_shows_the_roles_a_person_had(desk: KaizenDesk, clock: FakeClock) -> None:
    enrol(desk)
    created = desk.get_person(ADMIN, "ada.wong").version
    march = clock.now
    clock.advance(days=30)
    desk.update_person(ctx(ADMIN), "ada.wong", {"roles": ["reporter", "admin"]})
    clock.advance(days=30)
    desk.update_person(ctx(ADMIN), "ada.wong", {"roles": ["auditor"]})
    assert desk.get_person(ADMIN, "ada.wong", version=created).roles == ["reporter"]
    assert desk.get_person(ADMIN, "ada.wong", version=created + 1).role == "admin"
    assert desk.get_person(ADMIN, "ada.wong").roles == ["auditor"]
    # "who had admin rights in early April": the version in force then, from the events' times
    events: list[Any] = list(desk.events.get(Person.create_id("ada.wong")))
    in_april = max(e.originator_version for e in events if e.occurred_at <= march.replace(day=10, month=4))
    assert desk.get_person(ADMIN, "ada.wong", version=in_april).roles == ["reporter", "admin"]


def test_a_person_with_many_sign_ins_reads_correctly_from_a_snapshot(desk: KaizenDesk, store_url: str) -> None:
    enrol(desk, roles=["reporter", "vendor:sap"], groups=[])
    for _ in range(60):
        desk.sign_in_with_token("ada.wong")
    person_id = Person.create_id("ada.wong")
    assert desk.snapshots is not None and list(desk.snapshots.get(person_id)), "no snapshot was taken"
    other = KaizenDesk(store_settings(store_url))  # a fresh process reads the snapshot and what follows
    try:
        found = other.get_person(ADMIN, "ada.wong")
        assert found.version == desk.get_person(ADMIN, "ada.wong").version
        assert (found.roles, found.role, found.active) == (["reporter", "vendor:sap"], "vendor:sap", True)
        assert found.last_signed_in_at is not None
    finally:
        other.close()


def test_groups_keep_membership_on_both_sides(desk: KaizenDesk) -> None:
    enrol(desk)
    enrol(desk, "bao.tran")
    desk.create_group(ctx(ADMIN), "multiable", name="Multiable team", kind="vendor_team", vendor="multiable",
                      members=["bao.tran:consultant", {"person": "ada.wong", "duty": "technical_support"}])  # fmt: skip
    assert desk.get_person(ADMIN, "bao.tran").groups == ["multiable"]
    desk.update_group(ctx(ADMIN), "multiable", {"members": [{"person": "ada.wong"}]})
    assert desk.get_person(ADMIN, "bao.tran").groups == []
    assert desk.get_group("multiable").members == {"ada.wong": None}
    with pytest.raises(InvalidCommand):
        desk.create_group(ctx(ADMIN), "ada.wong", name="Clash", kind="department")  # ids are shared


# -- tokens that belong to people -----------------------------------------------------------------
def test_a_person_token_acts_with_the_persons_current_role(desk: KaizenDesk) -> None:
    enrol(desk)
    token_id, plain = desk.issue_person_token(ctx(ADMIN), "ada.wong")
    principal = desk.authenticate(plain, fresh_within=300)
    assert principal is not None
    assert (principal.person, principal.subject, principal.role) == ("ada.wong", "ada.wong", "reporter")
    desk.update_person(ctx(ADMIN), "ada.wong", {"roles": ["reporter", "admin"]})
    assert desk.authenticate(plain, fresh_within=300).role == "admin"  # type: ignore[union-attr]
    assert desk.token_status(token_id).person == "ada.wong"
    desk.deactivate_person(ctx(ADMIN), "ada.wong")
    assert desk.authenticate(plain, fresh_within=300) is None  # forgotten at once in this process
    with pytest.raises(InvalidCommand):
        desk.issue_person_token(ctx(ADMIN), "nobody.here")


def test_another_process_deactivation_ends_the_token_within_the_window(desk: KaizenDesk, store_url: str) -> None:
    enrol(desk)
    _, plain = desk.issue_person_token(ctx(ADMIN), "ada.wong")
    assert desk.authenticate(plain, fresh_within=300) is not None
    other = KaizenDesk(store_settings(store_url))
    try:
        other.deactivate_person(ctx(ADMIN), "ada.wong")
    finally:
        other.close()
    assert desk.authenticate(plain, fresh_within=300) is not None  # trusted as read, for the window
    assert desk.authenticate(plain) is None  # read now: refused


def test_a_plain_token_naming_a_person_keeps_its_role_while_they_are_active(desk: KaizenDesk) -> None:
    enrol(desk, roles=["admin"])
    _, plain = desk.issue_token(ctx(ADMIN), "reporter", "ada.wong")
    _, app = desk.issue_token(ctx(ADMIN), "app", "ada.wong")  # an app's subject is an app, never a person
    _, nobody = desk.issue_token(ctx(ADMIN), "reporter", "not a person id")
    principal = desk.authenticate(plain)
    assert principal is not None and (principal.person, principal.role) == ("ada.wong", "reporter")
    assert desk.authenticate(nobody).person is None  # type: ignore[union-attr]
    desk.deactivate_person(ctx(ADMIN), "ada.wong")
    assert desk.authenticate(plain) is None
    assert desk.authenticate(app) is not None and desk.authenticate(app).person is None  # type: ignore[union-attr]


def test_tokens_issued_before_people_existed_still_replay(desk: KaizenDesk) -> None:
    """A TokenIssued event without `person` (as every token before v1.1 has) is a plain token."""
    token, _ = ApiToken.issue("auditor", "audrey", SYSTEM, FakeClock().now)
    created: Any = token.collect_events()[0]
    del created.__dict__["person"]
    replayed = created.mutate(None)
    assert isinstance(replayed, ApiToken) and replayed.person is None and replayed.role == "auditor"
    stored = desk.mapper.to_stored_event(created)
    assert b"person" not in stored.state
    decoded: Any = desk.mapper.to_domain_event(stored)
    assert decoded.mutate(None).person is None
