"""The Person, Group and Directory aggregates and the password rule, without a store."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from domain.actor import SYSTEM, Actor
from domain.directory import Directory
from domain.errors import InvalidCommand, TransitionRefused
from domain.group import Group
from domain.passwords import check_password
from domain.person import Person, primary_role

T0 = datetime(2026, 3, 3, 9, 0, tzinfo=UTC)
ADMIN = Actor("root", "admin")
DIGEST = "a" * 64
OTHER_DIGEST = "b" * 64


def person(**overrides: object) -> Person:
    fields: dict[str, object] = {
        "name": "Ada Wong",
        "email": "ada.wong@example.com",
        "roles": ["reporter"],
        "groups": [],
        "site": "HK",
        "language_code": "zh-Hant",
        "zone": "Asia/Hong_Kong",
        "actor": ADMIN,
        "occurred_at": T0,
    }
    fields.update(overrides)
    return Person.enrol("ada.wong", **fields)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("email", "not an address"),
        ("roles", ["superuser"]),
        ("roles", []),
        ("language_code", "fr"),
        ("zone", "Mars/Olympus"),
        ("name", "  "),
    ],
)
def test_enrolment_refuses_what_a_person_cannot_be(field: str, value: object) -> None:
    with pytest.raises(InvalidCommand):
        person(**{field: value})


@pytest.mark.parametrize("login", ["A", "Ada.Wong", "ada wong", "x" * 65, "ada/wong"])
def test_person_ids_are_short_lower_case_logins(login: str) -> None:
    with pytest.raises(InvalidCommand) as refused:
        Person.enrol(
            login,
            name="A",
            email="a@example.com",
            roles=["reporter"],
            groups=[],
            site=None,
            language_code="en",
            zone="UTC",
            actor=ADMIN,
            occurred_at=T0,
        )
    assert refused.value.field == "id"


def test_the_strongest_role_is_the_one_acted_with() -> None:
    assert primary_role(["reporter", "admin"]) == "admin"
    assert primary_role(["reporter", "vendor:sap"]) == "vendor:sap"
    assert person(roles=["reporter", "auditor"]).actor == Actor("ada.wong", "auditor")


def test_a_link_sets_the_password_once_and_only_within_72_hours() -> None:
    ada = person()
    ada.invite(DIGEST, ADMIN, T0)
    assert not ada.invitation_open(OTHER_DIGEST, T0)
    assert not ada.invitation_open(DIGEST, T0 + timedelta(hours=72, seconds=1))
    with pytest.raises(InvalidCommand):
        ada.set_password(DIGEST, "$argon2id$v=19$m=19456,t=2,p=1$x$y", ada.actor, T0 + timedelta(hours=73))
    ada.set_password(DIGEST, "$argon2id$v=19$m=19456,t=2,p=1$x$y", ada.actor, T0 + timedelta(hours=71))
    assert ada.password_hash is not None
    with pytest.raises(InvalidCommand):
        ada.set_password(DIGEST, "$argon2id$v=19$m=19456,t=2,p=1$x$z", ada.actor, T0 + timedelta(hours=71))


def test_only_argon2id_hashes_are_stored() -> None:
    ada = person()
    ada.invite(DIGEST, ADMIN, T0)
    with pytest.raises(InvalidCommand):
        ada.set_password(DIGEST, "plain text", ada.actor, T0)


def test_five_failures_within_15_minutes_lock_for_15_minutes() -> None:
    ada = person()
    for minute in range(4):
        ada.refuse_sign_in("wrong_password", "password", SYSTEM, T0 + timedelta(minutes=minute))
    assert not ada.is_locked(T0 + timedelta(minutes=4))
    ada.refuse_sign_in("wrong_password", "password", SYSTEM, T0 + timedelta(minutes=4))
    assert ada.is_locked(T0 + timedelta(minutes=18))
    assert not ada.is_locked(T0 + timedelta(minutes=19, seconds=1))


def test_failures_spread_over_more_than_15_minutes_do_not_lock() -> None:
    ada = person()
    for attempt in range(8):
        ada.refuse_sign_in("wrong_password", "password", SYSTEM, T0 + timedelta(minutes=4 * attempt))
    assert not ada.is_locked(T0 + timedelta(minutes=29))


def test_a_successful_sign_in_clears_the_failures() -> None:
    ada = person()
    for minute in range(4):
        ada.refuse_sign_in("wrong_password", "password", SYSTEM, T0 + timedelta(minutes=minute))
    ada.record_sign_in("password", ada.actor, T0 + timedelta(minutes=5))
    ada.refuse_sign_in("wrong_password", "password", SYSTEM, T0 + timedelta(minutes=6))
    assert not ada.is_locked(T0 + timedelta(minutes=6))


def test_reset_and_deactivation_end_every_session() -> None:
    ada = person()
    generation = ada.sessions_generation
    assert ada.session_valid(DIGEST, generation)
    ada.reset_password(OTHER_DIGEST, ADMIN, T0)
    assert not ada.session_valid(DIGEST, generation)
    assert ada.password_hash is None
    generation = ada.sessions_generation
    ada.deactivate(ADMIN, T0)
    assert not ada.session_valid(DIGEST, generation)
    with pytest.raises(TransitionRefused):
        ada.deactivate(ADMIN, T0)
    with pytest.raises(TransitionRefused):
        ada.record_sign_in("password", ada.actor, T0)


def test_signing_out_ends_only_that_session_and_is_forgotten_when_the_cookie_would_expire() -> None:
    ada = person()
    ada.end_session(DIGEST, T0 + timedelta(hours=8), ada.actor, T0)
    assert not ada.session_valid(DIGEST, ada.sessions_generation)
    assert ada.session_valid(OTHER_DIGEST, ada.sessions_generation)
    ada.end_session(OTHER_DIGEST, T0 + timedelta(hours=17), ada.actor, T0 + timedelta(hours=9))
    assert DIGEST not in ada.ended_sessions


def test_a_vendor_team_names_its_vendor_and_members_carry_duties() -> None:
    with pytest.raises(InvalidCommand):
        Group.form("multiable-team", name="Multiable", kind="vendor_team", vendor=None, actor=ADMIN, occurred_at=T0)
    with pytest.raises(InvalidCommand):
        Group.form("finance", name="Finance", kind="department", vendor="sap", actor=ADMIN, occurred_at=T0)
    team = Group.form(
        "multiable-team", name="Multiable", kind="vendor_team", vendor="multiable", actor=ADMIN, occurred_at=T0
    )
    team.add_member("mei.lau", "consultant", ADMIN, T0)
    team.add_member("tom.ip", "technical_support", ADMIN, T0)
    team.add_member("tom.ip", "consultant", ADMIN, T0)
    assert team.as_dict()["members"] == [
        {"person": "mei.lau", "duty": "consultant"},
        {"person": "tom.ip", "duty": "consultant"},
    ]
    team.remove_member("mei.lau", ADMIN, T0)
    assert list(team.members) == ["tom.ip"]


def test_ids_and_email_addresses_are_unique_across_people_and_groups() -> None:
    directory = Directory(actor=SYSTEM, occurred_at=T0)
    directory.list_person("ada.wong", "Ada@Example.com", ADMIN, T0)
    directory.list_group("finance", ADMIN, T0)
    for login, email in (
        ("ada.wong", "other@example.com"),
        ("finance", "fin@example.com"),
        ("ben.ho", "ada@example.com"),
    ):
        with pytest.raises(InvalidCommand):
            directory.list_person(login, email, ADMIN, T0)
    with pytest.raises(InvalidCommand):
        directory.list_group("ada.wong", ADMIN, T0)
    assert directory.person_by_email("ADA@example.COM") == "ada.wong"
    directory.change_email("ada.wong", "ada.w@example.com", ADMIN, T0)
    assert directory.person_by_email("ada@example.com") is None


@pytest.mark.parametrize(
    "password", ["short", "password2026!", "1qaz2wsx3edc", "qwertyuiop123", "ada.wong-is-me-1", "x" * 257]
)
def test_passwords_that_are_short_common_or_personal_are_refused(password: str) -> None:
    with pytest.raises(InvalidCommand) as refused:
        check_password(password, login="ada.wong", email="ada.wong@example.com")
    assert refused.value.field == "password"


def test_a_long_uncommon_passphrase_is_accepted() -> None:
    assert check_password("seven tired herons at dawn", login="ada.wong") == "seven tired herons at dawn"
