"""The administrators' work queue, acted out in the browser: tabs, sorting by the next SLA due
time, selecting several issues and assigning or triaging them together (a refused one reported by
key with the API's detail), and who may open the page at all (a vendor consultant gets their own
read-only queue; a reporter or an auditor gets 403)."""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest

from application.context import Context
from domain.actor import Actor
from tests.browser.conftest import ADMIN, Console, KnownPerson, ensure_person

pytestmark = pytest.mark.xdist_group("browser")

REPORTER = Actor("cherry.mak", "reporter")


def report(console: Console, title: str) -> str:
    """An issue reported by the clerk (unassigned, new); its key."""
    receipt = console.desk.report(
        Context(REPORTER),
        title=title,
        description="Found while testing the work queue.",
        module="finance",
        impact_scope="team",
        urgency="degraded",
    )
    return receipt.key


def press(page: Any, selector: str) -> Any:
    """Click a button that posts a form; the answer to that post."""
    with page.expect_response(lambda r: r.request.method == "POST") as answer:
        page.click(selector)
    page.wait_for_load_state()
    return answer.value


def queue_admin(console: Console) -> str:
    """An administrator of these tests only (so group membership changes nobody else's queue)."""
    login = f"queue.admin.{uuid.uuid4().hex[:6]}"
    ensure_person(console.desk, KnownPerson(login, "Quinn Admin", ("admin",)))
    return login


def test_admin_switches_tabs_and_assigns_selected_issues_to_a_group(open_as: Any, console: Console) -> None:
    tag = uuid.uuid4().hex[:6]
    first, second, third = (report(console, f"Queue test {tag} {n}") for n in ("one", "two", "three"))
    group = f"queue-{tag}"
    console.desk.create_group(Context(ADMIN), group, name=f"Queue team {tag}", kind="admin_team")

    admin = open_as("admin")
    admin.click("nav.main-nav >> text=Queue")
    admin.wait_for_url(re.compile(r"/console/queue$"))
    assert admin.get_attribute("#queue-tabs a[data-tab=unassigned]", "aria-current") == "page"
    admin.click("#queue-tabs a[data-tab=open]")
    assert admin.get_attribute("#queue-tabs a[data-tab=open]", "aria-current") == "page"
    assert admin.get_attribute("#queue-tabs a[data-tab=unassigned]", "aria-current") is None
    admin.click("#queue-tabs a[data-tab=unassigned]")
    admin.click("a[data-sort=updated]")  # the newest first: this test's issues are on top
    assert "tab=unassigned" in admin.url and "sort=updated" in admin.url
    for key in (first, second, third):
        assert admin.locator(f"#queue-table tr[data-key={key}]").count() == 1
    assert "Keyboard shortcuts" in admin.inner_text("#queue-shortcuts")

    for key in (first, second, third):
        admin.check(f"input[name=keys][value={key}]")
    # Someone closes the third one while the page is open: assigning it is refused.
    console.desk.resolve(Context(ADMIN), third, resolution="Fixed elsewhere")
    console.desk.close_issue(Context(ADMIN), third)
    admin.select_option("#q-assignee", group)
    answer = press(admin, "button[data-action=assign]")
    assert answer.status == 200
    done = admin.inner_text("#queue-results")
    assert admin.locator(f"[data-done={first}]").count() == 1
    assert admin.locator(f"[data-done={second}]").count() == 1
    refused = admin.inner_text(f"[data-refused={third}]")
    assert third in refused and "closed" in refused, done
    assert console.desk.get_issue(first).assignee == group
    assert console.desk.get_issue(second).assignee == group
    assert console.desk.get_issue(third).assignee is None
    # The answer page is the queue again: the assigned ones left "Unassigned".
    assert admin.locator(f"#queue-table tr[data-key={first}]").count() == 0
    admin.click("#queue-tabs a[data-tab=open]")
    admin.click("a[data-sort=updated]")
    assert admin.inner_text(f"#queue-table tr[data-key={first}] td.assignee") == group


def test_triage_selected_and_a_form_refused_whole(open_as: Any, console: Console) -> None:
    key = report(console, f"Queue triage {uuid.uuid4().hex[:6]}")
    admin = open_as("admin")
    admin.goto(console.url("/console/queue?tab=unassigned&sort=updated"))
    admin.select_option("#q-impact_scope", "company")
    admin.select_option("#q-urgency", "blocking")
    answer = press(admin, "button[data-action=triage]")  # nothing selected
    assert answer.status == 422
    assert "select at least one issue" in admin.inner_text("#queue-error")
    assert admin.input_value("#q-urgency") == "blocking"  # what was typed is kept
    assert console.desk.get_issue(key).status == "new"

    admin.check(f"input[name=keys][value={key}]")
    answer = press(admin, "button[data-action=triage]")
    assert answer.status == 200
    assert admin.locator(f"[data-done={key}]").count() == 1
    issue = console.desk.get_issue(key)
    assert str(issue.status) == "triaged" and str(issue.priority) == "P1"


