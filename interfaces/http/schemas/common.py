"""Building blocks shared by every resource's schemas: strictness, text rules, problems, pages."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from marshmallow import INCLUDE, RAISE, Schema, ValidationError, fields, missing, post_load, validate, validates_schema

from domain import values
from domain.errors import InvalidCommand

CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
EARLIEST_YEAR, LATEST_YEAR = values.EARLIEST.year, values.LATEST.year - 1
SLUG = r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$"
HISTORY_CURSOR = re.compile(r"[0-9]{1,10}")


def no_control_characters(value: str) -> None:
    """Tabs and newlines are text; NUL and other C0/C1 control characters are not (PostgreSQL
    refuses NUL), nor are lone surrogates (valid in JSON escapes, impossible to store as UTF-8).
    The rule is the domain's own (`domain.values`), so a body and a command never disagree."""
    try:
        values.refuse_control_characters(value, "text", multiline=True)
    except InvalidCommand:
        raise ValidationError("must not contain control characters or unpaired surrogates") from None


class UtcDateTime(fields.AwareDateTime):
    """RFC 3339 with an offset, converted to UTC on the way in.

    Bounded to the domain's years (1970-2200, `domain.values`): an extreme offset near year 1 or
    9999 cannot even be converted to UTC, and stored events must always be presentable.
    """

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> datetime:
        parsed: datetime = super()._deserialize(value, attr, data, **kwargs)
        try:
            values.moment(parsed, "time")
        except InvalidCommand:
            raise ValidationError(f"must be between {EARLIEST_YEAR} and {LATEST_YEAR} in any offset") from None
        return parsed.astimezone(UTC)


