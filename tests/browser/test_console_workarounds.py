"""The workaround register in the browser: an administrator registers a go-live compromise and an
issue's workaround with the one form, sees a refusal beside it with what was typed kept, retires
a row; an auditor reads the register without its forms; reporters and vendors get 403."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from application.context import Context
from domain.actor import Actor
from tests.browser.conftest import Console

pytestmark = pytest.mark.xdist_group("browser-desk")  # the work desk: its own worker (tests/browser/conftest.py)

REPORTER = Actor("cherry.mak", "reporter")


def press(page: Any, selector: str) -> Any:
    """Click a button that posts a form; the answer to that post (after any redirect)."""
    with page.expect_response(lambda r: r.request.method == "POST") as answer:
        page.click(selector)
    page.wait_for_load_state()
    return answer.value


def fill_form(page: Any, description: str, retire_by: str, issue_key: str = "") -> None:
    page.select_option("#wa-kind", "approval_outside_system")
    page.fill("#wa-description", description)
    page.fill("#wa-retire_by", retire_by)
    page.fill("#wa-owner", "Ms Chan")
    page.fill("#wa-issue_key", issue_key)


def test_admin_registers_refused_then_accepted_and_retires(open_as: Any, console: Console) -> None:
    tag = uuid.uuid4().hex[:6]
    admin = open_as("admin")
    admin.click("nav.main-nav >> text=Workarounds")
    admin.wait_for_url("**/console/workarounds")
    assert admin.get_attribute("#workaround-filters a[data-state=open]", "aria-current") == "page"

    # A retire-by date in the past (today is 2026-06-30 on this console) is refused.
    fill_form(admin, f"Approvals by e-mail {tag}", "2026-01-31")
    answer = press(admin, "button[data-action=workarounds]")
    assert answer.status == 422
    assert "in the past" in admin.inner_text("#workarounds-error")
    assert admin.input_value("#wa-description") == f"Approvals by e-mail {tag}"  # typed, kept
    assert admin.input_value("#wa-retire_by") == "2026-01-31"
    assert f"Approvals by e-mail {tag}" not in admin.inner_text("#workarounds-table")

    admin.fill("#wa-retire_by", "2026-09-30")
    answer = press(admin, "button[data-action=workarounds]")
    row = admin.locator("#workarounds-table tr", has_text=f"Approvals by e-mail {tag}")
    assert row.count() == 1, admin.inner_text("#workarounds-table")
    assert "go-live compromise" in row.inner_text() and "Ms Chan" in row.inner_text()

    # The same form with an issue key records the issue's workaround, linked to the issue.
    key = console.desk.report(
        Context(REPORTER),
        title=f"Workaround register {tag}",
        description="Month-end report by hand",
        module="finance",
        impact_scope="team",
        urgency="degraded",
    ).key
    fill_form(admin, f"Report built by hand {tag}", "2026-07-15", issue_key=key)
    press(admin, "button[data-action=workarounds]")
    on_issue = admin.locator("#workarounds-table tr", has_text=f"Report built by hand {tag}")
    assert on_issue.locator(f"a[href$='/console/issues/{key}']").count() == 1
    assert [w["description"] for w in console.desk.get_issue(key).workarounds.values()] == [
        f"Report built by hand {tag}"
    ]

    # Retire the go-live compromise: it leaves the open list and shows among the retired.
    row.locator("input[name=note]").fill("workflow live")
    with admin.expect_response(lambda r: r.request.method == "POST"):
        row.locator("button[data-action=retire]").click()
    admin.wait_for_load_state()
    assert admin.locator("#workarounds-table tr", has_text=f"Approvals by e-mail {tag}").count() == 0
    admin.click("#workaround-filters a[data-state=retired]")
    retired = admin.locator("#workarounds-table tr", has_text=f"Approvals by e-mail {tag}")
    assert "workflow live" in retired.inner_text()
    assert retired.locator("button[data-action=retire]").count() == 0


def test_overdue_ones_come_first_with_a_badge(open_as: Any, console: Console, shoot: Any) -> None:
    tag = uuid.uuid4().hex[:6]
    # Registered in the past (as an import would), due before today (2026-06-30).
    at = console.desk.clock().replace(month=5, day=1)
    console.desk.register_workaround(
        Context(Actor("ada.wong", "admin"), at=at),
        kind="manual_ledger",
        description=f"Paper stock cards {tag}",
        retire_by=at.date().replace(day=20),
    )
    admin = open_as("admin")
    admin.goto(console.url("/console/workarounds?state=overdue"))
    first = admin.locator("#workarounds-table tbody tr").first
    assert "overdue" in first.inner_text()
    row = admin.locator("#workarounds-table tr", has_text=f"Paper stock cards {tag}")
    assert row.locator(".badge-overdue").count() == 1
    admin.goto(console.url("/console/workarounds"))
    shoot(admin, "workarounds")


def test_auditor_reads_without_forms_and_others_are_refused(open_as: Any, console: Console) -> None:
    auditor = open_as("auditor")
    auditor.goto(console.url("/console/workarounds?state=all"))
    assert auditor.locator("#workarounds-table").count() == 1
    assert auditor.locator("button[data-action=workarounds]").count() == 0
    assert auditor.locator("button[data-action=retire]").count() == 0
    for party in ("reporter", "sap"):
        page = open_as(party)
        answer = page.goto(console.url("/console/workarounds"))
        assert answer is not None and answer.status == 403, party
        assert page.locator("nav.main-nav >> text=Workarounds").count() == 0
