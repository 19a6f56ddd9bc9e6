"""Operations endpoints and the API's self-description (OpenAPI, Swagger UI)."""

from __future__ import annotations

import re
import threading
import time
from typing import Any

import pytest
from conftest import ISSUE, Api
from eventsourcing.persistence import OperationalError

from tests.conftest import enrol_assignees


class LaggingReadSide:
    """A read side whose views trail the log, to see /readyz refuse traffic."""

    def __init__(self, lag: dict[str, int]) -> None:
        self._lag = lag

    def lag(self) -> dict[str, int]:
        return self._lag

    def close(self) -> None:
        """Nothing to release: the fake holds no connections and runs no thread."""


def test_healthz_needs_no_token(api: Api) -> None:
    answer = api.client.get("/healthz")
    assert answer.status_code == 200 and answer.get_json() == {"status": "ok"}


def test_readyz_reports_position_and_lag(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    api.report()
    ready = api.client.get("/readyz")
    body = ready.get_json()
    assert ready.status_code == 200 and body["status"] == "ready" and body["position"] > 0
    assert isinstance(body["lag"], dict)

    services = api.app.extensions["kaizen"]
    monkeypatch.setattr(services, "_read", LaggingReadSide({"issue_list": 5000, "sla": 0}))
    monkeypatch.setattr(services, "_read_built", True)
    behind = api.client.get("/readyz")
    assert behind.status_code == 503 and behind.headers["Retry-After"] == "5"
    assert behind.content_type == "application/problem+json" and behind.get_json()["lag"]["issue_list"] == 5000
    metrics = api.client.get("/metrics").get_data(as_text=True)
    assert 'kaizen_projection_lag_events{view="issue_list"} 5000.0' in metrics


def test_readyz_is_503_when_the_store_is_down(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    def down() -> Any:
        raise OperationalError("connection refused")

    monkeypatch.setattr(api.desk.recorder, "max_notification_id", down)
    answer = api.client.get("/readyz")
    assert answer.status_code == 503 and answer.headers["Retry-After"] == "5"
    assert "refused" not in answer.get_data(as_text=True)
    assert api.client.get("/healthz").status_code == 200
    # the failure also opens the breaker: commands behind it answer 503 without waiting on the store
    assert api.post("/api/v1/issues", ISSUE, as_="reporter").status_code == 503


def test_readyz_answers_503_in_time_when_the_store_hangs(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    """A load balancer's probe gives up after about a second; a hanging store must not outlast it."""
    release = threading.Event()

    def hanging() -> Any:
        release.wait(10)
        return 0

    monkeypatch.setattr(api.desk.recorder, "max_notification_id", hanging)
    try:
        started = time.monotonic()
        answers = [api.client.get("/readyz") for _ in range(3)]
        elapsed = time.monotonic() - started
        assert [a.status_code for a in answers] == [503, 503, 503]
        assert "within 1 s" in answers[0].get_json()["detail"]
        assert elapsed < 4.5
        alive = [t for t in threading.enumerate() if t.name == "kaizen-ready"]
        assert len(alive) == 1  # the probes shared one check instead of piling up threads
    finally:
        release.set()
    monkeypatch.undo()
    assert api.client.get("/readyz").status_code == 200


def test_metrics_count_requests_by_route_template_and_commands_by_type(api: Api) -> None:
    key = api.report()
    enrol_assignees(api.desk, "admin-wong")
    api.post(f"/api/v1/issues/{key}/triage", {"assignee": "admin-wong"})
    api.get("/api/v1/issues/KZ-424242")
    answer = api.client.get("/metrics")
    text = answer.get_data(as_text=True)
    assert answer.status_code == 200 and answer.content_type.startswith("text/plain")
    assert re.search(r'kaizen_http_requests_total\{method="POST",route="/api/v1/issues",status="201"\} \d', text)
    assert 'route="/api/v1/issues/<issue_key:key>/triage",status="200"' in text
    assert 'route="/api/v1/issues/<issue_key:key>",status="404"' in text
    assert "kaizen_http_request_duration_seconds_bucket" in text
    assert re.search(r'kaizen_commands_total\{command="triage",kind="issue"\} \d', text)
    assert "KZ-424242" not in text  # templates, never raw paths: bounded label sets


def test_openapi_describes_every_route_its_errors_and_the_bearer_scheme(api: Api) -> None:
    answer = api.client.get("/api/v1/openapi.json")
    assert answer.status_code == 200
    spec = answer.get_json()
    assert spec["openapi"].startswith("3.") and spec["security"] == [{"bearerAuth": []}]
    assert spec["components"]["securitySchemes"]["bearerAuth"] == {
        **spec["components"]["securitySchemes"]["bearerAuth"],
        "type": "http",
        "scheme": "bearer",
    }
    documented = {(path, method) for path, item in spec["paths"].items() for method in item if method != "parameters"}
    for rule in api.app.url_map.iter_rules():
        if not (rule.rule.startswith("/api/v1/") or rule.rule in ("/healthz", "/readyz", "/metrics")):
            continue
        if rule.rule.endswith("openapi.json"):
            continue
        path = re.sub(r"<(?:[a-z_]+:)?([a-z_]+)>", r"{\1}", rule.rule)
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            assert (path, method.lower()) in documented, (path, method)
    problem = spec["components"]["responses"]["UNPROCESSABLE_ENTITY"]["content"]
    assert "application/problem+json" in problem
    triage = spec["paths"]["/api/v1/issues/{key}/triage"]["post"]
    assert {"400", "401", "403", "404", "409", "412", "413", "415", "422", "503"} <= set(triage["responses"])
    assert {"$ref": "#/components/parameters/IdempotencyKey"} in triage["parameters"]
    assert spec["paths"]["/healthz"]["get"]["security"] == []
    schema = spec["components"]["schemas"]["Report"]
    assert schema["additionalProperties"] is False and "title" in schema["required"]


def test_swagger_ui_is_served_from_the_installed_package(api: Api) -> None:
    page = api.client.get("/api/docs")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "/api/v1/openapi.json" in html
    sources = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert sources and all(s.startswith("/api/docs/assets/") for s in sources), sources
    for source in sources:
        assert api.client.get(source).status_code == 200, source


def test_report_body_example_is_valid(api: Api) -> None:
    assert api.post("/api/v1/issues", ISSUE, as_="reporter").status_code == 201


def test_metrics_export_open_breaches_per_vendor() -> None:
    from interfaces.http.metrics import exposition

    body, _ = exposition({"sla": 0}, {"sap": 2, "internal": 1})
    text = body.decode()
    assert 'kaizen_open_sla_breaches{vendor="sap"} 2.0' in text
    assert 'kaizen_projection_lag_events{view="sla"} 0.0' in text
