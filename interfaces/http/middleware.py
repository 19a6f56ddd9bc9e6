"""What happens around every request: its id, the body rules (413/415/400), metrics, error answers."""

from __future__ import annotations

import json
import re
import time
import uuid
from typing import Any

import structlog
from flask import Flask, Response, current_app, g, request
from werkzeug.exceptions import HTTPException

from interfaces.http import bodies, metrics, ratelimit
from interfaces.http.api import problem_from_http
from interfaces.http.auth import authenticate_request
from interfaces.http.logs import get_logger
from interfaces.http.problems import RETRY_AFTER_SECONDS, Problem, problem_for
from interfaces.http.services import services

REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
log = get_logger("kaizen.http")


def is_json(mimetype: str) -> bool:
    return mimetype == "application/json" or (mimetype.startswith("application/") and mimetype.endswith("+json"))


def _start() -> None:
    """Adopt a sane incoming X-Request-Id (so a trace spans the caller and us), else make one."""
    g.started = time.perf_counter()
    incoming = request.headers.get("X-Request-Id", "")
    g.request_id = incoming if REQUEST_ID.match(incoming) else uuid.uuid4().hex
    structlog.contextvars.clear_contextvars()
    structlog.contextvars.bind_contextvars(request_id=g.request_id)


def _matched_view() -> Any:
    view: Any = current_app.view_functions.get(request.endpoint or "")
    view_class = getattr(view, "view_class", None)
    if view_class is not None:
        view = getattr(view_class, request.method.lower(), None)
    return view


def _declares_json_body() -> bool:
    """Whether the matched view takes a JSON body (a flask-smorest `arguments` schema in the body).

    Read from the same documentation flask-smorest builds the OpenAPI document from, so a route
    that takes another media type (the JSON Lines import) is not held to the JSON rule.
    """
    parameters = (getattr(_matched_view(), "_apidoc", None) or {}).get("arguments", {}).get("parameters", [])
    return any(isinstance(p, dict) and p.get("in") == "json" for p in parameters)


def _guard_body() -> None:
    """Reject a body that is too large (413), not JSON (415) or not parseable (400) before the route runs.

    Only for routes that exist: an unknown URL answers 404 whatever its body. The body is read
    counted (interfaces/http/bodies.py), never cut short; a route marked `@streams_body` (the
    import) reads its own, under its own limit.
    """
    if request.method not in BODY_METHODS or request.routing_exception is not None:
        return
    if getattr(_matched_view(), bodies.STREAMS_BODY, False):
        return
    data = bodies.read_body(current_app.extensions["kaizen"].settings.max_body)
    if not data or not _declares_json_body():
        return
    if not is_json(request.mimetype):
        raise Problem(415, "send the body as application/json")
    try:
        json.loads(data)
    except (ValueError, UnicodeDecodeError, RecursionError):  # RecursionError: absurdly deep nesting
        raise Problem(400, "the body is not valid JSON") from None


def _finish(response: Response) -> Response:
    response.headers["X-Request-Id"] = g.get("request_id") or uuid.uuid4().hex
    started = g.get("started")
    if started is not None:
        route = request.url_rule.rule if request.url_rule is not None else "unmatched"
        metrics.observe_request(request.method, route, response.status_code, time.perf_counter() - started)
    return response


def _answer_exception(exc: Exception) -> Response:
    """Known failures become their problem; anything else is a 500 that shows only the request id."""
    if isinstance(exc, HTTPException):
        return problem_from_http(exc).response()
    problem = problem_for(exc)
    if problem is None:
        log.error("unhandled_exception", method=request.method, path=request.path, exc_info=exc)
        problem = Problem(500, "the server could not answer; quote the request id when reporting this")
    elif problem.status == 503:
        log.warning("store_unavailable", method=request.method, path=request.path, error=type(exc).__name__)
        if not isinstance(exc, Problem):  # the store itself failed (not the breaker answering)
            services().breaker.trip()
    return problem.response()


STORE_BACKED = ("/api/v1/", "/console/", "/readyz")


def _short_circuit() -> None:
    """While the breaker is open, store-backed routes answer 503 before touching the store."""
    if request.path.startswith(STORE_BACKED) and services().breaker.is_open():
        raise Problem(503, "the store is unavailable; retry shortly", headers={"Retry-After": RETRY_AFTER_SECONDS})


def install(app: Flask) -> None:
    """Order matters: the request id first (every answer carries it), then 401/403 before any
    body is read or validated, then the rate limit (it keys on the authenticated subject, and a
    refused request must not read its body or reach the store), then the body rules."""
    settings = app.extensions["kaizen"].settings
    ratelimit.install(app, settings.rate_limit, settings.monotonic)
    app.before_request(_start)
    app.before_request(_short_circuit)
    app.before_request(authenticate_request)
    app.before_request(ratelimit.limit_request)
    app.before_request(_guard_body)
    app.after_request(_finish)
    app.register_error_handler(Exception, _answer_exception)
