"""SLA clocks, policies, reports and audit over HTTP, on both stores, with their role rules."""

from __future__ import annotations

import json

import pytest

from tests.conftest import FakeClock
from tests.http.conftest import Api


def _escalated(api: Api, clock: FakeClock) -> tuple[str, int]:
    key = api.report()
    api.post(f"/api/v1/issues/{key}/escalate", {"vendor": "sap", "vendor_ticket": "INC-1"})
    clock.advance(minutes=30)
    answer = api.post(f"/api/v1/issues/{key}/vendor-updates", {"message": "on it"}, as_="sap")
    assert answer.status_code == 200, answer.get_json()
    return key, int(answer.headers["X-Event-Position"])


def test_issue_sla_has_the_documented_shape_and_scoping(listing_api: Api, clock: FakeClock) -> None:
    key, position = _escalated(listing_api, clock)
    answer = listing_api.get(f"/api/v1/issues/{key}/sla?min_position={position}")
    assert answer.status_code == 200 and set(answer.get_json()) == {"clocks"}  # exactly the documented shape
    clocks = answer.get_json()["clocks"]
    assert {c["kind"] for c in clocks} >= {
        "internal_response",
        "internal_resolution",
        "vendor_response",
        "vendor_resolution",
    }
    response = next(c for c in clocks if c["kind"] == "vendor_response")
    assert set(response) == {
        "kind",
        "vendor",
        "policy_version",
        "priority",
        "target",
        "started_at",
        "due_at",
        "stopped_at",
        "paused",
        "status",
        "business_seconds_used",
    }
    assert (response["status"], response["target"], response["business_seconds_used"]) == ("met", "PT1H", 1800)
    assert listing_api.get(f"/api/v1/issues/{key}/sla", as_="reporter").status_code == 200
    assert listing_api.get(f"/api/v1/issues/{key}/sla", as_="reporter2").status_code == 404
    assert listing_api.get(f"/api/v1/issues/{key}/sla", as_="oracle").status_code == 404
    vendor_view = listing_api.get(f"/api/v1/issues/{key}/sla", as_="sap").get_json()["clocks"]
    assert vendor_view and {c["vendor"] for c in vendor_view} == {"sap"}


def test_sla_policy_put_get_history_and_errors(api: Api) -> None:
    default = api.get("/api/v1/vendors/acme/sla-policy")
    assert default.status_code == 200 and default.get_json()["version"] == 0 and default.headers["ETag"] == '"0"'
    document = {
        k: v
        for k, v in api.get("/api/v1/vendors/sap/sla-policy").get_json().items()
        if k in ("calendars", "targets", "labels")
    }
    document["targets"]["P1"]["response"] = "PT2H"
    put = api.client.put(
        "/api/v1/vendors/sap/sla-policy",
        data=json.dumps(document),
        content_type="application/json",
        headers=api.headers("admin", None),
    )
    assert put.status_code == 200 and put.get_json()["version"] == 1 and put.headers["ETag"] == '"1"'
    assert put.get_json()["targets"]["P1"]["response"] == "PT2H"
    stale = api.client.put(
        "/api/v1/vendors/sap/sla-policy",
        data=json.dumps(document),
        content_type="application/json",
        headers=api.headers("admin", {"If-Match": '"0"'}),
    )
    assert stale.status_code == 412
    for role in ("reporter", "auditor", "sap"):
        refused = api.client.put(
            "/api/v1/vendors/sap/sla-policy",
            data=json.dumps(document),
            content_type="application/json",
            headers=api.headers(role, None),
        )
        assert refused.status_code == 403, role
    document["targets"]["P1"]["response"] = "PT0H"
    invalid = api.client.put(
        "/api/v1/vendors/sap/sla-policy",
        data=json.dumps(document),
        content_type="application/json",
        headers=api.headers("admin", None),
    )
    assert invalid.status_code == 422 and invalid.content_type == "application/problem+json"
    assert "targets.P1.response" in invalid.get_json()["detail"]
    unknown = api.client.put(
        "/api/v1/vendors/sap/sla-policy",
        data=json.dumps({**document, "extra": 1}),
        content_type="application/json",
        headers=api.headers("admin", None),
    )
    assert unknown.status_code == 422 and "extra" in unknown.get_json()["errors"]
    history = api.get("/api/v1/vendors/sap/sla-policy/history").get_json()["items"]
    assert [h["type"] for h in history] == ["Created", "Published"]


def test_reports_json_csv_roles_and_validation(listing_api: Api, clock: FakeClock) -> None:
    _, position = _escalated(listing_api, clock)
    compliance = listing_api.get(f"/api/v1/reports/sla-compliance?group_by=vendor&min_position={position}")
    assert compliance.status_code == 200
    rows = {r["vendor"]: r for r in compliance.get_json()["items"]}
    assert (
        rows["sap"]["met"] >= 1
        and rows["sap"]["clocks"] == rows["sap"]["met"] + rows["sap"]["breached"] + rows["sap"]["running"]
    )
    csv = listing_api.get("/api/v1/reports/sla-compliance?group_by=priority", headers={"Accept": "text/csv"})
    assert csv.status_code == 200 and csv.content_type.startswith("text/csv")
    assert csv.get_data(as_text=True).splitlines()[0] == "priority,clocks,met,breached,running,percent_met"
    times = listing_api.get("/api/v1/reports/vendor-response-times").get_json()["items"]
    assert times[0]["vendor"] == "sap" and times[0]["median_hours"] == 0.5
    assert listing_api.get("/api/v1/reports/sla-compliance", as_="auditor").status_code == 200
    assert listing_api.get("/api/v1/reports/sla-compliance", as_="reporter").status_code == 403
    assert {
        r["vendor"] for r in listing_api.get("/api/v1/reports/sla-compliance", as_="oracle").get_json()["items"]
    } <= {"oracle"}
    assert listing_api.get("/api/v1/reports/sla-compliance?group_by=colour").status_code == 422
    assert listing_api.get("/api/v1/reports/sla-at-risk?within=soon").status_code == 422
    assert listing_api.get("/api/v1/reports/sla-at-risk?within=48h").status_code == 200


