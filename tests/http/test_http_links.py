"""Linked issues and "me too" over HTTP, on SQLite and PostgreSQL: links (admins), affected
(once per person, reporters on open issues they cannot otherwise read), possible duplicates in
the report answer, and the duplicate's reporter named in the original's resolution notice."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from conftest import ISSUE, Api, build_app, issue_tokens

from projections.outbox_queries import get_delivery, list_deliveries
from tests.conftest import FakeClock

BASE = "/api/v1/issues"


def ok(answer: Any, status: int = 200) -> dict[str, Any]:
    assert answer.status_code == status, answer.get_json()
    body: dict[str, Any] = answer.get_json()
    return body


def test_link_as_duplicate_shows_on_both_issues(api: Api) -> None:
    original, duplicate = api.report(), api.report(as_="reporter2", title="GL posting fails again")
    linked = ok(api.post(f"{BASE}/{duplicate}/links", {"kind": "duplicate_of", "target": original}))
    assert [(link["kind"], link["key"], link["direction"]) for link in linked["links"]] == [
        ("duplicate_of", original, "outward")
    ]
    seen = ok(api.get(f"{BASE}/{original}"))
    assert [(link["kind"], link["key"], link["direction"]) for link in seen["links"]] == [
        ("duplicate_of", duplicate, "inward")
    ]
    assert seen["version"] == 2  # the original recorded its half of the link


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"kind": "duplicate_of", "target": "KZ-1"}, 422, "target"),  # itself
        ({"kind": "duplicate_of", "target": "KZ-99"}, 422, "target"),  # no such issue
        ({"kind": "blocks", "target": "KZ-2"}, 422, "kind"),
        ({"kind": "relates_to"}, 422, "target"),
        ({"kind": "relates_to", "target": "KZ-2", "note": "x"}, 422, "note"),
    ],
)
def test_bad_links_are_refused_and_write_nothing(api: Api, body: dict[str, Any], status: int, field: str) -> None:
    first, second = api.report(), api.report()
    assert (first, second) == ("KZ-1", "KZ-2")
    refused = api.post(f"{BASE}/{first}/links", body)
    problem = refused.get_json()
    assert refused.status_code == status and refused.content_type == "application/problem+json"
    assert field in (problem.get("errors") or {field: None}) or field in problem["detail"]
    assert ok(api.get(f"{BASE}/{first}"))["version"] == 1 and ok(api.get(f"{BASE}/{second}"))["version"] == 1


def test_the_same_link_twice_is_a_conflict_and_only_admins_link(api: Api) -> None:
    first, second = api.report(), api.report()
    ok(api.post(f"{BASE}/{first}/links", {"kind": "relates_to", "target": second}))
    again = api.post(f"{BASE}/{first}/links", {"kind": "relates_to", "target": second})
    assert again.status_code == 409 and again.get_json()["state"]["key"] == first
    assert api.post(f"{BASE}/{first}/links", {"kind": "caused_by", "target": second}, as_="reporter").status_code == 403
    assert api.post(f"{BASE}/{first}/links", {"kind": "caused_by", "target": second}, as_="auditor").status_code == 403


def test_me_too_once_per_person(api: Api) -> None:
    key = api.report()  # lina's
    answer = ok(api.post(f"{BASE}/{key}/affected", as_="reporter2"))
    assert answer == {
        "key": key,
        "title": ISSUE["title"],
        "status": "new",
        "affected_count": 1,
        "affected": True,
        "version": 2,
    }
    assert "description" not in answer  # minh may not read lina's issue, only say "me too"
    again = api.post(f"{BASE}/{key}/affected", {}, as_="reporter2")
    assert again.status_code == 409 and again.get_json()["state"]["affected_count"] == 1
    assert "description" not in again.get_json()["state"]
    assert api.post(f"{BASE}/{key}/affected", as_="reporter").status_code == 409  # the reporter is affected already
    ok(api.post(f"{BASE}/{key}/affected"))  # an administrator hits it too
    issue = ok(api.get(f"{BASE}/{key}", as_="reporter"))
    assert issue["affected_count"] == 2 and issue["affected"] is False and "affected_people" not in issue
    assert ok(api.get(f"{BASE}/{key}"))["affected_people"] == ["minh", "admin-wong"]
    assert api.get(f"{BASE}/{key}", as_="reporter2").status_code == 404  # still not minh's to read


def test_me_too_is_refused_to_vendors_auditors_and_on_closed_issues(api: Api) -> None:
    key = api.report()
    assert api.post(f"{BASE}/{key}/affected", as_="sap").status_code == 404  # not escalated to sap
    assert api.post(f"{BASE}/{key}/affected", as_="auditor").status_code == 403
    ok(api.post(f"{BASE}/{key}/resolve", {"resolution": "note applied"}))
    assert api.post(f"{BASE}/{key}/affected", as_="reporter2").status_code == 404  # closed to minh: unknown
    refused = api.post(f"{BASE}/{key}/affected")
    assert refused.status_code == 409 and "resolved" in refused.get_json()["detail"]
    assert api.post(f"{BASE}/KZ-404/affected", as_="reporter2").status_code == 404


def test_report_answers_possible_duplicates_among_open_issues(listing_api: Api) -> None:
    api = listing_api
    first = ok(api.post(BASE, {**ISSUE, "title": "Handheld scanner freezes on goods receipt"}, as_="reporter"), 201)
    closed = ok(api.post(BASE, {**ISSUE, "title": "Handheld scanner freezes on goods receipt!"}, as_="reporter"), 201)
    resolved = api.post(f"{BASE}/{closed['key']}/resolve", {"resolution": "fixed"})
    ok(api.get(f"{BASE}?min_position={resolved.headers['X-Event-Position']}"))
    second = api.post(BASE, {**ISSUE, "title": "Handheld scanner freezes at goods receipt"}, as_="reporter2")
    body = ok(second, 201)
    assert [(d["key"], d["title"], d["status"]) for d in body["possible_duplicates"]] == [
        (first["key"], "Handheld scanner freezes on goods receipt", "new")
    ]
    assert set(body["possible_duplicates"][0]) == {"key", "title", "status", "priority", "score"}
    unrelated = ok(api.post(BASE, {**ISSUE, "title": "Payroll export has the wrong currency"}), 201)
    assert unrelated["possible_duplicates"] == [] and unrelated["key"] and unrelated["status"] == "new"


@pytest.fixture
def notifying_api(store_url: str, clock: FakeClock, monkeypatch: pytest.MonkeyPatch) -> Iterator[Api]:
    """Projections in the app (the outbox is a view); nothing is delivered."""
    monkeypatch.setenv("KAIZEN_NOTIFICATIONS", "off")
    monkeypatch.setenv("KAIZEN_WEBHOOK_ALLOW", "127.0.0.1/32")
    app = build_app(store_url, clock, run_projections=True)
    try:
        yield Api(app, app.test_client(), issue_tokens(app.extensions["kaizen"].desk))
    finally:
        app.extensions["kaizen"].close()


def test_the_duplicates_reporter_is_named_when_the_original_is_resolved(notifying_api: Api) -> None:
    api = notifying_api
    subscription = ok(
        api.post(
            "/api/v1/subscriptions",
            {"kind": "webhook", "target": "http://127.0.0.1:9/hook", "events": ["issue.resolved"], "language": "en"},
        ),
        201,
    )
    original, duplicate = api.report(), api.report(as_="reporter2", title="GL posting fails here too")
    ok(api.post(f"{BASE}/{duplicate}/links", {"kind": "duplicate_of", "target": original}))
    resolved = api.post(f"{BASE}/{original}/resolve", {"resolution": "note 123 applied"})
    ok(resolved)
    read = api.app.extensions["kaizen"].read
    assert read.wait_for(int(resolved.headers["X-Event-Position"]), timeout=10)
    items, _ = list_deliveries(read.store, subscription["id"], None, 50, None)
    [delivery] = items
    notice = get_delivery(read.store, subscription["id"], delivery["delivery_id"])
    assert notice is not None
    assert notice["notice"]["subject"]["key"] == original
    assert notice["notice"]["data"] == {"resolution": "note 123 applied", "followers": ["minh"]}
