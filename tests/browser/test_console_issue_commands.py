"""The issue page as the place where the work is done: an administrator triages, assigns,
responds, comments, escalates and resolves through the page's forms; a vendor consultant records
an update and asks the customer for information and is offered nothing else; a reporter's reply
puts an issue waiting on them back to work. Refused commands show the API's detail beside the
form with what was typed kept, and write nothing."""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest

from application.context import Context
from domain.actor import Actor
from tests.browser.conftest import ADMIN, Console

pytestmark = pytest.mark.xdist_group("browser-desk")  # the work desk: its own worker (tests/browser/conftest.py)

REPORTER = Actor("cherry.mak", "reporter")


def reported(console: Console, title: str) -> str:
    receipt = console.desk.report(
        Context(REPORTER),
        title=title,
        description="The month-end accrual posted twice to 2100.",
        module="finance",
        impact_scope="department",
        urgency="degraded",
    )
    return receipt.key


def escalated(console: Console, title: str) -> str:
    key = reported(console, title)
    console.desk.triage(Context(ADMIN), key, assignee="finance")
    console.desk.escalate(Context(ADMIN), key, vendor="sap", vendor_ticket="0020751234", vendor_priority="High")
    return key


def command(page: Any, action: str, fields: dict[str, str] | None = None) -> Any:
    """Open the command's section, fill its fields (by input name), press its button; the answer."""
    form = page.locator(f"form[data-command='{action}']")
    section = page.locator(f"details:has(form[data-command='{action}'])")
    if section.count() and section.get_attribute("open") is None:
        section.locator("> summary").click()
    for name, value in (fields or {}).items():
        field = form.locator(f"[name='{name}']")
        if field.evaluate("e => e.tagName") == "SELECT":
            field.select_option(value)
        else:
            field.fill(value)
    with page.expect_response(lambda r: r.request.method == "POST") as answer:
        form.locator(f"button[data-action='{action}']").click()
    page.wait_for_load_state()
    return answer.value


def status_shown(page: Any) -> str:
    return str(page.locator("dl.facts .badge").first.inner_text()).strip()


def test_the_admin_works_an_issue_through_its_forms(open_as: Any, console: Console, shoot: Any) -> None:
    key = reported(console, f"Accrual posted twice {uuid.uuid4().hex[:6]}")
    admin = open_as("admin")
    admin.goto(console.url(f"/console/issues/{key}"))

    assert command(admin, "triage", {"assignee": "finance"}).status == 303
    assert status_shown(admin) == "triaged"
    command(admin, "respond", {"message": "We are looking at the accrual job now."})
    command(admin, "comments", {"body": "Job SM37 shows two runs at 02:00.", "visibility": "internal"})
    command(admin, "escalate", {"vendor": "sap", "vendor_ticket": "0020751234", "vendor_priority": "Very High"})

    assert status_shown(admin) == "escalated"
    assert "0020751234" in admin.locator("dl.facts").inner_text()
    thread = admin.locator("section.conversation li.said")
    assert thread.count() == 2
    assert "We are looking at the accrual job now." in thread.nth(0).inner_text()
    assert "internal" in thread.nth(1).inner_text()
    issue = console.desk.get_issue(key)
    assert issue.assignee == "finance" and issue.escalation is not None
    assert issue.escalation["vendor_priority"] == "Very High"
    shoot(admin, "issue-commands")


def test_a_refused_command_shows_the_detail_and_keeps_what_was_typed(open_as: Any, console: Console) -> None:
    key = reported(console, f"Refusal on the page {uuid.uuid4().hex[:6]}")
    before = console.desk.get_issue(key).version
    admin = open_as("admin")
    admin.goto(console.url(f"/console/issues/{key}"))

    answer = command(admin, "resolve", {"root_cause": "Duplicate job schedule in SM36"})
    assert answer.status == 422
    alert = admin.locator("form[data-command='resolve'] [role=alert]")
    assert alert.is_visible() and "not valid" in alert.inner_text()
    resolution = admin.locator("form[data-command='resolve'] [name='resolution']")
    assert resolution.get_attribute("aria-invalid") == "true"
    assert admin.locator("#resolve-resolution-error").inner_text().strip()  # the field's own reason
    assert admin.locator("form[data-command='resolve'] [name='root_cause']").input_value() == (
        "Duplicate job schedule in SM36"
    )
    assert console.desk.get_issue(key).version == before


