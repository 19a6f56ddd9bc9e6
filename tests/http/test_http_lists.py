"""GET /issues on the read side: scoping per role, filters, pagination, read-your-writes."""

from __future__ import annotations

from typing import Any

from conftest import Api

BASE = "/api/v1/issues"


def keys(api: Api, query: str = "", as_: str = "admin", **headers: str) -> list[str]:
    answer = api.get(f"{BASE}{query}", as_=as_, headers=headers or None)
    assert answer.status_code == 200, answer.get_json()
    return [item["key"] for item in answer.get_json()["items"]]


def position(answer: Any) -> str:
    return str(answer.headers["X-Event-Position"])


def test_lists_are_scoped_filtered_and_paginated(listing_api: Api) -> None:
    api = listing_api
    api.report()  # KZ-1 lina
    api.report(as_="reporter2", module="warehouse", urgency="minor", impact_scope="user")  # KZ-2 minh
    api.report(title="Tồn kho âm — negative stock")  # KZ-3 lina
    last = api.post(f"{BASE}/KZ-3/escalate", {"vendor": "sap", "vendor_ticket": "INC-9"})
    wait = f"?min_position={position(last)}"
    assert keys(api, wait) == ["KZ-3", "KZ-2", "KZ-1"]
    assert keys(api, wait, as_="auditor") == ["KZ-3", "KZ-2", "KZ-1"]
    assert keys(api, wait, as_="reporter") == ["KZ-3", "KZ-1"]
    assert keys(api, wait, as_="app") == ["KZ-3", "KZ-1"]
    assert keys(api, wait, as_="reporter2") == ["KZ-2"]
    assert keys(api, wait, as_="sap") == ["KZ-3"]
    assert keys(api, wait, as_="oracle") == []

    assert keys(api, "?status=escalated") == ["KZ-3"]
    assert keys(api, "?module=warehouse") == ["KZ-2"]
    assert keys(api, "?priority=P4") == ["KZ-2"]
    assert keys(api, "?reporter=lina&vendor=sap") == ["KZ-3", "KZ-1"]
    assert keys(api, "?text=negative") == ["KZ-3"]
    assert keys(api, "?text=t%E1%BB%93n%20kho") == ["KZ-3"]
    assert keys(api, "?breached=false") == ["KZ-3", "KZ-2", "KZ-1"]

    first = api.get(f"{BASE}?limit=2").get_json()
    assert [i["key"] for i in first["items"]] == ["KZ-3", "KZ-2"] and first["next_cursor"]
    rest = api.get(f"{BASE}?limit=2&cursor={first['next_cursor']}").get_json()
    assert [i["key"] for i in rest["items"]] == ["KZ-1"] and rest["next_cursor"] is None
    item = first["items"][0]
    assert {
        "key",
        "title",
        "status",
        "priority",
        "impact_class",
        "module",
        "vendor",
        "site",
        "reporter",
        "assignee",
        "reported_at",
        "updated_at",
        "version",
        "breached",
    } <= set(item)

    for query, field in (
        ("?cursor=not-a-cursor", "cursor"),
        ("?limit=501", "limit"),
        ("?limit=0", "limit"),
        ("?status=lost", "status"),
        ("?breached=perhaps", "breached"),
    ):
        answer = api.get(f"{BASE}{query}")
        assert answer.status_code == 422 and field in answer.get_json()["errors"], query


def test_min_position_header_reads_your_writes(listing_api: Api) -> None:
    api = listing_api
    created = api.post(
        BASE,
        {"title": "t", "description": "d", "module": "hr", "impact_scope": "team", "urgency": "degraded"},
        as_="reporter",
    )
    assert keys(api, **{"X-Min-Position": position(created)}) == [created.get_json()["key"]]
    assert api.get(BASE, headers={"X-Min-Position": "soon"}).status_code == 422
    assert api.get(BASE, as_=None).status_code == 401


def test_suggestions_are_ranked_and_paginated(listing_api: Api) -> None:
    api = listing_api
    first = api.submit(title="Scan goods receipts on the handheld")
    second = api.submit(title="Print month-end reports in Vietnamese", module="reporting")
    third = api.submit(title="Approve expenses on the phone", module="finance")
    for party in ("reporter", "reporter2", "admin"):
        api.post(f"/api/v1/suggestions/{second}/votes", as_=party)
    last = api.post(f"/api/v1/suggestions/{third}/votes", as_="reporter")
    wait = f"min_position={position(last)}"

    def ranked(query: str, as_: str = "admin") -> list[str]:
        answer = api.get(f"/api/v1/suggestions?{wait}&{query}", as_=as_)
        assert answer.status_code == 200, answer.get_json()
        return [item["key"] for item in answer.get_json()["items"]]

    assert ranked("sort=votes") == [second, third, first]
    assert ranked("sort=recent") == [third, second, first]
    assert ranked("sort=votes", as_="reporter2") == [second, third, first]  # every staff member reads them
    assert ranked("sort=votes", as_="sap") == []  # no suggestion is a vendor's
    assert set(ranked("sort=trending")) == set(ranked("sort=score")) == {first, second, third}
    item = api.get(f"/api/v1/suggestions?{wait}").get_json()["items"][0]
    assert item["key"] == second and item["votes"] == 3 and isinstance(item["trending"], float)
    page = api.get("/api/v1/suggestions?sort=votes&limit=2").get_json()
    assert [i["key"] for i in page["items"]] == [second, third] and page["next_cursor"]
    rest = api.get(f"/api/v1/suggestions?sort=votes&limit=2&cursor={page['next_cursor']}").get_json()
    assert [i["key"] for i in rest["items"]] == [first] and rest["next_cursor"] is None
    assert ranked("status=submitted&sort=recent") == [third, second, first]
    for query, field in (
        ("sort=loudest", "sort"),
        ("status=lost", "status"),
        ("limit=501", "limit"),
        (f"sort=recent&cursor={page['next_cursor']}", "cursor"),
    ):
        answer = api.get(f"/api/v1/suggestions?{query}")
        assert answer.status_code == 422 and field in answer.get_json()["errors"], query

    duplicate = api.post(
        "/api/v1/suggestions",
        {"title": "Scan goods receipts on handhelds", "description": "again", "module": "warehouse"},
        as_="reporter2",
    )
    assert duplicate.status_code == 201
    assert [d["key"] for d in duplicate.get_json()["possible_duplicates"]] == [first]
