"""Privacy over HTTP, on both stores: who voted and who was paid how much, suggestions kept from
vendors, a vendor's SLA policy kept from other vendors, and a "not yours" 404 that reads exactly
like a "does not exist" 404."""

from __future__ import annotations

import json
from typing import Any

from werkzeug.test import TestResponse

from tests.http.conftest import ISSUE, Api

V1 = "/api/v1"
PER_REQUEST_HEADERS = {"X-Request-Id"}


def _rewarded_suggestion(api: Api) -> str:
    """lina's suggestion: minh and the admin vote, it is planned, implemented and lina is paid."""
    key = api.submit(as_="reporter")
    for party in ("reporter2", "admin"):
        assert api.post(f"{V1}/suggestions/{key}/votes", as_=party).status_code == 200
    assert (
        api.post(f"{V1}/suggestions/{key}/decision", {"outcome": "planned", "target_release": "R7"}).status_code == 200
    )
    assert api.post(f"{V1}/suggestions/{key}/implemented", {}).status_code == 200
    reward = {"amount": {"amount": "388.00", "currency": "HKD"}, "note": "saved a step"}
    assert api.post(f"{V1}/suggestions/{key}/reward", reward).status_code == 200
    return key


def _history(api: Api, key: str, party: str) -> list[dict[str, Any]]:
    answer = api.get(f"{V1}/suggestions/{key}/history", as_=party)
    assert answer.status_code == 200, answer.get_json()
    items: list[dict[str, Any]] = answer.get_json()["items"]
    return items


def test_voters_and_rewards_are_for_admins_auditors_and_the_people_themselves(api: Api) -> None:
    key = _rewarded_suggestion(api)

    for party in ("admin", "auditor"):
        events = _history(api, key, party)
        assert [e["actor"] for e in events if e["type"] == "Voted"] == ["minh", "admin-wong"]
        assert next(e for e in events if e["type"] == "Rewarded")["data"]["amount"] == "388.00"
        assert api.get(f"{V1}/suggestions/{key}", as_=party).get_json()["rewards"][0]["recipient"] == "lina"

    minh = _history(api, key, "reporter2")  # a voter: sees his own vote, not the admin's, not the reward
    votes = [e for e in minh if e["type"] == "Voted"]
    assert [(v["actor"], v["data"].get("voter")) for v in votes] == [("minh", "minh"), ("[redacted]", None)]
    assert votes[1]["data"] == {"redacted": True} and votes[1]["hash"] is None and votes[1]["version"] == 3
    rewarded = next(e for e in minh if e["type"] == "Rewarded")
    assert rewarded["data"] == {"redacted": True} and rewarded["hash"] is None
    assert "388.00" not in json.dumps(minh)  # the amount (a hash may hold the digits 388 by chance)
    detail = api.get(f"{V1}/suggestions/{key}", as_="reporter2").get_json()
    assert (detail["votes"], detail["voted"], detail["rewards"], detail["reward_count"]) == (2, True, [], 1)

    for party in ("reporter", "app"):  # lina herself, directly or through an app acting for her
        lina = _history(api, key, party)
        assert [e["actor"] for e in lina if e["type"] == "Voted"] == ["[redacted]", "[redacted]"]
        assert next(e for e in lina if e["type"] == "Rewarded")["data"]["amount"] == "388.00"
        own = api.get(f"{V1}/suggestions/{key}", as_=party).get_json()
        assert [r["amount"] for r in own["rewards"]] == ["388.00"] and own["reward_count"] == 1


def test_a_merge_shows_how_many_votes_moved_not_whose(api: Api) -> None:
    target, duplicate = api.submit(), api.submit(title="Scan receipts on the handheld")
    api.post(f"{V1}/suggestions/{duplicate}/votes", as_="reporter2")
    assert api.post(f"{V1}/suggestions/{duplicate}/merge", {"into": target}).status_code == 200
    absorbed = next(e for e in _history(api, target, "reporter") if e["type"] == "DuplicateAbsorbed")
    assert absorbed["data"] == {"source": duplicate, "votes_moved": 1, "redacted": True}
    assert "minh" not in json.dumps(_history(api, target, "reporter"))
    assert "minh" in json.dumps(_history(api, target, "auditor"))


def test_vendors_see_no_suggestion(listing_api: Api) -> None:
    key = listing_api.submit()
    wait = listing_api.post(f"{V1}/suggestions/{key}/votes", as_="reporter2").headers["X-Event-Position"]
    assert [s["key"] for s in listing_api.get(f"{V1}/suggestions?min_position={wait}").get_json()["items"]] == [key]
    assert listing_api.get(f"{V1}/suggestions?min_position={wait}", as_="sap").get_json()["items"] == []
    assert listing_api.get(f"{V1}/suggestions/{key}", as_="sap").status_code == 404
    assert listing_api.get(f"{V1}/suggestions/{key}/history", as_="sap").status_code == 404
    assert listing_api.get(f"{V1}/suggestions/{key}?version=1", as_="sap").status_code == 404


