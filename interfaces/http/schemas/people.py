"""Request and answer shapes of the people, groups and `/me` routes (docs/reference.md).

The bodies check shapes (unknown fields are a 422, like every body); what a valid id, role,
language or time zone is, the domain decides (`domain.person`, `domain.group`), so the API,
the console and the command line refuse the same values with the same words. A person's
answer never carries their password hash or the digests of their links and sessions.
"""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from domain.group import GROUP_KINDS
from domain.person import LANGUAGES
from interfaces.http.schemas.common import PageSchema, StrictSchema, VersionQuerySchema, choice, text

PERSON_ID = validate.Regexp(
    r"^[a-z0-9._-]{2,64}$", error="must be 2 to 64 of a-z, 0-9, '.', '_' or '-' (like ada.wong)"
)


def role_field() -> fields.String:
    return fields.String(validate=validate.Length(min=1, max=80), metadata={"example": "vendor:sap"})


ZONE = {"example": "Asia/Hong_Kong", "description": "an IANA time zone"}


def person_id_field(example: str = "ada.wong", *, required: bool = False) -> fields.String:
    return fields.String(required=required, validate=PERSON_ID, metadata={"example": example})


# -- commands ---------------------------------------------------------------------------------
class CreatePersonSchema(StrictSchema):
    id = person_id_field(required=True)
    name = text(200, required=True, metadata={"example": "Ada Wong 黃愛達"})
    email = text(254, required=True, metadata={"example": "ada.wong@example.com"})
    roles = fields.List(role_field(), required=True, validate=validate.Length(min=1, max=20))
    groups = fields.List(person_id_field(), load_default=list, validate=validate.Length(max=100))
    site = text(100)
    language = choice(LANGUAGES, load_default="en")
    time_zone = fields.String(load_default="UTC", validate=validate.Length(min=1, max=64), metadata=ZONE)


class UpdatePersonSchema(StrictSchema):
    """Any subset; a person may send only `name`, `language` and `time_zone` for themself."""

    name = fields.String(validate=validate.Length(min=1, max=200))
    email = fields.String(validate=validate.Length(min=1, max=254))
    roles = fields.List(role_field(), validate=validate.Length(min=1, max=20))
    groups = fields.List(person_id_field(), validate=validate.Length(max=100))
    site = text(100)
    language = fields.String(validate=validate.OneOf(LANGUAGES))
    time_zone = fields.String(validate=validate.Length(min=1, max=64), metadata=ZONE)


class MemberSchema(StrictSchema):
    person = person_id_field(required=True)
    duty = fields.String(
        allow_none=True, validate=validate.Length(min=1, max=64), metadata={"example": "technical_support"}
    )


class CreateGroupSchema(StrictSchema):
    id = person_id_field("multiable-team", required=True)
    name = text(200, required=True)
    kind = choice(GROUP_KINDS, required=True)
    vendor = fields.String(allow_none=True, validate=validate.Length(min=1, max=64), metadata={"example": "multiable"})
    members = fields.List(fields.Nested(MemberSchema), load_default=list, validate=validate.Length(max=500))


class UpdateGroupSchema(StrictSchema):
    """`members` is the whole list: who is not in it leaves the group."""

    name = fields.String(validate=validate.Length(min=1, max=200))
    members = fields.List(fields.Nested(MemberSchema), validate=validate.Length(max=500))


class CommandBodySchema(StrictSchema):
    """Commands that carry nothing but the path (deactivate, reset): `{}` or no body."""


# -- queries ----------------------------------------------------------------------------------
class DirectoryPageQuerySchema(PageSchema):
    """`?limit=` and `?cursor=` over people or groups, by id."""


class PersonQuerySchema(VersionQuerySchema):
    """`?version=n` or `?as_of=<time>`: the person, their roles and groups, as they were."""


# -- answers ----------------------------------------------------------------------------------
class PersonSchema(Schema):
    id = fields.String(required=True)
    name = fields.String(required=True)
    email = fields.String(required=True)
    roles = fields.List(fields.String(), required=True)
    groups = fields.List(fields.String(), required=True)
    site = fields.String(allow_none=True)
    language = fields.String(required=True)
    time_zone = fields.String(required=True)
    active = fields.Boolean(required=True)
    version = fields.Integer(required=True)


class EnrolmentSchema(PersonSchema):
    invitation_url = fields.String(
        allow_none=True,
        metadata={"description": "the one-time link to set a password (72 hours); null on an Idempotency-Key replay"},
    )


class PersonPageSchema(Schema):
    items = fields.List(fields.Nested(PersonSchema), required=True)
    next_cursor = fields.String(allow_none=True, required=True)


class MemberOutSchema(Schema):
    person = fields.String(required=True)
    duty = fields.String(allow_none=True)


class GroupSchema(Schema):
    id = fields.String(required=True)
    name = fields.String(required=True)
    kind = fields.String(required=True)
    vendor = fields.String(allow_none=True)
    members = fields.List(
        fields.Nested(MemberOutSchema),
        metadata={"description": "shown to administrators and auditors; others read the group's name"},
    )
    version = fields.Integer(required=True)


class GroupPageSchema(Schema):
    items = fields.List(fields.Nested(GroupSchema), required=True)
    next_cursor = fields.String(allow_none=True, required=True)


class MeSchema(Schema):
    """A person's token: their record, roles, groups, language and time zone; any other token:
    its subject and role (`person` null)."""

    subject = fields.String(required=True)
    role = fields.String(required=True, metadata={"description": "the role the caller acts with now"})
    person = fields.String(allow_none=True, required=True)
    id = fields.String()
    name = fields.String()
    email = fields.String()
    roles = fields.List(fields.String())
    groups = fields.List(fields.String())
    site = fields.String(allow_none=True)
    language = fields.String()
    time_zone = fields.String()
    active = fields.Boolean()
