"""Suggestion routes over the Flask test client, on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

from conftest import SUGGESTION, Api

BASE = "/api/v1/suggestions"


def ok(answer: Any, status: int = 200) -> dict[str, Any]:
    assert answer.status_code == status, answer.get_json()
    body: dict[str, Any] = answer.get_json()
    return body


def test_submit_vote_review_decide_implement_reward(api: Api) -> None:
    created = api.post(BASE, SUGGESTION, as_="reporter")
    suggestion = ok(created, 201)
    key = suggestion["key"]
    assert key == "SG-1" and created.headers["Location"] == f"{BASE}/SG-1" and created.headers["ETag"] == '"1"'
    assert suggestion["possible_duplicates"] == [] or all("score" in d for d in suggestion["possible_duplicates"])
    assert suggestion["status"] == "submitted" and suggestion["submitter"] == "lina" and suggestion["votes"] == 0

    voted = ok(api.post(f"{BASE}/{key}/votes", as_="reporter"))
    assert voted["votes"] == 1 and voted["voted"] is True
    twice = api.post(f"{BASE}/{key}/votes", as_="reporter")
    assert twice.status_code == 409 and twice.get_json()["state"]["votes"] == 1
    assert ok(api.post(f"{BASE}/{key}/votes", {}, as_="reporter2"))["votes"] == 2
    withdrawn = ok(api.delete(f"{BASE}/{key}/votes", as_="reporter2"))
    assert withdrawn["votes"] == 1 and withdrawn["voted"] is False
    assert api.delete(f"{BASE}/{key}/votes", as_="reporter2").status_code == 409

    ok(api.post(f"{BASE}/{key}/comments", {"body": "Yes please 👍"}, as_="reporter2"))
    reviewed = ok(api.post(f"{BASE}/{key}/review", {"impact": 4, "effort": 2, "meeting": "2026-Q1"}))
    assert reviewed["status"] == "reviewed" and reviewed["review"]["impact"] == 4
    planned = ok(api.post(f"{BASE}/{key}/decision", {"outcome": "planned", "target_release": "2026.2"}))
    assert planned["status"] == "planned" and planned["decision"]["target_release"] == "2026.2"
    assert ok(api.post(f"{BASE}/{key}/implemented", {"note": "live"}))["status"] == "implemented"
    rewarded = ok(
        api.post(f"{BASE}/{key}/reward", {"amount": {"amount": "120.00", "currency": "HKD"}, "note": "thanks"})
    )
    assert rewarded["rewards"][0]["amount"] == "120.00" and rewarded["rewards"][0]["recipient"] == "lina"

    shown = ok(api.get(f"{BASE}/{key}", as_="auditor"))
    assert shown["version"] == rewarded["version"] and shown["voted"] is False
    assert api.get(f"{BASE}/{key}", as_="sap").status_code == 404  # no suggestion is a vendor's
    assert ok(api.get(f"{BASE}/{key}?version=1"))["status"] == "submitted"
    history = ok(api.get(f"{BASE}/{key}/history", as_="auditor"))["items"]
    assert [h["type"] for h in history][:2] == ["Submitted", "Voted"]
    assert history[-1]["data"]["amount"] == "120.00"


def test_merge_moves_votes_without_double_counting(api: Api) -> None:
    a = api.submit()
    b = api.submit(title="Handheld scanning for receipts")
    for party in ("reporter", "reporter2"):
        api.post(f"{BASE}/{a}/votes", as_=party)
    api.post(f"{BASE}/{b}/votes", as_="reporter")
    merged = ok(api.post(f"{BASE}/{a}/merge", {"into": b}))
    assert merged["status"] == "merged" and merged["merged_into"] == b
    target = ok(api.get(f"{BASE}/{b}"))
    assert target["votes"] == 2 and target["merged_from"] == [a]
    assert api.post(f"{BASE}/{b}/merge", {"into": b}).status_code == 422
    assert api.post(f"{BASE}/{b}/merge", {"into": "KZ-1"}).status_code == 422
    assert api.post(f"{BASE}/{b}/merge", {"into": "SG-99"}).status_code == 404


def test_decision_rules_and_refusals(api: Api) -> None:
    key = api.submit()
    missing = api.post(f"{BASE}/{key}/decision", {"outcome": "planned"})
    assert missing.status_code == 422 and "target_release" in missing.get_json()["errors"]
    assert api.post(f"{BASE}/{key}/decision", {"outcome": "declined"}).status_code == 422
    assert api.post(f"{BASE}/{key}/decision", {"outcome": "maybe", "reason": "x"}).status_code == 422
    assert api.post(f"{BASE}/{key}/review", {"impact": 6, "effort": 1}).status_code == 422
    assert api.post(f"{BASE}/{key}/review", {"impact": "3", "effort": 1}).status_code == 422
    refused = api.post(f"{BASE}/{key}/implemented", {})
    assert refused.status_code == 409 and refused.get_json()["current_state"] == "submitted"
    assert (
        api.post(f"{BASE}/{key}/reward", {"amount": {"amount": "1.001", "currency": "HKD"}, "note": "x"}).status_code
        == 422
    )
    assert (
        api.post(f"{BASE}/{key}/reward", {"amount": {"amount": "1", "currency": "XXX"}, "note": "x"}).status_code == 422
    )
    declined = ok(api.post(f"{BASE}/{key}/decision", {"outcome": "declined", "reason": "SAP does it in 2027"}))
    assert declined["status"] == "declined"
    assert api.post(f"{BASE}/{key}/votes", as_="reporter").status_code == 409
    assert api.get(f"{BASE}/SG-77").status_code == 404
    assert api.get(f"{BASE}/SG-77/history").status_code == 404
    assert api.get(f"{BASE}/sg-1").status_code == 404


def test_idempotent_vote_and_if_match(api: Api) -> None:
    key = api.submit()
    first = api.post(f"{BASE}/{key}/votes", as_="reporter", headers={"Idempotency-Key": "v-1"})
    again = api.post(f"{BASE}/{key}/votes", as_="reporter", headers={"Idempotency-Key": "v-1"})
    assert first.status_code == again.status_code == 200 and again.headers["Idempotent-Replayed"] == "true"
    assert again.get_json()["votes"] == 1
    stale = api.post(f"{BASE}/{key}/comments", {"body": "x"}, headers={"If-Match": '"1"'})
    assert stale.status_code == 412
    assert api.post(f"{BASE}/{key}/comments", {"body": "x"}, headers={"If-Match": '"2"'}).status_code == 200


def test_unicode_suggestions_round_trip(api: Api) -> None:
    for text in ("建议：仓库扫码入库", "Đề xuất: quét mã vạch khi nhận hàng", "යෝජනාව: ගබඩා ස්කෑන් කිරීම", "📦➡️📱"):
        key = api.submit(title=text, description=text)
        shown = api.get(f"{BASE}/{key}")
        assert text in shown.get_data(as_text=True) and shown.get_json()["title"] == text
