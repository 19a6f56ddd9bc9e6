"""429 rate limiting as a client sees it, on SQLite and PostgreSQL.

Each app here has a tiny limit and a hand-moved monotonic clock, so a burst is a few requests
and a refill is `ticks.now += seconds` instead of a sleep.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

import pytest
from conftest import ISSUE, Api, issue_tokens
from flask import Flask

from interfaces.http.app import create_app
from interfaces.http.problems import PROBLEM_JSON
from interfaces.http.settings import HttpSettings, RateLimit
from tests.conftest import FakeClock

NEVER_LIMITED = ("/healthz", "/readyz", "/metrics")


class Ticks:
    """The limiter's monotonic clock, moved by hand."""

    def __init__(self) -> None:
        self.now = 500.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def ticks() -> Ticks:
    return Ticks()


@pytest.fixture
def limited(store_url: str, clock: FakeClock, ticks: Ticks) -> Iterator[Callable[[RateLimit | None], Api]]:
    """Build an app with the given limit (None: off); every app built is closed at the end."""
    built: list[Flask] = []

    def make(limit: RateLimit | None) -> Api:
        settings = HttpSettings(
            database_url=store_url, run_projections=False, clock=clock, rate_limit=limit, monotonic=ticks
        )
        app = create_app(settings)
        built.append(app)
        return Api(app, app.test_client(), issue_tokens(app.extensions["kaizen"].desk))

    try:
        yield make
    finally:
        for app in built:
            app.extensions["kaizen"].close()


def log_head(api: Api) -> int:
    return int(api.desk.recorder.max_notification_id() or 0)


def rate_limited_total(api: Api, kind: str) -> float:
    text = api.get("/metrics", as_=None).get_data(as_text=True)
    found = re.search(rf'^kaizen_http_rate_limited_total\{{kind="{kind}"\}} ([0-9.e+]+)$', text, re.M)
    return float(found.group(1)) if found else 0.0


def test_a_burst_passes_then_429_problem_with_retry_after_and_the_log_is_untouched(
    limited: Callable[[RateLimit | None], Api],
) -> None:
    api = limited(RateLimit(rate=0.5, burst=3))
    for _ in range(3):
        assert api.post("/api/v1/issues", ISSUE, as_="reporter").status_code == 201
    head = log_head(api)
    before = rate_limited_total(api, "principal")

    refused = api.post("/api/v1/issues", ISSUE, as_="reporter", headers={"Idempotency-Key": "retry-me"})

    assert refused.status_code == 429
    assert refused.mimetype == PROBLEM_JSON
    assert refused.headers["Retry-After"] == "2"  # one request every 2 s
    problem = refused.get_json()
    assert problem["status"] == 429
    assert problem["type"].endswith("/rate-limited")
    assert "too many requests" in problem["detail"] and "retry after 2 s" in problem["detail"]
    assert refused.headers["X-Request-Id"] == problem["request_id"]
    assert log_head(api) == head  # nothing appended, and the idempotency key was not used
    assert rate_limited_total(api, "principal") == before + 1


def test_another_principal_is_not_slowed_by_one_that_is_refused(limited: Callable[[RateLimit | None], Api]) -> None:
    api = limited(RateLimit(rate=1, burst=2))
    for _ in range(2):
        api.get("/api/v1/issues/KZ-1", as_="reporter")
    assert api.get("/api/v1/issues/KZ-1", as_="reporter").status_code == 429
    assert api.post("/api/v1/issues", ISSUE, as_="admin").status_code == 201
    assert api.post("/api/v1/issues", ISSUE, as_="reporter2").status_code == 201


def test_an_app_token_is_one_caller_whoever_it_acts_for(limited: Callable[[RateLimit | None], Api]) -> None:
    api = limited(RateLimit(rate=1, burst=2))
    for employee in ("lina", "minh"):
        assert api.post("/api/v1/issues", ISSUE, as_="app", headers={"X-On-Behalf-Of": employee}).status_code == 201
    assert api.post("/api/v1/issues", ISSUE, as_="app", headers={"X-On-Behalf-Of": "tuan"}).status_code == 429


