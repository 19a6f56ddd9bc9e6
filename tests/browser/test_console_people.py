"""People and sign-in, acted out as the people would: an administrator invites someone, they open
the link, choose a password and sign in; five wrong passwords lock the account; signing out ends
the session on the server; deactivating someone ends their open session; a person's language
changes the console's. Each test makes its own people, so no test locks or changes another's."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.browser.conftest import PASSWORD, Console, KnownPerson, ensure_person, sign_in_with_password

pytestmark = pytest.mark.xdist_group("browser")

NEW_PASSWORD = "Dim sum on Sunday with the finance team"


def new_page(browser: Any, contexts: list[Any]) -> Any:
    """A page in a browser context of its own: another person's browser."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    contexts.append(context)
    return context.new_page()


@pytest.fixture
def contexts() -> Any:
    opened: list[Any] = []
    yield opened
    for context in opened:
        context.close()


def person(console: Console, login: str, roles: tuple[str, ...] = ("reporter",)) -> KnownPerson:
    """A person of this test only, who signs in with PASSWORD."""
    who = KnownPerson(login, login.replace(".", " ").title(), roles)
    ensure_person(console.desk, who)
    return who


def press(page: Any, selector: str) -> Any:
    """Click a button that posts a form; the answer to that post (status, headers)."""
    with page.expect_response(lambda r: r.request.method == "POST") as answer:
        page.click(selector)
    page.wait_for_load_state()
    return answer.value


def test_an_invited_person_sets_a_password_through_the_link_and_signs_in(
    open_as: Any, browser: Any, console: Console, contexts: list[Any], shoot: Any
) -> None:
    admin = open_as("admin")
    admin.click("nav.main-nav >> text=People")
    admin.wait_for_url(re.compile(r"/console/admin/people$"))
    admin.fill("#p-id", "cherry.mak")  # taken
    admin.fill("#p-name", "Mabel Tong 唐美寶")
    admin.fill("#p-email", "mabel.tong@example.com")
    admin.check("input[name=roles][value=reporter]")
    admin.select_option("#p-language", "zh-Hant")
    admin.fill("#p-time_zone", "Asia/Hong_Kong")
    assert press(admin, "button[data-action=people]").status == 422
    assert "cherry.mak is already a person or group id" in admin.locator("#invite-error").inner_text()
    assert admin.locator("#p-name").input_value() == "Mabel Tong 唐美寶"  # what was typed is kept
    assert admin.locator("input[name=roles][value=reporter]").is_checked()
    assert admin.locator("#p-language").input_value() == "zh-Hant"
    admin.fill("#p-id", "mabel.tong")
    assert press(admin, "button[data-action=people]").status == 201
    link = admin.locator("#invitation-url").input_value()
    assert re.fullmatch(rf"{re.escape(console.base_url)}/console/invitations/mabel\.tong/[\w-]{{40,}}", link)
    assert "shown only this once" in admin.locator(".one-time-link").inner_text()
    row = admin.locator("tr[data-person='mabel.tong']")
    assert row.locator("td").nth(2).inner_text() == "reporter"
    shoot(admin, "people")
    admin.goto(console.url("/console/admin/people"))
    assert admin.locator("#invitation-url").count() == 0  # shown once, never again

    invitee = new_page(browser, contexts)
    opened = invitee.goto(link)
    assert opened.status == 200 and opened.headers["referrer-policy"] == "no-referrer"
    assert invitee.locator("meta[name=referrer]").get_attribute("content") == "no-referrer"
    shoot(invitee, "invitation", full_page=False)
    invitee.fill("#password", "password1234")
    invitee.fill("#password_confirm", "password1234")
    assert press(invitee, "button[data-action=set-password]").status == 422
    assert "most common" in invitee.locator("#invitation-error").inner_text()
    assert invitee.locator("#password").input_value() == ""  # passwords are never typed back
    invitee.fill("#password", NEW_PASSWORD)
    invitee.fill("#password_confirm", NEW_PASSWORD + "!")
    press(invitee, "button[data-action=set-password]")
    assert invitee.locator("#invitation-error").inner_text() == "the two passwords are not the same"
    invitee.fill("#password", NEW_PASSWORD)
    invitee.fill("#password_confirm", NEW_PASSWORD)
    press(invitee, "button[data-action=set-password]")
    invitee.wait_for_url(re.compile(r"/console/issues$"))  # signed in: a reporter's home
    assert "Mabel Tong" in invitee.locator(".who").inner_text()
    assert invitee.locator("html").get_attribute("lang") == "zh-Hant"  # their own Traditional Chinese

    again = invitee.goto(link)
    assert again.status == 404
    assert "管理員" in invitee.locator("#closed-link").inner_text()  # "ask an administrator", in their language
    invitee.click(".account button[type=submit]")  # sign out, then in with the new password
    invitee.wait_for_url(re.compile(r"/console/sign-in"))
    sign_in_with_password(invitee, "mabel.tong@example.com", NEW_PASSWORD)
    assert invitee.url.endswith("/console/issues")
    admin.goto(console.url("/console/admin/people"))
    assert admin.locator("tr[data-person='mabel.tong'] td").nth(5).inner_text() != "—"  # last sign-in