def test_audit_log_verify_export_and_roles(api: Api, clock: FakeClock) -> None:
    _escalated(api, clock)
    first = api.get("/api/v1/audit/events?limit=2", as_="auditor").get_json()
    assert len(first["items"]) == 2 and first["next_cursor"] == str(first["items"][-1]["position"])
    rest = api.get(f"/api/v1/audit/events?after={first['last_position']}&limit=500", as_="auditor").get_json()
    positions = [e["position"] for e in first["items"] + rest["items"]]
    assert positions == sorted(set(positions)) and rest["next_cursor"] is None
    verify = api.get("/api/v1/audit/verify", as_="auditor").get_json()
    assert verify["ok"] is True and verify["broken"] == []
    export = api.get("/api/v1/audit/export", as_="auditor")
    lines = export.get_data(as_text=True).splitlines()
    assert export.content_type.startswith("application/x-ndjson") and len(lines) == len(positions)
    for role in ("reporter", "sap", "app"):
        assert api.get("/api/v1/audit/events", as_=role).status_code == 403, role
    assert api.get("/api/v1/audit/events?limit=501", as_="auditor").status_code == 422


IMPORT_LINE = {
    "at": "2026-03-02T09:15:00+08:00",
    "actor": "lina",
    "role": "reporter",
    "via": None,
    "command": "report",
    "ref": "r-1",
    "data": {
        "title": "Báo cáo tồn kho sai",
        "description": "Kho HCM",
        "module": "warehouse",
        "impact_scope": "team",
        "urgency": "degraded",
        "vendor": "microsoft",
        "site": "HCM",
    },
}


def test_import_over_http(api: Api) -> None:
    body = json.dumps(IMPORT_LINE, ensure_ascii=False) + "\n"
    headers = {**api.headers("admin", None), "Content-Type": "application/x-ndjson"}
    answer = api.client.post("/api/v1/import", data=body.encode(), headers=headers)
    assert answer.status_code == 200 and answer.get_json() == {"refs": {"r-1": "KZ-1"}}
    assert api.get("/api/v1/issues/KZ-1").get_json()["title"] == "Báo cáo tồn kho sai"
    bad = body + json.dumps({**IMPORT_LINE, "command": "teleport"}) + "\n"
    refused = api.client.post("/api/v1/import", data=bad.encode(), headers=headers)
    assert refused.status_code == 422 and "line 2: unknown command 'teleport'" in refused.get_json()["detail"]
    auditor = {**api.headers("auditor", None), "Content-Type": "application/x-ndjson"}
    assert api.client.post("/api/v1/import", data=body.encode(), headers=auditor).status_code == 403
    as_form = {**api.headers("admin", None), "Content-Type": "application/x-www-form-urlencoded"}
    assert api.client.post("/api/v1/import", data=body.encode(), headers=as_form).status_code == 415


def test_compliance_filters_narrow_the_clocks(listing_api: Api, clock: FakeClock) -> None:
    _, position = _escalated(listing_api, clock)
    listing_api.report(module="sales", site="SG", vendor="oracle")
    base = "/api/v1/reports/sla-compliance?group_by=module"
    everything = listing_api.get(f"{base}&min_position={position + 10}").get_json()["items"]
    assert {r["module"] for r in everything} == {"finance", "sales"}
    sales = listing_api.get(f"{base}&module=sales").get_json()["items"]
    assert [r["module"] for r in sales] == ["sales"]
    assert listing_api.get(f"{base}&site=SG").get_json()["items"] == sales
    assert listing_api.get(f"{base}&vendor=sap").get_json()["items"][0]["module"] == "finance"
    assert listing_api.get(f"{base}&module=astrology").status_code == 422


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"at": "0001-01-01T00:00:00+14:00"}, "'at'"),
        ({"at": "9999-12-31T23:59:59-12:00"}, "'at'"),
        ({"actor": "a" * 12_000}, "'actor'"),
        ({"data": {**IMPORT_LINE["data"], "title": "NUL\u0000here"}}, "'data.title'"),  # type: ignore[dict-item]
    ],
)
def test_an_import_line_that_would_wedge_the_views_is_refused_and_they_keep_serving(
    listing_api: Api, changes: dict[str, object], field: str
) -> None:
    """Each of these was answered 200 and then stopped every view at its position for good."""
    headers = {**listing_api.headers("admin", None), "Content-Type": "application/x-ndjson"}
    first = listing_api.post("/api/v1/issues", {**IMPORT_LINE["data"], "site": "SG"})  # type: ignore[dict-item]
    assert first.status_code == 201
    body = json.dumps({**IMPORT_LINE, **changes}, ensure_ascii=False) + "\n"
    refused = listing_api.client.post("/api/v1/import", data=body.encode(), headers=headers)
    assert refused.status_code == 422, refused.get_json()
    assert refused.get_json()["detail"].startswith(f"line 1: {field}")
    position = int(first.headers["X-Event-Position"])
    listed = listing_api.get(f"/api/v1/issues?min_position={position}")
    assert listed.status_code == 200 and [i["key"] for i in listed.get_json()["items"]] == ["KZ-1"]
    assert listing_api.get("/api/v1/issues/KZ-1").status_code == 200
    assert listing_api.client.get("/readyz").status_code == 200