def test_requests_are_allowed_again_once_time_refills_the_bucket(
    limited: Callable[[RateLimit | None], Api], ticks: Ticks
) -> None:
    api = limited(RateLimit(rate=2, burst=2))
    key = api.report(as_="admin")
    assert api.get(f"/api/v1/issues/{key}").status_code == 200
    assert api.get(f"/api/v1/issues/{key}").status_code == 429
    ticks.now += 0.5  # one token at 2/s
    assert api.get(f"/api/v1/issues/{key}").status_code == 200
    assert api.get(f"/api/v1/issues/{key}").status_code == 429
    ticks.now += 60  # long idle: the full burst again, not more
    assert [api.get(f"/api/v1/issues/{key}").status_code for _ in range(3)] == [200, 200, 429]


def test_health_readiness_and_metrics_are_never_limited(limited: Callable[[RateLimit | None], Api]) -> None:
    api = limited(RateLimit(rate=0.1, burst=1))
    api.get("/api/v1/openapi.json", as_=None)
    assert api.get("/api/v1/openapi.json", as_=None).status_code == 429  # this address is empty
    for path in NEVER_LIMITED:
        statuses = {api.get(path, as_=None).status_code for _ in range(5)}
        assert 429 not in statuses, path


def test_unauthenticated_requests_are_limited_by_client_address(limited: Callable[[RateLimit | None], Api]) -> None:
    api = limited(RateLimit(rate=1, burst=2))
    here = {"REMOTE_ADDR": "192.0.2.10"}
    there = {"REMOTE_ADDR": "192.0.2.20"}
    statuses = [api.client.get("/api/v1/openapi.json", environ_base=here).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    refused = api.client.get("/api/v1/openapi.json", environ_base=here)
    assert "client address" in refused.get_json()["detail"] and refused.headers["Retry-After"] == "1"
    assert api.client.get("/api/v1/openapi.json", environ_base=there).status_code == 200
    # A token-bearing caller from the refused address has a bucket of their own.
    admin = api.headers("admin", None)
    assert api.client.get("/api/v1/issues/KZ-9", environ_base=here, headers=admin).status_code == 404


def test_the_console_answers_429_as_a_page_with_retry_after(limited: Callable[[RateLimit | None], Api]) -> None:
    api = limited(RateLimit(rate=0.25, burst=1))
    assert api.client.get("/console/sign-in").status_code != 429
    refused = api.client.get("/console/sign-in")
    assert refused.status_code == 429
    assert refused.headers["Retry-After"] == "4"


def test_switched_off_nothing_is_refused(limited: Callable[[RateLimit | None], Api]) -> None:
    api = limited(None)
    key = api.report(as_="admin")
    assert {api.get(f"/api/v1/issues/{key}").status_code for _ in range(40)} == {200}


def test_openapi_lists_429_with_retry_after_on_every_limited_operation(
    limited: Callable[[RateLimit | None], Api],
) -> None:
    api = limited(RateLimit(rate=5.0, burst=5))
    spec = api.client.get("/api/v1/openapi.json").get_json()
    limited_response = spec["components"]["responses"]["RATE_LIMITED"]
    assert "application/problem+json" in limited_response["content"]
    assert "Retry-After" in limited_response["headers"]
    operations = [
        (path, method, operation)
        for path, item in spec["paths"].items()
        for method, operation in item.items()
        if method != "parameters"
    ]
    under_api = [(path, method) for path, method, _ in operations if path.startswith("/api/v1/")]
    assert len(under_api) > 30
    for path, method, operation in operations:
        documented = operation["responses"].get("429")
        if path.startswith("/api/v1/"):
            assert documented == {"$ref": "#/components/responses/RATE_LIMITED"}, (path, method)
        else:  # /healthz, /readyz, /metrics are never limited
            assert documented is None, (path, method)
