"""Reports a compliance officer can sign, over HTTP on both stores: `kind=`, `quarter=`, `as_of=`
on the compliance report, and `POST /reports/what-if` beside today's figures."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any
from unittest.mock import patch

import pytest

from tests.conftest import FakeClock
from tests.http.conftest import Api

REPORT = "/api/v1/reports/sla-compliance"
CLOSE = datetime(2026, 4, 1, tzinfo=UTC)  # 2026Q1 closes here


@pytest.fixture
def recorded_on_the_clock(clock: FakeClock) -> Iterator[None]:
    """Events are recorded at the test's clock, as a live server records them at its own."""
    with patch("eventsourcing.domain.datetime_now_with_tzinfo", side_effect=lambda: clock.now):
        yield


def _position(answer: Any) -> int:
    assert answer.status_code in (200, 201), answer.get_json()
    return int(answer.headers["X-Event-Position"])


def _escalated(api: Api) -> str:
    key = api.report()
    position = _position(api.post(f"/api/v1/issues/{key}/escalate", {"vendor": "sap", "vendor_ticket": "INC-1"}))
    assert api.get(f"{REPORT}?min_position={position}").status_code == 200  # the views have caught up
    return key


def _figures(api: Api, query: str, position: int) -> dict[str, list[dict[str, Any]]]:
    """Every grouping and kind of the quarter's report, as the API answers them."""
    out = {}
    for group in ("vendor", "priority", "month", "module", "site"):
        for kind in ("", "&kind=response", "&kind=update", "&kind=resolution"):
            answer = api.get(f"{REPORT}?quarter=2026Q1&group_by={group}{kind}{query}&min_position={position}")
            assert answer.status_code == 200, answer.get_json()
            rows = answer.get_json()["items"]
            out[group + kind] = sorted(rows, key=lambda r: str(r[group]))  # NULLs sort apart per engine
    return out


@pytest.mark.usefixtures("recorded_on_the_clock")
def test_quarter_figures_read_at_close_equal_as_of_close_read_later(listing_api: Api, clock: FakeClock) -> None:
    api = listing_api
    met = _escalated(api)
    clock.advance(minutes=30)
    _position(api.post(f"/api/v1/issues/{met}/vendor-updates", {"message": "on it"}, as_="sap"))
    breached = _escalated(api)  # SAP never answers this one within the quarter
    clock.now = datetime(2026, 3, 31, 23, 0, tzinfo=UTC)
    running = _escalated(api)  # still running when the quarter closes
    waiting = _escalated(api)
    position = _position(api.post(f"/api/v1/issues/{waiting}/wait", {"on": "customer", "reason": "trace"}))
    clock.now = CLOSE
    at_close = _figures(api, "", position)
    vendors = {r["vendor"]: r for r in at_close["vendor"]}
    assert vendors["sap"]["met"] >= 1 and vendors["sap"]["breached"] >= 1 and vendors["sap"]["running"] >= 1
    assert at_close["vendor&kind=response"] != at_close["vendor&kind=resolution"]

    # After the close: a late vendor update, a resolution and a reopen, a priority change that
    # re-targets a running clock from its start, and a new SAP policy.
    clock.advance(hours=1)
    _position(api.post(f"/api/v1/issues/{running}/vendor-updates", {"message": "late"}, as_="sap"))
    _position(api.post(f"/api/v1/issues/{breached}/vendor-updates", {"message": "finally"}, as_="sap"))
    _position(api.post(f"/api/v1/issues/{breached}/resolve", {"resolution": "note applied"}))
    clock.advance(hours=1)
    _position(api.post(f"/api/v1/issues/{breached}/reopen", {"reason": "came back"}))
    _position(api.post(f"/api/v1/issues/{waiting}/resume", {"reason": "trace sent"}))
    _position(api.post(f"/api/v1/issues/{waiting}/triage", {"priority": "P1", "reason": "production down"}))
    document = {
        k: v for k, v in api.get("/api/v1/vendors/sap/sla-policy").get_json().items() if k in ("calendars", "targets")
    }
    document["targets"]["P1"]["response"] = "PT5M"
    put = api.client.put(
        "/api/v1/vendors/sap/sla-policy",
        data=json.dumps(document),
        content_type="application/json",
        headers=api.headers("admin", None),
    )
    position = _position(put)
    clock.advance(days=40)

    later = _figures(api, "", position)
    assert later != at_close  # the live figures of the closed quarter have moved
    signed = _figures(api, "&as_of=2026-04-01T00:00:00Z", position)
    assert signed == at_close
    offset = api.get(f"{REPORT}?quarter=2026Q1&as_of=2026-04-01T08:00:00%2B08:00&min_position={position}")
    assert offset.get_json()["items"] == at_close["vendor"]


