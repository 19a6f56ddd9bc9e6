"""Baseline: the raw library behind the thinnest HTTP layer, served as `kaizen serve` is served.

The raw-library baseline (`bench.raw_library`) has no HTTP at all, so "HTTP/raw" mixes two
costs: HTTP itself (gunicorn parsing, a socket round trip, the load generator's own client)
and everything Kaizen adds (Flask, validation, authentication, key allocation, the hash chain,
idempotency, metrics, logs, projections). This baseline separates them. It is a bare WSGI
function (no framework, no authentication, no validation beyond parsing the JSON body) doing
the raw library's cycle, served by gunicorn with `kaizen serve`'s worker class, workers and
threads, and driven by the same load generator on the same paths and bodies:

- `POST /api/v1/issues` creates a `Ticket` (201, `{"key": ...}`);
- `POST /api/v1/issues/<key>/triage` and `/comments` load it, change it and save it (200).

Events are padded to the product's sizes, as in `bench.raw_library`. Run by `bench.command_path`
as `gunicorn bench.raw_http:app`; the store comes from `KAIZEN_DATABASE_URL` and the sizes from
`KAIZEN_BENCH_SIZES` (JSON).
"""

from __future__ import annotations

import json
import os
import re
import threading
from collections.abc import Callable, Iterable
from typing import Any
from uuid import UUID

from bench.raw_library import Ticket, make_app, pads_for

CHANGE = re.compile(r"^/api/v1/issues/([0-9a-f-]{36})/(triage|comments)$")
StartResponse = Callable[[str, list[tuple[str, str]]], Any]


class RawDesk:
    """The raw application of one gunicorn worker, made on its first request (after the fork)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._app: Any = None
        self.padding: dict[str, str] = {}

    @property
    def app(self) -> Any:
        if self._app is None:
            with self._lock:
                if self._app is None:
                    from application.schema import racing_schema_setup

                    url = os.environ["KAIZEN_DATABASE_URL"]
                    made = racing_schema_setup(lambda: make_app(url, pool=8, name="RawHttpBaseline"))
                    sizes = json.loads(os.environ["KAIZEN_BENCH_SIZES"])
                    self.padding = {name: "x" * n for name, n in pads_for(made, sizes).items()}
                    self._app = made
        return self._app

    def open_ticket(self, body: dict[str, Any]) -> str:
        app = self.app
        ticket = Ticket(
            title=str(body.get("title", "")),
            description=str(body.get("description", "")),
            module=str(body.get("module", "")),
            pad=self.padding["Opened"],
        )
        app.save(ticket)
        return str(ticket.id)

    def change(self, ticket_id: UUID, how: str) -> int:
        app = self.app
        ticket = app.repository.get(ticket_id)
        if how == "triage":
            ticket.classify(priority="P2", assignee="admin-wong", pad=self.padding["Classified"])
        else:
            ticket.note(body="b" * 80, pad=self.padding["Noted"])
        app.save(ticket)
        return int(ticket.version)


DESK = RawDesk()


def answer(start_response: StartResponse, status: str, payload: dict[str, Any]) -> Iterable[bytes]:
    body = json.dumps(payload).encode()
    start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return [body]


def app(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
    path, method = environ.get("PATH_INFO", ""), environ.get("REQUEST_METHOD", "")
    if path == "/healthz":
        return answer(start_response, "200 OK", {"status": "ok"})
    if method != "POST":
        return answer(start_response, "405 Method Not Allowed", {"status": 405})
    length = int(environ.get("CONTENT_LENGTH") or 0)
    body = json.loads(environ["wsgi.input"].read(length) or b"{}")
    if path == "/api/v1/issues":
        return answer(start_response, "201 Created", {"key": DESK.open_ticket(body)})
    found = CHANGE.match(path)
    if found is None:
        return answer(start_response, "404 Not Found", {"status": 404})
    version = DESK.change(UUID(found.group(1)), found.group(2))
    return answer(start_response, "200 OK", {"key": found.group(1), "version": version})
