"""Slow clients against a real `kaizen serve` (SQLite): the short version of drill 6.

Thirty sockets trickle one header line a second with no token, against one gunicorn worker
(four threads, the fewest `kaizen serve` gives a request). Before interfaces/slow_clients.py
each held a thread for as long as it liked, and `/healthz` went unanswered; now the worker's
poller holds them, answers 408 and closes them at the header deadline (3 s here). A body
that stalls is held the same way, until the body timeout.
"""

from __future__ import annotations

import json
import socket
import time
from pathlib import Path
from typing import Any

import pytest

from bench.faults import slow_clients
from tests.e2e.test_e2e_gunicorn import call, serving

pytestmark = [pytest.mark.xdist_group("faults"), pytest.mark.slow]
HEADER_TIMEOUT = 3.0


@pytest.fixture(scope="module")
def attacked() -> dict[str, Any]:
    return slow_clients.run(sockets=30, seconds=6.0, workers=1, header_timeout=HEADER_TIMEOUT, ramp=1.0)


def test_probes_and_commands_are_answered_within_a_second_while_slow_sockets_trickle(
    attacked: dict[str, Any],
) -> None:
    summary = json.dumps({k: attacked[k] for k in ("healthz", "command", "problems")})
    assert attacked["healthz"]["requests"] > 20 and attacked["command"]["requests"] > 10, summary
    assert attacked["healthz"]["failed"] == 0 and attacked["command"]["failed"] == 0, summary
    assert attacked["healthz"]["max_ms"] < 1000 and attacked["command"]["p99_ms"] < 1000, summary


def test_the_server_closes_slow_sockets_at_its_header_deadline_with_a_408(attacked: dict[str, Any]) -> None:
    sockets = attacked["slow_sockets"]
    assert sockets["closed_by_server"] >= 30, sockets  # every one of the first wave, at least
    assert sockets["closed_after_s_min"] >= HEADER_TIMEOUT - 0.5, sockets  # not before the deadline
    assert sockets["closed_after_s_max"] <= HEADER_TIMEOUT + 1.5, sockets  # the poller checks every second
    assert sockets["answered_408"] == sockets["closed_by_server"], sockets


def test_a_stalled_body_holds_no_thread_and_is_answered_408_at_the_body_timeout(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Eight requests (twice the worker's threads) send their headers and half a body, then
    stall: probes are still answered at once, and each stalled request gets a 408 problem
    once it has made no progress for the body timeout (2 s here)."""
    monkeypatch.setenv("KAIZEN_BODY_TIMEOUT_SECONDS", "2")
    head = b"POST /api/v1/issues HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n"
    with serving(f"sqlite:///{tmp_path / 'kaizen.db'}", tmp_path / "serve.log") as (base, _):
        port = int(base.rsplit(":", 1)[1])
        stalled = [socket.create_connection(("127.0.0.1", port), timeout=10) for _ in range(8)]
        for sock in stalled:
            sock.sendall(head + b'{"title": ')
        started = time.monotonic()
        for _ in range(5):
            probe_started = time.monotonic()
            assert call(base, "GET", "/healthz")[0] == 200
            assert time.monotonic() - probe_started < 1.0
        answers = []
        for sock in stalled:
            answer = b""
            while chunk := sock.recv(65536):
                answer += chunk
            answers.append(answer)
            sock.close()
        waited = time.monotonic() - started
    assert all(a.startswith(b"HTTP/1.1 408 ") and b"application/problem+json" in a for a in answers), answers[0]
    assert 1.5 <= waited <= 4.5, waited