def test_a_reset_ends_the_old_password_and_gives_a_new_link_once(
    open_as: Any, browser: Any, console: Console, contexts: list[Any]
) -> None:
    who = person(console, "reset.me")
    theirs = new_page(browser, contexts)
    theirs.goto(console.url("/console/sign-in"))
    sign_in_with_password(theirs, who.login)
    assert theirs.url.endswith("/console/issues")
    admin = open_as("admin")
    admin.goto(console.url("/console/admin/people"))
    press(admin, f"tr[data-person='{who.login}'] button[data-action=reset]")
    assert "New password link for reset.me" in admin.locator(".one-time-link h2").inner_text()
    link = admin.locator("#invitation-url").input_value()
    theirs.goto(console.url("/console/issues"))
    assert "/console/sign-in" in theirs.url  # the reset ended their session
    sign_in_with_password(theirs, who.login)
    assert theirs.locator("#sign-in-error").is_visible()  # and the old password
    theirs.goto(link)
    theirs.fill("#password", NEW_PASSWORD)
    theirs.fill("#password_confirm", NEW_PASSWORD)
    press(theirs, "button[data-action=set-password]")
    theirs.wait_for_url(re.compile(r"/console/issues$"))


def test_five_wrong_passwords_lock_the_account_even_for_the_right_one(open_as: Any, console: Console) -> None:
    who = person(console, "lock.me")
    page = open_as(None)
    for attempt in range(1, 6):
        page.fill("#login", who.login)
        page.fill("#password", f"wrong guess number {attempt}")
        answer = press(page, "button[data-action=sign-in]")
        assert answer.status == (429 if attempt == 5 else 401)
    locked = page.locator("#sign-in-error").inner_text()
    assert locked == "Too many failed sign-ins: this account is locked for 15 minutes. Try again later."
    assert answer.headers["retry-after"] == "900"
    page.fill("#password", PASSWORD)  # the login is still there
    assert page.locator("#login").input_value() == who.login
    answer = press(page, "button[data-action=sign-in]")
    assert answer.status == 429 and page.locator("#sign-in-error").inner_text() == locked
    assert "/console/sign-in" in page.url and page.locator(".who").count() == 0


def test_after_sign_out_a_replayed_copy_of_the_cookie_is_refused(
    open_as: Any, browser: Any, console: Console, contexts: list[Any]
) -> None:
    who = person(console, "sign.out.me")
    page = open_as(who.login)
    assert page.url.endswith("/console/issues")
    (cookie,) = [c for c in page.context.cookies() if c["name"] == "kaizen_console"]
    page.click(".account button[type=submit]")
    page.wait_for_url(re.compile(r"/console/sign-in"))

    thief = new_page(browser, contexts)
    thief.context.add_cookies([cookie])
    thief.goto(console.url("/console/issues"))
    assert "/console/sign-in" in thief.url
    assert thief.locator("#login").is_visible() and thief.locator(".who").count() == 0


def test_deactivating_someone_ends_their_open_session_at_their_next_request(open_as: Any, console: Console) -> None:
    who = person(console, "leaving.soon")
    theirs = open_as(who.login)
    theirs.goto(console.url("/console/me"))
    assert theirs.locator("#me-id").inner_text() == who.login
    admin = open_as("admin")
    admin.goto(console.url("/console/admin/people"))
    press(admin, f"tr[data-person='{who.login}'] button[data-action=deactivate]")
    assert admin.locator(".message.ok").inner_text() == "Deactivated: their sessions and tokens no longer work."
    assert admin.locator(f"tr[data-person='{who.login}'] td.active").inner_text() == "no"
    assert admin.locator(f"tr[data-person='{who.login}'] button").count() == 0

    theirs.reload()
    assert "/console/sign-in" in theirs.url
    sign_in_with_password(theirs, who.login)
    assert theirs.locator("#sign-in-error").inner_text() == "The login or the password is not right."


