"""One suggestion's page in a real browser: from a reporter's idea to the administrator's reward.

A reporter (the demo's Cherry Mak, of the Hong Kong site) submits a suggestion, opens it from the
board, votes and comments; the administrator reviews it, plans it for a release, marks it
implemented and rewards it in the suggester's currency (HKD, filled in from their site); one
suggestion is merged into another. A refused command shows the problem beside its form, keeps
what was typed and writes nothing; a reporter sees no administrator's form, and posting one
anyway is the 403 page and writes nothing."""

from __future__ import annotations

import re
from typing import Any

import pytest

from application.context import Context
from domain.actor import Actor
from tests.browser.conftest import PEOPLE, Console

pytestmark = pytest.mark.xdist_group("browser-desk")  # the work desk: its own worker (tests/browser/conftest.py)

REPORTER = Actor(PEOPLE["reporter"].login, "reporter")
SUGGESTION_PAGE = re.compile(r"/console/suggestions/(SG-[0-9]+)$")
ADMIN_FORMS = ("merge", "review", "decision", "implemented", "reward")
JOURNEY = (
    "Submitted",
    "Voted",
    "VoteWithdrawn",
    "Voted",
    "Commented",
    "Reviewed",
    "Planned",
    "Implemented",
    "Rewarded",
)


def press(page: Any, selector: str) -> Any:
    """Click a button that posts its form; the answer to that post."""
    with page.expect_response(lambda r: r.request.method == "POST") as answer:
        page.click(selector)
    page.wait_for_load_state()
    return answer.value


def head(console: Console) -> int:
    """The log's last position: unchanged means nothing at all was written."""
    return int(console.desk.recorder.max_notification_id() or 0)


def submit(console: Console, title: str) -> str:
    """A suggestion by the reporter, straight through the desk (for the pages that start later)."""
    receipt = console.desk.submit_suggestion(
        Context(REPORTER), title=title, description="Saves a day of retyping each month.", module="finance"
    )
    return receipt.key


def unfold(page: Any, command: str) -> None:
    """Open a command's form as a person does: its summary, unless it is already open."""
    if page.locator(f"details#cmd-{command}[open]").count() == 0:
        page.click(f"details#cmd-{command} > summary")


def field(page: Any, name: str) -> str:
    text: str = page.locator(f"[data-field={name}]").inner_text()
    return " ".join(text.split())


def test_from_a_reporters_idea_to_the_administrators_reward(open_as: Any, console: Console, shoot: Any) -> None:
    reporter = open_as("reporter")
    reporter.goto(console.url("/console/suggestions"))
    reporter.click("a:text-is('Submit a suggestion')")
    reporter.fill("input[name=title]", "Match bank statements to receipts automatically")
    reporter.fill("textarea[name=description]", "The treasury team ticks 400 lines a month by hand.")
    reporter.select_option("select[name=module]", "finance")
    assert press(reporter, "button[data-action=suggest]").status == 303
    found = SUGGESTION_PAGE.search(reporter.url)
    assert found is not None, reporter.url
    key = found.group(1)

    # The board links each row to its page; it is a view, so ask for one that has the new
    # suggestion (`min_position`, the board's read-your-writes), as a vote's redirect does.
    head = console.desk.recorder.max_notification_id()
    reporter.goto(console.url(f"/console/suggestions?sort=recent&min_position={head}"))
    reporter.click(f"li.suggestion .title a:has(.key:text-is('{key}'))")
    reporter.wait_for_url(re.compile(rf"/console/suggestions/{key}$"))
    assert field(reporter, "votes") == "0 votes"
    for name in ADMIN_FORMS:
        assert reporter.locator(f"[data-action={name}]").count() == 0

    assert press(reporter, "button[data-action=votes]").status == 303
    assert field(reporter, "votes") == "1 votes"
    assert reporter.locator("[data-field=voted]").is_visible()
    assert press(reporter, "button[data-action=withdraw-vote]").status == 303
    assert field(reporter, "votes") == "0 votes"
    assert press(reporter, "button[data-action=votes]").status == 303
    reporter.fill("#s-comments-body", "Our bank can send the statement as a CSV file.")
    assert press(reporter, "button[data-action=comments]").status == 303
    said = reporter.locator("ol.thread li.said")
    assert said.count() == 1
    assert "Cherry Mak" in said.inner_text() and "CSV file" in said.inner_text()

    admin = open_as("admin")
    admin.goto(console.url(f"/console/suggestions/{key}"))
    assert field(admin, "votes") == "1 votes"
    admin.fill("#s-review-impact", "4")
    admin.fill("#s-review-effort", "2")
    assert press(admin, "button[data-action=review]").status == 303
    assert field(admin, "review").startswith("impact 4/5 · effort 2/5")
    assert field(admin, "status") == "reviewed"

    admin.select_option("#s-decision-outcome", "planned")
    admin.fill("#s-decision-target_release", "2026.09")
    assert press(admin, "button[data-action=decision]").status == 303
    assert "target release 2026.09" in field(admin, "decision")
    assert field(admin, "status") == "planned"

    admin.fill("#s-implemented-note", "Live in the September release.")
    assert press(admin, "button[data-action=implemented]").status == 303
    assert field(admin, "status") == "implemented"
    assert field(admin, "implemented") != "Not yet."

    assert admin.input_value("#s-reward-currency") == "HKD"  # Cherry Mak's site is Hong Kong
    admin.fill("#s-reward-amount", "500.00")
    admin.fill("#s-reward-note", "Thank you: month-end closes a day earlier.")
    assert press(admin, "button[data-action=reward]").status == 303
    assert "500.00 HKD to cherry.mak" in field(admin, "rewards")
    events = admin.locator("table.events tbody tr").evaluate_all("rows => rows.map(r => r.dataset.event)")
    assert events == list(JOURNEY), events
    shoot(admin, "console-suggestion")

    reporter.reload()  # the suggester sees their own reward
    assert "500.00 HKD" in field(reporter, "rewards")
    reward = console.desk.get_suggestion(key).rewards[-1]
    assert (reward["amount"], reward["currency"], reward["recipient"]) == ("500.00", "HKD", REPORTER.id)


