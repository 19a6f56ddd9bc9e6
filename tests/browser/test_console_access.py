"""Signing in, the session cookie, CSRF, and what each role may and may not see or do."""

from __future__ import annotations

import re
from typing import Any

import pytest

from application.context import Context
from domain.actor import SYSTEM
from tests.browser.conftest import PASSWORD, sign_in_with_password

pytestmark = pytest.mark.xdist_group("browser")


def csrf_of(page: Any) -> str:
    value: str = page.locator("input[name=csrf]").first.get_attribute("value")
    return value


def test_sign_in_with_a_password_sets_a_strict_httponly_cookie_and_keeps_the_login_on_refusal(
    open_as: Any, console: Any, shoot: Any
) -> None:
    page = open_as(None)
    assert page.locator("label[for=login]").inner_text() == "Login or e-mail address"
    assert page.locator("#token").is_hidden()  # the pasted token is no longer the main form
    shoot(page, "sign-in", full_page=False)
    page.fill("#login", "audit.chan")
    page.fill("#password", "not the password at all")
    with page.expect_response(lambda r: r.request.method == "POST") as answer:
        page.click("button[data-action=sign-in]")
    assert answer.value.status == 401
    assert page.locator("#sign-in-error").inner_text() == "The login or the password is not right."
    assert page.locator("#login").input_value() == "audit.chan"  # the login is kept, the password never
    assert page.locator("#password").input_value() == ""
    assert page.locator("#login").get_attribute("aria-invalid") == "true"

    page.fill("#login", "AUDIT.CHAN@example.com")  # the e-mail address works too, in any case
    page.fill("#password", PASSWORD)
    page.click("button[data-action=sign-in]")
    page.wait_for_url(re.compile(r"/console/compliance$"))
    (cookie,) = [c for c in page.context.cookies() if c["name"] == "kaizen_console"]
    assert cookie["httpOnly"] is True
    assert cookie["sameSite"] == "Strict"
    assert cookie["path"] == "/console"
    assert cookie["secure"] is False  # plain HTTP here; HTTPS requests get Secure
    assert PASSWORD not in cookie["value"]
    name = console.desk.person_now("audit.chan").name  # the demo's, or the fixture's "Audrey Chan"
    assert page.locator(".who").inner_text().split() == ["Signed", "in", "as", *name.split(), "auditor"]


def test_pasting_a_token_is_kept_for_administrators_under_other_ways(open_as: Any, console: Any) -> None:
    page = open_as(None)
    page.click("#other-ways summary")
    page.fill("#token", "kz_000000000000_" + "x" * 43)
    page.click("button[data-action=sign-in-token]")
    assert page.locator("#token-error").inner_text() == "That token is unknown, malformed or revoked."
    assert page.locator("#other-ways").get_attribute("open") is not None  # still open, beside its error
    _, auditor_token = console.desk.issue_token(Context(SYSTEM), "auditor", "audit.chan")
    page.fill("#token", auditor_token)
    page.click("button[data-action=sign-in-token]")
    assert "for administrators" in page.locator("#token-error").inner_text()
    _, robot_token = console.desk.issue_token(Context(SYSTEM), "admin", "night-shift-robot")
    page.fill("#token", robot_token)
    page.click("button[data-action=sign-in-token]")
    page.wait_for_url(re.compile(r"/console/compliance$"))
    page.goto(console.url("/console/me"))
    assert "API token" in page.locator("#me-token").inner_text()  # a token of nobody: no person
    assert page.locator("form.preferences").count() == 0


def test_a_pasted_token_of_a_person_opens_that_persons_session(open_as: Any, console: Any) -> None:
    page = open_as(None)
    page.click("#other-ways summary")
    page.fill("#token", console.tokens["admin"])  # ada.wong's token: she is a person
    page.click("button[data-action=sign-in-token]")
    page.wait_for_url(re.compile(r"/console/compliance$"))
    page.goto(console.url("/console/me"))
    assert page.locator("form.preferences").count() == 1
    assert console.desk.person_now("ada.wong").last_signed_in_at is not None


def test_forms_without_the_session_csrf_token_are_refused(open_as: Any, console: Any) -> None:
    page = open_as("reporter")
    refused = page.request.post(console.url("/console/sign-out"), form={"csrf": "forged"}, max_redirects=0)
    assert refused.status == 400
    cross_site = page.request.post(
        console.url("/console/sign-out"),
        form={"csrf": csrf_of(page)},
        headers={"Origin": "https://evil.example"},
        max_redirects=0,
    )
    assert cross_site.status == 403
    page.click(".account button[type=submit]")  # the real sign-out form carries the token
    page.wait_for_url(re.compile(r"/console/sign-in"))
    page.goto(console.url("/console/issues"))
    assert "/console/sign-in?next=" in page.url  # signed out: back to the sign-in page, then here


