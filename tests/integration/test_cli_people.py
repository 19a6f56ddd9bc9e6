"""`kaizen people …`, `kaizen groups add` and `kaizen token create --person` against real stores,
as scripts use them: the URL or token alone on the last line, one-line errors, exit codes."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from application.config import store_settings
from application.desk import KaizenDesk
from interfaces.cli import main

Kaizen = Callable[..., tuple[int, str, str]]
PASSWORD = "kaizen-desk lantern harbour"


@pytest.fixture
def kaizen(store_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Iterator[Kaizen]:
    monkeypatch.setenv("KAIZEN_DATABASE_URL", store_url)
    monkeypatch.delenv("KAIZEN_PUBLIC_URL", raising=False)

    def run(*argv: str) -> tuple[int, str, str]:
        code = main(list(argv))
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    yield run


@pytest.fixture
def desk(store_url: str) -> Iterator[KaizenDesk]:
    found = KaizenDesk(store_settings(store_url))
    try:
        yield found
    finally:
        found.close()


def one_line_error(err: str) -> bool:
    return err.count("\n") == 1 and err.startswith("kaizen: ") and "Traceback" not in err


def add_ada(kaizen: Kaizen, *extra: str) -> tuple[int, str, str]:
    return kaizen(
        "people", "add", "ada.wong", "--name", "Ada Wong 黃愛達", "--email", "ada.wong@example.com",
        "--role", "reporter", "--role", "vendor:sap", *extra,
    )  # fmt: skip


def test_people_add_prints_the_invitation_url_last_and_it_works_once(kaizen: Kaizen, desk: KaizenDesk) -> None:
    code, out, err = add_ada(kaizen, "--site", "HK", "--language", "zh-Hant", "--time-zone", "Asia/Hong_Kong")
    assert (code, err) == (0, ""), err
    url = out.splitlines()[-1]
    assert url.startswith("http://127.0.0.1:8000/console/invitations/ada.wong/") and " " not in url
    secret = url.rsplit("/", 1)[1]
    desk.accept_invitation("ada.wong", secret, PASSWORD, PASSWORD)
    assert desk.open_invitation("ada.wong", secret) is None
    person = desk.sign_in_with_password("ada.wong", PASSWORD)
    assert (person.roles, person.site, person.language, person.time_zone) == (
        ["reporter", "vendor:sap"], "HK", "zh-Hant", "Asia/Hong_Kong",
    )  # fmt: skip


def test_the_url_is_on_the_public_address(kaizen: Kaizen, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KAIZEN_PUBLIC_URL", "https://desk.example.com/")
    code, out, _ = add_ada(kaizen)
    assert code == 0 and out.splitlines()[-1].startswith("https://desk.example.com/console/invitations/ada.wong/")


def test_people_list_deactivate_and_reset(kaizen: Kaizen, desk: KaizenDesk) -> None:
    add_ada(kaizen)
    code, out, _ = kaizen("people", "list")
    assert code == 0 and "ada.wong" in out and "reporter,vendor:sap" in out and "active" in out
    code, out, _ = kaizen("people", "reset", "ada.wong")
    url = out.splitlines()[-1]
    assert code == 0 and url.startswith("http://127.0.0.1:8000/console/invitations/ada.wong/")
    assert desk.open_invitation("ada.wong", url.rsplit("/", 1)[1]) is not None
    assert kaizen("people", "deactivate", "ada.wong")[0] == 0
    assert "deactivated" in kaizen("people", "list")[1]
    code, out, err = kaizen("people", "deactivate", "ada.wong")  # twice: refused
    assert code == 1 and out == "" and one_line_error(err)
    code, _, err = kaizen("people", "reset", "nobody.here")
    assert code == 1 and one_line_error(err) and "not found" in err


@pytest.mark.parametrize(
    "argv",
    [
        ["people", "add", "Ada Wong", "--name", "A", "--email", "a@example.com", "--role", "reporter"],
        ["people", "add", "ada.w", "--name", "A", "--email", "not-mail", "--role", "reporter"],
        ["people", "add", "ada.w", "--name", "A", "--email", "a@example.com", "--role", "superuser"],
        ["people", "add", "ada.w", "--name", "A", "--email", "a@example.com", "--role", "reporter", "--group", "nope"],
        ["people", "add", "ada.w", "--name", "A", "--email", "a@example.com", "--role", "reporter", "--time-zone", "X"],
        ["groups", "add", "team", "--name", "T", "--kind", "vendor_team"],
        ["groups", "add", "team", "--name", "T", "--kind", "department", "--member", "ghost"],
        ["token", "create", "--person", "nobody.here"],
    ],
)
def test_refusals_are_one_line_and_exit_1(kaizen: Kaizen, argv: list[str]) -> None:
    code, out, err = kaizen(*argv)
    assert (code, out) == (1, "") and one_line_error(err), err


@pytest.mark.parametrize(
    "argv",
    [
        ["people", "add", "ada.w", "--name", "A", "--email", "a@example.com"],  # no --role
        ["people", "add", "ada.w", "--name", "A", "--email", "a@example.com", "--role", "reporter", "--language", "fr"],
        ["groups", "add", "team", "--name", "T", "--kind", "club"],
        ["token", "create"],
        ["token", "create", "--person", "ada.wong", "--role", "admin", "--subject", "x"],
        ["token", "create", "--subject", "x"],
    ],
)
def test_usage_errors_exit_2(kaizen: Kaizen, argv: list[str]) -> None:
    code, out, err = kaizen(*argv)
    assert code == 2 and out == "" and err.count("\n") == 1 and "Traceback" not in err


def test_groups_add_with_members_and_duties(kaizen: Kaizen, desk: KaizenDesk) -> None:
    add_ada(kaizen)
    code, out, err = kaizen(
        "groups", "add", "multiable-team", "--name", "Multiable fixed team", "--kind", "vendor_team",
        "--vendor", "multiable", "--member", "ada.wong:technical_support",
    )  # fmt: skip
    assert code == 0, err
    assert "multiable-team" in out and "ada.wong (technical_support)" in out
    assert desk.get_group("multiable-team").members == {"ada.wong": "technical_support"}
    assert desk.person_now("ada.wong").groups == ["multiable-team"]  # type: ignore[union-attr]


def test_token_create_for_a_person_acts_with_their_roles(kaizen: Kaizen, desk: KaizenDesk) -> None:
    add_ada(kaizen)
    code, out, _ = kaizen("token", "create", "--person", "ada.wong")
    token = out.splitlines()[-1]
    assert code == 0 and token.startswith("kz_") and " " not in token
    principal = desk.authenticate(token)
    assert principal is not None and (principal.person, principal.role) == ("ada.wong", "vendor:sap")
    code, out, _ = kaizen("token", "list")
    assert code == 0 and any(principal.token_id in line and "ada.wong" in line for line in out.splitlines())
    kaizen("people", "deactivate", "ada.wong")
    assert desk.authenticate(token) is None
