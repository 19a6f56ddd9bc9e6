"""SLA automation rules through the HTTP contract, on both stores.

Rules are put over the API; time is the FakeClock; the elected worker's pass is run by hand
(projections, the SLA alert scan, then the automation pass), as the alert tests run it. Each
rule acts once: a second pass, and a pass by a second desk on the same store, do nothing more.
What it did is in the issue's history with the rule as its actor.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from werkzeug.test import TestResponse

from application.config import store_settings
from application.context import Context
from application.desk import KaizenDesk
from domain.actor import SYSTEM
from domain.notification_egress import EgressPolicy
from domain.sla_policy_document import PRIORITIES
from projections.alerts import AlertScheduler, AlertSettings
from projections.automation import AutomationPass, AutomationSettings
from projections.catalogue import all_views
from projections.outbox import OUTBOX
from projections.runner import ProjectionRunner
from projections.store import ViewStore
from tests.conftest import FakeClock, enrol_assignees
from tests.http.conftest import Api

RULES = "/api/v1/automation/rules"
POLICY = {
    "calendars": {"always": "24x7"},
    "targets": {
        p: {"calendar": "always", "response": "PT1H", "update": "PT2H", "resolution": "PT8H"} for p in PRIORITIES
    },
}


class Worker:
    """One worker's pass over one desk: the views, the SLA alerts, then the automation rules."""

    def __init__(self, desk: KaizenDesk, store_url: str) -> None:
        self.store = ViewStore(store_settings(store_url))
        self.runner = ProjectionRunner(desk, self.store, all_views())
        self.runner.setup()
        self.automation = AutomationPass(desk, self.store, AutomationSettings(interval=0))
        self.alerts = AlertScheduler(
            desk, self.store, AlertSettings(), catch_up_wait=0, rules_listen=self.automation.wants_alerts
        )

    def run(self) -> int:
        self.runner.catch_up()
        self.alerts.scan()
        self.runner.catch_up()
        fired = self.automation.scan()
        self.runner.catch_up()
        return int(fired)

    def close(self) -> None:
        self.store.close()


@pytest.fixture
def worker(api: Api, store_url: str) -> Iterator[Worker]:
    found = Worker(api.desk, store_url)
    try:
        yield found
    finally:
        found.close()


@pytest.fixture
def other_worker(store_url: str, clock: FakeClock) -> Iterator[Worker]:
    """A second desk and worker on the same store: a standby that took over, or a racing one."""
    desk = KaizenDesk(store_settings(store_url), clock=clock)
    found = Worker(desk, store_url)
    try:
        yield found
    finally:
        found.close()
        desk.close()


def put(api: Api, path: str, body: Any, as_: str = "admin", headers: dict[str, str] | None = None) -> TestResponse:
    return api.client.put(
        path, data=json.dumps(body), content_type="application/json", headers=api.headers(as_, headers)
    )


def put_rule(api: Api, rule_id: str, body: dict[str, Any]) -> dict[str, Any]:
    answer = put(api, f"{RULES}/{rule_id}", body)
    assert answer.status_code == 200, answer.get_json()
    found: dict[str, Any] = answer.get_json()
    return found


def publish_policies(api: Api, *vendors: str) -> None:
    for vendor in vendors:
        answer = put(api, f"/api/v1/vendors/{vendor}/sla-policy", POLICY)
        assert answer.status_code == 200, answer.get_json()


def history(api: Api, key: str) -> list[dict[str, Any]]:
    answer = api.get(f"/api/v1/issues/{key}/history?limit=500", as_="auditor")
    assert answer.status_code == 200, answer.get_json()
    items: list[dict[str, Any]] = answer.get_json()["items"]
    return items


def by_rules(api: Api, key: str) -> list[tuple[str, str]]:
    """(event type, actor) of each event of the issue whose actor is a rule, as an auditor reads it."""
    return [(e["type"], e["actor"]) for e in history(api, key) if e["actor_role"] == "automation"]