def test_a_revoked_token_ends_its_session_at_the_next_page(open_as: Any, console: Any) -> None:
    token_id, token = console.desk.issue_token(Context(SYSTEM), "admin", "revoked-admin")
    page = open_as(None)
    page.click("#other-ways summary")
    page.fill("#token", token)
    page.click("button[data-action=sign-in-token]")
    page.wait_for_url(re.compile(r"/console/compliance$"))
    console.desk.revoke_token(Context(SYSTEM), token_id)
    page.goto(console.url("/console/issues"))
    assert "/console/sign-in" in page.url


def test_vendor_sees_only_its_own_issues_and_pages(open_as: Any, console: Any) -> None:
    page = open_as("sap")
    assert re.search(r"/console/vendors/sap$", page.url)  # a vendor lands on its own page
    nav = page.locator("nav.main-nav").inner_text()
    assert "Agenda" not in nav and "Health check" not in nav
    page.click("nav.main-nav >> text=Issues")
    vendors = page.locator("table.issues tbody tr td:nth-child(5)").all_inner_texts()
    assert vendors and set(vendors) == {"sap"}
    page.goto(console.url("/console/compliance"))
    assert page.locator(".filters .fixed").inner_text() == "sap"  # the vendor filter is fixed
    assert set(page.locator("section[aria-labelledby=h-breaches] tbody td:nth-child(5)").all_inner_texts()) <= {"sap"}
    for path, status in (("/console/vendors/oracle", 404), ("/console/agenda", 403), ("/console/health-check", 403)):
        assert page.goto(console.url(path)).status == status
    hidden = _an_issue_not_escalated_to(page, console, "sap")
    assert page.goto(console.url(f"/console/issues/{hidden}")).status == 404


def _an_issue_not_escalated_to(page: Any, console: Any, vendor: str) -> str:
    admin = page.context.browser.new_context()
    try:
        other = admin.new_page()
        other.goto(console.url("/console/sign-in"))
        sign_in_with_password(other, console.login("admin"))
        other.goto(console.url("/console/issues?vendor=internal"))
        key: str = other.locator("table.issues tbody th a").first.inner_text()
        return key
    finally:
        admin.close()


def test_reporter_sees_own_issues_and_votes_with_a_csrf_protected_form(open_as: Any, console: Any) -> None:
    page = open_as("reporter")
    assert page.url.endswith("/console/issues")
    assert page.goto(console.url("/console/compliance")).status == 403
    page.goto(console.url("/console/issues"))
    keys = page.locator("table.issues tbody th a").all_inner_texts()
    assert keys
    for key in keys[:2]:
        page.goto(console.url(f"/console/issues/{key}"))
        assert page.locator("dt:text-is('Reporter') + dd").inner_text() == "cherry.mak"
        assert page.locator("#h-chain").count() == 0  # chain checks belong to /audit readers
    page.goto(console.url("/console/suggestions?sort=votes"))
    card = page.locator("li.suggestion", has=page.locator("form.vote button:text-is('Vote')")).first
    key = card.locator(".title .key").inner_text()
    before = int(card.locator(".votes .n").inner_text())
    card.locator("form.vote button").click()
    page.wait_for_load_state()
    assert page.locator(".message.ok").inner_text() == "Your vote was counted."
    after_card = page.locator("li.suggestion", has=page.locator(f".key:text-is('{key}')"))
    assert int(after_card.locator(".votes .n").inner_text()) == before + 1
    after_card.locator("form.vote button:has-text('Withdraw vote')").click()
    page.wait_for_load_state()
    again = page.locator("li.suggestion", has=page.locator(f".key:text-is('{key}')"))
    assert int(again.locator(".votes .n").inner_text()) == before


def test_auditor_reads_everything_but_cannot_change_anything(open_as: Any, console: Any) -> None:
    page = open_as("auditor")
    for path in ("/console/agenda", "/console/health-check", "/console/vendors/oracle", "/console/issues"):
        assert page.goto(console.url(path)).status == 200
    page.goto(console.url("/console/suggestions"))
    assert page.locator("form.vote").count() == 0
    key = page.locator("li.suggestion .title .key").first.inner_text()
    answer = page.request.post(console.url(f"/console/suggestions/{key}/vote"), form={"csrf": csrf_of(page)})
    assert answer.status == 403


def test_keyboard_reaches_the_skip_link_and_navigation_with_visible_focus(open_as: Any) -> None:
    page = open_as("admin")
    page.keyboard.press("Tab")
    skip = page.locator(".skip-link")
    assert skip.evaluate("el => el === document.activeElement")
    assert skip.is_visible()
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    focused = page.evaluate("() => document.activeElement.closest('nav') ? document.activeElement.textContent : ''")
    assert focused.strip() == "Compliance"
    outline = page.evaluate("() => getComputedStyle(document.activeElement).outlineStyle")
    assert outline not in ("", "none")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/console/compliance"))
