"""The workaround register over HTTP (both stores): go-live compromises without an issue,
workarounds on an issue through the same command, the register overdue first, and refusals as
problem+json."""

from __future__ import annotations

from typing import Any

from conftest import Api

from tests.conftest import FakeClock

BASE = "/api/v1/workarounds"
COMPROMISE = {"kind": "approval_outside_system", "description": "Approvals by e-mail", "retire_by": "2026-03-10"}


def register(api: Api, **changes: Any) -> dict[str, Any]:
    answer = api.post(BASE, {**COMPROMISE, **changes})
    assert answer.status_code == 201, answer.get_json()
    body: dict[str, Any] = answer.get_json()
    return body


def register_list(api: Api, position: int, query: str = "") -> list[dict[str, Any]]:
    answer = api.get(f"{BASE}?min_position={position}{'&' + query if query else ''}")
    assert answer.status_code == 200, answer.get_json()
    items: list[dict[str, Any]] = answer.get_json()["items"]
    return items


def head(api: Api) -> int:
    return int(api.desk.recorder.max_notification_id() or 0)


def test_a_go_live_compromise_without_an_issue_gets_its_own_key(api: Api) -> None:
    answer = api.post(BASE, {**COMPROMISE, "owner": "Ms Chan"})
    assert answer.status_code == 201
    body = answer.get_json()
    assert (body["workaround_id"], body["issue_key"], body["owner"], body["overdue"]) == (
        "WA-1",
        None,
        "Ms Chan",
        False,
    )
    assert answer.headers["Location"].endswith("/api/v1/workarounds/WA-1")
    assert answer.headers["ETag"] == '"1"'
    shown = api.get(answer.headers["Location"], as_="auditor")
    assert shown.status_code == 200 and shown.get_json()["description"] == "Approvals by e-mail"
    assert register(api)["workaround_id"] == "WA-2"


def test_with_an_issue_key_it_is_that_issues_workaround(api: Api) -> None:
    key = api.report()
    body = register(api, issue_key=key, kind="manual_ledger")
    assert (body["workaround_id"], body["issue_key"]) == ("w1", key)
    issue = api.get(f"/api/v1/issues/{key}").get_json()
    assert [w["kind"] for w in issue["workarounds"]] == ["manual_ledger"]


def test_bad_input_is_a_problem_and_nothing_is_written(api: Api) -> None:
    for body, field in (
        ({**COMPROMISE, "kind": "spreadsheet"}, "kind"),
        ({**COMPROMISE, "retire_by": "2026-02-01"}, "retire_by"),  # before today (2026-03-02)
        ({**COMPROMISE, "retire_by": "next week"}, "retire_by"),
        ({**COMPROMISE, "issue_key": "SG-1"}, "issue_key"),
        ({k: v for k, v in COMPROMISE.items() if k != "description"}, "description"),
    ):
        answer = api.post(BASE, body)
        assert answer.status_code == 422, (body, answer.get_json())
        assert answer.content_type == "application/problem+json"
        assert field in answer.get_json()["errors"], answer.get_json()
    missing = api.post(BASE, {**COMPROMISE, "issue_key": "KZ-999"})
    assert missing.status_code == 404 and missing.content_type == "application/problem+json"
    assert api.get(f"{BASE}/WA-1").status_code == 404


def test_who_may_register_and_read(api: Api) -> None:
    for party in ("reporter", "sap", "auditor"):
        answer = api.post(BASE, COMPROMISE, as_=party)
        assert answer.status_code == 403, party
        assert answer.content_type == "application/problem+json"
    register(api)
    assert api.get(f"{BASE}/WA-1", as_="reporter").status_code == 403
    assert api.get(f"{BASE}/WA-1", as_="sap").status_code == 403
    assert api.post(f"{BASE}/WA-1/retire", {}, as_="auditor").status_code == 403


def test_retire_once_then_409_with_the_state(api: Api) -> None:
    register(api)
    retired = api.post(f"{BASE}/WA-1/retire", {"note": "workflow live"})
    assert retired.status_code == 200
    assert retired.get_json()["retired_at"] is not None and retired.get_json()["note"] == "workflow live"
    again = api.post(f"{BASE}/WA-1/retire", {})
    assert again.status_code == 409 and again.content_type == "application/problem+json"
    assert api.post(f"{BASE}/WA-9/retire", {}).status_code == 404
    assert api.post(f"{BASE}/nonsense/retire", {}).status_code == 404


def test_reschedule_not_into_the_past(api: Api) -> None:
    register(api)
    answer = api.post(f"{BASE}/WA-1/reschedule", {"retire_by": "2026-05-31", "reason": "vendor late"})
    assert answer.status_code == 200 and answer.get_json()["retire_by"] == "2026-05-31"
    assert api.post(f"{BASE}/WA-1/reschedule", {"retire_by": "2026-01-31"}).status_code == 422


def test_the_register_lists_both_kinds_overdue_first(listing_api: Api, clock: FakeClock) -> None:
    api = listing_api
    key = api.report()
    register(api, retire_by="2026-04-30", description="Stock counted on paper")  # WA-1, later
    register(api, retire_by="2026-03-05", description="Approvals by e-mail")  # WA-2, overdue soon
    register(api, issue_key=key, retire_by="2026-03-20", kind="manual_report")  # KZ-1 w1
    register(api, retire_by="2026-03-25", description="retired one")  # WA-3
    api.post(f"{BASE}/WA-3/retire", {})
    clock.advance(days=10)  # today 2026-03-12: WA-2 is 7 days overdue
    items = register_list(api, head(api))
    assert [(i["issue_key"], i["workaround_id"]) for i in items] == [(None, "WA-2"), (key, "w1"), (None, "WA-1")]
    assert (items[0]["overdue"], items[0]["days_overdue"]) == (True, 7)
    assert items[1]["title"] and items[1]["module"] == "finance"
    assert [i["workaround_id"] for i in register_list(api, head(api), "state=overdue")] == ["WA-2"]
    assert [i["workaround_id"] for i in register_list(api, head(api), "state=retired")] == ["WA-3"]
    everything = register_list(api, head(api), "state=all")
    assert everything[0]["workaround_id"] == "WA-2" and len(everything) == 4
    # The report of the contract counts go-live compromises too (the same view).
    report = api.get(f"/api/v1/reports/workarounds?overdue=true&min_position={head(api)}").get_json()["items"]
    assert [(i["issue_key"], i["workaround_id"]) for i in report] == [(None, "WA-2")]
    assert api.get(BASE, as_="auditor").status_code == 200
    assert api.get(BASE, as_="reporter").status_code == 403
    bad = api.get(f"{BASE}?state=late")
    assert bad.status_code == 422 and bad.content_type == "application/problem+json"
