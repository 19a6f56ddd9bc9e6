"""Request and answer shapes of the issue routes (field names from docs/reference.md)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from domain.issue import LINK_KINDS
from domain.vocabulary import (
    ImpactClass,
    ImpactScope,
    IssueStatus,
    Module,
    Priority,
    Urgency,
    Visibility,
    WaitingOn,
    WorkaroundKind,
)
from interfaces.http.schemas.attachments import AttachmentSchema
from interfaces.http.schemas.common import (
    BoundedDate,
    FlatList,
    PageQuerySchema,
    StrictSchema,
    aware_datetime,
    choice,
    out_datetime,
    query_text,
    text,
    vendor_field,
)

LONG = 20_000
NAME = 200
REASON = 2_000


# -- commands ---------------------------------------------------------------------------------
class ReportSchema(StrictSchema):
    title = text(300, required=True, metadata={"example": "月结凭证无法过账 — GL posting fails"})
    description = text(LONG, required=True)
    module = choice(Module, required=True)
    impact_scope = choice(ImpactScope, required=True)
    urgency = choice(Urgency, required=True)
    vendor = vendor_field(load_default="internal")
    scenario = text(REASON)
    site = text(100)
    language = text(35, metadata={"example": "zh-HK"})
    noticed_at = aware_datetime(metadata={"description": "when the problem was first seen"})


class TriageSchema(StrictSchema):
    priority = choice(Priority)
    impact_scope = choice(ImpactScope)
    urgency = choice(Urgency)
    impact_class = choice(ImpactClass)
    assignee = text(NAME)
    reason = text(REASON, metadata={"description": "required when the priority differs from the matrix"})


class AssignSchema(StrictSchema):
    assignee = text(NAME, required=True)


class RespondSchema(StrictSchema):
    message = text(LONG, required=True)


class CommentSchema(StrictSchema):
    body = text(LONG, required=True)
    visibility = choice(Visibility, load_default="public")


class EscalateSchema(StrictSchema):
    vendor = vendor_field(required=True)
    vendor_ticket = text(NAME, required=True, metadata={"example": "SAP incident 0020751234"})
    vendor_priority = text(100, metadata={"example": "Very High"})
    override_reason = text(REASON, metadata={"description": "why an escalation beyond the incident quota is made"})


class VendorUpdateSchema(StrictSchema):
    message = text(LONG, required=True)


class WaitSchema(StrictSchema):
    on = choice(WaitingOn, required=True)
    reason = text(REASON, required=True)


class ResumeSchema(StrictSchema):
    reason = text(REASON)


class WorkaroundSchema(StrictSchema):
    kind = choice(WorkaroundKind, required=True)
    description = text(LONG, required=True)
    retire_by = BoundedDate(required=True)
    owner = text(NAME)


class RetireSchema(StrictSchema):
    note = text(REASON)


class ChangeSchema(StrictSchema):
    scheduled_for = aware_datetime(required=True)
    description = text(LONG, required=True)
    override_reason = text(REASON, metadata={"description": "needed inside a change-freeze window"})


class ResolveSchema(StrictSchema):
    resolution = text(LONG, required=True)
    root_cause = text(LONG)


class ReopenSchema(StrictSchema):
    reason = text(REASON, required=True)


class CloseSchema(StrictSchema):
    note = text(REASON)


class LinkSchema(StrictSchema):
    kind = choice(LINK_KINDS, required=True, metadata={"description": "this issue is `kind` the target"})
    target = text(20, required=True, metadata={"example": "KZ-7"})


# -- queries ----------------------------------------------------------------------------------
class IssueListQuerySchema(PageQuerySchema):
    status = fields.String(validate=validate.OneOf([s.value for s in IssueStatus]))
    vendor = query_text(64)
    priority = fields.String(validate=validate.OneOf([p.value for p in Priority]))
    impact_class = fields.String(validate=validate.OneOf([c.value for c in ImpactClass]))
    module = fields.String(validate=validate.OneOf([m.value for m in Module]))
    site = query_text(100)
    reporter = query_text(NAME)
    assignee = query_text(NAME, metadata={"description": "a person or group id, or `unassigned`"})
    group = query_text(NAME, metadata={"description": "assigned to this group or any of its members, or `unassigned`"})
    breached = fields.Boolean()
    text = query_text(200)


# -- answers ----------------------------------------------------------------------------------
class CommentOutSchema(Schema):
    id = fields.String(required=True)
    body = fields.String(required=True)
    visibility = fields.String(required=True)
    author = fields.String(required=True)
    role = fields.String(required=True)
    at = out_datetime(required=True)
    response = fields.Boolean(required=True, metadata={"description": "true for an administrator's response"})


class EscalationOutSchema(Schema):
    vendor = fields.String(required=True)
    vendor_ticket = fields.String(required=True)
    vendor_priority = fields.String(allow_none=True)
    escalated_at = out_datetime(required=True)
    vendor_labels = fields.Dict(
        keys=fields.String(), values=fields.String(), allow_none=True, metadata={"description": "labels it follows"}
    )
    fee = fields.Dict(
        keys=fields.String(),
        values=fields.String(),
        allow_none=True,
        metadata={"example": {"amount": "500.00", "currency": "USD"}},
    )
    quota_override_reason = fields.String(allow_none=True)


class VendorUpdateOutSchema(Schema):
    message = fields.String(required=True)
    author = fields.String(required=True)
    at = out_datetime(required=True)


class WorkaroundOutSchema(Schema):
    id = fields.String(required=True)
    kind = fields.String(required=True)
    description = fields.String(required=True)
    retire_by = fields.Date(required=True)
    owner = fields.String(required=True)
    recorded_at = out_datetime(required=True)
    retired_at = out_datetime(allow_none=True)
    note = fields.String(allow_none=True)


class ChangeOutSchema(Schema):
    id = fields.String(required=True)
    scheduled_for = out_datetime(required=True)
    description = fields.String(required=True)
    freeze_window = fields.String(allow_none=True)
    override_reason = fields.String(allow_none=True)


class LinkOutSchema(Schema):
    kind = fields.String(required=True)
    key = fields.String(required=True, metadata={"description": "the other issue"})
    direction = fields.String(
        required=True,
        metadata={"description": "`outward`: this issue is `kind` key; `inward`: key is `kind` this issue"},
    )
    at = out_datetime(required=True)


class IssueSchema(Schema):
    key = fields.String(required=True, metadata={"example": "KZ-7"})
    title = fields.String(required=True)
    description = fields.String(required=True)
    module = fields.String(required=True)
    scenario = fields.String(allow_none=True)
    impact_scope = fields.String(required=True)
    urgency = fields.String(required=True)
    priority = fields.String(required=True)
    impact_class = fields.String(required=True)
    vendor = fields.String(required=True)
    site = fields.String(allow_none=True)
    language = fields.String(allow_none=True)
    noticed_at = out_datetime(allow_none=True)
    reporter = fields.String(required=True)
    reported_at = out_datetime(required=True)
    status = fields.String(required=True)
    assignee = fields.String(allow_none=True)
    first_response_at = out_datetime(allow_none=True)
    escalation = fields.Nested(EscalationOutSchema, allow_none=True)
    waiting_reason = fields.String(allow_none=True)
    comments = FlatList(CommentOutSchema, required=True)
    vendor_updates = FlatList(VendorUpdateOutSchema, required=True)
    workarounds = fields.List(fields.Nested(WorkaroundOutSchema), required=True)
    changes = fields.List(fields.Nested(ChangeOutSchema), required=True)
    resolution = fields.String(allow_none=True)
    root_cause = fields.String(allow_none=True)
    resolved_at = out_datetime(allow_none=True)
    closed_at = out_datetime(allow_none=True)
    reopen_count = fields.Integer(required=True)
    links = fields.List(fields.Nested(LinkOutSchema), required=True)
    attachments = fields.List(fields.Nested(AttachmentSchema), required=True)
    affected_count = fields.Integer(required=True, metadata={"description": 'people who said "me too"'})
    affected = fields.Boolean(required=True, metadata={"description": 'whether the caller said "me too"'})
    affected_people = fields.List(
        fields.String(), metadata={"description": 'who said "me too" (administrators and auditors only)'}
    )
    updated_at = out_datetime(required=True)
    version = fields.Integer(required=True)


class IssueDuplicateSchema(Schema):
    key = fields.String(required=True)
    title = fields.String(required=True)
    status = fields.String(required=True)
    priority = fields.String(required=True)
    score = fields.Float(required=True)


class ReportedIssueSchema(IssueSchema):
    possible_duplicates = fields.List(
        fields.Nested(IssueDuplicateSchema), required=True, metadata={"description": "open issues with a similar title"}
    )


class AffectedSchema(Schema):
    """The answer to "me too": what the caller may glimpse of the issue (see domain.access)."""

    key = fields.String(required=True)
    title = fields.String(required=True)
    status = fields.String(required=True)
    affected_count = fields.Integer(required=True)
    affected = fields.Boolean(required=True)
    version = fields.Integer(required=True)


class IssueListItemSchema(Schema):
    key = fields.String(required=True)
    title = fields.String(required=True)
    status = fields.String(required=True)
    priority = fields.String(required=True)
    impact_class = fields.String(required=True)
    module = fields.String(required=True)
    vendor = fields.String(required=True)
    site = fields.String(allow_none=True)
    reporter = fields.String(required=True)
    assignee = fields.String(allow_none=True)
    reported_at = out_datetime(required=True)
    updated_at = out_datetime(required=True)
    version = fields.Integer(required=True)
    breached = fields.Boolean(required=True)


class IssuePageSchema(Schema):
    items = fields.List(fields.Nested(IssueListItemSchema), required=True)
    next_cursor = fields.String(allow_none=True, required=True)
