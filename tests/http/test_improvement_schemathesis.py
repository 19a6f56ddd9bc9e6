"""Property-based run of the improvement routes' part of the live OpenAPI document (SQLite):
no generated request may answer 5xx or stray from the document."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from conftest import PARTIES, Api, build_app, issue_tokens
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

from interfaces.http import improvement, improvement_reports
from tests.conftest import FakeClock

TAGS = {"improvement", "improvement_reports"}
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


@pytest.fixture
def seeded(tmp_path: Path) -> Iterator[tuple[Flask, str]]:
    app = build_app(f"sqlite:///{tmp_path / 'improvement.db'}", FakeClock(), run_projections=True)
    smorest = app.extensions["flask-smorest"]["apis"][""]["ext_obj"]
    for blueprint in (improvement.blp, improvement_reports.blp):
        if blueprint.name not in app.blueprints:
            smorest.register_blueprint(blueprint)
    try:
        api = Api(app, app.test_client(), issue_tokens(app.extensions["kaizen"].desk))
        issue = api.report()
        api.post(
            f"/api/v1/issues/{issue}/workarounds", {"kind": "other", "description": "d", "retire_by": "2026-02-01"}
        )
        api.submit()
        api.post(
            "/api/v1/meetings",
            {"cadence": "monthly", "date": "2026-03-20", "attendees": [{"name": "Ms Chan", "department": "finance"}]},
        )
        api.post("/api/v1/health-checks/2026Q1/measurements", {"module": "finance", "data_accuracy": 0.9})
        yield app, api.tokens["admin"]
    finally:
        app.extensions["kaizen"].close()


def strategy(operation: Any, mode: GenerationMode) -> Any:
    free = operation.as_strategy(generation_mode=mode)
    if not mode.is_positive:
        return free
    if "{key}" in operation.path:
        return st.one_of(free, operation.as_strategy(generation_mode=mode, path_parameters={"key": "MT-1"}))
    if "{quarter}" in operation.path:
        return st.one_of(free, operation.as_strategy(generation_mode=mode, path_parameters={"quarter": "2026Q1"}))
    return free


def test_improvement_routes_hold_under_generated_requests(seeded: tuple[Flask, str]) -> None:
    app, token = seeded
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    auth = {"Authorization": f"Bearer {token}", "X-On-Behalf-Of": PARTIES["reporter"][1]}
    operations = [op for op in (r.ok() for r in schema.get_all_operations()) if set(op.tags or ()) & TAGS]  # type: ignore[union-attr]
    assert len(operations) >= 14
    counted = {"cases": 0}
    for operation in operations:
        for mode, examples in ((GenerationMode.POSITIVE, 25), (GenerationMode.NEGATIVE, 10)):

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
    assert counted["cases"] >= 300, counted
