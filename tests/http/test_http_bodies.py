"""Request bodies are never cut short: over a route's limit they answer 413, chunked or not.

Werkzeug's stream for a chunked body (no Content-Length) silently stopped at 1 MiB, so a long
import lost its tail and a long JSON command read as "not valid JSON". The import has its own
limit, `KAIZEN_IMPORT_MAX_MB` (64 MiB). The same bodies through a real gunicorn are in
tests/e2e/test_e2e_bodies.py.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
from flask import Flask

from application.config import ConfigurationError
from interfaces.http.settings import MIB, import_max_bytes_from_env
from tests.conftest import FakeClock
from tests.http.conftest import ISSUE, Api, build_app, issue_tokens

PADDING = "The posting run stops at 40 percent with error F5 263 on two company codes. " * 105  # ~8 KB


def import_log(lines: int) -> bytes:
    """`lines` report commands of about 8 KB each, in time order, refs r-1 … r-<lines>."""
    start = datetime.fromisoformat("2026-03-02T09:00:00+08:00")
    out = []
    for n in range(1, lines + 1):
        line = {
            "at": (start + timedelta(minutes=n)).isoformat(),
            "actor": "lina",
            "role": "reporter",
            "via": None,
            "command": "report",
            "ref": f"r-{n}",
            "data": {**ISSUE, "title": f"Posting fails #{n}", "description": PADDING},
        }
        out.append(json.dumps(line, ensure_ascii=False))
    return ("\n".join(out) + "\n").encode("utf-8")


BIG_IMPORT_LINES = 150  # about 1.25 MB: the last ~24 lines lay past 1 MiB
BIG_IMPORT = import_log(BIG_IMPORT_LINES)


def import_headers(api: Api) -> dict[str, str]:
    return {**api.headers("admin", None), "Content-Type": "application/x-ndjson"}


def chunked(api: Api, path: str, body: bytes, headers: dict[str, str]) -> object:
    """A body with no Content-Length, as `Transfer-Encoding: chunked` reaches the app."""
    return api.client.post(path, input_stream=io.BytesIO(body), headers={**headers, "Transfer-Encoding": "chunked"})


def test_an_import_over_1_mib_is_applied_whole_with_or_without_content_length(api: Api) -> None:
    assert len(BIG_IMPORT) > 1_200_000  # 1.2 MB, 1.18 MiB
    answer = api.client.post("/api/v1/import", data=BIG_IMPORT, headers=import_headers(api))
    assert answer.status_code == 200, answer.get_json()
    refs = answer.get_json()["refs"]
    assert len(refs) == BIG_IMPORT_LINES and refs[f"r-{BIG_IMPORT_LINES}"] == f"KZ-{BIG_IMPORT_LINES}"
    again = chunked(api, "/api/v1/import", BIG_IMPORT, import_headers(api))
    assert again.status_code == 200, again.get_json()  # type: ignore[attr-defined]
    assert again.get_json()["refs"] == refs  # type: ignore[attr-defined]  # a re-run adds nothing twice
    assert api.get(f"/api/v1/issues/KZ-{BIG_IMPORT_LINES}").get_json()["title"] == f"Posting fails #{BIG_IMPORT_LINES}"
    assert api.get(f"/api/v1/issues/KZ-{BIG_IMPORT_LINES + 1}").status_code == 404


def test_a_json_command_over_1_mib_answers_413_chunked_or_not(api: Api) -> None:
    body = json.dumps({**ISSUE, "description": "x" * (MIB + 10)}).encode()
    headers = {**api.headers("reporter", None), "Content-Type": "application/json"}
    for answer in (
        api.client.post("/api/v1/issues", data=body, headers=headers),
        chunked(api, "/api/v1/issues", body, headers),
    ):
        assert answer.status_code == 413  # type: ignore[attr-defined]
        assert answer.mimetype == "application/problem+json"  # type: ignore[attr-defined]
        assert "1 MiB" in answer.get_json()["detail"]  # type: ignore[attr-defined]
    assert api.get("/api/v1/issues/KZ-1").status_code == 404
    small = json.dumps(ISSUE).encode()
    assert chunked(api, "/api/v1/issues", small, headers).status_code == 201  # type: ignore[attr-defined]


@pytest.fixture
def small_import_api(store_url: str, clock: FakeClock, monkeypatch: pytest.MonkeyPatch) -> Iterator[Api]:
    monkeypatch.setenv("KAIZEN_IMPORT_MAX_MB", "1")
    app: Flask = build_app(store_url, clock)
    try:
        yield Api(app, app.test_client(), issue_tokens(app.extensions["kaizen"].desk))
    finally:
        app.extensions["kaizen"].close()


def test_an_import_over_kaizen_import_max_mb_answers_413_and_writes_nothing(small_import_api: Api) -> None:
    api = small_import_api
    head = api.desk.recorder.max_notification_id()
    for answer in (
        api.client.post("/api/v1/import", data=BIG_IMPORT, headers=import_headers(api)),
        chunked(api, "/api/v1/import", BIG_IMPORT, import_headers(api)),
    ):
        assert answer.status_code == 413, answer.get_json()  # type: ignore[attr-defined]
        assert answer.mimetype == "application/problem+json"  # type: ignore[attr-defined]
    assert api.desk.recorder.max_notification_id() == head
    assert api.get("/api/v1/issues/KZ-1").status_code == 404
    fits = api.client.post("/api/v1/import", data=import_log(3), headers=import_headers(api))
    assert fits.status_code == 200 and len(fits.get_json()["refs"]) == 3


def test_an_import_that_is_not_utf8_answers_400(api: Api) -> None:
    answer = api.client.post("/api/v1/import", data=b'{"at": "\xff\xfe"}\n', headers=import_headers(api))
    assert answer.status_code == 400 and answer.mimetype == "application/problem+json"


def test_kaizen_import_max_mb_is_read_like_the_other_bounded_settings() -> None:
    assert import_max_bytes_from_env({}) == 64 * MIB
    assert import_max_bytes_from_env({"KAIZEN_IMPORT_MAX_MB": "0.5"}) == MIB // 2
    with pytest.raises(ConfigurationError, match="KAIZEN_IMPORT_MAX_MB='lots'"):
        import_max_bytes_from_env({"KAIZEN_IMPORT_MAX_MB": "lots"})