def escalate(api: Api, key: str, vendor: str = "sap") -> None:
    answer = api.post(f"/api/v1/issues/{key}/escalate", {"vendor": vendor, "vendor_ticket": f"T-{key}"})
    assert answer.status_code == 200, answer.get_json()


def test_rules_are_documents_an_admin_puts_and_an_auditor_reads(api: Api) -> None:
    enrol_assignees(api.desk, groups=["l2-finance"])
    body = {
        "trigger": "sla_at_risk",
        "priorities": ["P1", "P2"],
        "clock": "internal_response",
        "action": {"type": "reassign", "group": "l2-finance"},
    }
    created = put_rule(api, "hand-over", body)
    assert created["version"] == 1 and created["enabled"] is True and created["built_in"] is False
    assert created["action"] == {"type": "reassign", "group": "l2-finance"} and created["vendor"] is None

    listed = api.get(RULES, as_="auditor")
    assert listed.status_code == 200
    items = listed.get_json()["items"]
    assert [(r["id"], r["built_in"]) for r in items] == [("reporter-reply-resumes", True), ("hand-over", False)]
    assert items[0]["trigger"] == "reporter_replied" and items[0]["enabled"] is True
    assert api.get(RULES, as_="reporter").status_code == 403
    assert put(api, f"{RULES}/hand-over", body, as_="auditor").status_code == 403
    assert put(api, f"{RULES}/hand-over", body, as_="sap").status_code == 403

    stale = put(api, f"{RULES}/hand-over", {**body, "enabled": False}, headers={"If-Match": '"0"'})
    assert stale.status_code == 412
    changed = put(api, f"{RULES}/hand-over", {**body, "enabled": False}, headers={"If-Match": '"1"'})
    assert changed.status_code == 200 and changed.headers["ETag"] == '"2"' and changed.get_json()["enabled"] is False

    bad = [
        {**body, "trigger": "sla_breached"},
        {**body, "colour": "red"},
        {**body, "priorities": ["P5"]},
        {**body, "action": {"type": "close"}},  # not an answer to an at-risk clock
        {**body, "action": {"type": "reassign", "group": "nobody-group"}},  # no such group
        {**body, "business_days": 3},  # a parameter of another trigger
        {"trigger": "resolved", "business_days": 0, "action": {"type": "close"}},
        {"trigger": "vendor_update_overdue", "after": "8 hours", "action": {"type": "remind_vendor_team"}},
        {
            "trigger": "vendor_update_overdue",
            "vendor": "oracle",
            "after": "PT8H",
            "action": {"type": "remind_vendor_team"},
        },
        {**body, "action": {"type": "notify", "subscription": "sub_0123456789abcdef"}},  # no such subscription
        {**body, "enabled": "yes"},
    ]
    for document in bad:
        refused = put(api, f"{RULES}/broken", document)
        assert refused.status_code == 422, (document, refused.get_json())
        assert refused.headers["Content-Type"].startswith("application/problem+json")
    assert put(api, f"{RULES}/Bad Id!", body).status_code in (404, 422)
    assert api.get(f"{RULES}/broken").status_code == 404  # nothing was written

    built_in = put(api, f"{RULES}/reporter-reply-resumes", body)
    assert built_in.status_code == 409 and "built in" in built_in.get_json()["detail"]
    assert api.delete(f"{RULES}/reporter-reply-resumes").status_code == 409

    assert api.delete(f"{RULES}/hand-over").status_code == 204
    assert api.get(f"{RULES}/hand-over", as_="auditor").status_code == 404
    assert api.delete(f"{RULES}/hand-over").status_code == 409  # already deleted
    events = api.get(f"{RULES}/hand-over/history", as_="auditor").get_json()["items"]
    assert [(e["type"], e["actor"]) for e in events] == [
        ("Created", "admin-wong"),
        ("Put", "admin-wong"),
        ("Put", "admin-wong"),
        ("Deleted", "admin-wong"),
    ]


