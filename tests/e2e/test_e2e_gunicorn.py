"""End to end: gunicorn as a real process on PostgreSQL, driven over HTTP with urllib.

A full issue life-cycle, then a restart, then the same data read back: what `kaizen serve`
does in production, without the test client's shortcuts.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from application.config import store_settings
from application.context import Context
from application.desk import KaizenDesk
from domain.actor import SYSTEM
from tests.conftest import create_postgres_database, enrol_assignees

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.xdist_group("e2e")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def call(
    base: str, method: str, path: str, body: Any = None, token: str | None = None, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], Any]:
    """One HTTP request; answers (status, headers, parsed JSON or text) for errors too."""
    data = json.dumps(body).encode("utf-8") if body is not None else None
    request = urllib.request.Request(base + path, data=data, method=method)
    if data is not None:
        request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    for name, value in (headers or {}).items():
        request.add_header(name, value)
    try:
        with urllib.request.urlopen(request, timeout=15) as response:
            status, answer_headers, raw = response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        status, answer_headers, raw = error.code, dict(error.headers), error.read()
    text = raw.decode("utf-8")
    kind = answer_headers.get("Content-Type", "")
    return status, answer_headers, json.loads(text) if "json" in kind else text


@contextmanager
def serving(database_url: str, log: Path) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """`run(port=P, workers=1)` in a child process; yields its base URL and process once /healthz answers."""
    port = free_port()
    env = {**os.environ, "KAIZEN_DATABASE_URL": database_url, "PYTHONPATH": str(ROOT)}
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    with log.open("ab") as sink:
        process = subprocess.Popen(
            [sys.executable, "-c", f"from interfaces.serve import run; run(port={port}, workers=1)"],
            cwd=ROOT,
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            assert process.poll() is None, log.read_text()
            with contextlib.suppress(OSError):  # not listening yet
                if call(base, "GET", "/healthz")[0] == 200:
                    break
            assert time.monotonic() < deadline, "gunicorn did not answer /healthz in time:\n" + log.read_text()
            time.sleep(0.1)
        yield base, process
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture
def database(postgres_available: None) -> Iterator[str]:
    url, drop = create_postgres_database()
    try:
        yield url
    finally:
        drop()


def tokens_for(url: str) -> dict[str, str]:
    desk = KaizenDesk(store_settings(url))
    try:
        made = {"admin": ("admin", "admin-wong"), "lina": ("reporter", "lina"), "sap": ("vendor:sap", "sap-support")}
        enrol_assignees(desk, "admin-wong")  # the life cycle triages to them
        return {name: desk.issue_token(Context(SYSTEM), role, subject)[1] for name, (role, subject) in made.items()}
    finally:
        desk.close()


def test_life_cycle_over_real_http_survives_a_restart(database: str, tmp_path: Path) -> None:
    tokens = tokens_for(database)
    log = tmp_path / "gunicorn.log"
    title = "月结凭证无法过账 — không thể ghi sổ — 😱"
    with serving(database, log) as (base, _):
        status, headers, issue = call(
            base,
            "POST",
            "/api/v1/issues",
            {
                "title": title,
                "description": "Posting run stops at 40%",
                "module": "finance",
                "impact_scope": "company",
                "urgency": "blocking",
                "vendor": "sap",
                "site": "HK",
            },
            tokens["lina"],
            {"X-Request-Id": "e2e-report-1", "Idempotency-Key": "e2e-1"},
        )
        assert status == 201 and issue["key"] == "KZ-1" and issue["title"] == title
        assert headers["Location"] == "/api/v1/issues/KZ-1" and headers["X-Request-Id"] == "e2e-report-1"
        key = issue["key"]
        steps = [
            ("admin", "triage", {"assignee": "admin-wong"}, "triaged"),
            ("admin", "respond", {"message": "Looking at it"}, "triaged"),
            ("admin", "escalate", {"vendor": "sap", "vendor_ticket": "INC-0042"}, "escalated"),
            ("sap", "vendor-updates", {"message": "Note 123 applies"}, "escalated"),
            ("admin", "wait", {"on": "customer", "reason": "SAP needs a trace"}, "waiting_on_customer"),
            ("admin", "resume", {}, "escalated"),
            ("admin", "resolve", {"resolution": "Applied the note", "root_cause": "Missing note"}, "resolved"),
            ("admin", "close", {}, "closed"),
        ]
        position = 0
        for who, step, body, expected in steps:
            status, headers, shown = call(base, "POST", f"/api/v1/issues/{key}/{step}", body, tokens[who])
            assert status == 200 and shown["status"] == expected, (step, shown)
            position = int(headers["X-Event-Position"])
        assert headers["ETag"] == '"9"'
        status, _, problem = call(base, "POST", f"/api/v1/issues/{key}/close", {}, tokens["admin"])
        assert status == 409 and problem["current_state"] == "closed"
        status, headers, _ = call(
            base, "POST", "/api/v1/issues", {"title": "x"}, tokens["lina"], {"Idempotency-Key": "e2e-1"}
        )
        assert status == 422  # same key, another body
        status, _, listed = call(base, "GET", f"/api/v1/issues?min_position={position}", token=tokens["admin"])
        assert status == 200 and [(i["key"], i["status"]) for i in listed["items"]] == [(key, "closed")]
        assert call(base, "GET", "/readyz")[0] == 200
        metrics = call(base, "GET", "/metrics")[2]
        assert 'kaizen_commands_total{command="close",kind="issue"} 1.0' in metrics
        assert "kaizen_http_request_duration_seconds_bucket" in metrics

    access = [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]
    assert any(
        e.get("event") == "http_access" and e.get("request_id") == "e2e-report-1" and e.get("status") == 201
        for e in access
    )

    with serving(database, log) as (base, _):
        status, headers, issue = call(base, "GET", f"/api/v1/issues/{key}", token=tokens["lina"])
        assert status == 200 and issue["status"] == "closed" and issue["version"] == 9 and headers["ETag"] == '"9"'
        assert issue["title"] == title and issue["escalation"]["vendor_ticket"] == "INC-0042"
        status, _, history = call(base, "GET", f"/api/v1/issues/{key}/history", token=tokens["sap"])
        assert status == 200 and len(history["items"]) == 9 and history["items"][4]["actor"] == "sap-support"
        status, _, old = call(base, "GET", f"/api/v1/issues/{key}?version=4", token=tokens["admin"])
        assert status == 200 and old["status"] == "escalated"
        status, _, listed = call(base, "GET", "/api/v1/issues", token=tokens["lina"])
        assert status == 200 and [i["key"] for i in listed["items"]] == [key]
        status, headers, replay = call(
            base,
            "POST",
            "/api/v1/issues",
            {
                "title": title,
                "description": "Posting run stops at 40%",
                "module": "finance",
                "impact_scope": "company",
                "urgency": "blocking",
                "vendor": "sap",
                "site": "HK",
            },
            tokens["lina"],
            {"Idempotency-Key": "e2e-1"},
        )
        assert status == 201 and headers["Idempotent-Replayed"] == "true" and replay["key"] == key
        assert replay["version"] == 1  # the answer as it was first given


def children_of(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(child) for child in (task / "children").read_text().split()]
    return found


def alive(pid: int) -> bool:
    """Running, not merely a zombie waiting for whoever adopted it to reap it."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state != "Z"


