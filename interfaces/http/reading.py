"""Queries on views: finding the read side, and read-your-writes via `min_position`."""

from __future__ import annotations

from typing import Any

from flask import request
from marshmallow import ValidationError

from application.errors import NotFound
from domain.access import can_see_issue, can_see_suggestion
from domain.actor import Actor
from domain.issue import Issue
from interfaces.http.problems import Problem, validation_problem
from interfaces.http.schemas.common import LARGEST_POSITION, position_parameter
from interfaces.http.services import desk, services

HEADER_POSITION = position_parameter()
"""The header is read by the same field as `?min_position=`."""


def read_side() -> Any:
    """The read side, or 503 when this build has none (lists need the projections' views)."""
    read = services().read
    if read is None:
        raise Problem(503, "the read views are not available in this process", headers={"Retry-After": "5"})
    return read


def min_position(query_value: int | None) -> int | None:
    """`?min_position=` wins over the `X-Min-Position` header; both mean the same."""
    if query_value is not None:
        return query_value
    raw = request.headers.get("X-Min-Position")
    if raw is None:
        return None
    try:
        found: int = HEADER_POSITION.deserialize(raw.strip())
    except ValidationError:
        raise validation_problem({"X-Min-Position": [f"must be a position from 0 to {LARGEST_POSITION}"]}) from None
    return found


def wait_for_views(read: Any, query_value: int | None) -> None:
    """Wait (bounded) until the views have applied the caller's last write, then answer anyway."""
    position = min_position(query_value)
    if not position:
        return
    # A position past the end of the log cannot be reached by waiting: wait for the end instead.
    head = int(desk().recorder.max_notification_id() or 0)
    read.wait_for(min(position, head), timeout=services().settings.read_wait_seconds)


def not_found(kind: str, key: str) -> NotFound:
    """The 404 of a resource that does not exist; one that is not the caller's raises the very
    same, so the answer (title, detail, headers) does not tell the two apart."""
    return NotFound(f"{kind} {key} was not found")


def visible_issue(key: str, viewer: Actor) -> Issue:
    """The issue as it is now, or 404 for anyone who may not see it."""
    current = desk().get_issue(key)
    if not can_see_issue(viewer, current):
        raise not_found("issue", key)
    return current


def may_see_suggestion(key: str, viewer: Actor) -> None:
    """404, as for a key that does not exist, unless the viewer may see suggestions at all."""
    if not can_see_suggestion(viewer):
        raise not_found("suggestion", key)


def seen_issue(key: str, viewer: Actor) -> Issue:
    """The issue, uncopied, once the viewer may see it (404 otherwise): for answers that show
    something else (its history, a past version), so only its version and key may be read."""
    current = desk().glance(key, Issue)
    if not can_see_issue(viewer, current):
        raise not_found("issue", key)
    return current


def asks_for_past(query: dict[str, Any]) -> bool:
    return query.get("version") is not None or query.get("as_of") is not None


def as_of_version(current: Any, version: int | None, load: Any) -> Any:
    """The aggregate at `version` (None: `current` itself); 404 for a version it never had.

    A version, even the current one, is loaded afresh: `current` may be the shared, uncopied
    aggregate (`seen_issue`), which must not be presented."""
    if version is None:
        return current
    if version > current.version:
        raise Problem(404, f"{current.key} has no version {version}")
    return load(current.key, version=version)


def chosen_version(key: str, query: dict[str, Any]) -> int | None:
    """`?version=n` as given, or the version in force at `?as_of=` on the chosen time axis."""
    if query.get("as_of") is not None:
        version: int = desk().version_as_of(key, query["as_of"], query.get("axis") or "recorded")
        return version
    found: int | None = query.get("version")
    return found