def test_at_risk_rules_reassign_raise_priority_and_notify_once(
    api: Api, worker: Worker, other_worker: Worker, clock: FakeClock
) -> None:
    api.desk.egress = EgressPolicy.parse("127.0.0.1/32")
    publish_policies(api, "internal", "sap")
    enrol_assignees(api.desk, groups=["l2-finance"])
    created = api.post(
        "/api/v1/subscriptions", {"kind": "webhook", "target": "http://127.0.0.1:9/hook", "events": ["issue.resolved"]}
    )
    assert created.status_code == 201, created.get_json()
    subscription = created.get_json()["id"]
    put_rule(
        api,
        "hand-over",
        {
            "trigger": "sla_at_risk",
            "vendor": "internal",
            "priorities": ["P1"],
            "clock": "internal_response",
            "action": {"type": "reassign", "group": "l2-finance"},
        },
    )
    put_rule(
        api,
        "tell-duty",
        {
            "trigger": "sla_at_risk",
            "priorities": ["P1"],
            "clock": "internal_response",
            "action": {"type": "notify", "subscription": subscription},
        },
    )
    put_rule(
        api,
        "raise-sap",
        {"trigger": "sla_at_risk", "vendor": "sap", "clock": "vendor_response", "action": {"type": "raise_priority"}},
    )
    off = {"trigger": "sla_at_risk", "action": {"type": "reassign", "group": "l2-finance"}, "enabled": False}
    put_rule(api, "switched-off", off)
    put_rule(api, "deleted", {**off, "enabled": True})
    assert api.delete(f"{RULES}/deleted").status_code == 204

    urgent = api.report()  # P1: company-wide, blocking
    degraded = api.report(urgency="degraded")  # P2
    escalate(api, degraded)
    assert worker.run() == 0
    clock.advance(minutes=47)  # at risk at 80 % of the hour: 48 minutes in
    assert worker.run() == 0
    clock.advance(minutes=2)
    assert worker.run() == 3
    assert worker.run() == 0 and other_worker.run() == 0

    assert by_rules(api, urgent) == [("Assigned", "rule:hand-over")]
    assert api.get(f"/api/v1/issues/{urgent}").get_json()["assignee"] == "l2-finance"
    assert by_rules(api, degraded) == [
        ("PriorityOverridden", "rule:raise-sap"),
        ("VendorPriorityChanged", "rule:raise-sap"),
    ]
    raised = api.get(f"/api/v1/issues/{degraded}").get_json()
    assert raised["priority"] == "P1"
    overridden = next(e for e in history(api, degraded) if e["type"] == "PriorityOverridden")
    assert overridden["data"]["previous_priority"] == "P2" and "raise-sap" in overridden["data"]["reason"]

    deliveries = api.get(f"/api/v1/subscriptions/{subscription}/deliveries").get_json()["items"]
    assert [d["event_type"] for d in deliveries] == ["sla.at_risk"]
    with worker.store.transaction(commit=False) as sql:
        stored = sql.execute(f"SELECT notice FROM {OUTBOX}").fetchone()
    assert stored is not None
    notice = json.loads(stored["notice"])
    assert notice["actor"]["id"] == "rule:tell-duty" and notice["data"]["rule"] == "tell-duty"
    assert notice["subject"]["key"] == urgent and notice["data"]["clock"] == "internal_response"

    # A rule put now answers no clock that was at risk before it was in force.
    put_rule(api, "latecomer", {"trigger": "sla_at_risk", "action": {"type": "reassign", "group": "l2-finance"}})
    assert worker.run() == 0 and other_worker.run() == 0


