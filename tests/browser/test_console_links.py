"""Linked issues and "me too" in the console, through the real server on both stores.

A second clerk (the demo's Cherry Mak) types a title like a colleague's open issue into the
report form, sees it among the possible duplicates, presses **Me too**, and the issue's
affected count rises; the administrator links an issue as a duplicate of another from its
page; a refused link (to itself, to an unknown key) shows the detail beside the form and
writes nothing."""

from __future__ import annotations

from typing import Any

import pytest

from application.context import Context
from domain.actor import Actor
from tests.browser.conftest import Console
from tests.browser.test_console_report import head, press, until_listed

pytestmark = pytest.mark.xdist_group("browser-desk")  # the work desk: its own worker (tests/browser/conftest.py)

COLLEAGUE = Actor("dewi.lestari", "reporter")


def report(console: Console, title: str, by: Actor = COLLEAGUE) -> str:
    receipt = console.desk.report(
        Context(by),
        title=title,
        description="The RF gun hangs after the third pallet.",
        module="warehouse",
        impact_scope="team",
        urgency="degraded",
    )
    return receipt.key


def test_a_second_clerk_says_me_too_from_the_report_form(open_as: Any, console: Console) -> None:
    key = report(console, "Handheld scanner freezes on goods receipt at dock 3")
    page = open_as("reporter")
    typed = "Handheld scanner freezes on goods receipt"
    until_listed(page, console.url(f"/console/issues/similar?title={typed}"), key)
    page.goto(console.url("/console/issues/new"))
    page.type("input[name=title]", typed, delay=5)
    button = page.locator(f"#duplicates li:has(a[href$='/console/issues/{key}']) button[data-action=affected]")
    button.wait_for()
    assert button.get_attribute("aria-label") == "Me too"
    answer = press(page, f"#duplicates li:has(a[href$='/console/issues/{key}']) button[data-action=affected]")
    assert answer.status in (200, 303)
    assert page.url.endswith("/console/my-issues")
    assert key in page.locator(".messages").text_content()
    assert console.desk.get_issue(key).affected_people == ["cherry.mak"]
    # The colleague's issue stays theirs to read: Cherry sees only the count through the API's rule.
    assert page.request.get(console.url(f"/console/issues/{key}")).status == 404


def test_me_too_on_the_issue_page_raises_the_count(open_as: Any, console: Console) -> None:
    key = report(console, "Label printer skips every other label")
    page = open_as("admin")
    page.goto(console.url(f"/console/issues/{key}"))
    assert page.locator("#affected-count").get_attribute("data-affected-count") == "0"
    press(page, "#links button[data-action=affected]")
    assert page.locator("#affected-count").get_attribute("data-affected-count") == "1"
    assert page.locator("#links button[data-action=affected]").count() == 0  # once per person


def test_the_admin_links_a_duplicate_and_a_refused_link_writes_nothing(open_as: Any, console: Console) -> None:
    original = report(console, "Goods receipt posts twice for one delivery")
    duplicate = report(console, "Goods receipt posted two times", by=Actor("cherry.mak", "reporter"))
    page = open_as("admin")
    page.goto(console.url(f"/console/issues/{duplicate}"))

    before = head(console)
    page.fill("#links-target", duplicate)
    answer = press(page, "#links button[data-action=links]")
    assert answer.status == 422
    assert "itself" in page.locator("#links [data-refused=links]").text_content()
    assert page.input_value("#links-target") == duplicate  # what was typed is kept
    page.fill("#links-target", "KZ-999999")
    assert press(page, "#links button[data-action=links]").status == 422
    assert "no issue KZ-999999" in page.locator("#links [data-refused=links]").text_content()
    assert head(console) == before

    page.select_option("#links-kind", "duplicate_of")
    page.fill("#links-target", original)
    press(page, "#links button[data-action=links]")
    link = page.locator(f"#links li.link[data-kind=duplicate_of] a[href$='/console/issues/{original}']")
    assert link.count() == 1
    link.click()
    page.wait_for_load_state()
    assert page.locator(f"#links li.link[data-direction=inward] a[href$='/console/issues/{duplicate}']").count() == 1
    assert console.desk.get_issue(original).followers == ("cherry.mak",)