def test_a_refused_transition_says_why_with_the_apis_status(open_as: Any, console: Console) -> None:
    key = reported(console, f"Not waiting yet {uuid.uuid4().hex[:6]}")
    admin = open_as("admin")
    admin.goto(console.url(f"/console/issues/{key}"))
    answer = command(admin, "resume", {"reason": "trace sent"})
    assert answer.status == 409
    assert "resume" in admin.locator("form[data-command='resume'] [role=alert]").inner_text()
    assert admin.locator("form[data-command='resume'] [name='reason']").input_value() == "trace sent"


def test_workarounds_are_added_and_retired_on_the_page(open_as: Any, console: Console) -> None:
    key = reported(console, f"Workaround on the page {uuid.uuid4().hex[:6]}")
    admin = open_as("admin")
    admin.goto(console.url(f"/console/issues/{key}"))
    command(
        admin,
        "workarounds",
        {"kind": "manual_ledger", "description": "Reverse the second posting by hand", "retire_by": "2026-07-31"},
    )
    row = admin.locator("li[data-workaround='w1']")
    assert "Reverse the second posting by hand" in row.inner_text() and "2026-07-31" in row.inner_text()
    row.locator("[name='note']").fill("SAP note applied")
    with admin.expect_response(lambda r: r.request.method == "POST"):
        row.locator("button[data-action='retire']").click()
    admin.wait_for_load_state()
    assert "retired" in admin.locator("li[data-workaround='w1']").inner_text()
    assert console.desk.get_issue(key).workarounds["w1"]["retired_at"] is not None


def test_the_vendor_records_an_update_and_asks_the_customer(open_as: Any, console: Console) -> None:
    key = escalated(console, f"Vendor on the page {uuid.uuid4().hex[:6]}")
    sap = open_as("sap")
    sap.goto(console.url(f"/console/issues/{key}"))
    offered = sorted(sap.eval_on_selector_all("form.command-form", "fs => fs.map(f => f.dataset.command)"))
    assert offered == ["attachments", "comments", "vendor-updates", "wait"]  # who may comment may attach

    command(sap, "vendor-updates", {"message": "Apply SAP note 3141592 and rerun FAGL_FCV."})
    said = sap.locator("section.conversation li.said[data-kind='vendor_update']")
    assert "3141592" in said.inner_text() and "Markus Walter" in said.inner_text()
    stopped = sap.locator("table:has(#cap-clocks) tbody tr:has(th:text-matches('vendor response', 'i')) td").nth(4)
    assert re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d", stopped.inner_text()), "the response clock stopped"

    command(sap, "wait", {"on": "customer", "reason": "Please send the job log of 30 June."})
    assert status_shown(sap) == "waiting on customer"


def test_a_vendor_posting_an_admin_action_gets_the_403_page(open_as: Any, console: Console) -> None:
    key = escalated(console, f"Vendor overreach {uuid.uuid4().hex[:6]}")
    before = console.desk.get_issue(key).version
    sap = open_as("sap")
    sap.goto(console.url(f"/console/issues/{key}"))
    assert sap.locator("form[data-command='resolve']").count() == 0
    csrf = sap.locator("form[data-command='comments'] [name='csrf']").input_value()
    answer = sap.request.post(
        console.url(f"/console/issues/{key}/resolve"), form={"csrf": csrf, "resolution": "closing it myself"}
    )
    assert answer.status == 403 and "Error 403" in answer.text()
    assert console.desk.get_issue(key).version == before


def test_the_reporters_reply_puts_the_issue_back_to_work(open_as: Any, console: Console) -> None:
    key = reported(console, f"Waiting on the clerk {uuid.uuid4().hex[:6]}")
    console.desk.triage(Context(ADMIN), key, assignee="finance")
    console.desk.wait(Context(ADMIN), key, on="reporter", reason="Which company code?")
    clerk = open_as("reporter")
    for _ in range(20):  # the views apply the desk's writes a moment later
        clerk.goto(console.url("/console/my-issues"))
        if clerk.locator(f"#awaited-{key}").count():
            break
        clerk.wait_for_timeout(250)
    assert "Which company code?" in clerk.locator(f"#awaited-{key}").inner_text()
    clerk.click(f"#awaited-{key} a.button-link")
    clerk.wait_for_url(re.compile(rf"/console/issues/{key}#cmd-comments$"))
    assert status_shown(clerk) == "waiting on reporter"
    command(clerk, "comments", {"body": "Company code 1000, Hong Kong."})
    assert status_shown(clerk) == "triaged"
    assert console.desk.get_issue(key).status == "triaged"
