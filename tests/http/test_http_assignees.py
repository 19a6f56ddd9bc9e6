"""Who an issue may be given to: an active person or a group, never free text (422 otherwise)."""

from __future__ import annotations

from conftest import Api

from application.context import Context
from domain.actor import SYSTEM
from tests.conftest import enrol_assignees

BASE = "/api/v1/issues"


def refused_as_assignee(api: Api, key: str, command: str, assignee: str) -> None:
    answer = api.post(f"{BASE}/{key}/{command}", {"assignee": assignee})
    assert answer.status_code == 422, (command, assignee, answer.get_json())
    problem = answer.get_json()
    assert answer.content_type == "application/problem+json"
    assert "assignee" in problem["errors"], problem


def test_triage_and_assign_take_an_active_person_or_a_group(api: Api) -> None:
    key = api.report()
    for command in ("triage", "assign"):
        refused_as_assignee(api, key, command, "nobody-such-person!!")
        refused_as_assignee(api, key, command, "ghost.wong")  # well formed, but nobody
    shown = api.get(f"{BASE}/{key}").get_json()
    assert shown["assignee"] is None and shown["version"] == 1, "a refused assignee changed the issue"

    enrol_assignees(api.desk, "leaver.lam")
    api.desk.create_group(
        Context(SYSTEM), "multiable-team", name="Multiable fixed team", kind="vendor_team", vendor="multiable"
    )
    triaged = api.post(f"{BASE}/{key}/triage", {"assignee": "leaver.lam"})
    assert triaged.status_code == 200 and triaged.get_json()["assignee"] == "leaver.lam"

    api.desk.deactivate_person(Context(SYSTEM), "leaver.lam")
    other = api.report()
    refused_as_assignee(api, other, "triage", "leaver.lam")
    refused_as_assignee(api, key, "assign", "leaver.lam")

    to_team = api.post(f"{BASE}/{key}/assign", {"assignee": "multiable-team"})
    assert to_team.status_code == 200, to_team.get_json()
    assert api.get(f"{BASE}/{key}").get_json()["assignee"] == "multiable-team"
    assert api.post(f"{BASE}/{other}/triage", {"assignee": "multiable-team"}).status_code == 200