def test_kind_quarter_and_as_of_are_validated(listing_api: Api, clock: FakeClock) -> None:
    api = listing_api
    _escalated(api)
    for bad in (
        "quarter=2026Q5",
        "quarter=26Q1",
        "quarter=2026Q1&from=2026-01-01T00:00:00Z",
        "quarter=2026Q1&to=2026-04-01T00:00:00Z",
        "kind=vendor_response",
        "as_of=yesterday",
        "as_of=2026-03-01T00:00:00",  # no offset
        "as_of=2027-01-01T00:00:00Z",  # not yet happened
    ):
        answer = api.get(f"{REPORT}?{bad}")
        assert answer.status_code == 422, bad
        assert answer.content_type == "application/problem+json" and answer.get_json()["detail"], bad
    quarter = api.get(f"{REPORT}?quarter=2026Q1&group_by=month").get_json()["items"]
    period = api.get(f"{REPORT}?from=2026-01-01T00:00:00Z&to=2026-04-01T00:00:00Z&group_by=month").get_json()["items"]
    assert quarter == period and [r["month"] for r in quarter] == ["2026-03"]
    assert api.get(f"{REPORT}?quarter=2026Q2").get_json()["items"] == []
    update = api.get(f"{REPORT}?kind=update").get_json()["items"]
    response = {r["vendor"]: r["clocks"] for r in api.get(f"{REPORT}?kind=response").get_json()["items"]}
    assert {r["vendor"] for r in update} <= {"sap"} and response == {"internal": 1, "sap": 1}


def _sap_policy(api: Api) -> dict[str, Any]:
    current = api.get("/api/v1/vendors/sap/sla-policy").get_json()
    return {k: v for k, v in current.items() if k in ("calendars", "targets", "labels")}


def test_what_if_shows_proposed_figures_beside_todays_and_writes_nothing(listing_api: Api, clock: FakeClock) -> None:
    api = listing_api
    key = _escalated(api)
    clock.advance(minutes=30)
    position = _position(api.post(f"/api/v1/issues/{key}/vendor-updates", {"message": "on it"}, as_="sap"))
    api.get(f"{REPORT}?min_position={position}")
    before = api.get(f"{REPORT}?kind=response").get_json()["items"]
    proposed = _sap_policy(api)
    for targets in proposed["targets"].values():
        targets["response"] = "PT10M"
    body = {"policies": {"sap": proposed}, "from": "2026-03-01T00:00:00Z", "to": "2026-04-01T00:00:00Z"}
    answer = api.post("/api/v1/reports/what-if", {**body, "kind": "response"}, as_="auditor")
    assert answer.status_code == 200, answer.get_json()
    shown = answer.get_json()
    current = {r["vendor"]: r for r in shown["current"]}
    under = {r["vendor"]: r for r in shown["proposed"]}
    assert current["sap"]["met"] == 1 and under["sap"]["met"] == 0 and under["sap"]["breached"] == 1
    assert current["internal"] == under["internal"]  # other vendors keep their recorded policies
    assert shown["current"] == before  # today's figures are the live report's
    assert api.get(f"{REPORT}?kind=response").get_json()["items"] == before  # nothing written
    assert api.get("/api/v1/vendors/sap/sla-policy").get_json()["version"] == 0
    assert api.post("/api/v1/reports/what-if", {**body, "quarter": "2026Q1"}).status_code == 422
    quarter = api.post("/api/v1/reports/what-if", {"policies": {"sap": proposed}, "quarter": "2026Q1"})
    assert quarter.status_code == 200 and quarter.get_json()["from"].startswith("2026-01-01")
    for role in ("reporter", "sap"):
        assert api.post("/api/v1/reports/what-if", body, as_=role).status_code == 403, role


def test_what_if_validates_documents_exactly_as_the_policy_api(listing_api: Api) -> None:
    api = listing_api
    document = _sap_policy(api)
    document["targets"]["P1"]["response"] = "PT0H"
    put = api.client.put(
        "/api/v1/vendors/sap/sla-policy",
        data=json.dumps(document),
        content_type="application/json",
        headers=api.headers("admin", None),
    )
    what_if = api.post("/api/v1/reports/what-if", {"policies": {"sap": document}})
    assert put.status_code == what_if.status_code == 422
    assert what_if.content_type == "application/problem+json"
    detail = put.get_json()["detail"]
    assert what_if.get_json()["detail"] == detail and "targets.P1.response" in detail
    extra = api.post("/api/v1/reports/what-if", {"policies": {"sap": {**_sap_policy(api), "extra": 1}}})
    assert extra.status_code == 422 and "policies.sap.extra" in extra.get_json()["errors"]
    assert api.post("/api/v1/reports/what-if", {"policies": {"Not A Slug": _sap_policy(api)}}).status_code == 422
    assert api.post("/api/v1/reports/what-if", {"policies": {}}).status_code == 422
    assert api.post("/api/v1/reports/what-if", {"policies": {"sap": "text"}}).status_code == 422
    assert api.get("/api/v1/vendors/sap/sla-policy").get_json()["version"] == 0
