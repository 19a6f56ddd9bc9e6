"""Subscriptions over HTTP on both stores: the secret shown once, roles, SSRF refusals at
creation, revocation, and the delivery log with redelivery."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from conftest import Api, build_app, issue_tokens

from adapters.transports import TRANSPORTS
from domain.notification_egress import EgressPolicy
from projections.delivery import DeliverySettings, DeliveryWorker
from tests.conftest import FakeClock

V1 = "/api/v1/subscriptions"


class Receiver(http.server.BaseHTTPRequestHandler):
    """Answers with the status the test sets on the server."""

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.server.hits += 1  # type: ignore[attr-defined]
        self.send_response(self.server.status)  # type: ignore[attr-defined]
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        return


@pytest.fixture
def receiver() -> Iterator[http.server.ThreadingHTTPServer]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    server.status = 200  # type: ignore[attr-defined]
    server.hits = 0  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def api(store_url: str, clock: FakeClock, monkeypatch: pytest.MonkeyPatch) -> Iterator[Api]:
    """Projections run in the app (the delivery log is a view); this test drives deliveries itself."""
    monkeypatch.setenv("KAIZEN_NOTIFICATIONS", "off")
    monkeypatch.setenv("KAIZEN_WEBHOOK_ALLOW", "127.0.0.1/32")
    app = build_app(store_url, clock, run_projections=True)
    try:
        yield Api(app, app.test_client(), issue_tokens(app.extensions["kaizen"].desk))
    finally:
        app.extensions["kaizen"].close()


def hook(server: http.server.ThreadingHTTPServer) -> str:
    return f"http://127.0.0.1:{server.server_address[1]}/hook"


def create(api: Api, target: str, **changes: Any) -> Any:
    body = {"kind": "webhook", "target": target, "events": ["issue.reported"], "language": "zh", **changes}
    return api.post(V1, body)


def test_the_secret_is_shown_once_and_never_again(api: Api, receiver: http.server.ThreadingHTTPServer) -> None:
    answer = create(api, hook(receiver), filters={"vendor": ["SAP"], "priority": ["P1"]}, name="ops")
    assert answer.status_code == 201, answer.get_json()
    body = answer.get_json()
    assert body["secret"].startswith("whsec_") and len(body["secret"]) > 40
    assert body["filters"] == {"vendor": ["sap"], "priority": ["P1"]} and body["status"] == "active"
    assert answer.headers["Location"].endswith(f"{V1}/{body['id']}") and answer.headers["ETag"] == '"1"'
    one = api.get(f"{V1}/{body['id']}")
    listed = api.get(V1)
    assert one.status_code == 200 and listed.status_code == 200
    for shown in (one.get_data(as_text=True), listed.get_data(as_text=True)):
        assert body["secret"] not in shown and 'secret"' not in shown.replace("signing_secret_set", "")
    assert [s["id"] for s in listed.get_json()["items"]] == [body["id"]]
    assert api.get(f"{V1}/{body['id']}", as_="auditor").status_code == 200


def test_idempotent_replay_does_not_show_the_secret_again(api: Api, receiver: http.server.ThreadingHTTPServer) -> None:
    body = {"kind": "webhook", "target": hook(receiver), "events": ["sla.breached"]}
    first = api.post(V1, body, headers={"Idempotency-Key": "k1"})
    again = api.post(V1, body, headers={"Idempotency-Key": "k1"})
    assert first.status_code == again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true" and again.get_json()["id"] == first.get_json()["id"]
    assert first.get_json()["secret"] and again.get_json()["secret"] is None


@pytest.mark.parametrize("party", ["reporter", "sap", "app", "auditor"])
def test_only_admins_manage_subscriptions(api: Api, receiver: http.server.ThreadingHTTPServer, party: str) -> None:
    answer = api.post(V1, {"kind": "webhook", "target": hook(receiver), "events": ["issue.reported"]}, as_=party)
    assert answer.status_code == 403
    if party != "auditor":
        assert api.get(V1, as_=party).status_code == 403
    assert api.get(V1, as_=None).status_code == 401
    assert api.post(V1, {"nonsense": True}, as_=None).status_code == 401


@pytest.mark.parametrize(
    "target",
    [
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]:8080/x",
        "http://10.0.0.5/hook",
        "http://127.0.0.2:9/x",
        "ftp://example.com/x",
        "https://user:pw@example.com/x",
    ],
)
def test_private_and_metadata_targets_are_refused_at_creation(api: Api, target: str) -> None:
    answer = create(api, target)
    assert answer.status_code == 422, answer.get_json()
    assert "target" in answer.get_json()["errors"]


def test_validation_names_the_field(api: Api, receiver: http.server.ThreadingHTTPServer) -> None:
    assert "events.0" in create(api, hook(receiver), events=["issue.exploded"]).get_json()["errors"]
    assert "kind" in create(api, hook(receiver), kind="pager").get_json()["errors"]
    assert "target" in create(api, "not-an-address", kind="email").get_json()["errors"]
    assert create(api, "ops@example.com", kind="email").status_code == 201
    assert "signing_secret" in create(api, hook(receiver), signing_secret="x").get_json()["errors"]


def test_revoke_then_revoke_again_is_a_conflict(api: Api, receiver: http.server.ThreadingHTTPServer) -> None:
    created = create(api, hook(receiver)).get_json()
    revoked = api.post(f"{V1}/{created['id']}/revoke")
    assert revoked.status_code == 200 and revoked.get_json()["status"] == "revoked"
    assert revoked.headers["ETag"] == '"2"' and int(revoked.headers["X-Event-Position"]) > 0
    assert api.post(f"{V1}/{created['id']}/revoke").status_code == 409
    assert api.get(f"{V1}/sub_0000000000000000").status_code == 404
    assert api.post(f"{V1}/nope/revoke").status_code == 404


def test_delivery_log_and_redelivery(api: Api, receiver: http.server.ThreadingHTTPServer, clock: FakeClock) -> None:
    created = create(api, hook(receiver)).get_json()
    receiver.status = 500  # type: ignore[attr-defined]
    report = api.post(
        "/api/v1/issues",
        {
            "title": "GL 过账失败",
            "description": "d",
            "module": "finance",
            "impact_scope": "company",
            "urgency": "blocking",
            "vendor": "sap",
        },
        as_="reporter",
    )
    position = report.headers["X-Event-Position"]
    desk = api.desk
    desk.egress = EgressPolicy.parse("127.0.0.1/32")
    read = api.app.extensions["kaizen"].read
    assert read.wait_for(int(position), timeout=10)
    worker = DeliveryWorker(
        desk, read.store, DeliverySettings(timeout=2), clock=clock, rand=lambda: 0.5, transports=TRANSPORTS
    )
    assert worker.deliver_due() == 1
    page = api.get(f"{V1}/{created['id']}/deliveries?min_position={position}")
    assert page.status_code == 200, page.get_json()
    [item] = page.get_json()["items"]
    assert item["state"] == "pending" and item["attempts"] == 1 and item["last_status"] == 500
    assert item["event_type"] == "issue.reported" and 0 < item["position"] <= int(position)
    assert [entry["outcome"] for entry in item["log"]] == ["failed"]
    receiver.status = 200  # type: ignore[attr-defined]
    again = api.post(f"{V1}/{created['id']}/deliveries/{item['delivery_id']}/redeliver")
    assert again.status_code == 202 and again.get_json()["state"] == "pending"
    assert worker.deliver_due() == 1
    [done] = api.get(f"{V1}/{created['id']}/deliveries?state=delivered").get_json()["items"]
    assert [e["outcome"] for e in done["log"]] == ["failed", "redeliver_requested", "delivered"]
    assert done["log"][1]["actor"] == "admin-wong"
    assert (
        api.post(f"{V1}/{created['id']}/deliveries/00000000-0000-0000-0000-000000000000/redeliver").status_code == 404
    )
    assert api.get(f"{V1}/{created['id']}/deliveries?cursor=zzz").status_code == 422


def test_a_subscription_speaks_any_of_the_five_languages(api: Api, receiver: http.server.ThreadingHTTPServer) -> None:
    accepted = create(api, hook(receiver), language="vi")
    assert accepted.status_code == 201, accepted.get_json()
    assert accepted.get_json()["language"] == "vi"
    assert api.get(f"{V1}/{accepted.get_json()['id']}").get_json()["language"] == "vi"
    assert create(api, hook(receiver)).get_json()["language"] == "zh-Hans"  # `zh`, the old code
    refused = create(api, hook(receiver), language="xx")
    assert refused.status_code == 422 and refused.mimetype == "application/problem+json"
    assert "language" in refused.get_json()["errors"]
    assert [s["language"] for s in api.get(V1).get_json()["items"]].count("vi") == 1  # nothing written