def test_mine_and_my_groups(open_as: Any, console: Console) -> None:
    tag = uuid.uuid4().hex[:6]
    login = queue_admin(console)
    group = f"queue-mine-{tag}"
    console.desk.create_group(
        Context(ADMIN), group, name=f"Mine team {tag}", kind="admin_team", members=[{"person": login}]
    )
    mine, ours, other = (report(console, f"Queue mine {tag} {n}") for n in ("mine", "ours", "other"))
    console.desk.assign(Context(ADMIN), mine, assignee=login)
    console.desk.assign(Context(ADMIN), ours, assignee=group)
    page = open_as(login)
    page.goto(console.url("/console/queue?tab=mine&sort=updated"))
    assert page.get_attribute("#queue-tabs a[data-tab=mine]", "aria-current") == "page"
    assert page.locator(f"#queue-table tr[data-key={mine}]").count() == 1
    assert page.locator(f"#queue-table tr[data-key={ours}]").count() == 0
    page.click("#queue-tabs a[data-tab=groups]")
    assert page.locator(f"#queue-table tr[data-key={mine}]").count() == 1  # a member's issue is the group's
    assert page.locator(f"#queue-table tr[data-key={ours}]").count() == 1
    assert page.locator(f"#queue-table tr[data-key={other}]").count() == 0


def test_sort_by_due_orders_by_next_due_and_at_risk_shows_only_risky(open_as: Any, console: Console) -> None:
    admin = open_as("admin")
    admin.goto(console.url("/console/queue?tab=open"))
    assert admin.get_attribute("a[data-sort=due]", "aria-current") == "true"  # the default
    dues = admin.eval_on_selector_all("#queue-table td.due", "cells => cells.map(c => c.dataset.due)")
    assert dues, "the demo has open issues"
    timed = [d for d in dues if d]
    assert timed == sorted(timed)
    assert dues[: len(timed)] == timed  # issues with no running clock come last
    assert re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d (UTC|[A-Za-z_]+/[A-Za-z_]+)", admin.inner_text("#queue-table tbody"))

    admin.click("#queue-tabs a[data-tab=at-risk]")
    rows = admin.locator("#queue-table tbody tr[data-key]")
    assert rows.count() > 0, "the demo, at its fixed time, has breached clocks"
    for n in range(rows.count()):
        assert rows.nth(n).locator(".badge-breached, .badge-at-risk").count() == 1
    risky = admin.eval_on_selector_all("#queue-table td.due", "cells => cells.map(c => c.dataset.due)")
    assert risky == sorted(risky)


def test_who_may_open_the_queue(open_as: Any, console: Console) -> None:
    for party in ("reporter", "auditor"):
        page = open_as(party)
        answer = page.goto(console.url("/console/queue"))
        assert answer is not None and answer.status == 403, party
        assert page.locator("nav.main-nav >> text=Queue").count() == 0
    escalated = report(console, f"Queue vendor {uuid.uuid4().hex[:6]}")
    console.desk.escalate(Context(ADMIN), escalated, vendor="sap", vendor_ticket="SAP incident 0020750001")
    vendor = open_as("sap")
    answer = vendor.goto(console.url("/console/queue"))
    assert answer is not None and answer.status == 200
    assert vendor.locator("input[name=keys]").count() == 0  # read-only: no admin action offered
    assert vendor.locator("button[data-action]").count() == 0
    dues = vendor.eval_on_selector_all("#queue-table td.due", "cells => cells.map(c => c.dataset.due)")
    timed = [d for d in dues if d]
    assert timed == sorted(timed)
    keys = vendor.eval_on_selector_all("#queue-table tr[data-key]", "rows => rows.map(r => r.dataset.key)")
    assert escalated in keys
    for key in keys[:5]:
        assert console.desk.get_issue(key).vendor == "sap"
    # Posting an admin action anyway, with the session's own CSRF token: 403, nothing written.
    token = vendor.get_attribute("input[name=csrf]", "value")
    before = console.desk.get_issue(keys[0]).version
    posted = vendor.request.post(
        console.url("/console/queue/assign"), form={"csrf": token, "keys": keys[0], "assignee": "ada.wong"}
    )
    assert posted.status == 403
    assert console.desk.get_issue(keys[0]).version == before


def test_keyboard_shortcuts_select_and_assign(open_as: Any, console: Console) -> None:
    tag = uuid.uuid4().hex[:6]
    key = report(console, f"Queue keys {tag}")
    admin = open_as("admin")
    admin.goto(console.url("/console/queue?tab=unassigned&sort=updated"))
    assert "j / k" in admin.inner_text("#queue-shortcuts")
    admin.locator("h1").click()  # nothing focused but the page
    admin.keyboard.press("j")  # the newest: this test's issue
    assert admin.evaluate("document.activeElement.value") == key
    admin.keyboard.press("x")
    assert admin.is_checked(f"input[name=keys][value={key}]")
    admin.keyboard.press("a")  # no assignee chosen yet: the field to choose it
    assert admin.evaluate("document.activeElement.id") == "q-assignee"
    admin.select_option("#q-assignee", "ada.wong")
    admin.locator("h1").click()
    with admin.expect_response(lambda r: r.request.method == "POST") as answer:
        admin.keyboard.press("a")
    admin.wait_for_url(re.compile(r"/console/queue/assign$"))
    assert answer.value.status == 200
    assert admin.locator(f"[data-done={key}]").count() == 1
    assert console.desk.get_issue(key).assignee == "ada.wong"
