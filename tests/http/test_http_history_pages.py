"""History routes page like every list of the contract: `?limit=` (default 50, max 500),
`?cursor=` from `next_cursor`, which is null on the last page; a bad one is a 422 problem."""

from __future__ import annotations

from typing import Any

import pytest

from application.context import Context
from domain.actor import Actor
from interfaces.http.schemas.common import FlatList
from interfaces.http.schemas.issues import CommentOutSchema
from tests.http.conftest import Api

V1 = "/api/v1"
ADMIN = Actor("admin-wong", "admin")


def pages(api: Api, path: str, limit: int | None, as_: str = "admin") -> list[dict[str, Any]]:
    """Every page of `path`, checking each page's shape on the way."""
    items: list[dict[str, Any]] = []
    cursor: str | None = None
    for _ in range(1000):
        query = "&".join(
            part for part in (f"limit={limit}" if limit else "", f"cursor={cursor}" if cursor else "") if part
        )
        answer = api.get(f"{path}?{query}", as_=as_)
        assert answer.status_code == 200, answer.get_json()
        page = answer.get_json()
        assert set(page) == {"items", "next_cursor"}
        assert len(page["items"]) <= (limit or 50)
        items += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            return items
        assert len(page["items"]) == (limit or 50)  # only the last page may be short
    raise AssertionError("next_cursor never became null")


def commented(api: Api, comments: int) -> str:
    key = api.report()
    for n in range(comments):
        api.desk.comment_on_issue(Context(ADMIN), key, body=f"update {n}", visibility="public")
    return key


def test_issue_history_pages_through_every_event_once_in_order(api: Api) -> None:
    key = commented(api, 54)  # 55 events: more than one default page
    first = api.get(f"{V1}/issues/{key}/history").get_json()
    assert [e["version"] for e in first["items"]] == list(range(1, 51)) and first["next_cursor"]
    for limit in (None, 1, 7, 55, 500):
        everything = pages(api, f"{V1}/issues/{key}/history", limit)
        assert [e["version"] for e in everything] == list(range(1, 56)), limit
    assert everything[0]["type"] == "Reported" and all(e["hash"] for e in everything)
    last = api.get(f"{V1}/issues/{key}/history?limit=55").get_json()
    assert len(last["items"]) == 55 and last["next_cursor"] is None
    beyond = api.get(f"{V1}/issues/{key}/history?cursor=55").get_json()
    assert beyond == {"items": [], "next_cursor": None}


def test_issue_history_pages_keep_the_viewer_rules(api: Api) -> None:
    key = api.report()
    api.post(f"{V1}/issues/{key}/comments", {"body": "vendor is slow", "visibility": "internal"})
    api.post(f"{V1}/issues/{key}/comments", {"body": "hello", "visibility": "public"})
    mine = pages(api, f"{V1}/issues/{key}/history", 1, as_="reporter")
    assert len(mine) == 3 and "vendor is slow" not in str(mine) and mine[1]["data"]["redacted"] is True
    assert api.get(f"{V1}/issues/{key}/history?limit=1", as_="reporter2").status_code == 404
    assert api.get(f"{V1}/issues/KZ-999/history?cursor=3").status_code == 404


@pytest.mark.parametrize(
    "query",
    [
        "limit=0",
        "limit=501",
        "limit=many",
        "cursor=",
        "cursor=abc",
        "cursor=-1",
        "cursor=1.5",
        "cursor=5%0A",
        "cursor=99999999999",
    ],
)
def test_a_bad_limit_or_cursor_is_a_validation_problem(api: Api, query: str) -> None:
    key = api.report()
    sid = api.submit()
    for path in (
        f"{V1}/issues/{key}/history",
        f"{V1}/suggestions/{sid}/history",
        f"{V1}/vendors/sap/sla-policy/history",
    ):
        answer = api.get(f"{path}?{query}")
        assert answer.status_code == 422, (path, query, answer.get_json())
        assert answer.headers["Content-Type"].startswith("application/problem+json")
        assert answer.get_json()["errors"], (path, query)


def test_suggestion_policy_and_meeting_histories_page_too(api: Api) -> None:
    sid = api.submit()
    for voter in ("reporter2", "admin", "auditor"):
        api.post(f"{V1}/suggestions/{sid}/votes", as_=voter)
    votes = pages(api, f"{V1}/suggestions/{sid}/history", 2, as_="auditor")
    assert [e["version"] for e in votes] == list(range(1, len(votes) + 1)) and votes[0]["type"] == "Submitted"

    assert api.get(f"{V1}/vendors/sap/sla-policy/history").get_json() == {"items": [], "next_cursor": None}
    document = api.get(f"{V1}/vendors/sap/sla-policy").get_json()
    body = {k: v for k, v in document.items() if k not in ("vendor", "version", "published_at")}
    for _ in range(2):
        assert api.client.put(
            f"{V1}/vendors/sap/sla-policy", json=body, headers=api.headers("admin", None)
        ).status_code in (200, 201)
    policy = pages(api, f"{V1}/vendors/sap/sla-policy/history", 1)
    assert [e["type"] for e in policy] == ["Created", "Published", "Published"]

    people = [{"name": "Ms Chan", "department": "finance"}]
    meeting = api.post(f"{V1}/meetings", {"cadence": "monthly", "date": "2026-03-20", "attendees": people})
    assert meeting.status_code == 201, meeting.get_json()
    key = meeting.get_json()["key"]
    assert api.post(f"{V1}/meetings/{key}/close", {"minutes": "Nothing decided"}).status_code == 200
    events = pages(api, f"{V1}/meetings/{key}/history", 1)
    assert [e["version"] for e in events] == [1, 2] and events[-1]["type"] == "Closed"


def test_time_travel_to_the_current_version_and_past_ones(api: Api) -> None:
    key = commented(api, 3)
    now = api.get(f"{V1}/issues/{key}").get_json()
    assert api.get(f"{V1}/issues/{key}?version=4").get_json() == now
    assert len(api.get(f"{V1}/issues/{key}?version=2").get_json()["comments"]) == 1
    assert api.get(f"{V1}/issues/{key}?version=2", as_="reporter2").status_code == 404
    assert api.get(f"{V1}/issues/{key}?version=5").status_code == 404


def test_flat_list_dumps_exactly_what_a_nested_schema_would() -> None:
    from datetime import UTC, datetime

    from marshmallow import Schema, fields

    class Nested(Schema):
        comments = fields.List(fields.Nested(CommentOutSchema))

    class Flat(Schema):
        comments = FlatList(CommentOutSchema)

    at = datetime(2026, 3, 2, 1, 0, 0, 123, tzinfo=UTC)
    comments = [
        {"id": "c1", "body": "好", "visibility": "public", "author": "li", "role": "reporter", "at": at, "response": 0},
        {"id": "c2", "body": "x", "visibility": "internal", "author": "a", "role": "admin", "at": None, "extra": 1},
        {"id": 3, "body": "missing fields are left out"},
    ]
    for value in (comments, [], None):
        assert Flat().dump({"comments": value}) == Nested().dump({"comments": value})
