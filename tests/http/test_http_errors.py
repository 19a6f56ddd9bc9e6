"""Every error class of the contract as RFC 9457 problem+json, on SQLite and PostgreSQL."""

from __future__ import annotations

import logging
import sqlite3
from typing import Any

import pytest
from conftest import ISSUE, Api
from eventsourcing.persistence import OperationalError

from application.context import Context
from domain.actor import SYSTEM

BASE = "/api/v1/issues"


def problem(answer: Any, status: int) -> dict[str, Any]:
    assert answer.status_code == status, answer.get_data(as_text=True)
    assert answer.content_type == "application/problem+json"
    body: dict[str, Any] = answer.get_json()
    assert {"type", "title", "status", "detail", "instance"} <= set(body) and body["status"] == status
    assert body["request_id"] == answer.headers["X-Request-Id"]
    return body


def test_authentication_failures_are_401_with_a_challenge(api: Api) -> None:
    for headers in (
        {},
        {"Authorization": "Basic dXNlcjpwYXNz"},
        {"Authorization": "Bearer nonsense"},
        {"Authorization": "Bearer kz_000000000000_" + "a" * 43},
    ):
        answer = api.client.get(f"{BASE}/KZ-1", headers=headers)
        problem(answer, 401)
        assert answer.headers["WWW-Authenticate"].startswith("Bearer")
    token_id, plain = api.desk.issue_token(Context(SYSTEM), "admin", "leaver")
    assert api.client.get("/api/v1/suggestions/SG-1", headers={"Authorization": f"Bearer {plain}"}).status_code == 404
    api.desk.revoke_token(Context(SYSTEM), token_id)
    problem(api.client.get("/api/v1/suggestions/SG-1", headers={"Authorization": f"Bearer {plain}"}), 401)


def test_forbidden_and_hidden_resources(api: Api) -> None:
    key = api.report()
    problem(api.post(f"{BASE}/{key}/triage", {}, as_="auditor"), 403)
    problem(api.post(f"{BASE}/{key}/triage", {}, as_="reporter"), 403)
    hidden = problem(api.get(f"{BASE}/{key}", as_="reporter2"), 404)
    assert hidden["detail"] == f"issue {key} was not found"  # worded as for a key that does not exist
    problem(api.get(f"{BASE}/{key}", as_="sap"), 404)


def test_unknown_routes_bad_keys_and_methods(api: Api) -> None:
    problem(api.get("/api/v1/nothing-here"), 404)
    problem(api.get(f"{BASE}/KZ-0"), 404)
    problem(api.get(f"{BASE}/KZ-999"), 404)
    problem(api.get(f"{BASE}/SG-1"), 404)
    problem(api.post(f"{BASE}/not-a-key/triage", {}), 404)
    not_allowed = api.client.put(f"{BASE}/KZ-1", headers=api.headers("admin", None))
    problem(not_allowed, 405)
    assert "GET" in not_allowed.headers["Allow"]


def test_body_rules_400_413_415(api: Api) -> None:
    headers = api.headers("reporter", None)
    malformed = api.client.post(BASE, data='{"title": ', content_type="application/json", headers=headers)
    problem(malformed, 400)
    problem(
        api.client.post(BASE, data="title=x", content_type="application/x-www-form-urlencoded", headers=headers), 415
    )
    problem(api.client.post(BASE, data="{}", content_type="text/plain", headers=headers), 415)
    huge = {**ISSUE, "description": "x" * (1024 * 1024 + 10)}
    problem(api.post(BASE, huge, as_="reporter"), 413)
    assert api.client.post(BASE, data=b"\xff\xfe{", content_type="application/json", headers=headers).status_code == 400
    assert api.post(BASE, {**ISSUE, "title": "A" * 301}, as_="reporter").status_code == 422


def test_validation_problem_lists_fields(api: Api) -> None:
    body = problem(api.post(BASE, {"title": 3, "extra": True}, as_="reporter"), 422)
    assert body["errors"]["extra"] == ["Unknown field."]
    assert {"title", "description", "module", "impact_scope", "urgency"} <= set(body["errors"])
    assert "limit" in problem(api.get(f"{BASE}?limit=501"), 422)["errors"]


