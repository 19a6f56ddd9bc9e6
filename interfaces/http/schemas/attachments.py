"""The attachment's shape: what `AttachmentAdded` recorded, as the API shows it."""

from __future__ import annotations

from marshmallow import Schema, fields

from interfaces.http.schemas.common import out_datetime


class AttachmentSchema(Schema):
    id = fields.String(required=True, metadata={"example": "KZ-7-a1"})
    sha256 = fields.String(required=True, metadata={"description": "SHA-256 of the bytes, hex"})
    name = fields.String(required=True)
    content_type = fields.String(required=True)
    size = fields.Integer(required=True)
    uploaded_by = fields.String(required=True)
    uploaded_at = out_datetime(required=True)
    comment_id = fields.String(allow_none=True, metadata={"description": "the comment it was posted with"})
