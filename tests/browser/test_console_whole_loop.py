"""The company's whole loop, each step done in the browser by the person whose job it is, in
Traditional Chinese and in Vietnamese, with every person on Asia/Ho_Chi_Minh time, so the times
on their pages are in that zone and say so:

1. a clerk reports with the form and sees the priority before sending;
2. a second clerk, typing the same problem, presses **Me too** instead of reporting it again;
3. the administrator triages it from the queue, assigning the finance group, and escalates it to
   SAP with the incident number and SAP's priority label;
4. the SAP consultant records an update, which stops the vendor response clock;
5. the administrator resolves it and the clerk sees it resolved;
6. the meeting chair records a decision that plans a suggestion;
7. the suggestion is marked implemented and its suggester rewarded.

Every control is found by its contract hook (input `name`, `data-action`), never by its visible
text, so the same steps run in each language (and would in English)."""

from __future__ import annotations

import re
import uuid
from datetime import date, timedelta
from typing import Any

import pytest

from application.context import Context
from domain.actor import SYSTEM
from tests.browser.conftest import NOW, Console, KnownPerson, ensure_person

pytestmark = pytest.mark.xdist_group("browser-desk")  # the work desk: its own worker (tests/browser/conftest.py)

ISSUE_PAGE = re.compile(r"/console/issues/(KZ-\d+)")
SUGGESTION_PAGE = re.compile(r"/console/suggestions/(SG-\d+)")
MEETING_PAGE = re.compile(r"/console/meetings/(MT-\d+)")
# What each language calls a P2 impact class on the report form, as a reader sees it.
# English is the page's own text, which every other browser test reads; the loop runs in the
# two languages the issue names, where an untranslated label or a UTC time would show.
LOOPS = [("zh-Hant", "Asia/Ho_Chi_Minh"), ("vi", "Asia/Ho_Chi_Minh")]


def press(page: Any, selector: str) -> Any:
    """Click a button that posts a form; the answer to that post (the page then loads)."""
    with page.expect_response(lambda r: r.request.method == "POST") as answer:
        page.click(selector)
    page.wait_for_load_state()
    return answer.value


def open_command(page: Any, action: str) -> Any:
    """The form of `action` on an issue or suggestion page, its <details> opened."""
    section = page.locator(f"details:has(form[data-command='{action}'])")
    if section.count() and section.get_attribute("open") is None:
        section.locator("> summary").click()
    return page.locator(f"form[data-command='{action}']")


def people(console: Console, language: str, zone: str) -> dict[str, str]:
    """This run's people, each speaking `language` and living in `zone`; their logins."""
    tag = uuid.uuid4().hex[:6]
    cast = {
        "clerk": KnownPerson(f"clerk.{tag}", "Cherry Lam", ("reporter",)),
        "second": KnownPerson(f"second.{tag}", "Dennis Ho", ("reporter",)),
        "admin": KnownPerson(f"admin.{tag}", "Ada Wu", ("admin",)),
        "chair": KnownPerson(f"chair.{tag}", "Grace Yip", ("admin",)),
        "sap": KnownPerson(f"sap.{tag}", "Markus Keller", ("vendor:sap",)),
    }
    for who in cast.values():
        ensure_person(console.desk, who)
        console.desk.update_person(Context(SYSTEM), who.login, {"language": language, "time_zone": zone})
    return {role: who.login for role, who in cast.items()}


def shown_status(page: Any) -> str:
    """The status badge's class on an issue page (its text is in the reader's language)."""
    badge = page.locator("dl.facts .badge").first
    return str(badge.get_attribute("class")).split("badge-")[-1]


