"""Chunked bodies through a real gunicorn (`kaizen serve`'s `run`), on both stores.

gunicorn de-chunks a `Transfer-Encoding: chunked` body and passes no Content-Length; Werkzeug's
stream then stopped at 1 MiB without a word. So a 1.2 MB chunked import answered 200 having
applied its first MiB, and a chunked JSON command over 1 MiB answered 400 "not valid JSON".
"""

from __future__ import annotations

import http.client
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest

from application.config import store_settings
from application.desk import KaizenDesk
from tests.e2e.test_e2e_gunicorn import serving, tokens_for
from tests.http.conftest import ISSUE
from tests.http.test_http_bodies import BIG_IMPORT, BIG_IMPORT_LINES, import_log

pytestmark = pytest.mark.xdist_group("e2e")
MIB = 1024 * 1024


def pieces(body: bytes, size: int = 64 * 1024) -> Iterator[bytes]:
    for start in range(0, len(body), size):
        yield body[start : start + size]


def send_chunked(base: str, path: str, body: bytes, headers: dict[str, str]) -> tuple[int, dict[str, str], Any]:
    """POST `body` with `Transfer-Encoding: chunked` (no Content-Length), as a streaming client does."""
    parsed = urlparse(base)
    conn = http.client.HTTPConnection(parsed.hostname or "127.0.0.1", parsed.port, timeout=60)
    try:
        conn.request("POST", path, body=pieces(body), headers=headers, encode_chunked=True)
        response = conn.getresponse()
        raw = response.read()
        answer_headers = {k.lower(): v for k, v in response.getheaders()}
        parsed_body = json.loads(raw) if "json" in answer_headers.get("content-type", "") else raw
        return response.status, answer_headers, parsed_body
    finally:
        conn.close()


def head(url: str) -> int:
    """The position of the last event in the store, read beside the server."""
    desk = KaizenDesk(store_settings(url))
    try:
        return int(desk.recorder.max_notification_id() or 0)
    finally:
        desk.close()


def test_chunked_bodies_are_read_whole_or_refused_with_413(
    store_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KAIZEN_IMPORT_MAX_MB", "2")
    tokens = tokens_for(store_url)
    admin = {"Authorization": f"Bearer {tokens['admin']}", "Content-Type": "application/x-ndjson"}
    with serving(store_url, tmp_path / "serve.log") as (base, _):
        status, _, answer = send_chunked(base, "/api/v1/import", BIG_IMPORT, admin)
        assert status == 200, answer
        assert len(answer["refs"]) == BIG_IMPORT_LINES
        assert answer["refs"][f"r-{BIG_IMPORT_LINES}"] == f"KZ-{BIG_IMPORT_LINES}"

        command = json.dumps({**ISSUE, "description": "x" * (MIB + 10)}).encode()
        reporter = {"Authorization": f"Bearer {tokens['lina']}", "Content-Type": "application/json"}
        status, headers, problem = send_chunked(base, "/api/v1/issues", command, reporter)
        assert status == 413 and headers["content-type"] == "application/problem+json", problem
        assert "1 MiB" in problem["detail"]

        before = head(store_url)
        too_big = import_log(300)  # about 2.5 MB, over KAIZEN_IMPORT_MAX_MB=2
        status, headers, problem = send_chunked(base, "/api/v1/import", too_big, admin)
        assert status == 413 and headers["content-type"] == "application/problem+json", problem
        assert "2 MiB" in problem["detail"]
        assert head(store_url) == before  # nothing of it was written
    assert "Traceback" not in (tmp_path / "serve.log").read_text()
