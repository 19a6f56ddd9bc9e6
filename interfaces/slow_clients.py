"""gunicorn's gthread worker, except that a request is read whole before a thread is given to it.

Why: gthread hands a connection to one of its 4 threads as soon as the first bytes arrive, and
the thread then blocks in the parser for as long as the client likes. Forty sockets sending a
header line a second held every thread of every worker, and `/healthz` went unanswered for as
long as they kept going. Here the worker's own poller (the loop that already accepts
connections and watches kept-alive ones) reads the request line, the headers and a body of up
to `POLLER_BODY_BYTES` without blocking, and only a complete request goes to a thread, as a
buffering reverse proxy (nginx's `proxy_request_buffering`) would do. While it waits, a slow
client costs a socket and its bytes so far, never a thread.

Bounds (`SlowClientLimits`, from the environment, checked by `kaizen serve` before it forks):

- the request line and headers must arrive within `KAIZEN_HEADER_TIMEOUT_SECONDS` (10 s) of the
  connection's accept (on a kept-alive connection, of the next request's first byte), in total,
  however they trickle; else 408 and close (a connection that sent nothing is just closed);
- a body may pause at most `KAIZEN_BODY_TIMEOUT_SECONDS` (10 s) between two reads, in the poller
  and, for the rest of a body over `POLLER_BODY_BYTES` (only the import takes one), in the thread
  (a socket timeout, which also bounds a write to a client that stopped reading its answer);
- an idle kept-alive connection is closed after gunicorn's `keepalive` (5 s, interfaces/serve.py);
- headers over `MAX_HEADER_BYTES` answer 431 and close.

What the poller reads is handed to gunicorn's own parser (`unread`), unchanged but for an
`Expect: 100-continue` the poller answered itself, so request
parsing, its limits and its errors are gunicorn's. TLS and HTTP/2 prior knowledge, which
`kaizen serve` does not enable, fall back to plain gthread behaviour.
"""

from __future__ import annotations

import contextlib
import errno
import json
import selectors
import time
from collections.abc import Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any

from gunicorn.http2 import negotiation
from gunicorn.workers.gthread import TConn, ThreadWorker

from application.config import number_from_env

HEADER_TIMEOUT_ENV = "KAIZEN_HEADER_TIMEOUT_SECONDS"
BODY_TIMEOUT_ENV = "KAIZEN_BODY_TIMEOUT_SECONDS"
DEFAULT_HEADER_TIMEOUT = 10.0  # nginx's client_header_timeout is 60 s; a real client needs milliseconds
DEFAULT_BODY_TIMEOUT = 10.0
MAX_TIMEOUT = 300.0
MAX_HEADER_BYTES = 64 * 1024  # a bearer token and the usual headers are well under 2 KiB
POLLER_BODY_BYTES = 1024 * 1024 + 64 * 1024  # every JSON body within the 1 MiB limit, chunk framing included
READ_BYTES = 64 * 1024
OUT_OF_DESCRIPTORS = frozenset({errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM})
ACCEPT_PAUSE = 0.5
DRAIN_SECONDS = 1.0  # how long a thread may spend discarding a body the app did not read
TYPE_BASE = "https://kaizen-desk.example/problems/"


@dataclass(frozen=True)
class SlowClientLimits:
    header_seconds: float = DEFAULT_HEADER_TIMEOUT
    body_idle_seconds: float = DEFAULT_BODY_TIMEOUT


def limits_from_env(env: Mapping[str, str] | None = None) -> SlowClientLimits:
    """Both timeouts read now (seconds, 0 < t <= 300; unset or empty: 10). A bad value raises
    ConfigurationError naming the variable; 0 would close every connection, so it is refused."""
    from application.config import ConfigurationError

    values = []
    for name, default in ((HEADER_TIMEOUT_ENV, DEFAULT_HEADER_TIMEOUT), (BODY_TIMEOUT_ENV, DEFAULT_BODY_TIMEOUT)):
        seconds = number_from_env(name, default, MAX_TIMEOUT, "seconds", "10", env)
        if seconds <= 0:
            raise ConfigurationError(f"{name}={seconds:g}: expected seconds above 0 and at most {MAX_TIMEOUT:g}")
        values.append(seconds)
    return SlowClientLimits(header_seconds=values[0], body_idle_seconds=values[1])


