"""The safe-write rules shared by every command route: Idempotency-Key, If-Match, and the answer.

A route parses its body, then hands one application call to `issue_command` or
`suggestion_command`; everything the contract says about writing safely happens here, once.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from typing import Any

from flask import g, request, url_for

from application.context import Context, Receipt
from domain.access import can_see_issue, may_glimpse_issue
from domain.actor import Actor
from interfaces.http import metrics
from interfaces.http.auth import caller, writer
from interfaces.http.presenters import affected_view, issue_view, suggestion_view
from interfaces.http.problems import validation_problem
from interfaces.http.reading import not_found
from interfaces.http.schemas.issues import AffectedSchema, IssueSchema
from interfaces.http.schemas.suggestions import SuggestionSchema
from interfaces.http.services import desk

Answer = tuple[dict[str, Any], int, dict[str, str]]
Command = Callable[[Context], Receipt]
IF_MATCH = re.compile(r'^\s*(?:W/)?(?:"([0-9]{1,18})"|([0-9]{1,18}))\s*$')  # "3", W/"3" or bare 3
IDEMPOTENCY_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")


def expected_version() -> int | None:
    """`If-Match: "3"` (or bare 3) as the version the caller expects; `*` means any."""
    raw = request.headers.get("If-Match")
    if raw is None or raw.strip() == "*":
        return None
    match = IF_MATCH.match(raw)
    if match is None:
        raise validation_problem({"If-Match": ['must be an ETag of this API, like "3"']})
    return int(match.group(1) or match.group(2))


def idempotency_key() -> str | None:
    raw = request.headers.get("Idempotency-Key")
    if raw is None:
        return None
    if not IDEMPOTENCY_KEY.match(raw):
        raise validation_problem({"Idempotency-Key": ["must be 1 to 255 visible ASCII characters"]})
    return raw


def fingerprint(actor: Actor) -> str:
    """What makes two requests "the same" for an Idempotency-Key: method, path, who, canonical body.

    The body is canonicalised (sorted keys, no spaces) so a client that re-serialises its JSON
    on retry still matches; the acting employee is included so an app's key reused for another
    employee is refused rather than answered with someone else's result.
    """
    body = request.get_json(silent=True) if request.get_data(cache=True) else None
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False) if body is not None else ""
    material = "\n".join((request.method, request.path, actor.id, canonical))
    return hashlib.sha256(material.encode("utf-8")).hexdigest()


def command_context(self_service: bool = False) -> Context:
    """`self_service`: see `auth.writer` (a person changing their own profile)."""
    actor = writer(self_service)
    key = idempotency_key()
    return Context(
        actor=actor,
        expected_version=expected_version(),
        idempotency_key=key,
        fingerprint=fingerprint(actor) if key else None,
        principal=caller().principal.token_id,
    )


def receipt_headers(receipt: Receipt, version: int) -> dict[str, str]:
    """ETag, X-Event-Position and Idempotent-Replayed for a command's answer."""
    headers = {"ETag": f'"{version}"'}
    if receipt.position is not None:
        headers["X-Event-Position"] = str(receipt.position)
    if receipt.replayed:
        headers["Idempotent-Replayed"] = "true"
    return headers


def _run(name: str, call: Command, render_now: Callable[[Actor], dict[str, Any]] | None) -> tuple[Receipt, Actor]:
    ctx = command_context()
    if render_now is not None:  # for a 409: the state as it is now, in the answer's own shape
        g.render_current_state = lambda: render_now(ctx.actor)
    receipt = call(ctx)
    if not receipt.replayed:
        metrics.command_accepted(receipt.kind, name)
    return receipt, ctx.actor


def issue_command(name: str, call: Command, key: str | None = None) -> Answer:
    """Run an issue command and answer with the issue as of the command (replays: as of then)."""

    def render_now(actor: Actor) -> dict[str, Any]:
        issue = desk().get_issue(key or "")
        if not can_see_issue(actor, issue):
            raise not_found("issue", issue.key)
        return dict(IssueSchema().dump(issue_view(issue, actor)))

    receipt, actor = _run(name, call, render_now if key else None)
    issue = receipt.aggregate if not receipt.replayed else desk().get_issue(receipt.key, version=receipt.version)
    if not can_see_issue(actor, issue):
        raise not_found("issue", issue.key)
    headers = receipt_headers(receipt, issue.version)
    status = 201 if receipt.created else 200
    if receipt.created:
        headers["Location"] = url_for("issues.issue", key=receipt.key)
    return issue_view(issue, actor), status, headers


def glimpse_command(name: str, call: Command, key: str) -> Answer:
    """Run a command a caller may give on an issue they may only glimpse ("me too"), and answer
    with only what they may glimpse (`presenters.affected_view`), a 409 included."""

    def glimpsed(actor: Actor, version: int | None = None) -> tuple[dict[str, Any], int]:
        issue = desk().get_issue(key, version=version)
        if not may_glimpse_issue(actor, issue):
            raise not_found("issue", issue.key)
        return affected_view(issue, actor), issue.version

    def render_now(actor: Actor) -> dict[str, Any]:
        return dict(AffectedSchema().dump(glimpsed(actor)[0]))

    receipt, actor = _run(name, call, render_now)
    issue = receipt.aggregate if not receipt.replayed else desk().get_issue(receipt.key, version=receipt.version)
    return affected_view(issue, actor), 200, receipt_headers(receipt, issue.version)


def suggestion_command(
    name: str, call: Command, key: str | None = None, extend: Callable[[dict[str, Any]], dict[str, Any]] | None = None
) -> Answer:
    """Run a suggestion command; `extend` adds route-specific fields (possible_duplicates)."""

    def render_now(actor: Actor) -> dict[str, Any]:
        return dict(SuggestionSchema().dump(suggestion_view(desk().get_suggestion(key or ""), actor)))

    receipt, actor = _run(name, call, render_now if key else None)
    suggestion = (
        receipt.aggregate if not receipt.replayed else desk().get_suggestion(receipt.key, version=receipt.version)
    )
    body = suggestion_view(suggestion, actor)
    if extend is not None:
        body = extend(body)
    headers = receipt_headers(receipt, suggestion.version)
    status = 201 if receipt.created else 200
    if receipt.created:
        headers["Location"] = url_for("suggestions.suggestion", key=receipt.key)
    return body, status, headers
