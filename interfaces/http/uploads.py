"""Multipart uploads (attachments) for the API and the console alike, never held in memory.

Every other body is read whole (1 MiB at most) by the middleware before the route runs. A view
marked `@takes_upload` is left alone by it (`bodies.streams_body`); before it (and before the
console's CSRF check, which reads the form) this hook spools the body, counted, into a
temporary file (`bodies.spool_body`: 413 past the attachment limit plus room for the other
fields), puts that file where Werkzeug reads the request from, and raises the 1 MiB limit to the
spooled one for this request only. Werkzeug then parses the form from the file, and keeps a file part larger
than 500 KB in a temporary file of its own: memory holds a chunk at a time.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask, current_app, g, request

from application.attachments import Upload, attachment_limit
from interfaces.http import bodies
from interfaces.http.problems import Problem

TAKES_UPLOAD = "_kaizen_takes_upload"
FORM_ROOM = 256 * 1024  # the multipart framing and the other fields (comment, csrf)
View = TypeVar("View", bound=Callable[..., Any])


def takes_upload(view: View) -> View:
    """Mark a view whose body is a multipart upload (spooled by `install`'s hook)."""
    setattr(view, TAKES_UPLOAD, True)
    return bodies.streams_body(view)


def _matched_view() -> Any:
    return current_app.view_functions.get(request.endpoint or "")


def _spool_upload() -> None:
    if request.method != "POST" or request.routing_exception is not None:
        return
    if not getattr(_matched_view(), TAKES_UPLOAD, False):
        return
    if request.mimetype != "multipart/form-data":
        return  # the view answers 415 (the API) or shows the form again (the console)
    limit = attachment_limit().max_bytes + FORM_ROOM
    spool = bodies.spool_body(limit)
    g.upload_spool = spool  # closed when the request ends
    spool.seek(0, 2)
    size = spool.tell()
    spool.seek(0)
    request.environ["wsgi.input"] = spool
    request.environ["CONTENT_LENGTH"] = str(size)
    request.environ.pop("HTTP_TRANSFER_ENCODING", None)
    request.environ["wsgi.input_terminated"] = True
    request.__dict__.pop("content_length", None)
    request.max_content_length = limit  # None would mean the app's 1 MiB again


def _close_spool(_exc: BaseException | None) -> None:
    spool = g.pop("upload_spool", None)
    if spool is not None:
        spool.close()


def install(app: Flask) -> None:
    """After the middleware's body guard (which leaves upload views alone), before any blueprint.
    `KAIZEN_ATTACHMENT_MAX_MB` and `KAIZEN_ATTACHMENT_STORE` are checked now, so a bad value stops
    the server at start with one line (ConfigurationError), not the first upload with a 500."""
    attachment_limit()
    _ = app.extensions["kaizen"].desk.blobs  # chooses the store; no connection is opened
    app.before_request(_spool_upload)
    app.teardown_request(_close_spool)


def upload_from_request(field: str = "file") -> Upload:
    """The uploaded file as the application takes it; 415 when the body is not multipart, 422
    without a file part."""
    if request.mimetype != "multipart/form-data":
        raise Problem(415, "send the file as multipart/form-data with a part named file")
    part = request.files.get(field)
    if part is None or not part.filename:
        raise Problem(422, "choose a file to attach", errors={field: ["a file is required"]})
    return Upload(stream=part.stream, name=part.filename, content_type=part.mimetype or None)