@pytest.mark.parametrize(("language", "zone"), LOOPS, ids=[lang for lang, _ in LOOPS])
def test_the_whole_loop_in_the_browser(open_as: Any, console: Console, shoot: Any, language: str, zone: str) -> None:
    cast = people(console, language, zone)
    tag = uuid.uuid4().hex[:6]
    title = f"Goods receipt posts to plant 1200 instead of 1100 {tag}"

    # 1. The clerk reports and sees the priority before sending.
    clerk = open_as(cast["clerk"])
    assert clerk.get_attribute("html", "lang") == language
    clerk.goto(console.url("/console/issues/new"))
    clerk.fill("input[name=title]", title)
    clerk.fill("textarea[name=description]", "MIGO picks the wrong plant for every PO since this morning.")
    clerk.select_option("select[name=module]", "warehouse")
    clerk.check("input[name=impact_scope][value=department]")
    clerk.check("input[name=urgency][value=degraded]")
    assert clerk.text_content("#outcome-priority") == "P2"
    assert press(clerk, "button[data-action=report]").status == 303
    found = ISSUE_PAGE.search(clerk.url)
    assert found is not None, clerk.url
    key = found.group(1)
    assert shown_status(clerk) == "new"
    reported = clerk.locator("dl.facts").inner_text()
    assert zone in reported, "the times name the reader's zone"

    from playwright.sync_api import TimeoutError as PlaywrightTimeout  # the browser fixture has checked it is there

    # 2. A second clerk types the same problem, finds it listed and presses Me too.
    second = open_as(cast["second"])
    second.goto(console.url("/console/issues/new"))
    listed = second.locator(f"#duplicates li:has(a[href$='/console/issues/{key}'])")
    for _ in range(20):  # the duplicates come from the views, which trail the log a moment
        second.fill("input[name=title]", "")
        second.type("input[name=title]", f"Goods receipt posts to plant 1200 {tag}", delay=2)
        try:
            listed.wait_for(timeout=1500)
            break
        except PlaywrightTimeout:  # not listed yet: type it again
            continue
    else:
        raise AssertionError(f"{key} was never listed as a possible duplicate")
    assert (
        press(second, f"#duplicates li:has(a[href$='/console/issues/{key}']) button[data-action=affected]").status
        == 303
    )
    assert cast["second"] in console.desk.get_issue(key).affected_people

    # 3. The administrator triages from the queue (finance group) and escalates to SAP.
    admin = open_as(cast["admin"])
    admin.goto(console.url("/console/queue?tab=unassigned&sort=due"))
    for _ in range(20):
        if admin.locator(f"input[name=keys][value='{key}']").count():
            break
        admin.wait_for_timeout(250)
        admin.reload()
    if language == "zh-Hant":
        shoot(admin, "queue", full_page=False)
    admin.check(f"input[name=keys][value='{key}']")
    admin.select_option("#q-assignee", "finance")
    assert press(admin, "button[data-action=triage]").status in (200, 303)
    assert console.desk.get_issue(key).assignee == "finance"
    admin.goto(console.url(f"/console/issues/{key}"))
    escalation = open_command(admin, "escalate")
    escalation.locator("[name=vendor]").select_option("sap")
    escalation.locator("[name=vendor_ticket]").fill("0020751234")
    escalation.locator("[name=vendor_priority]").fill("High")
    assert press(admin, "form[data-command=escalate] button[data-action=escalate]").status == 303
    assert shown_status(admin) == "escalated"

    # 4. The SAP consultant records an update: the vendor response clock stops.
    sap = open_as(cast["sap"])
    sap.goto(console.url(f"/console/issues/{key}"))
    assert sap.locator("form[data-command=triage], form[data-command=resolve]").count() == 0
    update = open_command(sap, "vendor-updates")
    update.locator("[name=message]").fill("Apply SAP note 3141592; the plant default comes from the PO item.")
    assert press(sap, "form[data-command=vendor-updates] button[data-action=vendor-updates]").status == 303
    stopped = sap.locator("tr[data-clock=vendor_response][data-vendor=sap] td").nth(4).inner_text()
    assert re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d", stopped), f"the vendor response clock stopped: {stopped!r}"
    issue = console.desk.get_issue(key)
    assert issue.vendor_updates and issue.vendor_updates[0]["author"] == cast["sap"]
    assert zone in sap.locator("section.conversation").inner_text()
    if language == "vi":
        shoot(sap, "issue-vendor-vi")

    # 5. The administrator resolves; the clerk sees it resolved among their issues.
    admin.goto(console.url(f"/console/issues/{key}"))
    resolution = open_command(admin, "resolve")
    resolution.locator("[name=resolution]").fill("SAP note 3141592 applied in production")
    assert press(admin, "form[data-command=resolve] button[data-action=resolve]").status == 303
    assert shown_status(admin) == "resolved"
    for _ in range(20):
        clerk.goto(console.url("/console/my-issues"))
        row = clerk.locator(f"#mine-{key} .badge")
        if row.count() and "badge-resolved" in str(row.get_attribute("class")):
            break
        clerk.wait_for_timeout(250)
    assert "badge-resolved" in str(clerk.locator(f"#mine-{key} .badge").get_attribute("class"))

    # 6. The clerk's suggestion is planned by a decision the chair records in the meeting.
    clerk.goto(console.url("/console/suggestions/new"))
    clerk.fill("input[name=title]", f"Default the plant from the purchase order {tag}")
    clerk.fill("textarea[name=description]", "Nobody would have to check the plant on each receipt.")
    clerk.select_option("select[name=module]", "warehouse")
    assert press(clerk, "button[data-action=suggest]").status == 303
    found = SUGGESTION_PAGE.search(clerk.url)
    assert found is not None, clerk.url
    suggestion = found.group(1)

    chair = open_as(cast["chair"])
    chair.goto(console.url("/console/meetings"))
    chair.fill("input[name=title]", f"Improvement meeting {tag}")
    chair.select_option("select[name=cadence]", "monthly")
    chair.fill("input[name=date]", (NOW.date() + timedelta(days=3)).isoformat())
    chair.fill("input[name=attendees-0-name]", "Cherry Lam")
    chair.select_option("select[name=attendees-0-department]", "warehouse")
    assert press(chair, "button[data-action=meetings]").status == 303
    assert MEETING_PAGE.search(chair.url) is not None, chair.url
    chair.select_option("select[name=kind]", "plan_suggestion")
    chair.fill("input[name=subject]", suggestion)
    chair.fill("input[name=target_release]", "2026.09")
    chair.select_option("select[name=owner]", "finance")
    chair.fill("input[name=due]", date(2026, 9, 30).isoformat())
    assert press(chair, "button[data-action=decisions]").status == 303
    assert console.desk.get_suggestion(suggestion).status == "planned"
    if language == "zh-Hant":
        shoot(chair, "meeting")

    # 7. The suggestion is implemented and the suggester rewarded in their currency.
    admin.goto(console.url(f"/console/suggestions/{suggestion}"))
    open_command(admin, "implemented").locator("[name=note]").fill("Live since release 2026.09")
    assert press(admin, "form[data-command=implemented] button[data-action=implemented]").status == 303
    reward = open_command(admin, "reward")
    reward.locator("[name=amount]").fill("500")
    if not reward.locator("[name=currency]").input_value():
        reward.locator("[name=currency]").select_option("HKD")
    reward.locator("[name=note]").fill("Thank you for the idea")
    assert press(admin, "form[data-command=reward] button[data-action=reward]").status == 303
    rewarded = console.desk.get_suggestion(suggestion)
    assert rewarded.rewards and rewarded.rewards[0]["amount"] in ("500", "500.00")
    shoot(admin, f"whole-loop-suggestion-{language}")