def refusal(status: int, title: str, slug: str, detail: str) -> bytes:
    """A whole HTTP answer with a problem+json body, written by the poller itself (no app, no
    thread): the client learns why it was cut off, as it would from any other error."""
    body = json.dumps({"type": TYPE_BASE + slug, "title": title, "status": status, "detail": detail}).encode()
    head = (
        f"HTTP/1.1 {status} {title}\r\nContent-Type: application/problem+json\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    )
    return head.encode("latin-1") + body


CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"
TOO_SLOW = refusal(
    408, "Request Timeout", "request-timeout", "the request arrived too slowly; the connection is closed"
)
HEADERS_TOO_LARGE = refusal(
    431, "Request Header Fields Too Large", "headers-too-large", "the request headers are over 64 KiB"
)


class RequestBuffer:
    """One request's bytes as they arrive, and whether enough has arrived to hand it to a thread.

    `feed` answers "complete" (hand off), "more" (keep waiting) or "too-large" (431). It only
    has to find where the request ends: the header block, then `Content-Length` bytes or the
    chunked framing up to its last chunk and trailers. `Expect: 100-continue` is answered here
    (`send_continue`) and removed, so that body is read here too. Anything odd (a bad length,
    an unknown coding or expectation) is handed to gunicorn's parser as it is, which answers or
    rejects it.
    """

    def __init__(self) -> None:
        self.data = bytearray()
        self.body_start = -1  # index after the header block, once seen
        self.need: int | None = None  # total bytes for a Content-Length body
        self.chunk_pos = -1  # where the next chunk-size line starts, for a chunked body
        self.in_trailers = False
        self.scanned = 0
        self.send_continue = False  # the client waits for "100 Continue" before sending its body

    def feed(self, piece: bytes) -> str:
        self.data += piece
        if self.body_start < 0:
            end = self._header_end()
            if end < 0:
                return "too-large" if len(self.data) > MAX_HEADER_BYTES else "more"
            head = bytes(self.data[:end])
            lines = head.split(b"\n")
            kept = [line for line in lines if line.partition(b":")[0].strip().lower() != b"expect"]
            asked = [line.partition(b":")[2].strip().lower() for line in lines if line not in kept]
            expects = asked == [b"100-continue"] and lines[0].rstrip().endswith(b"HTTP/1.1")
            if expects:  # answered here, so its body is read here too: the parser must not answer it again
                head = b"\n".join(kept)
                self.data[:end] = head
                end = len(head)
            self.body_start = end
            framing = self._framing(head)
            if framing == "complete":
                return "complete"
            self.send_continue = expects
        if len(self.data) - self.body_start > POLLER_BODY_BYTES:
            return "complete"  # the rest is read by the thread (only the import takes such bodies)
        if self.need is not None:
            return "complete" if len(self.data) >= self.need else "more"
        return self._chunked()

    def _header_end(self) -> int:
        start = max(0, self.scanned - 3)
        self.scanned = len(self.data)
        crlf = self.data.find(b"\r\n\r\n", start)
        lf = self.data.find(b"\n\n", start)
        ends = [i + n for i, n in ((crlf, 4), (lf, 2)) if i >= 0]
        return min(ends) if ends else -1

    def _framing(self, head: bytes) -> str:
        fields: dict[str, str] = {}
        for line in head.split(b"\n")[1:]:
            name, sep, value = line.partition(b":")
            if sep:
                key = name.strip().lower().decode("latin-1")
                text = value.strip().decode("latin-1").lower()
                fields[key] = f"{fields[key]},{text}" if key in fields else text
        if "expect" in fields:  # not 100-continue, or HTTP/1.0: gunicorn's parser decides
            return "complete"
        coding = fields.get("transfer-encoding")
        if coding is not None:
            if coding.split(",")[-1].strip() != "chunked":
                return "complete"
            self.chunk_pos = self.body_start
            return "body"
        try:
            length = int(fields.get("content-length", "0"))
        except ValueError:
            return "complete"
        if length <= 0:
            return "complete"
        self.need = self.body_start + length
        return "body"

    def _chunked(self) -> str:
        data = self.data
        while True:
            eol = data.find(b"\r\n", self.chunk_pos)
            if eol < 0:
                return "more"
            line = bytes(data[self.chunk_pos : eol])
            if self.in_trailers:
                self.chunk_pos = eol + 2
                if not line:
                    return "complete"
                continue
            try:
                size = int(line.split(b";", 1)[0].strip(), 16)
            except ValueError:
                return "complete"  # gunicorn's parser rejects it
            if size == 0:
                self.in_trailers = True
                self.chunk_pos = eol + 2
                continue
            after = eol + 2 + size + 2
            if after > len(data):
                return "more"
            self.chunk_pos = after


class BufferedConn(TConn):  # type: ignore[misc, unused-ignore]  # gunicorn ships no types
    """A gthread connection that carries the bytes the poller read for its next request."""

    def __init__(self, cfg: Any, sock: Any, client: Any, server: Any, limits: SlowClientLimits) -> None:
        super().__init__(cfg, sock, client, server)
        self.limits = limits
        self.buffer = RequestBuffer()
        self.deadline = 0.0
        self.in_body = False

    def start_request(self, now: float) -> None:
        self.buffer = RequestBuffer()
        self.deadline = now + self.limits.header_seconds
        self.in_body = False

    def init(self) -> None:
        """Runs in the thread before each request: the parser gets what the poller read, and
        every later socket read or write waits at most the body timeout."""
        super().init()
        self.sock.settimeout(self.limits.body_idle_seconds)
        if self.buffer.data:
            self.parser.unreader.unread(bytes(self.buffer.data))
            self.buffer = RequestBuffer()


class BufferingThreadWorker(ThreadWorker):  # type: ignore[misc, unused-ignore]  # no types either
    """gthread whose poller reads each request before a thread sees it (see the module doc)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.limits = limits_from_env()
        self.reading: set[BufferedConn] = set()
        self.accept_after = 0.0

    def set_accept_enabled(self, enabled: bool) -> None:
        """gthread's run loop re-enables accepts on every turn; not during a pause (see accept)."""
        super().set_accept_enabled(enabled and time.monotonic() >= self.accept_after)

    def _plain(self, client: Any) -> bool:
        return bool(self.cfg.is_ssl) or bool(negotiation.prior_knowledge_allowed(self.cfg, client))

    def accept(self, listener: Any) -> None:
        try:
            client_sock, client_addr = listener.accept()
        except OSError as e:
            if e.errno in OUT_OF_DESCRIPTORS:  # too many sockets open: pause, do not die or spin
                self.log.warning("cannot accept a connection (%s); pausing accepts for %ss", e, ACCEPT_PAUSE)
                self.accept_after = time.monotonic() + ACCEPT_PAUSE
                self.set_accept_enabled(False)
                return
            if e.errno not in (errno.EAGAIN, errno.ECONNABORTED, errno.EWOULDBLOCK):
                raise
            return
        self.nr_conns += 1
        if self._plain(client_addr):
            self.enqueue_req(TConn(self.cfg, client_sock, client_addr, listener.getsockname()))
            return
        conn = BufferedConn(self.cfg, client_sock, client_addr, listener.getsockname(), self.limits)
        conn.start_request(time.monotonic())
        self._watch(conn)
        self._on_readable(conn, client_sock)  # the request often arrived with the connection

    def _watch(self, conn: BufferedConn) -> None:
        conn.sock.setblocking(False)
        self.reading.add(conn)
        self.poller.register(conn.sock, selectors.EVENT_READ, partial(self._on_readable, conn))

    def _unwatch(self, conn: BufferedConn) -> None:
        self.reading.discard(conn)
        with contextlib.suppress(OSError, KeyError, ValueError):
            self.poller.unregister(conn.sock)

    def _drop(self, conn: BufferedConn, answer: bytes | None = None) -> None:
        self._unwatch(conn)
        self.nr_conns -= 1
        if answer is not None:
            with contextlib.suppress(OSError):  # best effort: the socket is non-blocking, the answer small
                conn.sock.send(answer)
        conn.close()

    def _on_readable(self, conn: BufferedConn, _sock: Any) -> None:
        try:
            piece = conn.sock.recv(READ_BYTES)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            self._drop(conn)
            return
        if not piece:
            self._drop(conn)  # the client went away before finishing its request
            return
        self._fed(conn, piece)

    def _fed(self, conn: BufferedConn, piece: bytes) -> None:
        """Add bytes to the connection's request; hand it to a thread once it is whole."""
        state = conn.buffer.feed(piece)
        if conn.buffer.send_continue:
            conn.buffer.send_continue = False
            with contextlib.suppress(OSError):  # 25 bytes on a fresh socket: the buffer has room
                conn.sock.send(CONTINUE)
        if state == "too-large":
            self._drop(conn, HEADERS_TOO_LARGE)
        elif state == "complete":
            self._unwatch(conn)
            conn.data_ready = True
            self.enqueue_req(conn)
        else:
            if conn not in self.reading:
                self._watch(conn)
            if conn.buffer.body_start >= 0:  # a body is arriving: its clock is the idle time
                conn.in_body = True
                conn.deadline = time.monotonic() + self.limits.body_idle_seconds

    def on_client_socket_readable(self, conn: Any, client: Any) -> None:
        """A kept-alive connection starts its next request: read it here, not in a thread."""
        if not isinstance(conn, BufferedConn):
            super().on_client_socket_readable(conn, client)
            return
        self.keepalived_conns.remove(conn)
        conn.start_request(time.monotonic())
        self.reading.add(conn)
        self.poller.modify(client, selectors.EVENT_READ, partial(self._on_readable, conn))
        # Readable now: read at once rather than on the next turn of the loop, which would make
        # every kept-alive request wait once more for the GIL behind the busy threads.
        self._on_readable(conn, client)

    def finish_request(self, conn: Any, fs: Any) -> None:
        """As gthread, except that bytes of a next request already read (pipelining, or a body
        drain that read ahead) go back to the poller until that request is whole."""
        done = not fs.cancelled() and fs.exception() is None and fs.result()
        ahead = b""
        if isinstance(conn, BufferedConn) and self.alive and done and conn.parser is not None:
            ahead = conn.parser.unreader.take_buffered()
        if ahead:
            conn.start_request(time.monotonic())
            self._fed(conn, ahead)
            return
        super().finish_request(conn, fs)

    def murder_pending(self) -> None:
        """Also close connections whose request is overdue (408), once a second with the loop."""
        super().murder_pending()
        now = time.monotonic()
        for conn in [c for c in self.reading if c.deadline <= now]:
            self.log.debug("closing a connection whose request arrived too slowly: %s", conn.client)
            # A client that sent nothing yet (a browser's preconnect) is closed without a word,
            # as an idle kept-alive one is: it might be sending its request at this very moment.
            self._drop(conn, TOO_SLOW if conn.buffer.data else None)

    def _keepalive_after(self, conn: Any, keepalive: bool) -> bool:
        """Discard an unread body for at most 1 s (gthread: 5 s) before closing instead: a body
        the app did not want (a 401 import, say) must not hold a thread while it trickles in."""
        if not keepalive:
            return False
        return bool(conn.parser.finish_body(deadline=time.monotonic() + DRAIN_SECONDS))

    def handle_request(self, req: Any, conn: Any) -> bool:
        """A client that stops reading its answer for the body timeout is cut off, quietly."""
        try:
            return bool(super().handle_request(req, conn))
        except TimeoutError:
            self.log.debug("closing a connection whose client stopped reading: %s", conn.client)
            return False
