"""Request and answer shapes of the workaround register (`/workarounds`, our addition to the contract)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from domain.vocabulary import Module, WorkaroundKind
from interfaces.http.api import ISSUE_KEY
from interfaces.http.improvement_schemas import MinPositionSchema
from interfaces.http.schemas.common import (
    BoundedDate,
    StrictSchema,
    choice,
    out_datetime,
    query_integer,
    query_text,
    text,
)
from interfaces.http.schemas.issues import LONG, NAME, REASON

STATES = ("open", "overdue", "retired", "all")


class RegisterWorkaroundSchema(StrictSchema):
    """The fields of `POST /issues/{key}/workarounds`, and the issue they belong to, if any."""

    kind = choice(WorkaroundKind, required=True)
    description = text(LONG, required=True, metadata={"example": "Approvals by e-mail until workflow is configured"})
    retire_by = BoundedDate(required=True)
    owner = text(NAME)
    issue_key = fields.String(
        validate=validate.Regexp(f"^{ISSUE_KEY}$", error="must be an issue key like KZ-1"),
        metadata={"description": "the issue the workaround belongs to; without one it is a go-live compromise"},
    )


class RetireRegisteredSchema(StrictSchema):
    note = text(REASON)


class RescheduleWorkaroundSchema(StrictSchema):
    retire_by = BoundedDate(required=True)
    reason = text(REASON)


class RegisterQuerySchema(MinPositionSchema):
    state = fields.String(load_default="open", validate=validate.OneOf(STATES))
    owner = query_text(200)
    kind = choice(WorkaroundKind)
    module = choice(Module)
    limit = query_integer(1, 500, load_default=500)


class WorkaroundSchema(Schema):
    """One workaround: an issue's (`issue_key` set, `workaround_id` like `w1`) or a go-live
    compromise (`issue_key` null, `workaround_id` its `WA-` key)."""

    workaround_id = fields.String(required=True)
    issue_key = fields.String(required=True, allow_none=True)
    kind = fields.String(required=True)
    description = fields.String(required=True)
    owner = fields.String(required=True)
    retire_by = fields.Date(required=True)
    recorded_at = out_datetime(required=True)
    retired_at = out_datetime(required=True, allow_none=True)
    note = fields.String(required=True, allow_none=True)
    overdue = fields.Boolean(required=True)
    days_overdue = fields.Integer(required=True)


class WorkaroundAnswerSchema(WorkaroundSchema):
    version = fields.Integer(required=True, metadata={"description": "the version of the issue or compromise"})


class RegisterRowSchema(WorkaroundSchema):
    title = fields.String(required=True, allow_none=True)
    module = fields.String(required=True, allow_none=True)
    rescheduled = fields.Integer(required=True)


class RegisterSchema(Schema):
    items = fields.List(fields.Nested(RegisterRowSchema), required=True)
    next_cursor = fields.String(required=True, allow_none=True)
