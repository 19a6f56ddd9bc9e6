"""/console/admin/automation on both stores, without JavaScript: the rules listed (the built-in one
marked always on), a rule added that the API then reads, a refusal shown beside its input with
what was typed kept and nothing written, and a rule removed."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient

from application.context import Context
from domain.actor import SYSTEM
from interfaces.http.app import create_app
from interfaces.http.settings import HttpSettings
from interfaces.web.secret import SECRET_ENV
from tests.conftest import ADMIN, FakeClock, console_client, enrol_assignees

PAGE = "/console/admin/automation"


@pytest.fixture
def admin(store_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Flask, FlaskClient]]:
    monkeypatch.setenv(SECRET_ENV, "automation-console-test-signing-key-0123456789")
    app = create_app(HttpSettings(database_url=store_url, clock=FakeClock(), rate_limit=None))
    desk = app.extensions["kaizen"].desk
    enrol_assignees(desk, groups=["l2-finance"])
    token = desk.issue_token(Context(SYSTEM), "admin", ADMIN.id)[1]
    try:
        yield app, console_client(app, token=token)
    finally:
        app.extensions["kaizen"].close()


def csrf(client: FlaskClient) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', client.get(PAGE).text)
    assert found is not None
    return found.group(1)


def test_an_admin_adds_and_removes_a_rule_and_sees_refusals_beside_the_form(admin: tuple[Flask, FlaskClient]) -> None:
    app, client = admin
    shown = client.get(PAGE)
    assert shown.status_code == 200
    assert 'data-rule="reporter-reply-resumes"' in shown.text and "built in, always on" in shown.text
    assert 'data-action="automation-rules"' in shown.text
    assert "console/admin/automation" in client.get("/console/admin").text  # the settings page links here

    form = {
        "rule_id": "hand-over",
        "trigger": "sla_at_risk",
        "priorities": "P1",
        "clock": "internal_response",
        "action.type": "reassign",
        "action.group": "nobody-group",
        "after": "PT8H",  # offered for every trigger, used only by vendor_update_overdue
        "enabled": "on",
    }
    refused = client.post(PAGE, data={**form, "csrf": csrf(client)})
    assert refused.status_code == 422
    assert re.search(r'id="e-rule-action-group"[^>]*>[^<]*nobody-group', refused.text)
    assert 'value="hand-over"' in refused.text  # what was typed is kept
    desk = app.extensions["kaizen"].desk
    assert [r.rule_id for r in desk.list_automation_rules()] == ["reporter-reply-resumes"]

    added = client.post(PAGE, data={**form, "action.group": "l2-finance", "csrf": csrf(client)})
    assert added.status_code == 303, added.text
    rule = desk.get_automation_rule("hand-over")
    assert rule.document["action"] == {"type": "reassign", "group": "l2-finance"}
    assert rule.document["priorities"] == ["P1"] and rule.document["after"] is None
    assert 'data-rule="hand-over"' in client.get(PAGE).text

    again = client.post(PAGE, data={**form, "action.group": "l2-finance", "csrf": csrf(client)})
    assert again.status_code == 409 and "remove it first" in again.text

    removed = client.post(f"{PAGE}/hand-over/remove", data={"csrf": csrf(client)})
    assert removed.status_code == 303
    assert 'data-rule="hand-over"' not in client.get(PAGE).text
