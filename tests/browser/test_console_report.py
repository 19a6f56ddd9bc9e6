"""The reporter's day on a phone: report an issue with the form (seeing the priority before
sending, and possible duplicates while typing), a refused report that keeps what was typed and
writes nothing, "My issues" with what is awaited from them, and a suggestion through its form.

The reporter is the demo's Cherry Mak (`PEOPLE["reporter"]`), on a 390 px wide viewport."""

from __future__ import annotations

import re
import time
from typing import Any

import pytest

from application.context import Context
from domain.actor import Actor
from tests.browser.conftest import ADMIN, PEOPLE, Console, sign_in_with_password

pytestmark = pytest.mark.xdist_group("browser")

PHONE = 390
REPORTER = Actor(PEOPLE["reporter"].login, "reporter")
ISSUE_PAGE = re.compile(r"/console/issues/(KZ-[0-9]+)$")


def press(page: Any, selector: str) -> Any:
    """Click a button that posts its form; the answer to that post."""
    with page.expect_response(lambda r: r.request.method == "POST") as answer:
        page.click(selector)
    page.wait_for_load_state()
    return answer.value


def head(console: Console) -> int:
    """The log's last position: unchanged means nothing at all was written."""
    return int(console.desk.recorder.max_notification_id() or 0)


def fill_report(page: Any, title: str, scope: str = "department", urgency: str = "degraded") -> None:
    page.fill("input[name=title]", title)
    page.fill("textarea[name=description]", "The posting run stops with error F5 201 for company 1000.")
    page.select_option("select[name=module]", "finance")
    page.check(f"input[name=impact_scope][value={scope}]")
    page.check(f"input[name=urgency][value={urgency}]")


def until_listed(page: Any, url: str, text: str, tries: int = 20) -> str:
    """GET `url` (as the signed-in person) until its answer names `text`: the views trail the log."""
    body = ""
    for _ in range(tries):
        body = page.request.get(url).text()
        if text in body:
            return body
        time.sleep(0.25)
    raise AssertionError(f"{text} never appeared at {url}: {body[:400]}")


def test_a_reporter_sees_the_priority_then_reports_from_a_phone(open_as: Any, console: Console, shoot: Any) -> None:
    page = open_as("reporter", width=PHONE)
    page.click("nav.main-nav >> [data-nav=report]")
    page.wait_for_url(re.compile(r"/console/issues/new$"))
    assert page.input_value("input[name=vendor], select[name=vendor]") == "internal"
    fill_report(page, "Month-end GL posting stops for company 1000")
    # With the script: the priority follows the choices at once, before anything is sent.
    assert page.text_content("#outcome-priority") == "P2"
    assert page.text_content("#outcome-impact") == "Business blocking"
    page.check("input[name=urgency][value=minor]")
    assert page.text_content("#outcome-priority") == "P3"
    assert page.text_content("#outcome-impact") == "Experience"
    page.check("input[name=urgency][value=degraded]")
    # Preview: the server's answer, the same form with what was typed.
    answer = press(page, "button[name=preview]")
    assert answer.status == 200
    assert page.text_content("#outcome-priority") == "P2"
    assert page.text_content("#outcome-impact") == "Business blocking"
    assert page.input_value("input[name=title]") == "Month-end GL posting stops for company 1000"
    assert page.is_checked("input[name=impact_scope][value=department]")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE  # one column, no sideways scroll
    shoot(page, "console-report-phone")
    before = head(console)
    answer = press(page, "button[data-action=report]")
    assert answer.status == 303
    page.wait_for_url(ISSUE_PAGE)
    match = ISSUE_PAGE.search(page.url)
    assert match is not None
    key = match.group(1)
    assert key in page.text_content("main")
    assert head(console) > before
    issue = console.desk.get_issue(key)
    assert (issue.reporter, issue.priority, issue.impact_class, issue.module) == (
        REPORTER.id,
        "P2",
        "business_blocking",
        "finance",
    )


