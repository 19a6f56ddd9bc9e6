"""Vendor terms through the HTTP contract, on both stores: versions, validation, who reads them,
and what they do to an escalation (enforced labels that follow the priority, the incident
quota, the fee of a paid escalation)."""

from __future__ import annotations

from typing import Any

from conftest import Api

from application.context import Context
from domain.actor import SYSTEM
from tests.conftest import enrol_assignees

BASE = "/api/v1/issues"
SAP_TERMS: dict[str, Any] = {
    "labels_enforced": True,
    "labels": {"P1": "Very High", "P2": "High", "P3": "Medium", "P4": "Low"},
    "incident_quota": {"period": "year", "count": 12},
    "escalation_fees": {},
    "mail_from": ["@sap.com"],
    "service_credits": [{"below_percent_met": 95, "credit_percent": 5}],
    "fixed_team": None,
}


def put(api: Api, vendor: str, terms: dict[str, Any], *, as_: str = "admin", version: int | None = None) -> Any:
    headers = {"If-Match": f'"{version}"'} if version is not None else None
    return api.client.put(f"/api/v1/vendors/{vendor}/terms", json=terms, headers=api.headers(as_, headers))


def escalate(api: Api, key: str, vendor: str = "sap", **body: Any) -> Any:
    return api.post(f"{BASE}/{key}/escalate", {"vendor": vendor, "vendor_ticket": f"INC-{key}", **body})


def test_default_terms_are_version_0_and_name_their_placeholders(api: Api) -> None:
    answer = api.get("/api/v1/vendors/sap/terms")
    assert answer.status_code == 200
    body = answer.get_json()
    assert (body["version"], body["labels_enforced"], body["labels"]["P1"]) == (0, True, "Very High")
    assert "incident_quota" in body["placeholders"] and "labels" not in body["placeholders"]
    assert answer.headers["ETag"] == '"0"'
    assert "labels" in api.get("/api/v1/vendors/multiable/terms").get_json()["placeholders"]
    assert api.get("/api/v1/vendors/acme/terms").status_code == 404


def test_put_terms_versions_them_and_if_match_guards_the_version(api: Api) -> None:
    first = put(api, "sap", SAP_TERMS, version=0)
    assert first.status_code == 200, first.get_json()
    assert (first.get_json()["version"], first.get_json()["placeholders"]) == (1, [])
    assert first.headers["ETag"] == '"1"'
    stale = put(api, "sap", {**SAP_TERMS, "mail_from": ["@sap.com", "support@sap.com"]}, version=0)
    assert stale.status_code in (409, 412)
    second = put(api, "sap", {**SAP_TERMS, "mail_from": ["@sap.com", "support@sap.com"]}, version=1)
    assert second.get_json()["version"] == 2
    read = api.get("/api/v1/vendors/sap/terms").get_json()
    assert read["mail_from"] == ["@sap.com", "support@sap.com"]
    history = api.get("/api/v1/vendors/sap/terms/history").get_json()["items"]
    assert [item["type"] for item in history] == ["Created", "Put", "Put"]


def test_bad_terms_are_refused_and_nothing_is_written(api: Api) -> None:
    bad = [
        {**SAP_TERMS, "labels": {"P1": "Very High"}},
        {**SAP_TERMS, "incident_quota": {"period": "week", "count": 3}},
        {**SAP_TERMS, "incident_quota": {"period": "year", "count": 0}},
        {**SAP_TERMS, "escalation_fees": {"P1": {"amount": "-5", "currency": "USD"}}},
        {**SAP_TERMS, "escalation_fees": {"P1": {"amount": "5.00", "currency": "XXX"}}},
        {**SAP_TERMS, "escalation_fees": {"P9": {"amount": "5.00", "currency": "USD"}}},
        {**SAP_TERMS, "mail_from": ["not an address"]},
        {**SAP_TERMS, "service_credits": [{"below_percent_met": 120, "credit_percent": 5}]},
        {**SAP_TERMS, "fixed_team": "nobody-team"},
        {**SAP_TERMS, "surprise": 1},
    ]
    for terms in bad:
        answer = put(api, "sap", terms)
        assert answer.status_code == 422, (terms, answer.get_json())
        assert answer.content_type == "application/problem+json"
    assert api.get("/api/v1/vendors/sap/terms").get_json()["version"] == 0