def test_a_quiet_vendor_is_reminded_once_per_stretch_without_an_update(
    api: Api, worker: Worker, other_worker: Worker, clock: FakeClock
) -> None:
    publish_policies(api, "internal", "sap")
    enrol_assignees(api.desk, "kai.sap", role="vendor:sap")
    api.desk.create_group(
        Context(SYSTEM), "sap-team", name="SAP fixed team", kind="vendor_team", vendor="sap", members=["kai.sap"]
    )
    terms = api.get("/api/v1/vendors/sap/terms").get_json()
    document = {k: v for k, v in terms.items() if k not in ("vendor", "version", "placeholders", "put_at")}
    assert put(api, "/api/v1/vendors/sap/terms", {**document, "fixed_team": "sap-team"}).status_code == 200
    put_rule(
        api,
        "chase-sap",
        {
            "trigger": "vendor_update_overdue",
            "vendor": "sap",
            "after": "PT3H",
            "action": {"type": "remind_vendor_team"},
        },
    )
    key = api.report()
    escalate(api, key)
    clock.advance(hours=2, minutes=59)
    assert worker.run() == 0
    clock.advance(minutes=2)
    assert worker.run() == 1
    assert worker.run() == 0 and other_worker.run() == 0
    reminded = [e for e in history(api, key) if e["type"] == "VendorTeamReminded"]
    assert [(e["actor"], e["actor_role"]) for e in reminded] == [("rule:chase-sap", "automation")]
    assert reminded[0]["data"]["team"] == "sap-team" and reminded[0]["data"]["members"] == ["kai.sap"]
    vendor_view = api.get(f"/api/v1/issues/{key}/history", as_="sap").get_json()["items"]
    assert any(e["type"] == "VendorTeamReminded" for e in vendor_view)  # the vendor sees it was chased

    update = api.post(f"/api/v1/issues/{key}/vendor-updates", {"message": "Looking into it"}, as_="sap")
    assert update.status_code == 200, update.get_json()
    clock.advance(hours=2)
    assert worker.run() == 0  # a new stretch, not yet three hours quiet
    clock.advance(hours=1, minutes=1)
    assert worker.run() == 1 and other_worker.run() == 0
    assert [t for t, _ in by_rules(api, key)] == ["VendorTeamReminded", "VendorTeamReminded"]


def test_a_resolved_issue_is_closed_after_its_business_days_unless_reopened(
    api: Api, worker: Worker, other_worker: Worker, clock: FakeClock
) -> None:
    publish_policies(api, "internal", "sap")
    put_rule(api, "close-resolved", {"trigger": "resolved", "business_days": 2, "action": {"type": "close"}})
    settled, reopened = api.report(), api.report()
    for key in (settled, reopened):
        assert api.post(f"/api/v1/issues/{key}/resolve", {"resolution": "Patched"}).status_code == 200
    clock.advance(days=1)
    assert api.post(f"/api/v1/issues/{reopened}/reopen", {"reason": "Fails again"}).status_code == 200
    clock.advance(hours=1)
    assert api.post(f"/api/v1/issues/{reopened}/resolve", {"resolution": "Patched again"}).status_code == 200
    assert worker.run() == 0
    clock.advance(hours=23, minutes=1)  # two days after the first resolution (a 24x7 calendar)
    assert worker.run() == 1
    assert worker.run() == 0 and other_worker.run() == 0
    assert api.get(f"/api/v1/issues/{settled}").get_json()["status"] == "closed"
    assert api.get(f"/api/v1/issues/{reopened}").get_json()["status"] == "resolved"
    closed = history(api, settled)[-1]
    assert (closed["type"], closed["actor"], closed["actor_role"]) == ("Closed", "rule:close-resolved", "automation")
    assert "close-resolved" in closed["data"]["note"]
    clock.advance(days=1, hours=1)
    assert worker.run() == 1 and other_worker.run() == 0
    assert by_rules(api, reopened) == [("Closed", "rule:close-resolved")]


def test_no_token_can_act_as_a_rule(api: Api) -> None:
    """A token's subject is free text: naming a rule must not put a person's act in its name."""
    token = api.desk.issue_token(Context(SYSTEM), "admin", "rule:close-resolved")[1]
    key = api.report()
    answer = api.client.post(
        f"/api/v1/issues/{key}/comments",
        data=json.dumps({"body": "Closing this for the rule"}),
        content_type="application/json",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert answer.status_code == 422, answer.get_json()
    assert "reserved" in answer.get_json()["detail"]
    assert by_rules(api, key) == [] and [e["type"] for e in history(api, key)] == ["Reported"]
