"""Property-based run of the workaround register's part of the live OpenAPI document (SQLite):
no generated request may answer 5xx or stray from the document."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from conftest import Api, build_app, issue_tokens
from flask import Flask
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.conftest import FakeClock

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


@pytest.fixture
def seeded(tmp_path: Path) -> Iterator[tuple[Flask, str]]:
    app = build_app(f"sqlite:///{tmp_path / 'register.db'}", FakeClock(), run_projections=True)
    try:
        api = Api(app, app.test_client(), issue_tokens(app.extensions["kaizen"].desk))
        api.report()
        api.post("/api/v1/workarounds", {"kind": "other", "description": "d", "retire_by": "2026-05-01"})
        api.post("/api/v1/workarounds", {"kind": "other", "description": "d", "retire_by": "2026-05-01"})
        yield app, api.tokens["admin"]
    finally:
        app.extensions["kaizen"].close()


def strategy(operation: Any, mode: GenerationMode) -> Any:
    free = operation.as_strategy(generation_mode=mode)
    if mode.is_positive and "{key}" in operation.path:
        return st.one_of(free, operation.as_strategy(generation_mode=mode, path_parameters={"key": "WA-1"}))
    return free


def test_register_routes_hold_under_generated_requests(seeded: tuple[Flask, str]) -> None:
    app, token = seeded
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    auth = {"Authorization": f"Bearer {token}"}
    operations = [op for op in (r.ok() for r in schema.get_all_operations()) if "workarounds" in (op.tags or ())]  # type: ignore[union-attr]
    assert len(operations) == 5
    counted = {"cases": 0}
    for operation in operations:
        for mode, examples in ((GenerationMode.POSITIVE, 30), (GenerationMode.NEGATIVE, 15)):

            @settings(
                max_examples=examples,
                deadline=None,
                derandomize=True,
                database=None,
                phases=[Phase.explicit, Phase.generate],
                suppress_health_check=list(HealthCheck),
            )
            @given(case=strategy(operation, mode))
            def run(case: Any) -> None:
                counted["cases"] += 1
                response = case.call(headers=auth)
                case.validate_response(response, checks=CHECKS, headers=auth)

            try:
                run()
            except Unsatisfiable:
                assert not mode.is_positive, operation.label
    assert counted["cases"] >= 100, counted
