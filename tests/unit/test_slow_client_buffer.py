"""Where a request ends, as the slow-client worker's poller sees it (interfaces/slow_clients.py).

The poller hands a request to a thread only once it is whole; if it misjudged the end, a
thread would wait on a slow client again (too early) or a complete request would wait for a
deadline (too late). Fed one byte at a time as well as whole, as a slow client sends them.
"""

from __future__ import annotations

import pytest

from interfaces.slow_clients import (
    MAX_HEADER_BYTES,
    POLLER_BODY_BYTES,
    RequestBuffer,
    SlowClientLimits,
    limits_from_env,
)

GET = b"GET /healthz HTTP/1.1\r\nHost: a\r\n\r\n"
POST = b'POST /api/v1/issues HTTP/1.1\r\nHost: a\r\nContent-Length: 11\r\n\r\n{"a": "b"}\n'
CHUNKED = (
    b"POST /api/v1/import HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
    b"5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nX-Trailer: 1\r\n\r\n"
)


def states(request: bytes) -> list[str]:
    buffer = RequestBuffer()
    return [buffer.feed(request[i : i + 1]) for i in range(len(request))]


@pytest.mark.parametrize("request_bytes", [GET, POST, CHUNKED], ids=["get", "content-length", "chunked"])
def test_a_request_is_complete_at_its_last_byte_and_not_before(request_bytes: bytes) -> None:
    assert states(request_bytes) == ["more"] * (len(request_bytes) - 1) + ["complete"]
    assert RequestBuffer().feed(request_bytes) == "complete"


def test_a_body_that_has_not_all_arrived_keeps_the_request_waiting() -> None:
    buffer = RequestBuffer()
    assert buffer.feed(POST[:-3]) == "more" and buffer.body_start > 0
    assert buffer.feed(POST[-3:]) == "complete"
    chunked = RequestBuffer()
    assert chunked.feed(CHUNKED[: CHUNKED.index(b"0\r\n")]) == "more"  # the last chunk is missing


def test_expect_100_continue_is_answered_by_the_poller_and_removed_for_the_parser() -> None:
    buffer = RequestBuffer()
    head = b"POST /x HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n"
    assert buffer.feed(head) == "more" and buffer.send_continue
    assert buffer.feed(b"{}") == "complete"
    assert b"expect" not in bytes(buffer.data).lower() and bytes(buffer.data).endswith(b"\r\n\r\n{}")


def test_what_the_poller_cannot_judge_goes_to_gunicorns_parser_at_once() -> None:
    for odd in (
        b"POST /x HTTP/1.1\r\nContent-Length: lots\r\n\r\n",
        b"POST /x HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n",
        b"POST /x HTTP/1.1\r\nExpect: teapot\r\nContent-Length: 5\r\n\r\n",
        b"POST /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
    ):
        assert RequestBuffer().feed(odd) == "complete", odd


def test_pipelined_requests_complete_with_the_first() -> None:
    assert RequestBuffer().feed(GET + GET[:10]) == "complete"


def test_oversized_headers_and_bodies_stop_being_buffered() -> None:
    assert RequestBuffer().feed(b"GET / HTTP/1.1\r\nX: " + b"a" * MAX_HEADER_BYTES) == "too-large"
    big = b"POST /x HTTP/1.1\r\nContent-Length: 99999999\r\n\r\n"
    buffer = RequestBuffer()
    assert buffer.feed(big + b"a" * POLLER_BODY_BYTES) == "more"
    assert buffer.feed(b"a") == "complete"  # the thread reads the rest, each read bounded


def test_the_timeouts_are_read_like_the_other_bounded_settings() -> None:
    from application.config import ConfigurationError

    assert limits_from_env({}) == SlowClientLimits(10.0, 10.0)
    assert limits_from_env({"KAIZEN_HEADER_TIMEOUT_SECONDS": "3", "KAIZEN_BODY_TIMEOUT_SECONDS": "2.5"}) == (
        SlowClientLimits(3.0, 2.5)
    )
    for bad in ("0", "-1", "301", "soon"):
        with pytest.raises(ConfigurationError, match="KAIZEN_HEADER_TIMEOUT_SECONDS"):
            limits_from_env({"KAIZEN_HEADER_TIMEOUT_SECONDS": bad})
