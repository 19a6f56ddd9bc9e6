"""Fixtures for the HTTP tests: an app on each store, tokens for every role, a small client.

The app is built with `run_projections=False` unless a test asks for lists (`listing_app`);
the store comes from the shared `store_url` fixture, so every test here runs on SQLite and
PostgreSQL.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from application.context import Context
from application.desk import KaizenDesk
from domain.actor import SYSTEM
from interfaces.http.app import create_app
from interfaces.http.settings import HttpSettings
from tests.conftest import FakeClock

# Who calls, as (role, subject): the parties of the role matrix.
PARTIES: dict[str, tuple[str, str]] = {
    "admin": ("admin", "admin-wong"),
    "reporter": ("reporter", "lina"),
    "reporter2": ("reporter", "minh"),
    "auditor": ("auditor", "audrey"),
    "app": ("app", "expense-app"),
    "sap": ("vendor:sap", "sap-support"),
    "oracle": ("vendor:oracle", "oracle-support"),
}
ISSUE = {
    "title": "月结凭证无法过账 — GL posting fails",
    "description": "Posting run stops at 40%",
    "module": "finance",
    "impact_scope": "company",
    "urgency": "blocking",
    "vendor": "sap",
    "site": "HK",
}
SUGGESTION = {"title": "Scan goods receipts on the handheld", "description": "Saves re-keying", "module": "warehouse"}


@dataclass
class Api:
    """The Flask test client with bearer tokens by party name: `api.post(path, body, as_="admin")`."""

    app: Flask
    client: FlaskClient
    tokens: dict[str, str]

    @property
    def desk(self) -> KaizenDesk:
        desk: KaizenDesk = self.app.extensions["kaizen"].desk
        return desk

    def headers(self, as_: str | None, extra: dict[str, str] | None) -> dict[str, str]:
        headers = {"Authorization": f"Bearer {self.tokens[as_]}"} if as_ else {}
        if as_ == "app":
            headers["X-On-Behalf-Of"] = PARTIES["reporter"][1]
        headers.update(extra or {})
        return headers

    def get(self, path: str, as_: str | None = "admin", headers: dict[str, str] | None = None) -> TestResponse:
        return self.client.get(path, headers=self.headers(as_, headers))

    def post(
        self, path: str, body: Any = None, as_: str | None = "admin", headers: dict[str, str] | None = None
    ) -> TestResponse:
        if body is None:
            return self.client.post(path, headers=self.headers(as_, headers))
        return self.client.post(
            path, data=json.dumps(body), content_type="application/json", headers=self.headers(as_, headers)
        )

    def delete(self, path: str, as_: str | None = "admin", headers: dict[str, str] | None = None) -> TestResponse:
        return self.client.delete(path, headers=self.headers(as_, headers))

    def report(self, as_: str = "reporter", **changes: Any) -> str:
        answer = self.post("/api/v1/issues", {**ISSUE, **changes}, as_=as_)
        assert answer.status_code == 201, answer.get_json()
        key: str = answer.get_json()["key"]
        return key

    def submit(self, as_: str = "reporter", **changes: Any) -> str:
        answer = self.post("/api/v1/suggestions", {**SUGGESTION, **changes}, as_=as_)
        assert answer.status_code == 201, answer.get_json()
        key: str = answer.get_json()["key"]
        return key


def issue_tokens(desk: KaizenDesk) -> dict[str, str]:
    return {name: desk.issue_token(Context(SYSTEM), role, subject)[1] for name, (role, subject) in PARTIES.items()}


def build_app(store_url: str, clock: FakeClock, run_projections: bool = False) -> Flask:
    return create_app(HttpSettings(database_url=store_url, run_projections=run_projections, clock=clock))


@pytest.fixture
def app(store_url: str, clock: FakeClock) -> Iterator[Flask]:
    built = build_app(store_url, clock)
    try:
        yield built
    finally:
        built.extensions["kaizen"].close()


@pytest.fixture
def api(app: Flask) -> Api:
    return Api(app, app.test_client(), issue_tokens(app.extensions["kaizen"].desk))


@pytest.fixture
def listing_api(store_url: str, clock: FakeClock) -> Iterator[Api]:
    """An app whose projections run in-process, for the list routes (read side needed)."""
    built = build_app(store_url, clock, run_projections=True)
    try:
        yield Api(built, built.test_client(), issue_tokens(built.extensions["kaizen"].desk))
    finally:
        built.extensions["kaizen"].close()