class BoundedDate(fields.Date):
    """A calendar date within the domain's years (1970-2200), like every stored time."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        parsed = super()._deserialize(value, attr, data, **kwargs)
        if not EARLIEST_YEAR <= parsed.year <= LATEST_YEAR:
            raise ValidationError(f"must be between {EARLIEST_YEAR} and {LATEST_YEAR}")
        return parsed


class FlatList(fields.List):  # type: ignore[type-arg]
    """A list of flat objects (an issue's comments, a page of history), dumped with the nested
    schema's own fields but without a `Schema.dump` per item: that per-item machinery made the
    answer for an issue with a thousand comments slow (bench/history.py). Same JSON, same OpenAPI (it is a
    `List` of `Nested`); only for schemas without hooks whose fields are read by name."""

    def __init__(self, schema: type[Schema], **kwargs: Any) -> None:
        super().__init__(fields.Nested(schema), **kwargs)
        instance = schema()
        if any(instance._hooks.values()) or any(f.dump_default is not missing for f in instance.dump_fields.values()):
            raise TypeError(f"{schema.__name__} has hooks or dump defaults; use fields.List(fields.Nested(...))")
        # A str in a plain String field is dumped as itself: skip the call.
        self._plan = [
            (field.attribute or name, field.data_key or name, field, type(field) is fields.String)
            for name, field in instance.dump_fields.items()
        ]

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> list[dict[str, Any]] | None:
        if value is None:
            return None
        plan = self._plan
        return [
            {
                key: raw if plain and type(raw) is str else field._serialize(raw, source, item)
                for source, key, field, plain in plan
                if (raw := item.get(source, missing)) is not missing
            }
            for item in value
        ]


class StrictSchema(Schema):
    """Unknown fields are an error (422), never silently dropped: a typo must not pass as success."""

    class Meta:
        unknown = RAISE


def text(max_length: int, *, required: bool = False, **kwargs: Any) -> fields.String:
    """A free-text field: non-empty, bounded, no control characters; optional ones may be null."""
    return fields.String(
        required=required,
        allow_none=not required,
        validate=[validate.Length(min=1, max=max_length), no_control_characters],
        **kwargs,
    )


def choice(values: Any, *, required: bool = False, **kwargs: Any) -> fields.String:
    """One of a closed vocabulary (a StrEnum or a list of strings)."""
    options = [str(getattr(v, "value", v)) for v in values]
    return fields.String(
        required=required,
        allow_none=not required and "load_default" not in kwargs,
        validate=validate.OneOf(options),
        **kwargs,
    )


def vendor_field(*, required: bool = False, **kwargs: Any) -> fields.String:
    return fields.String(
        required=required,
        validate=validate.Regexp(SLUG, error="must be a vendor slug like sap"),
        metadata={"example": "sap"},
        **kwargs,
    )


def aware_datetime(*, required: bool = False, **kwargs: Any) -> fields.AwareDateTime:
    """RFC 3339 with an offset: a time without one is ambiguous across the company's sites."""
    return UtcDateTime(required=required, allow_none=not required, format="iso", **kwargs)


def out_datetime(**kwargs: Any) -> fields.DateTime:
    """An answer's time: UTC, RFC 3339."""
    return fields.DateTime(format="iso", **kwargs)


class ProblemSchema(Schema):
    """RFC 9457 problem details, with the extensions this API adds (others may follow: RFC 9457 allows them)."""

    class Meta:
        unknown = INCLUDE

    type = fields.String(required=True, metadata={"example": "https://kaizen-desk.example/problems/not-found"})
    title = fields.String(required=True)
    status = fields.Integer(required=True)
    detail = fields.String(required=True)
    instance = fields.String(required=True)
    request_id = fields.String(allow_none=True)
    errors = fields.Dict(
        keys=fields.String(),
        values=fields.List(fields.String()),
        metadata={"description": "validation errors by field"},
    )
    current_state = fields.String(allow_none=True, metadata={"description": "409: the aggregate's status"})
    state = fields.Dict(allow_none=True, metadata={"description": "409: the aggregate as it is now"})
    current_version = fields.Integer(metadata={"description": "412: the aggregate's current version"})


# -- query parameters: one field per kind, used by every route and by the console ---------------
# A query value goes into SQL (a filter, a cursor, a position) or into date arithmetic (a period,
# a point in time), so each kind is bounded here by the rules `domain.values` holds stored values
# to. A value outside them is a 422 naming the parameter, never a 500 from the database.
CURSOR_LIMIT = 500
CURSOR = validate.Regexp(r"^[A-Za-z0-9_=-]+$", error="is not a cursor this server gave")


def single_line(value: str) -> None:
    """No control character at all (NUL, CR, LF, tab, C1): a filter is one line of text, and
    PostgreSQL's text type cannot even hold a NUL."""
    try:
        values.refuse_control_characters(value, "value", multiline=False)
    except InvalidCommand:
        raise ValidationError("must not contain control characters") from None


def query_text(max_length: int, **kwargs: Any) -> fields.String:
    """A text filter (`?text=`, `?site=`, `?reporter=`, `?vendor=`): one line, 1 to `max_length`."""
    return fields.String(validate=[validate.Length(min=1, max=max_length), single_line], **kwargs)


def query_integer(minimum: int = 0, maximum: int = values.LARGEST_INTEGER, **kwargs: Any) -> fields.Integer:
    """A whole number within a bigint column (or narrower): `?after=`, `?limit=`, `?version=`."""
    return fields.Integer(strict=False, validate=validate.Range(min=minimum, max=maximum), **kwargs)


LARGEST_POSITION = 2**62
"""More events than any log will hold, with headroom: the store adds to a position it is given
(`after + 1`, `after + limit`), and past 2**63 - 1 SQLite refuses to bind the sum."""


def position_parameter(**kwargs: Any) -> fields.Integer:
    """`?min_position=`, `?after=`: a position in the log (the `X-Event-Position` a command answered)."""
    kwargs.setdefault("metadata", {"description": "wait briefly until the views have applied this position"})
    return query_integer(0, LARGEST_POSITION, **kwargs)


def query_time(**kwargs: Any) -> UtcDateTime:
    """A point in time (`?from=`, `?to=`, `?as_of=`, `?at=`): RFC 3339 with an offset, 1970-2200."""
    return UtcDateTime(format="iso", **kwargs)


def cursor_parameter(**kwargs: Any) -> fields.String:
    """`?cursor=`: what `next_cursor` gave, passed back unchanged; its contents are checked by
    whoever issued it (a forged one is a 422 there too)."""
    return fields.String(validate=[validate.Length(min=1, max=CURSOR_LIMIT), CURSOR, single_line], **kwargs)


class PageSchema(StrictSchema):
    """`?limit=` (default 50, max 500) and `?cursor=`: every list of the contract pages the same way."""

    limit = query_integer(1, 500, load_default=50)
    cursor = cursor_parameter()


class PageQuerySchema(PageSchema):
    """A page of a view: the views may trail the log, so a caller can wait for its own write."""

    min_position = position_parameter()


class HistoryEntrySchema(Schema):
    type = fields.String(required=True)
    version = fields.Integer(required=True)
    actor = fields.String(required=True)
    actor_role = fields.String(required=True)
    via = fields.String(allow_none=True)
    occurred_at = out_datetime(required=True)
    recorded_at = out_datetime(required=True)
    data = fields.Dict(required=True)
    hash = fields.String(allow_none=True)


class HistoryQuerySchema(PageSchema):
    """A page of an aggregate's events, oldest first, read from the log itself (never behind, so
    no `min_position`). The cursor is the last version the previous page gave, as a string:
    clients pass `next_cursor` back unchanged; loaded as `after` (0: from the first event)."""

    @post_load
    def after_version(self, data: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        cursor = data.pop("cursor", None)
        if cursor is not None and not (HISTORY_CURSOR.fullmatch(cursor) and int(cursor) <= 2**31):
            raise ValidationError("is not a cursor this history gave", "cursor")
        data["after"] = int(cursor) if cursor is not None else 0
        return data


class HistorySchema(Schema):
    items = FlatList(HistoryEntrySchema, required=True)
    next_cursor = fields.String(allow_none=True, required=True, metadata={"description": "null on the last page"})


class NoBodySchema(StrictSchema):
    """Commands that carry nothing but the path (a vote): an empty object, or no body at all."""


class VersionQuerySchema(StrictSchema):
    """`?version=n` or `?as_of=<time>[&axis=recorded|occurred]`: the aggregate as it was."""

    version = query_integer(1, 2**31)
    as_of = query_time()
    axis = fields.String(load_default="recorded", validate=validate.OneOf(["recorded", "occurred"]))

    @validates_schema
    def one_of_version_or_time(self, data: dict[str, Any], **kwargs: Any) -> None:
        if data.get("version") is not None and data.get("as_of") is not None:
            raise ValidationError("give either version or as_of, not both", "as_of")
