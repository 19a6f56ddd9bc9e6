"""The one place that reads request bodies: counted, never cut short, 413 past the route's limit.

Werkzeug 3.1 trusts `Content-Length`, and a chunked body has none: its stream, limited by
`MAX_CONTENT_LENGTH`, simply stops there, so a 1.2 MB chunked import used to be applied up to
its first MiB and answered 200, and a long chunked JSON command read as "not valid JSON". Here
the server's own input stream (`wsgi.input`, which gunicorn de-chunks and ends) is read with a
byte count instead, and a body that goes past the limit is refused as a whole with 413.

Most routes take small JSON bodies: the middleware reads them with `read_body` (1 MiB) before
the route runs. A route that takes large bodies (the import) is marked `@streams_body` and
spools its own with `spool_body`, to a temporary file, so a 64 MiB import is not held in memory.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from typing import IO, Any, TypeVar

from flask import Request, request

from interfaces.http.problems import Problem

READ_SIZE = 64 * 1024
SPOOL_IN_MEMORY = 1024 * 1024  # a spooled body moves to a temporary file past this
STREAMS_BODY = "_kaizen_streams_body"
View = TypeVar("View", bound=Callable[..., Any])


def streams_body(view: View) -> View:
    """Mark a view that reads its own body (with `spool_body`): the middleware leaves it unread."""
    setattr(view, STREAMS_BODY, True)
    return view


def too_large(limit: int) -> Problem:
    return Problem(413, f"the body is over this endpoint's limit of {describe(limit)}")


def describe(limit: int) -> str:
    mib = limit / (1024 * 1024)
    return f"{mib:g} MiB" if mib >= 1 else f"{limit:,} bytes"


def _chunks(req: Request, limit: int) -> Any:
    """The body's bytes in pieces; 413 as soon as the count passes `limit`, before it is all read.

    With a `Content-Length` exactly that many bytes are read (a declared length over the limit
    is refused without reading). Without one, the body is read to its end only when the server
    says it ends the stream (`wsgi.input_terminated`: gunicorn, Werkzeug's server for chunked
    bodies) or the request is chunked; anything else has no body, as in Werkzeug.
    """
    environ = req.environ
    stream = environ.get("wsgi.input")
    declared = req.content_length
    if stream is None:
        return
    if declared is not None and declared > limit:
        raise too_large(limit)
    chunked = "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower()
    if declared is None and not (chunked or environ.get("wsgi.input_terminated")):
        return
    remaining = declared
    count = 0
    while remaining is None or remaining > 0:
        try:
            piece = stream.read(READ_SIZE if remaining is None else min(READ_SIZE, remaining))
        except TimeoutError:  # the server's socket timeout (interfaces/slow_clients.py)
            raise Problem(408, "the body arrived too slowly", slug="request-timeout") from None
        if not piece:
            if remaining:  # the client went away, or lied about the length
                raise Problem(400, "the body ended before its Content-Length")
            return
        count += len(piece)
        if count > limit:
            raise too_large(limit)
        if remaining is not None:
            remaining -= len(piece)
        yield piece


def read_body(limit: int, req: Request | None = None) -> bytes:
    """The whole body (at most `limit` bytes, else 413), cached where Flask looks for it, so
    `get_json`, `get_data` and form parsing all see these bytes and never read the stream again."""
    req = req or request
    cached = getattr(req, "_cached_data", None)
    if cached is not None:
        if len(cached) > limit:
            raise too_large(limit)
        return bytes(cached)
    data = b"".join(_chunks(req, limit))
    req._cached_data = data  # Werkzeug's own cache of get_data
    return data


def spool_body(limit: int, req: Request | None = None) -> IO[bytes]:
    """The body in a seekable binary file positioned at 0 (memory up to 1 MiB, then disk); 413
    past `limit`, and then nothing of it is kept. The caller closes the file."""
    req = req or request
    spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY, mode="w+b")  # noqa: SIM115  # the caller closes it
    try:
        for piece in _chunks(req, limit):
            spool.write(piece)
    except BaseException:
        spool.close()
        raise
    spool.seek(0)
    return spool
