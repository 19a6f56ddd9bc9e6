"""Attachment routes: upload onto an issue or suggestion, download, thumbnail.

Uploads are multipart (`interfaces.http.uploads` spools them; the application judges and
stores the bytes before the event). Downloads are always `Content-Disposition: attachment`
with `X-Content-Type-Options: nosniff`, and the allow-list has no HTML or SVG, so nothing
uploaded ever runs as a page of this site. Reading a file needs the right to read its issue or
suggestion, checked exactly as for them (404 otherwise).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

from flask import Response, request, stream_with_context

from adapters.thumbnails import NotAnImage, thumbnail
from application.attachments import owner_key
from application.context import Context, Receipt
from application.errors import NotFound
from domain.access import can_see_issue, can_see_suggestion
from domain.actor import Actor
from domain.attachment_types import IMAGES, AttachmentRefused
from domain.errors import DomainError
from domain.issue import Issue
from domain.keys import ISSUE_PREFIX
from interfaces.http import metrics
from interfaces.http.api import errors
from interfaces.http.auth import reader, writer
from interfaces.http.blueprint import Blueprint
from interfaces.http.commands import expected_version
from interfaces.http.presenters import attachments_view
from interfaces.http.problems import Problem
from interfaces.http.schemas.attachments import AttachmentSchema
from interfaces.http.services import desk
from interfaces.http.uploads import takes_upload, upload_from_request

blp = Blueprint("attachments", __name__, url_prefix="/api/v1", description="Files on issues, comments and suggestions")
UPLOAD_ERRORS = (401, 403, 404, 409, 412, 413, 415, 422, 503)
UPLOAD_BODY = {
    "required": True,
    "content": {
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "required": ["file"],
                "properties": {
                    "file": {"type": "string", "format": "binary"},
                    "comment": {"type": "string", "description": "an optional comment the file belongs to"},
                    "visibility": {"type": "string", "enum": ["public", "internal"]},
                },
            }
        }
    },
}
UNSAFE_FILENAME = str.maketrans({'"': "'", "\\": "_", "\r": " ", "\n": " "})


def refused(exc: AttachmentRefused) -> Problem:
    return Problem(exc.status, str(exc))


def _upload(kind: str, key: str, command: Any) -> tuple[dict[str, Any], int, dict[str, str]]:
    """One upload: the file judged and stored, then its event; answered with its facts.
    An Idempotency-Key is not honoured here (its fingerprint would need the whole body)."""
    upload = upload_from_request()
    comment = (request.form.get("comment") or "").strip() or None
    visibility = request.form.get("visibility") or "public"
    ctx = Context(actor=writer(), expected_version=expected_version())
    try:
        receipt: Receipt = command(ctx, key, upload, comment=comment, visibility=visibility)
    except AttachmentRefused as exc:
        raise refused(exc) from None
    metrics.command_accepted(receipt.kind, "attachments")
    attachment_id = receipt.extra["attachment_id"]
    found = next(a for a in attachments_view(receipt.aggregate, ctx.actor) if a["id"] == attachment_id)
    headers = {"ETag": f'"{receipt.aggregate.version}"', "Location": f"/api/v1/attachments/{attachment_id}"}
    if receipt.position is not None:
        headers["X-Event-Position"] = str(receipt.position)
    return found, 201, headers


@blp.route("/issues/<issue_key:key>/attachments", methods=["POST"])
@errors(blp, *UPLOAD_ERRORS)
@blp.response(201, AttachmentSchema)
@blp.doc(requestBody=UPLOAD_BODY)
@takes_upload
def attach_to_issue(key: str) -> tuple[dict[str, Any], int, dict[str, str]]:
    """Attach a file (multipart `file`, optional `comment`) to an issue: who may comment may attach"""
    return _upload("issue", key, desk().attach_to_issue)


@blp.route("/suggestions/<suggestion_key:key>/attachments", methods=["POST"])
@errors(blp, *UPLOAD_ERRORS)
@blp.response(201, AttachmentSchema)
@blp.doc(requestBody=UPLOAD_BODY)
@takes_upload
def attach_to_suggestion(key: str) -> tuple[dict[str, Any], int, dict[str, str]]:
    """Attach a file (multipart `file`, optional `comment`) to a suggestion"""
    return _upload("suggestion", key, desk().attach_to_suggestion)


def readable_attachment(attachment_id: str, viewer: Actor) -> dict[str, Any]:
    """The attachment's facts, or 404 for anyone who may not read its issue or suggestion."""
    missing = NotFound(f"attachment {attachment_id} was not found")
    try:
        key = owner_key(attachment_id)
        if key.startswith(f"{ISSUE_PREFIX}-"):
            issue: Issue = desk().get_issue(key)
            if not can_see_issue(viewer, issue):
                raise missing
            owner: Any = issue
        else:
            if not can_see_suggestion(viewer):
                raise missing
            owner = desk().get_suggestion(key)
    except (NotFound, ValueError, DomainError):  # a malformed key is no attachment either
        raise missing from None
    for found in attachments_view(owner, viewer):
        if found["id"] == attachment_id:
            return found
    raise missing


