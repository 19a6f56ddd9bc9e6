"""Every console page, opened by a person who may open it, holds no serious or critical axe-core
violation (tests/browser/accessibility.py). The pages are found in the served app's url_map, so a
page added later is checked without touching this file; a page whose path parameter has no
value here fails until one is given, rather than going unchecked."""

from __future__ import annotations

import re
import uuid
from datetime import date
from functools import partial
from typing import Any

import pytest

from application.context import Context
from application.inbound_mail import InboundMessage
from application.mail_intake import MailIntake
from domain.actor import SYSTEM, Actor
from tests.browser.accessibility import assert_accessible, require_axe
from tests.browser.conftest import ADMIN, Console

pytestmark = pytest.mark.xdist_group("browser-desk")  # the work desk: its own worker (tests/browser/conftest.py)

REPORTER = Actor("cherry.mak", "reporter")
PARAMETER = re.compile(r"<(?:[a-z]+:)?([a-z_]+)>")
# Pages a party other than the administrator opens (the admin gets 403 or another page there).
OPENED_BY = {"/console/vendor": "sap", "/console/my-issues": "reporter"}
NOT_PAGES = (
    "/console/static",
    "/console/sign-in/sso",
    "/console/sign-out",
    "/console/issues/similar",
    "/console/attachments",  # a file's bytes and thumbnail, not pages
    "/console/admin/intake/",  # a quarantined message's bytes as plain text, not a page
)


def resources(console: Console) -> dict[str, str]:
    """A value for each path parameter of the console's pages: resources made for this test."""
    desk = console.desk
    tag = uuid.uuid4().hex[:6]
    key = desk.report(
        Context(REPORTER),
        title=f"Accessibility check {tag}",
        description="An issue with a little of everything on its page.",
        module="finance",
        impact_scope="team",
        urgency="degraded",
    ).key
    desk.triage(Context(ADMIN), key, assignee="finance")
    desk.comment_on_issue(Context(ADMIN), key, body="Looking into it.", visibility="public")
    desk.record_workaround(Context(ADMIN), key, kind="manual_ledger", description="By hand", retire_by=date(2026, 8, 1))
    suggestion = desk.submit_suggestion(
        Context(REPORTER), title=f"Scan receipts {tag}", description="Saves re-keying", module="warehouse"
    ).key
    meeting = desk.schedule_meeting(
        Context(ADMIN),
        cadence="monthly",
        date=date(2026, 8, 6),
        title=f"August meeting {tag}",
        attendees=[{"name": "Ms Chan", "department": "finance"}],
    ).key
    login = f"invitee.{tag}"
    invitation = desk.create_person(
        Context(SYSTEM), login, name="Ivy Tam", email=f"{login}@example.com", roles=["reporter"]
    )
    person, secret = invitation.invitation_path.rstrip("/").rsplit("/", 2)[-2:]
    # A message from an unknown sender, so the intake page shows a row with its forms.
    MailIntake(desk).take(
        InboundMessage(
            message_id=f"a11y-{tag}@home.example",
            uid_key=f"INBOX/1/{tag}",
            from_address="stranger@home.example",
            to_addresses=("support@kaizen.example",),
            subject=f"Printer jams {tag}",
            text="The printer on floor 3 jams.",
            headers={},
        )
    )
    return {
        "key": key,
        "suggestion": suggestion,
        "meeting": meeting,
        "vendor": "sap",
        "person": person,
        "secret": secret,
        "group": "finance",
    }


def value_for(values: dict[str, str], rule: str, name: str) -> str:
    if name == "key" and "/suggestions/" in rule:
        return values["suggestion"]
    if name == "key" and "/meetings/" in rule:
        return values["meeting"]
    assert name in values, f"no value for <{name}> of {rule}: add one to resources()"
    return values[name]


def parameter_value(values: dict[str, str], rule: str, match: re.Match[str]) -> str:
    return value_for(values, rule, match.group(1))


def pages(console: Console, values: dict[str, str]) -> list[tuple[str, str]]:
    """(party, path) of every console GET page."""
    found: list[tuple[str, str]] = []
    for rule in console.app.url_map.iter_rules():
        path = rule.rule
        if not path.startswith("/console") or "GET" not in (rule.methods or ()) or path.endswith(".csv"):
            continue
        if path.startswith(NOT_PAGES):
            continue
        filled = PARAMETER.sub(partial(parameter_value, values, path), path)
        party = None if "/invitations/" in path or path == "/console/sign-in" else OPENED_BY.get(path, "admin")
        found.append((party or "", filled))
    return sorted(set(found))


SHOWN = {
    "/console/admin/intake": "intake-quarantine",
    "/console/admin/automation": "automation-rules",
    "/console/reports/vendor-scorecard": "vendor-scorecard",
}
"""Pages of the sweep whose screenshot goes in docs/screenshots (KAIZEN_UPDATE_SCREENSHOTS=1)."""


def test_every_console_page_has_no_serious_or_critical_violation(open_as: Any, console: Console, shoot: Any) -> None:
    require_axe()
    values = resources(console)
    checked, failures = [], []
    signed_in: dict[str, Any] = {}
    for party, path in pages(console, values):
        if party not in signed_in:
            signed_in[party] = open_as(party or None)
        page = signed_in[party]
        answer = page.goto(console.url(path))
        assert answer is not None and answer.status == 200, (
            f"{party or 'anyone'} GET {path}: {answer and answer.status}"
        )
        try:
            assert_accessible(page)
        except AssertionError as failure:
            failures.append(str(failure))
        if path in SHOWN:
            shoot(page, SHOWN[path])
        checked.append(path)
    assert len(checked) >= 15, checked
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("party", ["reporter", "sap", "auditor"])
def test_each_roles_own_pages_have_no_serious_or_critical_violation(open_as: Any, console: Console, party: str) -> None:
    require_axe()
    page = open_as(party)
    for path in ("/console/", "/console/issues", "/console/me"):
        page.goto(console.url(path))
        assert_accessible(page)