def test_unexpected_errors_are_500_with_only_a_request_id(
    api: Api, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def explode(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("SELECT secret FROM stored_events WHERE password = 'hunter2'")

    monkeypatch.setattr(api.desk, "get_issue", explode)
    with caplog.at_level(logging.ERROR):
        answer = api.get(f"{BASE}/KZ-1", headers={"X-Request-Id": "trace-42"})
    body = problem(answer, 500)
    text = answer.get_data(as_text=True)
    assert body["request_id"] == "trace-42" and "SELECT" not in text and "Traceback" not in text
    assert "hunter2" not in text
    logged = [r.msg for r in caplog.records if isinstance(r.msg, dict) and r.msg.get("event") == "unhandled_exception"]
    assert logged and logged[0]["request_id"] == "trace-42" and logged[0]["exc_info"]


@pytest.mark.parametrize(
    "failure",
    [
        OperationalError("could not connect to server"),
        sqlite3.OperationalError("database is locked"),
    ],
)
def test_store_unavailable_is_503_with_retry_after(
    api: Api, monkeypatch: pytest.MonkeyPatch, failure: Exception
) -> None:
    def unavailable(*args: Any, **kwargs: Any) -> Any:
        raise failure

    monkeypatch.setattr(api.desk, "report", unavailable)
    answer = api.post(BASE, ISSUE, as_="reporter")
    body = problem(answer, 503)
    assert answer.headers["Retry-After"] == "5" and "locked" not in body["detail"]
    monkeypatch.setattr(api.desk, "authenticate", unavailable)
    problem(api.get(f"{BASE}/KZ-1"), 503)


def test_request_ids_are_echoed_when_sane_else_generated(api: Api) -> None:
    assert api.client.get("/healthz", headers={"X-Request-Id": "abc-123"}).headers["X-Request-Id"] == "abc-123"
    generated = api.client.get("/healthz", headers={"X-Request-Id": "bad id\twith spaces"}).headers["X-Request-Id"]
    assert generated != "bad id\twith spaces" and len(generated) == 32
    first = api.client.get("/healthz").headers["X-Request-Id"]
    assert first != api.client.get("/healthz").headers["X-Request-Id"]
    assert api.get("/api/v1/nothing").headers["X-Request-Id"]


def test_hostile_inputs_are_refused_before_they_reach_the_store(api: Api) -> None:
    headers = api.headers("reporter", None)
    fields = '"description": "d", "module": "hr", "impact_scope": "team", "urgency": "minor"'
    lone = api.client.post(
        BASE, data='{"title": "\\ud800x", ' + fields + "}", content_type="application/json", headers=headers
    )
    assert problem(lone, 422)["errors"]["title"]
    paired = api.client.post(
        BASE, data='{"title": "\\ud83d\\ude31", ' + fields + "}", content_type="application/json", headers=headers
    )
    assert paired.status_code == 201 and paired.get_json()["title"] == "😱"
    assert problem(api.post(BASE, {**ISSUE, "noticed_at": "0001-01-01T00:00:00+14:00"}, as_="reporter"), 422)["errors"][
        "noticed_at"
    ]
    key = paired.get_json()["key"]
    problem(api.get(f"{BASE}/{key}?as_of=0001-01-01T00:00:00%2B14:00"), 422)
    problem(
        api.post(f"{BASE}/{key}/workarounds", {"kind": "other", "description": "d", "retire_by": "0001-01-01"}), 422
    )
    problem(
        api.client.post(BASE, data="[" * 100_000 + "]" * 100_000, content_type="application/json", headers=headers), 400
    )
    problem(
        api.client.post(BASE, data='{"title": 1' + "0" * 5000 + "}", content_type="application/json", headers=headers),
        400,
    )
    assert api.get(f"{BASE}/{key}").status_code == 200


def test_after_a_store_failure_requests_get_503_at_once_then_try_again(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    import time

    breaker = api.app.extensions["kaizen"].breaker
    breaker.pause_seconds = 0.3
    calls = {"store": 0}
    real = api.desk.get_issue
    key = api.report()

    def unavailable(*args: Any, **kwargs: Any) -> Any:
        calls["store"] += 1
        raise OperationalError("could not connect to server")

    monkeypatch.setattr(api.desk, "get_issue", unavailable)
    problem(api.get(f"{BASE}/{key}"), 503)
    answer = api.get(f"{BASE}/{key}")  # short-circuited: the store is not asked again
    assert problem(answer, 503) and answer.headers["Retry-After"] == "5" and calls["store"] == 1
    assert api.client.get("/healthz").status_code == 200  # the process itself is fine
    monkeypatch.setattr(api.desk, "get_issue", real)
    time.sleep(0.35)
    assert api.get(f"{BASE}/{key}").status_code == 200  # recovered by itself
