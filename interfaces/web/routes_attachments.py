"""**Attach file** on the issue page, and the console's own links to a file and its thumbnail.

- POST /console/issues/<key>/attachments (button **Attach file**, `data-action="attachments"`):
  a multipart form (`file`, optional `comment`) that runs `desk.attach_to_issue`, as
  POST /api/v1/issues/{key}/attachments does; the body is spooled by `interfaces.http.uploads`
  before the CSRF check reads the form. Back to the issue, or the refusal (413, 415, 422) beside
  the form with the API's status; nothing is written then.
- POST /console/suggestions/<key>/attachments: the same form on the suggestion page, running
  `desk.attach_to_suggestion` (who may comment on a suggestion may attach).
- GET /console/attachments/<id> and /console/attachments/<id>/thumbnail: the API's download and
  thumbnail answers, for the signed-in person (an `<img>` cannot send a bearer token), read
  with exactly the API's check (`interfaces.http.attachments.readable_attachment`).
"""

from __future__ import annotations

from typing import Any

from flask import Response
from flask.typing import ResponseReturnValue
from marshmallow import fields

from application.context import Context, Receipt
from domain.attachment_types import AttachmentRefused
from interfaces.http.attachments import download_response, readable_attachment, thumbnail_response
from interfaces.http.problems import Problem
from interfaces.http.schemas.common import StrictSchema
from interfaces.http.services import desk
from interfaces.http.uploads import takes_upload, upload_from_request
from interfaces.web import routes_issues, routes_suggestions
from interfaces.web.blueprint import bp
from interfaces.web.forms import FormRefused, form_data
from interfaces.web.parameters import reads
from interfaces.web.session import require_viewer, require_writer


class AttachFormSchema(StrictSchema):
    """The form's text fields (the file part is read by `upload_from_request`)."""

    comment = fields.String(load_default=None)


def attach_upload(attach: Any, ctx: Context, key: str, comment: str | None) -> Receipt:
    """Run an attach command on the posted file; a refused file is the form's refusal."""
    try:
        receipt: Receipt = attach(ctx, key, upload_from_request(), comment=comment)
    except AttachmentRefused as exc:
        raise FormRefused(str(exc), {"file": [str(exc)]}, exc.status) from None
    return receipt


@bp.post("/issues/<key>/attachments")
@takes_upload
def attach_file(key: str) -> ResponseReturnValue:
    """**Attach file**: as POST /api/v1/issues/<key>/attachments."""

    def call(ctx: Context, body: dict[str, Any]) -> Receipt:
        return attach_upload(desk().attach_to_issue, ctx, key, body.get("comment"))

    return routes_issues._run(key, "attachments", AttachFormSchema, call)


@bp.post("/suggestions/<key>/attachments")
@takes_upload
def attach_file_to_suggestion(key: str) -> ResponseReturnValue:
    """**Attach file** on the suggestion page: as POST /api/v1/suggestions/<key>/attachments."""
    viewer = require_writer()
    routes_suggestions.check_key(key)
    if not routes_suggestions.may(viewer, "attachments"):
        raise Problem(403, f"role {viewer.role} may not attach files to suggestions")
    return routes_suggestions.run_suggestion_command(
        viewer,
        key,
        "attachments",
        lambda: form_data(AttachFormSchema),
        lambda ctx, body: attach_upload(desk().attach_to_suggestion, ctx, key, body.get("comment")),
    )


@bp.get("/attachments/<attachment_id>")
@reads()
def attachment(attachment_id: str) -> Response:
    return download_response(readable_attachment(attachment_id, require_viewer().actor))


@bp.get("/attachments/<attachment_id>/thumbnail")
@reads()
def attachment_thumbnail(attachment_id: str) -> Response:
    return thumbnail_response(readable_attachment(attachment_id, require_viewer().actor))
