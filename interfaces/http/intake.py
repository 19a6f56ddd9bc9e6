"""E-mail intake's quarantine: `GET /intake/quarantine`, one message, its bytes, and the decisions.

- `GET /intake/quarantine` (admin, auditor): quarantined messages, newest first; `?state=`
  `quarantined` (default), `accepted`, `discarded` or `all`; paged, `?min_position=`.
- `GET /intake/quarantine/{id}` and `/raw` (the bytes as they arrived, `message/rfc822`).
- `POST /intake/quarantine/{id}/accept` (admin) `{"person": "lina", "key": "KZ-5"}`: applied as
  that person, as their comment on `key`, or without `key` as a new issue they report.
- `POST /intake/quarantine/{id}/discard` (admin) `{}`.
A message is decided once: a second decision answers 409 with the message as it stands.
"""

from __future__ import annotations

from typing import Any

from flask import Response, g
from marshmallow import Schema, fields, validate

from application.mail_intake import MailIntake
from domain.access import role_family
from domain.mail_record import QuarantinedMail
from interfaces.http import metrics
from interfaces.http.api import AGGREGATE_HEADERS, COMMAND_HEADERS, ISSUE_KEY, errors
from interfaces.http.auth import reader
from interfaces.http.blueprint import Blueprint
from interfaces.http.commands import command_context, receipt_headers
from interfaces.http.presenters import json_safe
from interfaces.http.problems import Problem, validation_problem
from interfaces.http.reading import read_side, wait_for_views
from interfaces.http.schemas.common import PageQuerySchema, StrictSchema, out_datetime, text
from interfaces.http.services import desk
from projections import cursors
from projections.mail_intake import STATES, list_quarantine

blp = Blueprint("intake", __name__, url_prefix="/api/v1/intake", description="E-mail intake: quarantined messages")
Answer = tuple[dict[str, Any], int, dict[str, str]]
READERS = ("admin", "auditor", "system")


class QuarantineQuerySchema(PageQuerySchema):
    state = fields.String(load_default="quarantined", validate=validate.OneOf(STATES))


class AcceptSchema(StrictSchema):
    person = fields.String(
        required=True,
        validate=validate.Length(min=1, max=200),
        metadata={"description": "the active person the message is applied as", "example": "lina"},
    )
    key = fields.String(
        allow_none=True,
        load_default=None,
        validate=validate.Regexp(f"^{ISSUE_KEY}$", error="must be an issue key like KZ-1"),
        metadata={"description": "comment on this issue; without it the message reports a new issue"},
    )


class DiscardSchema(StrictSchema):
    note = text(2000, metadata={"description": "ignored; accepted so a form can send one"})


class QuarantineDecisionSchema(Schema):
    by = fields.String(required=True)
    at = out_datetime(required=True)
    person = fields.String(allow_none=True)
    issue_key = fields.String(allow_none=True)
    outcome = fields.String(required=True)


class QuarantinedMailSchema(Schema):
    id = fields.String(required=True)
    message_id = fields.String(required=True)
    uid_key = fields.String(required=True)
    sender = fields.String(required=True)
    subject = fields.String(required=True)
    reason = fields.String(
        required=True,
        metadata={
            "enum": [
                "unparsable",
                "own_mail",
                "auto_reply",
                "unknown_sender",
                "unknown_issue",
                "vendor_unmatched",
                "refused",
            ]
        },
    )
    detail = fields.String(allow_none=True)
    excerpt = fields.String(required=True)
    received_at = out_datetime(allow_none=True)
    quarantined_at = out_datetime(required=True)
    raw_size = fields.Integer(required=True)
    named_key = fields.String(allow_none=True)
    state = fields.String(required=True, metadata={"enum": ["quarantined", "accepted", "discarded"]})
    decision = fields.Nested(QuarantineDecisionSchema, allow_none=True)


class QuarantinePageSchema(Schema):
    items = fields.List(fields.Nested(QuarantinedMailSchema), required=True)
    next_cursor = fields.String(allow_none=True)


