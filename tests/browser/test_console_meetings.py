"""The meeting chair's work desk in a real browser, on both stores: schedule a meeting with its
attendees, open it and read the agenda, record a decision with an owner and a due date (the
suggestion is planned), see a refused decision keep what was typed, close with minutes, and
find the past meeting with its minutes on the list and on the printable minutes page.

Reporters and vendors get the 403 page; auditors read without forms; the schedule form works
without JavaScript (numbered attendee rows, **More attendee rows** posts back)."""

from __future__ import annotations

import re
from typing import Any

import pytest

from application.context import Context
from domain.actor import Actor
from tests.browser.conftest import PEOPLE, Console, sign_in_with_password

pytestmark = pytest.mark.xdist_group("browser-desk")  # the work desk: its own worker (tests/browser/conftest.py)

REPORTER = Actor(PEOPLE["reporter"].login, "reporter")
MEETING_PAGE = re.compile(r"/console/meetings/(MT-[0-9]+)(#.*)?$")
MINUTES = "Agreed to plan the handheld scanning for release 2026.10; Ada follows it up."


def press(page: Any, selector: str) -> Any:
    """Click a button that posts its form; the answer to that post."""
    with page.expect_response(lambda r: r.request.method == "POST") as answer:
        page.click(selector)
    page.wait_for_load_state()
    return answer.value


def head(console: Console) -> int:
    """The log's last position: unchanged means nothing at all was written."""
    return int(console.desk.recorder.max_notification_id() or 0)


def schedule(page: Any, title: str, when: str, attendees: list[tuple[str, str]]) -> str:
    """Fill the schedule form on /console/meetings, press **Schedule meeting**; the new key."""
    page.fill("input[name=title]", title)
    page.select_option("select[name=cadence]", "quarterly")
    page.fill("input[name=date]", when)
    for i, (name, department) in enumerate(attendees):
        page.fill(f"input[name=attendees-{i}-name]", name)
        page.select_option(f"select[name=attendees-{i}-department]", department)
    answer = press(page, "button[data-action=meetings]")
    assert answer.status == 303, answer.text()
    found = MEETING_PAGE.search(page.url)
    assert found is not None, page.url
    return found.group(1)


def test_a_chair_schedules_decides_closes_and_prints_the_minutes(open_as: Any, console: Console) -> None:
    idea = console.desk.submit_suggestion(
        Context(REPORTER),
        title="Scan goods receipts with the handheld",
        description="No more typing.",
        module="warehouse",
    ).key
    page = open_as("admin")
    page.click("nav.main-nav >> text=Meetings")
    page.wait_for_url(re.compile(r"/console/meetings$"))
    key = schedule(page, "Q3 warehouse review", "2026-09-15", [("Ms Chan", "finance"), ("Mr Lee", "warehouse")])
    assert page.locator("h1").inner_text() == "Q3 warehouse review"
    assert "Ms Chan" in page.locator(".attendee-list").inner_text()
    assert "Mr Lee" in page.locator(".attendee-list").inner_text()
    # The agenda is built from the data, with the same tables as /console/agenda.
    assert page.locator("#h-ag-sugg").is_visible() and page.locator("#h-ag-vendors").is_visible()
    page.goto(console.url("/console/meetings"))
    row = page.locator(f"#upcoming-meetings tr[data-meeting={key}]")
    assert "Q3 warehouse review" in row.inner_text() and "2026-09-15" in row.inner_text()
    row.locator(f"a:text('{key}')").click()
    page.wait_for_url(MEETING_PAGE)

    # A refused decision: planning needs a suggestion, not an issue. The detail, what was typed.
    before = head(console)
    page.select_option("select[name=kind]", "plan_suggestion")
    page.fill("#decisions-subject", "KZ-1")
    page.fill("#decisions-target_release", "2026.10")
    page.select_option("select[name=owner]", PEOPLE["admin"].login)
    page.fill("#decisions-due", "2026-08-31")
    answer = press(page, "button[data-action=decisions]")
    assert answer.status == 422
    assert "SG- key" in page.locator("[role=alert][data-refused=decisions]").inner_text()
    assert page.input_value("#decisions-subject") == "KZ-1"
    assert page.input_value("#decisions-target_release") == "2026.10"
    assert page.input_value("select[name=owner]") == PEOPLE["admin"].login
    assert page.input_value("#decisions-due") == "2026-08-31"
    assert head(console) == before

    # Corrected: the suggestion is planned, with an owner and a due date, in one save.
    page.fill("#decisions-subject", idea)
    answer = press(page, "button[data-action=decisions]")
    assert answer.status == 303
    decided = page.locator("#decision-list tr[data-decision=d1]").inner_text()
    assert idea in decided and "2026.10" in decided and PEOPLE["admin"].login in decided and "2026-08-31" in decided
    assert console.desk.get_suggestion(idea).status == "planned"
    api = page.request.get(
        console.url(f"/api/v1/suggestions/{idea}"), headers={"Authorization": f"Bearer {console.tokens['admin']}"}
    )
    assert api.json()["status"] == "planned"
    meeting = page.request.get(
        console.url(f"/api/v1/meetings/{key}"), headers={"Authorization": f"Bearer {console.tokens['admin']}"}
    ).json()
    assert (meeting["decisions"][0]["owner"], meeting["decisions"][0]["due"]) == (PEOPLE["admin"].login, "2026-08-31")

    # Close with minutes: no more forms, the minutes on the page.
    page.fill("textarea[name=minutes]", MINUTES)
    answer = press(page, "button[data-action=close]")
    assert answer.status == 303
    assert page.locator(".minutes-text").inner_text() == MINUTES
    assert page.locator("button[data-action=decisions]").count() == 0
    assert page.locator("button[data-action=close]").count() == 0

    # The list: a past meeting, quoting its minutes, linking to the printable minutes.
    page.goto(console.url("/console/meetings"))
    past = page.locator(f"#past-meetings tr[data-meeting={key}]")
    assert "Agreed to plan the handheld scanning" in past.inner_text()
    assert page.locator(f"#upcoming-meetings tr[data-meeting={key}]").count() == 0
    past.locator("a[data-link=minutes]").click()
    page.wait_for_url(re.compile(rf"/console/meetings/{key}/minutes$"))
    document = page.locator(".minutes-document").inner_text()
    assert MINUTES in document and idea in document and "Ms Chan" in document and "2026-08-31" in document
    page.emulate_media(media="print")
    assert not page.locator("header.masthead").is_visible()  # the print stylesheet: the minutes alone
    assert page.locator(".minutes-text").is_visible()