def test_merging_moves_the_votes_and_links_the_two(open_as: Any, console: Console) -> None:
    duplicate = submit(console, "Reconcile the bank account without ticking by hand")
    original = submit(console, "Automatic bank reconciliation")
    console.desk.vote(Context(Actor("siuling.lee", "reporter")), duplicate)
    admin = open_as("admin")
    admin.goto(console.url(f"/console/suggestions/{duplicate}"))
    unfold(admin, "merge")
    admin.fill("#s-merge-into", original)
    assert press(admin, "button[data-action=merge]").status == 303
    assert field(admin, "status") == "merged"
    admin.click(f"[data-merged-into={original}] a")
    admin.wait_for_url(re.compile(rf"/console/suggestions/{original}$"))
    assert field(admin, "votes") == "1 votes"
    assert field(admin, "merged_from") == duplicate


def test_a_refused_command_keeps_what_was_typed_and_writes_nothing(open_as: Any, console: Console) -> None:
    key = submit(console, "Approve purchase orders from the phone")
    admin = open_as("admin")
    admin.goto(console.url(f"/console/suggestions/{key}"))
    version, before = console.desk.get_suggestion(key).version, head(console)
    admin.fill("#s-review-impact", "9")
    admin.fill("#s-review-effort", "2")
    admin.fill("#s-review-meeting", "MT-1")
    answer = press(admin, "button[data-action=review]")
    assert answer.status == 422
    assert admin.locator("[data-refused=review]").inner_text() == "the request is not valid"
    assert "less than or equal to 5" in admin.locator("#s-review-impact-error").inner_text()
    assert admin.get_attribute("#s-review-impact", "aria-invalid") == "true"
    assert [admin.input_value(f"#s-review-{n}") for n in ("impact", "effort", "meeting")] == ["9", "2", "MT-1"]
    assert console.desk.get_suggestion(key).version == version and head(console) == before

    unfold(admin, "reward")
    admin.fill("#s-reward-amount", "50.00")  # a reward before it is implemented: the API's 409
    admin.fill("#s-reward-note", "Too early")
    answer = press(admin, "button[data-action=reward]")
    assert answer.status == 409
    assert admin.locator("[data-refused=reward]").is_visible()
    assert admin.input_value("#s-reward-note") == "Too early"
    assert console.desk.get_suggestion(key).version == version and head(console) == before


def test_a_reporter_gets_no_administrators_form_and_a_403_when_posting_one(open_as: Any, console: Console) -> None:
    key = submit(console, "Show the stock of the other warehouses on the order screen")
    reporter = open_as("reporter")
    reporter.goto(console.url(f"/console/suggestions/{key}"))
    for name in ADMIN_FORMS:
        assert reporter.locator(f"[data-action={name}]").count() == 0
    csrf = reporter.locator("input[name=csrf]").first.get_attribute("value")
    version, before = console.desk.get_suggestion(key).version, head(console)
    answer = reporter.request.post(
        console.url(f"/console/suggestions/{key}/review"), form={"csrf": csrf, "impact": "5", "effort": "1"}
    )
    assert answer.status == 403
    assert "may not review suggestions" in answer.text()
    assert console.desk.get_suggestion(key).version == version and head(console) == before


def test_a_vendor_cannot_open_a_suggestion_and_an_auditor_only_reads(open_as: Any, console: Console) -> None:
    key = submit(console, "Print the delivery note in Chinese and English")
    vendor = open_as("sap")
    assert vendor.goto(console.url(f"/console/suggestions/{key}")).status == 404
    auditor = open_as("auditor")
    assert auditor.goto(console.url(f"/console/suggestions/{key}")).status == 200
    assert auditor.locator("form.command-form, form.vote").count() == 0
    csrf = auditor.locator("input[name=csrf]").first.get_attribute("value")
    answer = auditor.request.post(console.url(f"/console/suggestions/{key}/votes"), form={"csrf": csrf})
    assert answer.status == 403
