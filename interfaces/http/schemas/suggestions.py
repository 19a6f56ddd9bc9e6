"""Request and answer shapes of the suggestion routes (field names from docs/reference.md)."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from domain.money import ISO_4217
from domain.vocabulary import Module, SuggestionStatus, Visibility
from interfaces.http.schemas.attachments import AttachmentSchema
from interfaces.http.schemas.common import FlatList, PageQuerySchema, StrictSchema, choice, out_datetime, text

SUGGESTION_KEY = r"^SG-[1-9][0-9]{0,9}$"
SCORE = validate.Range(min=1, max=5)


class SubmitSchema(StrictSchema):
    title = text(300, required=True, metadata={"example": "Scan goods receipts on the handheld"})
    description = text(20_000, required=True)
    module = choice(Module, required=True)


class SuggestionCommentSchema(StrictSchema):
    body = text(20_000, required=True)
    visibility = choice(Visibility, load_default="public")


class MergeSchema(StrictSchema):
    into = fields.String(
        required=True,
        validate=validate.Regexp(SUGGESTION_KEY, error="must be a key like SG-1"),
        metadata={"example": "SG-3"},
    )


class ReviewSchema(StrictSchema):
    impact = fields.Integer(required=True, strict=True, validate=SCORE)
    effort = fields.Integer(required=True, strict=True, validate=SCORE)
    meeting = text(200)


class DecisionSchema(StrictSchema):
    outcome = choice(["planned", "declined"], required=True)
    target_release = text(100)
    reason = text(2_000)

    @validates_schema
    def what_each_outcome_needs(self, data: dict[str, Any], **kwargs: Any) -> None:
        if data.get("outcome") == "planned" and not data.get("target_release"):
            raise ValidationError("a planned suggestion needs a target_release", "target_release")
        if data.get("outcome") == "declined" and not data.get("reason"):
            raise ValidationError("a declined suggestion needs a reason", "reason")


class ImplementedSchema(StrictSchema):
    note = text(2_000)


class MoneySchema(StrictSchema):
    amount = fields.String(
        required=True,
        validate=validate.Regexp(r"^[0-9]{1,12}(\.[0-9]{1,4})?$", error="must be a decimal string like 120.00"),
        metadata={"example": "120.00"},
    )
    currency = fields.String(required=True, validate=validate.OneOf(sorted(ISO_4217)), metadata={"example": "HKD"})


class RewardSchema(StrictSchema):
    amount = fields.Nested(MoneySchema, required=True)
    note = text(2_000, required=True)


class SuggestionListQuerySchema(PageQuerySchema):
    sort = fields.String(load_default="votes", validate=validate.OneOf(["votes", "trending", "score", "recent"]))
    status = fields.String(validate=validate.OneOf([s.value for s in SuggestionStatus]))


# -- answers ----------------------------------------------------------------------------------
class SuggestionCommentOutSchema(Schema):
    id = fields.String(required=True)
    body = fields.String(required=True)
    visibility = fields.String(required=True)
    author = fields.String(required=True)
    at = out_datetime(required=True)


class ReviewOutSchema(Schema):
    impact = fields.Integer(required=True)
    effort = fields.Integer(required=True)
    meeting = fields.String(allow_none=True)
    at = out_datetime(required=True)


class DecisionOutSchema(Schema):
    outcome = fields.String(required=True)
    target_release = fields.String(allow_none=True)
    reason = fields.String(allow_none=True)
    at = out_datetime(required=True)


class RewardOutSchema(Schema):
    amount = fields.String(required=True)
    currency = fields.String(required=True)
    note = fields.String(required=True)
    recipient = fields.String(required=True)
    at = out_datetime(required=True)


class SuggestionSchema(Schema):
    key = fields.String(required=True, metadata={"example": "SG-3"})
    title = fields.String(required=True)
    description = fields.String(required=True)
    module = fields.String(required=True)
    submitter = fields.String(required=True)
    submitted_at = out_datetime(required=True)
    status = fields.String(required=True)
    votes = fields.Integer(required=True, metadata={"description": "number of distinct voters"})
    voted = fields.Boolean(required=True, metadata={"description": "whether the caller has voted"})
    comments = FlatList(SuggestionCommentOutSchema, required=True)
    attachments = fields.List(fields.Nested(AttachmentSchema), required=True)
    merged_into = fields.String(allow_none=True)
    merged_from = fields.List(fields.String(), required=True)
    review = fields.Nested(ReviewOutSchema, allow_none=True)
    decision = fields.Nested(DecisionOutSchema, allow_none=True)
    implemented_at = out_datetime(allow_none=True)
    rewards = fields.List(
        fields.Nested(RewardOutSchema),
        required=True,
        metadata={"description": "every reward for administrators and auditors; for others only their own"},
    )
    reward_count = fields.Integer(required=True, metadata={"description": "how many rewards were given"})
    updated_at = out_datetime(required=True)
    version = fields.Integer(required=True)


class DuplicateSchema(Schema):
    key = fields.String(required=True)
    title = fields.String(required=True)
    score = fields.Float(required=True)


class SubmittedSuggestionSchema(SuggestionSchema):
    possible_duplicates = fields.List(fields.Nested(DuplicateSchema), required=True)


class SuggestionListItemSchema(Schema):
    """One row of the ranking view (GET /suggestions)."""

    key = fields.String(required=True)
    title = fields.String(required=True)
    module = fields.String(required=True)
    status = fields.String(required=True)
    submitter = fields.String(required=True)
    submitted_at = out_datetime(required=True)
    votes = fields.Integer(required=True)
    impact = fields.Integer(allow_none=True)
    effort = fields.Integer(allow_none=True)
    merged_into = fields.String(allow_none=True)
    updated_at = out_datetime(required=True)
    trending = fields.Float(required=True, metadata={"description": "votes weighted by age (half-life 14 days)"})
    score = fields.Float(required=True, metadata={"description": "impact, effort and votes combined"})


class SuggestionPageSchema(Schema):
    items = fields.List(fields.Nested(SuggestionListItemSchema), required=True)
    next_cursor = fields.String(allow_none=True, required=True)