def test_the_fixed_team_must_be_the_vendors_own_team(api: Api) -> None:
    api.desk.create_group(Context(SYSTEM), "sap-team", name="SAP team", kind="vendor_team", vendor="sap")
    api.desk.create_group(Context(SYSTEM), "oracle-team", name="Oracle team", kind="vendor_team", vendor="oracle")
    assert put(api, "sap", {**SAP_TERMS, "fixed_team": "oracle-team"}).status_code == 422
    answer = put(api, "sap", {**SAP_TERMS, "fixed_team": "sap-team"})
    assert answer.status_code == 200 and answer.get_json()["fixed_team"] == "sap-team"


def test_who_reads_and_writes_terms(api: Api) -> None:
    assert api.get("/api/v1/vendors/sap/terms", as_="sap").status_code == 200
    assert api.get("/api/v1/vendors/sap/terms", as_="auditor").status_code == 200
    assert api.get("/api/v1/vendors/sap/terms", as_="oracle").status_code == 404
    assert api.get("/api/v1/vendors/sap/terms/history", as_="oracle").status_code == 404
    assert api.get("/api/v1/vendors/sap/terms", as_="reporter").status_code == 403
    assert put(api, "sap", SAP_TERMS, as_="sap").status_code == 403
    assert put(api, "sap", SAP_TERMS, as_="auditor").status_code == 403


def test_critical_is_not_an_sap_label(api: Api) -> None:
    key = api.report()
    answer = escalate(api, key, vendor_priority="Critical")
    assert answer.status_code == 422, answer.get_json()
    assert "Very High" in answer.get_json()["detail"]
    assert api.get(f"{BASE}/{key}").get_json()["status"] != "escalated"


def test_the_label_is_filled_in_and_follows_the_priority(api: Api) -> None:
    enrol_assignees(api.desk, "admin-wong")
    key = api.report()  # company-wide and blocking: P1
    answer = escalate(api, key)
    assert answer.status_code == 200, answer.get_json()
    assert answer.get_json()["escalation"]["vendor_priority"] == "Very High"
    triaged = api.post(f"{BASE}/{key}/triage", {"priority": "P3", "reason": "one clerk only, after all"})
    assert triaged.status_code == 200, triaged.get_json()
    assert triaged.get_json()["escalation"]["vendor_priority"] == "Medium"
    types = [h["type"] for h in api.get(f"{BASE}/{key}/history").get_json()["items"]]
    assert types[-2:] == ["Triaged", "VendorPriorityChanged"]


def test_beyond_the_quota_an_escalation_needs_a_reason(api: Api) -> None:
    assert put(api, "sap", {**SAP_TERMS, "incident_quota": {"period": "month", "count": 1}}).status_code == 200
    first, second = api.report(), api.report()
    assert escalate(api, first).status_code == 200
    refused = escalate(api, second)
    assert refused.status_code == 409, refused.get_json()
    assert "quota" in refused.get_json()["detail"]
    assert api.get(f"{BASE}/{second}").get_json()["status"] != "escalated"
    allowed = escalate(api, second, override_reason="Month-end close is blocked; agreed with SAP")
    assert allowed.status_code == 200, allowed.get_json()
    assert allowed.get_json()["escalation"]["quota_override_reason"].startswith("Month-end")
    assert api.desk.incidents_used("sap", "month", api.desk.clock()) == 2


def test_a_paid_escalation_records_its_fee(api: Api) -> None:
    terms = {
        "labels_enforced": True,
        "labels": {"P1": "Severity 1", "P2": "Severity 2", "P3": "Severity 3", "P4": "Severity 4"},
        "escalation_fees": {"P1": {"amount": "500", "currency": "usd"}},
    }
    stored = put(api, "oracle", terms)
    assert stored.status_code == 200, stored.get_json()
    assert stored.get_json()["escalation_fees"] == {"P1": {"amount": "500.00", "currency": "USD"}}
    key = api.report(vendor="oracle")
    answer = escalate(api, key, vendor="oracle", vendor_priority="Severity 1")
    assert answer.status_code == 200, answer.get_json()
    assert answer.get_json()["escalation"]["fee"] == {"amount": "500.00", "currency": "USD"}
    unpaid = escalate(api, api.report(), vendor="sap")
    assert unpaid.get_json()["escalation"]["fee"] is None


def test_a_retried_escalation_is_counted_once(api: Api) -> None:
    key = api.report()
    retry = {"Idempotency-Key": "escalate-once-0001"}
    body = {"vendor": "sap", "vendor_ticket": "INC-9"}
    first = api.post(f"{BASE}/{key}/escalate", body, headers=retry)
    again = api.post(f"{BASE}/{key}/escalate", body, headers=retry)
    assert (first.status_code, again.status_code) == (200, 200)
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert api.desk.incidents_used("sap", "year", api.desk.clock()) == 1