@pytest.mark.parametrize("party", ["reporter", "sap"])
def test_reporters_and_vendors_may_not_open_meetings(open_as: Any, console: Console, party: str) -> None:
    page = open_as(party)
    assert page.goto(console.url("/console/meetings")).status == 403
    assert page.goto(console.url("/console/meetings/MT-1")).status == 403
    assert page.locator("nav.main-nav >> text=Meetings").count() == 0


def test_an_auditor_reads_the_meetings_without_forms(open_as: Any, console: Console) -> None:
    page = open_as("auditor")
    assert page.goto(console.url("/console/meetings")).status == 200
    assert "July improvement meeting" in page.locator("#upcoming-meetings").inner_text()
    assert page.locator("button[data-action=meetings]").count() == 0
    assert page.goto(console.url("/console/meetings/MT-1")).status == 200
    assert page.locator("button[data-action=decisions]").count() == 0


def test_scheduling_works_without_javascript(browser: Any, console: Console) -> None:
    """More rows, a refusal that keeps every row typed and writes nothing, then the meeting."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(console.url("/console/sign-in"))
        sign_in_with_password(page, PEOPLE["admin"].login)
        page.goto(console.url("/console/meetings"))
        rows = page.locator("input[name$='-name'][name^=attendees-]").count()
        assert press(page, "button[data-action=more-rows]").status == 200
        assert page.locator("input[name$='-name'][name^=attendees-]").count() == rows + 3
        for i, (name, department) in enumerate([("Bu Sari", "production"), ("Anh Nguyen", "quality")]):
            page.fill(f"input[name=attendees-{i}-name]", name)
            page.select_option(f"select[name=attendees-{i}-department]", department)
        page.fill(f"input[name=attendees-{rows + 2}-name]", "Mr Perera")  # a row without a department
        before = head(console)
        answer = press(page, "button[data-action=meetings]")
        assert answer.status == 422 and head(console) == before
        alert = page.locator("[role=alert][data-refused=meetings]").inner_text()
        assert "date" in alert and "department" in alert
        assert page.input_value("input[name=attendees-1-name]") == "Anh Nguyen"
        assert page.input_value("select[name=attendees-1-department]") == "quality"
        # Blank rows in between are dropped: the rows come back in order, each error by its row.
        assert page.input_value("input[name=attendees-2-name]") == "Mr Perera"
        assert page.get_attribute("select[name=attendees-2-department]", "aria-invalid") == "true"
        page.select_option("select[name=attendees-2-department]", "it")
        page.fill("input[name=date]", "2026-10-01")
        assert press(page, "button[data-action=meetings]").status == 303
        assert MEETING_PAGE.search(page.url) is not None
        assert "Mr Perera" in page.locator(".attendee-list").inner_text()
    finally:
        context.close()


def test_the_agenda_page_links_to_the_meeting(open_as: Any, console: Console) -> None:
    page = open_as("admin")
    page.goto(console.url("/console/agenda"))
    page.click("text=Open the meeting: decisions and minutes")
    page.wait_for_url(MEETING_PAGE)
    assert page.locator("#h-ag-sugg").is_visible()
