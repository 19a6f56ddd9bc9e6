"""What the continuous-improvement routes share: who may read, the views, and JSON/CSV answers."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from flask import Response, request

from domain.access import role_family
from domain.actor import Actor
from interfaces.http.auth import reader
from interfaces.http.csv_export import csv_response
from interfaces.http.problems import Problem
from interfaces.http.reading import read_side, wait_for_views
from interfaces.http.services import services

# Meetings, workarounds and health checks: administrators do, auditors read (docs/reference.md role table).
INTERNAL_READERS = frozenset({"admin", "auditor", "system"})


def internal_reader(what: str) -> Actor:
    """The caller, if they may read internal improvement data (admin, auditor); else 403."""
    actor = reader()
    if role_family(actor) not in INTERNAL_READERS:
        raise Problem(403, f"role {actor.role} may not read {what}")
    return actor


def negotiated(*kinds: str) -> dict[str, Any]:
    """OpenAPI `responses` for a 200 that answers JSON, or CSV/HTML on request (for `blp.doc`)."""
    content: dict[str, Any] = {"application/json": {"schema": {"type": "object"}}}
    if "csv" in kinds:
        content["text/csv"] = {"schema": {"type": "string"}}
    if "html" in kinds:
        content["text/html"] = {"schema": {"type": "string"}}
    return {"responses": {"200": {"description": "OK", "content": content}}}


def now() -> datetime:
    return services().settings.clock()


def views(min_position: int | None) -> Any:
    """The read side, after waiting (bounded) for the caller's last write to reach the views."""
    read = read_side()
    wait_for_views(read, min_position)
    return read


def wants(fmt: str | None, *choices: str) -> str:
    """`?format=` wins; otherwise the best of `choices` by the Accept header (JSON by default)."""
    if fmt:
        return fmt
    accept = request.accept_mimetypes
    mimes = {"json": "application/json", "csv": "text/csv", "html": "text/html"}
    best = accept.best_match([mimes[c] for c in choices], default="application/json")
    if best == "application/json" or accept[best] <= accept["application/json"]:
        return "json"
    return next(c for c in choices if mimes[c] == best)


def csv_answer(rows: Iterable[dict[str, Any]], name: str, columns: list[str] | None = None) -> Response:
    """CSV with a header row; values as JSON would show them (UTC times, dates, decimals)."""
    return csv_response(rows, f"{name}.csv", columns)