def test_changing_my_language_switches_the_console_and_stays(open_as: Any, console: Console, shoot: Any) -> None:
    who = person(console, "lang.chooser")
    page = open_as(who.login)
    page.click(".who a")
    page.wait_for_url(re.compile(r"/console/me$"))
    assert page.locator("h1").inner_text() == "Your settings"
    assert page.locator("#me-roles").inner_text().strip() == "reporter"
    shoot(page, "me", full_page=False)
    page.select_option("#language", "zh-Hans")
    page.fill("#time_zone", "Mars/Olympus_Mons")
    assert press(page, "button[data-action=update]").status == 422
    assert "IANA" in page.locator("#me-error").inner_text()
    assert page.locator("#language").input_value() == "zh-Hans"  # kept as chosen
    page.fill("#time_zone", "Asia/Hong_Kong")
    press(page, "button[data-action=update]")
    assert page.locator("h1").inner_text() == "个人设置"
    assert page.locator("html").get_attribute("lang") == "zh-Hans"
    assert page.locator(".message.ok").inner_text() == "您的设置已保存。"
    page.goto(console.url("/console/issues"))
    assert page.locator("h1").inner_text() == "问题"  # every page, from now on
    assert console.desk.person_now(who.login).time_zone == "Asia/Hong_Kong"  # type: ignore[union-attr]


def test_groups_are_added_and_their_members_changed_with_errors_beside_the_form(
    open_as: Any, console: Console, shoot: Any
) -> None:
    person(console, "mwalter.hk", ("vendor:multiable",))
    person(console, "jchen.hk", ("vendor:multiable",))
    page = open_as("admin")
    page.click("nav.main-nav >> text=Groups")
    page.wait_for_url(re.compile(r"/console/admin/groups$"))
    page.fill("#g-id", "multiable-hk-team")
    page.fill("#g-name", "Multiable HK team")
    page.select_option("#g-kind", "vendor_team")
    page.fill("#g-members", "mwalter.hk:consultant\nnobody.at.all")
    assert press(page, "button[data-action=groups]").status == 422
    assert "a vendor team names its vendor" in page.locator("#group-error").inner_text()
    assert page.locator("#g-members").input_value() == "mwalter.hk:consultant\nnobody.at.all"  # kept
    assert page.locator("#g-kind").input_value() == "vendor_team"
    page.select_option("#g-vendor", "multiable")
    assert press(page, "button[data-action=groups]").status == 422
    assert "person nobody.at.all does not exist" in page.locator("#group-error").inner_text()
    page.fill("#g-members", "mwalter.hk:consultant")
    press(page, "button[data-action=groups]")
    row = page.locator("tr[data-group='multiable-hk-team']")
    assert row.locator("td.members li").all_inner_texts() == ["mwalter.hk consultant"]

    row.locator("details.change-members summary").click()
    row.locator("textarea[name=members]").fill("mwalter.hk:consultant\njchen.hk:technical_support")
    press(page, "tr[data-group='multiable-hk-team'] button[data-action=update-group]")
    assert page.locator(".message.ok").inner_text() == "Members changed."
    members = page.locator("tr[data-group='multiable-hk-team'] td.members > ul li").all_inner_texts()
    assert members == ["jchen.hk technical_support", "mwalter.hk consultant"]
    assert console.desk.person_now("jchen.hk").groups == ["multiable-hk-team"]  # type: ignore[union-attr]
    shoot(page, "groups")


def test_only_administrators_change_people_auditors_read_others_are_refused(open_as: Any, console: Console) -> None:
    auditor = open_as("auditor")
    auditor.click("nav.main-nav >> text=People")
    assert auditor.locator("table.people tbody tr").count() >= 4
    assert auditor.locator("form").filter(has=auditor.locator("button[data-action]")).count() == 0
    assert auditor.locator("#p-id").count() == 0
    csrf = auditor.locator("input[name=csrf]").first.get_attribute("value")
    refused = auditor.request.post(console.url("/console/admin/people/cherry.mak/deactivate"), form={"csrf": csrf})
    assert refused.status == 403
    assert console.desk.person_now("cherry.mak").active  # type: ignore[union-attr]
    for party in ("reporter", "sap"):
        page = open_as(party)
        nav = page.locator("nav.main-nav").inner_text()
        assert "People" not in nav and "Groups" not in nav
        for path in ("/console/admin/people", "/console/admin/groups"):
            assert page.goto(console.url(path)).status == 403
        assert page.goto(console.url("/console/me")).status == 200  # everyone has their own page