def test_without_javascript_preview_shows_the_priority(browser: Any, console: Console) -> None:
    context = browser.new_context(viewport={"width": PHONE, "height": 800}, java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(console.url("/console/sign-in"))
        sign_in_with_password(page, PEOPLE["reporter"].login)
        page.goto(console.url("/console/issues/new"))
        assert page.text_content("#outcome-priority") == "—"
        fill_report(page, "Stock count sheet prints blank", scope="company", urgency="blocking")
        assert page.text_content("#outcome-priority") == "—"  # no script: nothing computed yet
        before = head(console)
        answer = press(page, "button[name=preview]")
        assert answer.status == 200
        assert page.text_content("#outcome-priority") == "P1"
        assert page.text_content("#outcome-impact") == "Business blocking"
        assert head(console) == before  # a preview writes nothing
    finally:
        context.close()


def test_a_refused_report_keeps_what_was_typed_and_writes_nothing(open_as: Any, console: Console) -> None:
    page = open_as("reporter", width=PHONE)
    page.goto(console.url("/console/issues/new"))
    fill_report(page, "")
    page.click("details.more-fields > summary")
    page.fill("textarea[name=scenario]", "Closing the books for June")
    before = head(console)
    answer = press(page, "button[data-action=report]")
    assert answer.status == 422
    assert "/console/issues/new" in page.url
    error = page.locator("#report-error")
    assert error.is_visible()
    assert "title" in error.text_content()
    assert page.get_attribute("input[name=title]", "aria-invalid") == "true"
    assert page.input_value("textarea[name=description]").startswith("The posting run stops")
    assert page.input_value("select[name=module]") == "finance"
    assert page.is_checked("input[name=impact_scope][value=department]")
    assert page.is_checked("input[name=urgency][value=degraded]")
    assert page.input_value("textarea[name=scenario]") == "Closing the books for June"
    assert head(console) == before


def test_possible_duplicates_appear_while_the_title_is_typed(open_as: Any, console: Console) -> None:
    page = open_as("reporter", width=PHONE)
    receipt = console.desk.report(
        Context(REPORTER),
        title="Handheld scanner freezes on goods receipt at the loading dock",
        description="The RF gun hangs after the third pallet.",
        module="warehouse",
        impact_scope="team",
        urgency="degraded",
    )
    typed = "Handheld scanner freezes on goods receipt"
    until_listed(page, console.url(f"/console/issues/similar?title={typed}"), receipt.key)
    page.goto(console.url("/console/issues/new"))
    page.type("input[name=title]", typed, delay=5)
    listed = page.locator(f"#duplicates a[href$='/console/issues/{receipt.key}']")
    listed.wait_for()
    assert "loading dock" in listed.text_content()
    page.fill("input[name=title]", "Payroll export has the wrong currency")
    page.locator("#duplicates-none").wait_for()
    # Preview lists them too (the page without the script).
    page.fill("input[name=title]", typed)
    press(page, "button[name=preview]")
    assert page.locator(f"#duplicates a[href$='/console/issues/{receipt.key}']").count() == 1


def test_my_issues_shows_status_and_what_is_awaited(open_as: Any, console: Console, shoot: Any) -> None:
    page = open_as("reporter", width=PHONE)
    desk = console.desk
    waiting = desk.report(
        Context(REPORTER),
        title="Delivery note prints the old address",
        description="Since Monday the header shows the Kwun Tong address.",
        module="sales",
        impact_scope="user",
        urgency="minor",
    ).key
    desk.triage(Context(ADMIN), waiting)
    desk.wait(
        Context(ADMIN), waiting, on="reporter", reason="Which customer account shows it? Send one delivery number."
    )
    fresh = desk.report(
        Context(REPORTER),
        title="Purchase order approval mail never arrives",
        description="Approvers get nothing.",
        module="purchasing",
        impact_scope="team",
        urgency="degraded",
    ).key
    until_listed(page, console.url("/console/my-issues"), "Send one delivery number")
    until_listed(page, console.url("/console/my-issues"), fresh)  # reported last: the views hold it last
    page.click("nav.main-nav >> text=My issues")
    page.wait_for_url(re.compile(r"/console/my-issues$"))
    awaited = page.locator(f"#awaited-{waiting}")
    assert "Which customer account shows it?" in awaited.text_content()
    reply = awaited.locator("a", has_text="Reply")
    assert reply.get_attribute("href").startswith(f"/console/issues/{waiting}")
    row = page.locator(f"#mine-{fresh}")
    assert "new" in row.text_content()
    assert "waiting on reporter" in page.locator(f"#mine-{waiting}").text_content()
    shoot(page, "console-my-issues-phone")
    reply.click()
    page.wait_for_url(re.compile(rf"/console/issues/{waiting}"))


def test_a_reporter_submits_a_suggestion_through_the_form(open_as: Any, console: Console) -> None:
    page = open_as("reporter", width=PHONE)
    page.goto(console.url("/console/suggestions/new"))
    before = head(console)
    page.fill("input[name=title]", "Print pallet labels straight from the goods receipt")
    answer = press(page, "button[data-action=suggest]")
    assert answer.status == 422  # no description, no module: refused, typed kept
    assert page.locator("#suggest-error").is_visible()
    assert page.input_value("input[name=title]") == "Print pallet labels straight from the goods receipt"
    assert head(console) == before
    page.fill("textarea[name=description]", "Saves retyping the lot number on every label.")
    page.select_option("select[name=module]", "warehouse")
    answer = press(page, "button[data-action=suggest]")
    assert answer.status == 303
    text = page.text_content("main")
    found = re.search(r"SG-[0-9]+", text)
    assert found is not None, text[:400]
    suggestion = console.desk.get_suggestion(found.group(0))
    assert (suggestion.submitter, suggestion.module) == (REPORTER.id, "warehouse")
