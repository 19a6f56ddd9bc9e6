"""gunicorn as a real process, on both stores: credentials never reach its logs, though a client
puts a token in the query string, an Authorization header or a sign-in form."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from interfaces.http.logs import redact_query, redact_text
from tests.e2e.test_e2e_gunicorn import call, serving, tokens_for

pytestmark = pytest.mark.xdist_group("e2e")
SECRET = "SECRETVALUE4711"


def test_credentials_in_requests_are_not_written_to_the_logs(store_url: str, tmp_path: Path) -> None:
    tokens = tokens_for(store_url)
    log = tmp_path / "gunicorn.log"
    with serving(store_url, log) as (base, _):
        refused = call(base, "GET", f"/api/v1/issues?access_token={SECRET}&limit=5")
        assert refused[0] == 401
        for name in ("token", "api_key", "password", "client_secret", "code", "state", "acc%65ss_token"):
            call(base, "GET", f"/api/v1/issues?{name}={SECRET}", token=tokens["admin"])
        status, _, _ = call(
            base, "GET", "/api/v1/issues?limit=1", token=tokens["admin"], headers={"Cookie": f"session={SECRET}"}
        )
        assert status == 200
        call(base, "GET", "/api/v1/issues", token=f"kz_0123456789ab_{SECRET}{'x' * 28}")
    text = log.read_text()
    access = [json.loads(line) for line in text.splitlines() if line.startswith("{") and "http_access" in line]
    assert len(access) >= 10, text[-2000:]
    assert any(e.get("query") == "access_token=[redacted]&limit=5" for e in access)  # the rest is kept
    assert SECRET not in text
    # kz_<id>_<secret>: the secret itself may hold "_" (URL-safe base64), so split from the left
    assert tokens["admin"] not in text and tokens["admin"].split("_", 2)[2] not in text


def test_redaction_keeps_what_is_not_a_credential() -> None:
    assert redact_query("status=new&limit=5") == "status=new&limit=5"
    assert redact_query("refresh_token=a&x_api_key=b&text=c") == "refresh_token=[redacted]&x_api_key=[redacted]&text=c"
    assert redact_text("GET /x?a=1&password=hunter2 HTTP/1.1") == "GET /x?a=1&password=[redacted] HTTP/1.1"
    assert redact_text("Authorization: Basic dXNlcjpwYXNz") == "Authorization: Basic [redacted]"
