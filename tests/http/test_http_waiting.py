"""Waiting and coming back, as the people in the loop do it: the vendor asks the customer for
information (and may not park the issue on the reporter), and the reporter's reply to an issue
waiting on them puts it back to work without an administrator pressing Resume."""

from __future__ import annotations

from conftest import Api

from tests.conftest import FakeClock, enrol_assignees

BASE = "/api/v1/issues"


def escalated_to_sap(api: Api) -> str:
    enrol_assignees(api.desk, "admin-wong")
    key = api.report()
    assert api.post(f"{BASE}/{key}/triage", {"assignee": "admin-wong"}).status_code == 200
    body = {"vendor": "sap", "vendor_ticket": "INC-7", "vendor_priority": "Very High"}
    assert api.post(f"{BASE}/{key}/escalate", body).status_code == 200
    return key


def test_a_vendor_asks_the_customer_for_information(api: Api) -> None:
    key = escalated_to_sap(api)
    answer = api.post(f"{BASE}/{key}/wait", {"on": "customer", "reason": "Please send the ST22 dump"}, as_="sap")
    assert answer.status_code == 200, answer.get_json()
    assert answer.get_json()["status"] == "waiting_on_customer"


def test_a_vendor_may_not_park_the_issue_on_the_reporter(api: Api) -> None:
    key = escalated_to_sap(api)
    before = api.get(f"{BASE}/{key}").get_json()["version"]
    answer = api.post(f"{BASE}/{key}/wait", {"on": "reporter", "reason": "not ours"}, as_="sap")
    assert answer.status_code == 403 and answer.content_type == "application/problem+json"
    assert "only wait on the customer" in answer.get_json()["detail"]
    assert api.get(f"{BASE}/{key}").get_json()["version"] == before


def test_the_reporters_reply_resumes_an_issue_waiting_on_them(api: Api, clock: FakeClock) -> None:
    enrol_assignees(api.desk, "admin-wong")
    key = api.report()
    api.post(f"{BASE}/{key}/triage", {"assignee": "admin-wong"})
    api.post(f"{BASE}/{key}/wait", {"on": "reporter", "reason": "Which plant?"})
    clock.advance(minutes=30)
    answer = api.post(f"{BASE}/{key}/comments", {"body": "Plant 1100, Kwun Tong"}, as_="reporter")
    assert answer.status_code == 200, answer.get_json()
    assert answer.get_json()["status"] == "triaged"
    types = [h["type"] for h in api.get(f"{BASE}/{key}/history").get_json()["items"]]
    assert types[-2:] == ["Commented", "Resumed"]


def test_someone_elses_comment_leaves_the_issue_waiting(api: Api) -> None:
    enrol_assignees(api.desk, "admin-wong")
    key = api.report()
    api.post(f"{BASE}/{key}/triage", {"assignee": "admin-wong"})
    api.post(f"{BASE}/{key}/wait", {"on": "reporter", "reason": "Which plant?"})
    answer = api.post(f"{BASE}/{key}/comments", {"body": "Chasing the clerk"}, as_="admin")
    assert answer.get_json()["status"] == "waiting_on_reporter"
