"""Request schemas of the continuous-improvement routes; unknown fields are a 422 (StrictSchema).

The schemas check shapes and ranges; the domain checks the rules (a decision's fields per kind,
the freeze document's calendar), so the same rules hold for the CLI and the importer.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from marshmallow import ValidationError, fields, validate

from domain.errors import InvalidCommand
from domain.health import Quarter
from domain.meeting import CADENCES, DECISION_KINDS, DEPARTMENTS, MAX_ATTENDEES
from domain.vocabulary import Module, Priority, WorkaroundKind
from interfaces.http.schemas.common import (
    BoundedDate,
    StrictSchema,
    choice,
    position_parameter,
    query_integer,
    query_text,
    query_time,
    text,
)

KEY = r"^(KZ|SG)-[1-9][0-9]{0,9}$"
WORKAROUND = r"^w[1-9][0-9]{0,5}$"


def a_quarter(value: str) -> None:
    """`?quarter=`: the domain's own parse (2000Q1 to 2100Q4), so the reports never see another."""
    try:
        Quarter.parse(value)
    except InvalidCommand:
        raise ValidationError("use a quarter like 2026Q3 (years 2000 to 2100)") from None


def quarter_parameter(**kwargs: Any) -> fields.String:
    return fields.String(validate=[validate.Length(max=6), a_quarter], metadata={"example": "2026Q3"}, **kwargs)


def ratio(name: str) -> fields.Float:
    return fields.Float(
        allow_none=True,
        validate=validate.Range(min=0.0, max=1.0),
        metadata={"description": f"{name}, from 0 to 1", "example": 0.9},
    )


class MinPositionSchema(StrictSchema):
    min_position = position_parameter()


class AttendeeSchema(StrictSchema):
    name = text(200, required=True)
    department = choice(DEPARTMENTS, required=True)


class ScheduleMeetingSchema(StrictSchema):
    cadence = choice(CADENCES, required=True)
    date = fields.Date(
        required=True,
        validate=validate.Range(min=date(2000, 1, 1), max=date(2199, 12, 31)),
        metadata={"example": "2026-07-15"},
    )
    title = text(300)
    attendees = fields.List(
        fields.Nested(AttendeeSchema), required=True, validate=validate.Length(min=1, max=MAX_ATTENDEES)
    )


class MeetingDecisionSchema(StrictSchema):
    """One decision; which fields it needs depends on `kind` (the domain says which, as a 422)."""

    kind = choice(DECISION_KINDS, required=True)
    subject = fields.String(
        allow_none=True,
        validate=validate.Regexp(KEY, error="must be a KZ- or SG- key"),
        metadata={"description": "the suggestion (SG-) or issue (KZ-) decided on"},
    )
    target_release = text(100)
    reason = text(1900)
    priority = choice(Priority)
    workaround_id = fields.String(allow_none=True, validate=validate.Regexp(WORKAROUND, error="like w1"))
    retire_by = BoundedDate(allow_none=True)
    impact = fields.Integer(allow_none=True, validate=validate.Range(min=1, max=5))
    effort = fields.Integer(allow_none=True, validate=validate.Range(min=1, max=5))
    owner = text(200, metadata={"description": "who follows the decision up: an active person's id or a group's"})
    due = BoundedDate(
        allow_none=True, metadata={"description": "by when the owner follows it up", "example": "2026-08-31"}
    )
    text = text(5000)  # last: the field's name hides the `text()` helper below it


class CloseMeetingSchema(StrictSchema):
    minutes = text(50_000, required=True)


class MeetingListQuerySchema(MinPositionSchema):
    limit = query_integer(1, 500, load_default=50)
    cursor = query_integer(1, metadata={"description": "the `next_cursor` of the previous page"})


class WorkaroundQuerySchema(MinPositionSchema):
    overdue = fields.Boolean(allow_none=True, load_default=None)
    state = fields.String(load_default="open", validate=validate.OneOf(["open", "retired", "all"]))
    owner = query_text(200)
    kind = choice(WorkaroundKind)
    module = choice(Module)
    limit = query_integer(1, 500, load_default=500)
    format = fields.String(validate=validate.OneOf(["json", "csv"]))


class FreezeDocumentSchema(StrictSchema):
    """The freeze document; its inner parts are validated by the domain, which names the path."""

    timezone = fields.String(required=True, metadata={"example": "Asia/Hong_Kong"})
    month_end = fields.Dict(
        allow_none=True, load_default=None, metadata={"example": {"last_working_days": 3, "first_working_days": 2}}
    )
    windows = fields.List(fields.Dict(), load_default=list)


FREEZE_SITE_DESCRIPTION = (
    "an issue's site (e.g. JKT): only the windows that freeze it (its own and those for every site);"
    " without it, every window"
)


class OccurrencesQuerySchema(StrictSchema):
    from_ = query_time(data_key="from", required=True)
    to = query_time(required=True)
    site = query_text(64, load_default=None, metadata={"description": FREEZE_SITE_DESCRIPTION})


class FreezeCheckQuerySchema(StrictSchema):
    at = query_time(required=True)
    site = query_text(64, load_default=None, metadata={"description": FREEZE_SITE_DESCRIPTION})


class MeasurementSchema(StrictSchema):
    module = choice(Module, required=True)
    data_accuracy = ratio("share of checked records that were right")
    process_execution_rate = ratio("share of the process run in the system")
    user_activity = ratio("share of licensed users active")
    source = text(200, metadata={"example": "erp-sync"})


class HealthQuerySchema(MinPositionSchema):
    quarter = quarter_parameter()
    format = fields.String(validate=validate.OneOf(["json", "csv", "html"]))


class TopQuerySchema(MinPositionSchema):
    quarter = quarter_parameter()
    format = fields.String(validate=validate.OneOf(["json", "csv"]))