def projection_child(server_pid: int) -> int:
    """The projection process, which names itself (gunicorn's workers carry the master's name)."""
    for child in children_of(server_pid):
        if Path(f"/proc/{child}/comm").read_text().strip() == "kaizen-project":
            return child
    raise AssertionError(f"no projection process among the children of {server_pid}")


def report_and_list(base: str, tokens: dict[str, str], title: str) -> list[str]:
    body = {"title": title, "description": "d", "module": "hr", "impact_scope": "user", "urgency": "minor"}
    status, headers, _ = call(base, "POST", "/api/v1/issues", body, token=tokens["lina"])
    assert status == 201
    position = int(headers["X-Event-Position"])
    status, _, listed = call(base, "GET", f"/api/v1/issues?min_position={position}", token=tokens["admin"])
    assert status == 200
    return [item["title"] for item in listed["items"]]


def test_projections_run_beside_the_workers_and_a_worker_takes_over_when_they_die(
    database: str, tmp_path: Path
) -> None:
    tokens = tokens_for(database)
    with serving(database, tmp_path / "serve.log") as (base, server):
        projector = projection_child(server.pid)
        assert "first" in report_and_list(base, tokens, "first")
        assert f"projection leader elected: process {projector}" in (tmp_path / "serve.log").read_text()
        os.kill(projector, signal.SIGKILL)
        assert "second" in report_and_list(base, tokens, "second")
        elected = (tmp_path / "serve.log").read_text().count("projection leader elected")
        assert elected == 2, "a web worker's standby runner should have taken over"
        assert call(base, "GET", "/readyz")[0] == 200
    assert "Traceback" not in (tmp_path / "serve.log").read_text()  # the workers' exits included
    with serving(database, tmp_path / "serve.log") as (base, server):
        projector = projection_child(server.pid)
        server.send_signal(signal.SIGKILL)  # no clean shutdown: the orphan must notice and leave
        deadline = time.monotonic() + 10
        while alive(projector) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not alive(projector), "the projection process outlived its server"
