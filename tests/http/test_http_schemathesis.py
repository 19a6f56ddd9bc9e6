"""Property-based run of the live OpenAPI document with schemathesis (SQLite).

Every operation gets positive and negative cases, half of them aimed at resources that exist;
each answer must be free of 5xx and conform to the document (status, content type, headers,
body schema). The total number of cases is counted and must reach CASES_AT_LEAST.
"""

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

from tests.conftest import FakeClock

CASES_AT_LEAST = 300
# The resource groups fuzzed here (the improvement routes have their own run).
TAG_GROUPS = {"commands": {"issues", "suggestions", "operations"}, "compliance": {"compliance", "audit"}}
POSITIVE_EXAMPLES = 12
NEGATIVE_EXAMPLES = 6
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


@pytest.fixture
def seeded(tmp_path: Path) -> Iterator[tuple[Flask, str, dict[str, list[str]]]]:
    """An app with a few issues (one escalated) and suggestions, and an admin token."""
    app = build_app(f"sqlite:///{tmp_path / 'schemathesis.db'}", FakeClock(), run_projections=True)
    try:
        api = Api(app, app.test_client(), issue_tokens(app.extensions["kaizen"].desk))
        issues = [api.report() for _ in range(3)]
        api.post(f"/api/v1/issues/{issues[0]}/escalate", {"vendor": "sap", "vendor_ticket": "INC-1"})
        api.post(
            f"/api/v1/issues/{issues[0]}/workarounds", {"kind": "other", "description": "d", "retire_by": "2026-05-01"}
        )
        suggestions = [api.submit() for _ in range(3)]
        yield app, api.tokens["admin"], {"issues": issues, "suggestions": suggestions}
    finally:
        app.extensions["kaizen"].close()


def strategy(operation: Any, mode: GenerationMode, keys: list[str]) -> Any:
    """Free cases plus cases on existing resources, so commands get past 404 into the domain."""
    free = operation.as_strategy(generation_mode=mode)
    if "{key}" not in operation.path or not mode.is_positive:
        return free
    aimed = [operation.as_strategy(generation_mode=mode, path_parameters={"key": k}) for k in keys]
    return st.one_of(free, *aimed)


@pytest.mark.parametrize("group", sorted(TAG_GROUPS))
def test_live_openapi_document_holds_under_generated_requests(
    seeded: tuple[Flask, str, dict[str, list[str]]], group: str
) -> None:
    app, token, existing = seeded
    tags = TAG_GROUPS[group]
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    auth = {"Authorization": f"Bearer {token}"}
    counted = {"cases": 0}
    operations = [op for op in (r.ok() for r in schema.get_all_operations()) if set(op.tags or ()) & tags]  # type: ignore[union-attr]
    assert len(operations) >= (30 if group == "commands" else 9)

    for operation in operations:
        keys = existing["suggestions"] if "/suggestions/" in operation.path else existing["issues"]
        for mode, examples in (
            (GenerationMode.POSITIVE, POSITIVE_EXAMPLES),
            (GenerationMode.NEGATIVE, NEGATIVE_EXAMPLES),
        ):

            @settings(
                max_examples=examples,
                deadline=None,
                derandomize=True,
                database=None,
                phases=[Phase.explicit, Phase.generate],
                suppress_health_check=list(HealthCheck),
            )
            @given(case=strategy(operation, mode, keys))
            def run(case: Any) -> None:
                counted["cases"] += 1

                headers = dict(auth)
                if "X-On-Behalf-Of" not in (case.headers or {}):
                    headers["X-On-Behalf-Of"] = PARTIES["reporter"][1]
                response = case.call(headers=headers)
                case.validate_response(response, checks=CHECKS, headers=headers)

            try:
                run()
            except Unsatisfiable:  # nothing in this operation can be made invalid (e.g. GET /healthz)
                assert not mode.is_positive, operation.label
    assert counted["cases"] >= (CASES_AT_LEAST if group == "commands" else 9 * 10), counted
