"""Every write that answers an ETag honours If-Match as commands do: a stale version is 412 and
changes nothing, a malformed header is 422, on both stores."""

from __future__ import annotations

import json
from typing import Any

from werkzeug.test import TestResponse

from tests.http.conftest import Api
from tests.http.test_improvement_http import FREEZE

V1 = "/api/v1"


def _put(api: Api, path: str, body: Any, if_match: str | None = None) -> TestResponse:
    headers = {"If-Match": if_match} if if_match is not None else None
    return api.client.put(
        path, data=json.dumps(body), content_type="application/json", headers=api.headers("admin", headers)
    )


def _policy(api: Api) -> dict[str, Any]:
    shown = api.get(f"{V1}/vendors/sap/sla-policy").get_json()
    return {k: shown[k] for k in ("calendars", "targets", "labels")}


def test_sla_policy_put_refuses_a_stale_or_malformed_if_match(api: Api) -> None:
    path = f"{V1}/vendors/sap/sla-policy"
    document = _policy(api)
    first = _put(api, path, document, '"0"')
    assert first.status_code == 200 and first.headers["ETag"] == '"1"'
    for stale in ('"0"', 'W/"0"', "0"):
        refused = _put(api, path, {**document, "labels": {**document["labels"], "P1": "Changed"}}, stale)
        assert refused.status_code == 412, (stale, refused.get_json())
        assert refused.mimetype == "application/problem+json" and refused.get_json()["current_version"] == 1
    for malformed in ("garbage", '"1', "1, 2", '"-1"'):
        refused = _put(api, path, document, malformed)
        assert refused.status_code == 422, (malformed, refused.get_json())
        assert "If-Match" in refused.get_json()["errors"]
    assert api.get(path).get_json()["version"] == 1 and api.get(path).get_json()["labels"]["P1"] != "Changed"
    assert _put(api, path, document, 'W/"1"').headers["ETag"] == '"2"'
    assert _put(api, path, document, "*").status_code == 200
    assert _put(api, path, document).status_code == 200


def test_health_check_measurements_refuse_a_stale_or_malformed_if_match(api: Api) -> None:
    path = f"{V1}/health-checks/2026Q3/measurements"
    empty = api.get(f"{V1}/health-checks/2026Q3")
    assert empty.headers["ETag"] == '"0"'
    first = api.post(path, {"module": "finance", "data_accuracy": 0.9}, headers={"If-Match": '"0"'})
    assert first.status_code == 201, first.get_json()
    current = first.headers["ETag"]
    assert api.get(f"{V1}/health-checks/2026Q3").headers["ETag"] == current
    stale = api.post(path, {"module": "finance", "data_accuracy": 0.1}, headers={"If-Match": '"0"'})
    assert stale.status_code == 412, stale.get_json()
    malformed = api.post(path, {"module": "finance", "data_accuracy": 0.1}, headers={"If-Match": "soon"})
    assert malformed.status_code == 422 and "If-Match" in malformed.get_json()["errors"]
    figures = api.get(f"{V1}/health-checks/2026Q3").get_json()["measurements"]
    assert [m["data_accuracy"] for m in figures] == [0.9]
    assert api.post(path, {"module": "finance", "data_accuracy": 0.8}, headers={"If-Match": current}).status_code == 201


def test_freeze_windows_put_refuses_a_malformed_if_match(api: Api) -> None:
    path = f"{V1}/freeze-windows"
    assert _put(api, path, FREEZE, "zero").status_code == 422
    assert _put(api, path, FREEZE, '"0"').status_code == 200
    assert _put(api, path, FREEZE, 'W/"0"').status_code == 412
    assert api.get(path).get_json()["version"] == 1
