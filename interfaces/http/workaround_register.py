"""The workaround register: every workaround, an issue's or a go-live compromise, in one list.

Our addition to the contract (docs/reference.md, "The workaround register"): the contract's
console page `/console/workarounds` registers workarounds "with or without an issue", and a
workaround without an issue needs a home and an API of its own:

- `POST /workarounds` (admin): the fields of `POST /issues/{key}/workarounds`, and `issue_key`
  to attach it to that issue; without `issue_key` it is a go-live compromise under a `WA-` key.
  201 either way, with the workaround.
- `GET /workarounds` (admin, auditor): the register, overdue first, then by retire-by date.
- `GET /workarounds/{key}`, `POST /workarounds/{key}/retire`, `POST /workarounds/{key}/reschedule`
  for a go-live compromise (an issue's workaround is retired under its issue, as before).

Rights are the application's (`domain.workaround.authorise_workarounds`); readers are those of
the improvement routes (`improvement_common.internal_reader`): reporters and vendors get 403.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date
from typing import Any

from flask import g, url_for

from application.context import Context, Receipt
from domain.issue import Issue
from domain.workaround import GoLiveCompromise
from interfaces.http import metrics
from interfaces.http.api import AGGREGATE_HEADERS, COMMAND_HEADERS, CREATED_HEADERS, errors
from interfaces.http.blueprint import Blueprint
from interfaces.http.commands import command_context, receipt_headers
from interfaces.http.improvement_common import internal_reader, now, views
from interfaces.http.presenters import json_safe
from interfaces.http.schemas.workarounds import (
    RegisterQuerySchema,
    RegisterSchema,
    RegisterWorkaroundSchema,
    RescheduleWorkaroundSchema,
    RetireRegisteredSchema,
    WorkaroundAnswerSchema,
)
from interfaces.http.services import desk

blp = Blueprint(
    "workarounds",
    __name__,
    url_prefix="/api/v1/workarounds",
    description="The workaround register: an issue's workarounds and go-live compromises without one",
)
Answer = tuple[dict[str, Any], int, dict[str, str]]
COMMAND_ERRORS = (400, 401, 403, 404, 409, 412, 413, 415, 422, 503)


def _today() -> date:
    return now().astimezone(UTC).date()


def _shown(
    workaround_id: str, issue_key: str | None, facts: dict[str, Any], version: int, today: date
) -> dict[str, Any]:
    late = facts["retired_at"] is None and facts["retire_by"] < today
    return {
        "workaround_id": workaround_id,
        "issue_key": issue_key,
        "kind": str(facts["kind"]),
        "description": facts["description"],
        "owner": facts["owner"],
        "retire_by": facts["retire_by"],
        "recorded_at": facts["recorded_at"],
        "retired_at": facts["retired_at"],
        "note": facts["note"],
        "overdue": late,
        "days_overdue": (today - facts["retire_by"]).days if late else 0,
        "version": version,
    }


def compromise_view(found: GoLiveCompromise) -> dict[str, Any]:
    facts = {name: getattr(found, name) for name in ("kind", "description", "owner", "retire_by", "recorded_at")}
    facts |= {"retired_at": found.retired_at, "note": found.note}
    return _shown(found.key, None, facts, found.version, _today())


def issue_workaround_view(issue: Issue, workaround_id: str) -> dict[str, Any]:
    return _shown(workaround_id, issue.key, issue.workarounds[workaround_id], issue.version, _today())


def _answer(name: str, call: Callable[[Context], Receipt], key: str | None = None, status: int = 200) -> Answer:
    """Idempotency-Key and If-Match as for every command; the answer is the workaround."""
    ctx = command_context()
    if key is not None:  # a 409 shows the compromise as it is now
        g.render_current_state = lambda: json_safe(compromise_view(desk().get_go_live_compromise(key)))
    receipt = call(ctx)
    if not receipt.replayed:
        metrics.command_accepted(receipt.kind, name)
    wid = str(receipt.extra["workaround_id"])
    if receipt.kind == "issue":
        issue = receipt.aggregate if not receipt.replayed else desk().get_issue(receipt.key, receipt.version)
        body, version = issue_workaround_view(issue, wid), issue.version
        location = url_for("issues.issue", key=issue.key)
    else:
        found = (
            receipt.aggregate if not receipt.replayed else desk().get_go_live_compromise(receipt.key, receipt.version)
        )
        body, version = compromise_view(found), found.version
        location = url_for("workarounds.workaround", key=found.key)
    headers = receipt_headers(receipt, version)
    if status == 201:
        headers["Location"] = location
    return body, status, headers


@blp.route("", methods=["POST"])
@blp.arguments(RegisterWorkaroundSchema)
@blp.response(201, WorkaroundAnswerSchema, headers=CREATED_HEADERS)
@errors(blp, 400, 401, 403, 404, 409, 413, 415, 422, 503)
def register(body: dict[str, Any]) -> Answer:
    """Register a workaround: on an issue (`issue_key`), or a go-live compromise without one (`WA-<n>`)"""
    return _answer("register-workaround", lambda ctx: desk().register_workaround(ctx, **body), status=201)


@blp.route("", methods=["GET"])
@blp.arguments(RegisterQuerySchema, location="query")
@blp.response(200, RegisterSchema)
@errors(blp, 401, 403, 422, 503)
def register_list(query: dict[str, Any]) -> dict[str, Any]:
    """The register: issue workarounds and go-live compromises, overdue first, then by retire-by date

    `state`: `open` (default), `overdue`, `retired` or `all`; filters `owner`, `kind`, `module`.
    """
    internal_reader("workarounds")
    read = views(query.get("min_position"))
    filters = {k: str(query[k]) for k in ("owner", "kind", "module") if query.get(k)}
    items = read.improvement.workarounds(now(), None, query["state"], filters, query["limit"])
    return {"items": items, "next_cursor": None}


@blp.route("/<key>", methods=["GET"])
@blp.response(200, WorkaroundAnswerSchema, headers=AGGREGATE_HEADERS)
@errors(blp, 401, 403, 404, 503)
def workaround(key: str) -> Answer:
    """One go-live compromise (`WA-<n>`); an issue's workarounds are on the issue"""
    internal_reader("workarounds")
    found = desk().get_go_live_compromise(key)
    return compromise_view(found), 200, {"ETag": f'"{found.version}"'}


@blp.route("/<key>/retire", methods=["POST"])
@blp.arguments(RetireRegisteredSchema)
@blp.response(200, WorkaroundAnswerSchema, headers=COMMAND_HEADERS)
@errors(blp, *COMMAND_ERRORS)
def retire(body: dict[str, Any], key: str) -> Answer:
    """Retire a go-live compromise (409 when it is already retired)"""
    return _answer("retire", lambda ctx: desk().retire_registered_workaround(ctx, key, **body), key)


@blp.route("/<key>/reschedule", methods=["POST"])
@blp.arguments(RescheduleWorkaroundSchema)
@blp.response(200, WorkaroundAnswerSchema, headers=COMMAND_HEADERS)
@errors(blp, *COMMAND_ERRORS)
def reschedule(body: dict[str, Any], key: str) -> Answer:
    """Give a go-live compromise a new retire-by date (not in the past)"""
    return _answer("reschedule", lambda ctx: desk().reschedule_go_live_compromise(ctx, key, **body), key)


__all__ = ["blp", "compromise_view", "issue_workaround_view"]
