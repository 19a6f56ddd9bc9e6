"""RFC 9457 problem details: the one shape every error of the API takes.

Routes raise `Problem` (or let application/domain errors propagate); `problem_for` maps every
known exception onto a status code in one table, so the mapping is reviewed in one place and a
route never formats an error itself.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Mapping
from http import HTTPStatus
from typing import Any

from flask import Response, current_app, g, json, request

from adapters.sqlite_store import write_refusal
from application.errors import ConcurrencyExhausted, IdempotencyKeyReused, NotFound, StaleVersion
from domain.access import AccessDenied
from domain.errors import DomainError, InvalidCommand, TransitionRefused

PROBLEM_JSON = "application/problem+json"
TYPE_BASE = "https://kaizen-desk.example/problems/"
RETRY_AFTER_SECONDS = "5"

SLUGS = {
    400: "malformed-request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not-found",
    405: "method-not-allowed",
    409: "conflict",
    412: "precondition-failed",
    413: "body-too-large",
    415: "unsupported-media-type",
    422: "validation-error",
    429: "rate-limited",
    500: "internal-error",
    501: "not-implemented",
    503: "store-unavailable",
}


class Problem(Exception):
    """An error answer: raise it anywhere in a request, the app turns it into problem+json."""

    def __init__(
        self,
        status: int,
        detail: str | None = None,
        *,
        title: str | None = None,
        errors: Mapping[str, list[str]] | None = None,
        headers: Mapping[str, str] | None = None,
        extra: Mapping[str, Any] | None = None,
        slug: str | None = None,
    ) -> None:
        super().__init__(detail or title or HTTPStatus(status).phrase)
        self.status = status
        self.detail = detail
        self.title = title or HTTPStatus(status).phrase
        self.errors = dict(errors) if errors else None
        self.headers = dict(headers or {})
        self.extra = dict(extra or {})
        self.slug = slug or SLUGS.get(status, "error")

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "type": TYPE_BASE + self.slug,
            "title": self.title,
            "status": self.status,
            "detail": self.detail or self.title,
            "instance": request.path,
            "request_id": g.get("request_id"),
        }
        if self.errors is not None:
            body["errors"] = self.errors
        body.update(self.extra)
        return body

    def response(self) -> Response:
        payload = json.dumps(self.body(), ensure_ascii=False)
        answer = current_app.response_class(payload, status=self.status, mimetype=PROBLEM_JSON)
        for name, value in self.headers.items():
            answer.headers[name] = value
        return answer


def unauthenticated(detail: str, error: str | None = None) -> Problem:
    """401 with the challenge RFC 6750 asks for; `error` only when a token was presented."""
    challenge = 'Bearer realm="kaizen"' + (f', error="{error}"' if error else "")
    return Problem(401, detail, headers={"WWW-Authenticate": challenge})


def flatten_errors(messages: Any, prefix: str = "") -> dict[str, list[str]]:
    """marshmallow's nested error dicts as `{"field.sub": [messages]}`, the contract's shape."""
    flat: dict[str, list[str]] = {}
    if isinstance(messages, Mapping):
        for name, inner in messages.items():
            flat.update(flatten_errors(inner, f"{prefix}.{name}" if prefix else str(name)))
    elif isinstance(messages, list | tuple):
        texts = [m for m in messages if isinstance(m, str)]
        if texts:
            flat.setdefault(prefix or "_schema", []).extend(texts)
        for item in messages:
            if not isinstance(item, str):
                flat.update(flatten_errors(item, prefix))
    else:
        flat.setdefault(prefix or "_schema", []).append(str(messages))
    return flat


def validation_problem(errors: Mapping[str, list[str]], detail: str = "the request is not valid") -> Problem:
    return Problem(422, detail, errors=errors)


def _store_unavailable(exc: BaseException) -> bool:
    """True for the failures that mean "the database cannot be reached right now"."""
    from eventsourcing.persistence import InterfaceError, OperationalError

    try:
        import psycopg

        unavailable: tuple[type[BaseException], ...] = (
            OperationalError,
            InterfaceError,
            psycopg.OperationalError,
            psycopg.InterfaceError,
        )
    except ImportError:  # pragma: no cover - psycopg is a dependency
        unavailable = (OperationalError, InterfaceError)
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, unavailable):
            return True
        if isinstance(current, sqlite3.OperationalError):
            text = str(current).lower()
            if "database is locked" in text or "unable to open" in text:
                return True
        current = current.__cause__ or current.__context__
    return False


def _unavailable_detail(exc: BaseException) -> str:
    """Say so when the store is read-only or full: the operator, not the client, must act."""
    refusal = write_refusal(exc)
    if refusal == "read-only":
        return "the store cannot be written (its files are read-only); retry shortly"
    if refusal == "full":
        return "the store cannot be written (its disk is full); retry shortly"
    return "the store is unavailable; retry shortly"


def _refused(exc: TransitionRefused) -> Problem:
    """409 that shows the aggregate as it is now, so the client learns why without asking again."""
    render: Callable[[], dict[str, Any] | None] | None = g.get("render_current_state")
    state = exc.state
    if state is None and render is not None:
        try:
            state = render()
        except Exception:  # the refusal stands even if the state cannot be shown
            state = None
    return Problem(
        409,
        str(exc),
        title="Transition refused",
        extra={"current_state": exc.current_state, "state": state},
        slug="transition-refused",
    )


def problem_for(exc: BaseException) -> Problem | None:
    """The problem a known exception becomes, or None for a bug (answered as 500)."""
    if isinstance(exc, Problem):
        return exc
    if isinstance(exc, AccessDenied):
        return Problem(403, str(exc)) if exc.visible else Problem(404, str(exc))  # worded as NotFound is
    if isinstance(exc, NotFound):
        return Problem(404, str(exc))
    if isinstance(exc, StaleVersion):
        return Problem(412, str(exc), extra={"current_version": exc.current})
    if isinstance(exc, IdempotencyKeyReused):
        return validation_problem({"Idempotency-Key": [str(exc)]}, str(exc))
    if isinstance(exc, ConcurrencyExhausted):
        return Problem(409, str(exc), title="Too many concurrent changes", slug="concurrent-changes")
    if isinstance(exc, TransitionRefused):
        return _refused(exc)
    if isinstance(exc, InvalidCommand):
        return validation_problem({exc.field or "_schema": [str(exc)]}, str(exc))
    if isinstance(exc, DomainError):
        return validation_problem({"_schema": [str(exc)]}, str(exc))
    if _store_unavailable(exc):
        return Problem(503, _unavailable_detail(exc), headers={"Retry-After": RETRY_AFTER_SECONDS})
    return None