def quarantined_view(record: QuarantinedMail) -> dict[str, Any]:
    """The message as the list shows it (`projections.mail_intake`), from the aggregate."""
    decision = record.decision
    return {
        "id": record.quarantine_id,
        "message_id": record.message_id,
        "uid_key": record.uid_key,
        "sender": record.sender,
        "subject": record.subject,
        "reason": str(record.reason),
        "detail": record.detail,
        "excerpt": record.excerpt,
        "received_at": record.received_at,
        "quarantined_at": record.quarantined_at,
        "raw_size": record.raw_size,
        "named_key": record.named_key,
        "state": record.status,
        "decision": None
        if decision is None
        else {k: decision.get(k) for k in ("by", "at", "person", "issue_key", "outcome")},
    }


def intake() -> MailIntake:
    return MailIntake(desk())


def _reader() -> None:
    actor = reader()
    if role_family(actor) not in READERS:
        raise Problem(403, f"role {actor.role} may not read quarantined mail")


@blp.route("/quarantine", methods=["GET"])
@blp.arguments(QuarantineQuerySchema, location="query")
@blp.response(200, QuarantinePageSchema)
@errors(blp, 401, 403, 422, 503)
def quarantine(query: dict[str, Any]) -> dict[str, Any]:
    """Quarantined messages, newest first (`state`: quarantined, accepted, discarded or all)"""
    _reader()
    read = read_side()
    wait_for_views(read, query.get("min_position"))
    try:
        items, cursor = list_quarantine(read.store, query["state"], query["limit"], query.get("cursor"))
    except cursors.ForgedCursor as exc:
        raise validation_problem({"cursor": [str(exc)]}) from None
    return {"items": items, "next_cursor": cursor}


@blp.route("/quarantine/<quarantine_id>", methods=["GET"])
@blp.response(200, QuarantinedMailSchema, headers=AGGREGATE_HEADERS)
@errors(blp, 401, 403, 404, 503)
def quarantined(quarantine_id: str) -> Answer:
    """One quarantined message"""
    _reader()
    record = intake().get_quarantined(reader(), quarantine_id)
    return quarantined_view(record), 200, {"ETag": f'"{record.version}"'}


@blp.route("/quarantine/<quarantine_id>/raw", methods=["GET"])
@blp.response(200, content_type="message/rfc822")
@errors(blp, 401, 403, 404, 503)
def raw(quarantine_id: str) -> Response:
    """The message's bytes as they arrived (empty when none were kept)"""
    _reader()
    data = intake().raw_message(reader(), quarantine_id)
    response = Response(data, mimetype="message/rfc822")
    response.headers["Content-Disposition"] = f'attachment; filename="{quarantine_id}.eml"'
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def _decided(name: str, quarantine_id: str, call: Any) -> Answer:
    ctx = command_context()
    g.render_current_state = lambda: json_safe(quarantined_view(intake().quarantined(quarantine_id)))
    receipt = call(ctx)
    if not receipt.replayed:
        metrics.command_accepted("mail", name)
    record = intake().quarantined(quarantine_id)
    return quarantined_view(record), 200, receipt_headers(receipt, record.version)


@blp.route("/quarantine/<quarantine_id>/accept", methods=["POST"])
@blp.arguments(AcceptSchema)
@blp.response(200, QuarantinedMailSchema, headers=COMMAND_HEADERS)
@errors(blp, 400, 401, 403, 404, 409, 422, 503)
def accept(body: dict[str, Any], quarantine_id: str) -> Answer:
    """Apply a quarantined message as a person: their comment on `key`, or a new issue they report

    The answer is the message with its decision (`decision.issue_key`: the issue it changed).
    """
    return _decided(
        "accept-mail",
        quarantine_id,
        lambda ctx: intake().accept(ctx, quarantine_id, person=body["person"], key=body.get("key")),
    )


@blp.route("/quarantine/<quarantine_id>/discard", methods=["POST"])
@blp.arguments(DiscardSchema)
@blp.response(200, QuarantinedMailSchema, headers=COMMAND_HEADERS)
@errors(blp, 400, 401, 403, 404, 409, 422, 503)
def discard(body: dict[str, Any], quarantine_id: str) -> Answer:
    """Discard a quarantined message (it stays listed under `state=discarded`)"""
    return _decided("discard-mail", quarantine_id, lambda ctx: intake().discard(ctx, quarantine_id))


__all__ = ["blp", "quarantined_view"]