def content_disposition(name: str) -> str:
    """RFC 6266: an ASCII fallback and the exact name as UTF-8 `filename*`; always `attachment`."""
    fallback = name.encode("ascii", "replace").decode("ascii").replace("?", "_").translate(UNSAFE_FILENAME)
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


def _streamed(chunks: Iterator[bytes]) -> Iterator[bytes]:
    yield from chunks


BINARY = {"content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}}


@blp.route("/attachments/<string:attachment_id>", methods=["GET"])
@errors(blp, 401, 404, 503)
@blp.doc(responses={"200": {"description": "the file's bytes, as an attachment", **BINARY}})
def download(attachment_id: str) -> Response:
    """The file's bytes (always a download: `Content-Disposition: attachment`, `nosniff`)"""
    return download_response(readable_attachment(attachment_id, reader()))


def download_response(found: dict[str, Any]) -> Response:
    """The bytes of a readable attachment, streamed, as a download (the console's link too)."""
    chunks = desk().attachment_bytes(found["sha256"])
    answer = Response(stream_with_context(_streamed(chunks)), mimetype=found["content_type"])
    answer.headers["Content-Length"] = str(found["size"])
    answer.headers["Content-Disposition"] = content_disposition(found["name"])
    answer.headers["X-Content-Type-Options"] = "nosniff"
    answer.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    answer.headers["Cache-Control"] = "private, max-age=3600"
    answer.headers["ETag"] = f'"{found["sha256"]}"'
    return answer


@blp.route("/attachments/<string:attachment_id>/thumbnail", methods=["GET"])
@errors(blp, 401, 404, 422, 503)
@blp.doc(
    responses={
        "200": {
            "description": "a PNG thumbnail, at most 320 px",
            "content": {"image/png": {"schema": {"type": "string", "format": "binary"}}},
        }
    }
)
def thumbnail_of(attachment_id: str) -> Response:
    """A PNG thumbnail (at most 320 px) of an image attachment; 404 for other files"""
    return thumbnail_response(readable_attachment(attachment_id, reader()))


def thumbnail_response(found: dict[str, Any]) -> Response:
    """The PNG thumbnail of a readable image attachment (the console's `<img>` too)."""
    attachment_id = found["id"]
    if found["content_type"] not in IMAGES:
        raise Problem(404, f"attachment {attachment_id} is not an image and has no thumbnail")
    try:
        made = thumbnail(found["sha256"], desk().attachment_bytes(found["sha256"]))
    except NotAnImage:
        raise Problem(422, f"attachment {attachment_id} cannot be shown as a thumbnail") from None
    answer = Response(made, mimetype="image/png")
    answer.headers["X-Content-Type-Options"] = "nosniff"
    answer.headers["Content-Disposition"] = "inline"
    answer.headers["Cache-Control"] = "private, max-age=86400"
    return answer