def test_a_vendor_reads_only_its_own_sla_policy(api: Api) -> None:
    document = {
        k: v for k, v in api.get(f"{V1}/vendors/oracle/sla-policy").get_json().items() if k in ("targets", "calendars")
    }
    put = api.client.put(
        f"{V1}/vendors/oracle/sla-policy",
        data=json.dumps(document),
        content_type="application/json",
        headers=api.headers("admin", None),
    )
    assert put.status_code == 200, put.get_json()
    assert api.get(f"{V1}/vendors/oracle/sla-policy", as_="oracle").status_code == 200
    assert api.get(f"{V1}/vendors/oracle/sla-policy/history", as_="oracle").get_json()["items"]
    assert api.get(f"{V1}/vendors/oracle/sla-policy", as_="sap").status_code == 404
    assert api.get(f"{V1}/vendors/oracle/sla-policy/history", as_="sap").status_code == 404
    assert api.get(f"{V1}/vendors/oracle/sla-policy", as_="reporter").status_code == 200
    assert api.get(f"{V1}/vendors/oracle/sla-policy", as_="auditor").status_code == 200


def _same_404(hidden: TestResponse, missing: TestResponse, hidden_key: str, missing_key: str) -> None:
    """Status, headers and body alike, once the key the caller typed and the per-request fields are set aside."""
    assert hidden.status_code == missing.status_code == 404

    def body(answer: TestResponse, key: str) -> dict[str, Any]:
        found = {k: v for k, v in answer.get_json().items() if k not in ("instance", "request_id")}
        return json.loads(json.dumps(found).replace(key, "{key}"))

    def headers(answer: TestResponse) -> dict[str, str]:
        return {k: v for k, v in answer.headers.items() if k not in PER_REQUEST_HEADERS}

    assert body(hidden, hidden_key) == body(missing, missing_key)
    assert headers(hidden) == headers(missing)  # same length keys, so even Content-Length agrees


def test_not_yours_reads_exactly_like_does_not_exist(api: Api) -> None:
    issue = api.report(as_="reporter")  # KZ-1, lina's; KZ-9 does not exist
    assert issue == "KZ-1"
    for path in ("", "/history", "/sla", "?version=1"):
        _same_404(
            api.get(f"{V1}/issues/KZ-1{path}", as_="reporter2"),
            api.get(f"{V1}/issues/KZ-9{path}", as_="reporter2"),
            "KZ-1",
            "KZ-9",
        )
    comment = {"body": "me too", "visibility": "public"}
    _same_404(
        api.post(f"{V1}/issues/KZ-1/comments", comment, as_="reporter2"),
        api.post(f"{V1}/issues/KZ-9/comments", comment, as_="reporter2"),
        "KZ-1",
        "KZ-9",
    )
    escalated = api.report(as_="reporter", **{**ISSUE, "title": "second"})
    api.post(f"{V1}/issues/{escalated}/escalate", {"vendor": "sap", "vendor_ticket": "INC-2"})
    _same_404(api.get(f"{V1}/issues/KZ-1", as_="oracle"), api.get(f"{V1}/issues/KZ-9", as_="oracle"), "KZ-1", "KZ-9")

    suggestion = api.submit()
    assert suggestion == "SG-1"
    for path in ("", "/history"):
        _same_404(
            api.get(f"{V1}/suggestions/SG-1{path}", as_="sap"),
            api.get(f"{V1}/suggestions/SG-9{path}", as_="admin"),
            "SG-1",
            "SG-9",
        )

    document = {k: v for k, v in api.get(f"{V1}/vendors/oracle/sla-policy").get_json().items() if k == "targets"}
    document["calendars"] = api.get(f"{V1}/vendors/oracle/sla-policy").get_json()["calendars"]
    api.client.put(
        f"{V1}/vendors/oracle/sla-policy",
        data=json.dumps(document),
        content_type="application/json",
        headers=api.headers("admin", None),
    )
    for path in ("", "/history"):  # oracle's published policy, and a vendor that never had one
        _same_404(
            api.get(f"{V1}/vendors/oracle/sla-policy{path}", as_="sap"),
            api.get(f"{V1}/vendors/zzzzzz/sla-policy{path}", as_="sap"),
            "oracle",
            "zzzzzz",
        )
