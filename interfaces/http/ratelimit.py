"""429 rate limiting: a token bucket per caller, in this process, before a route touches the store.

Who is a caller: the authenticated token's subject (so two tokens of one person share a bucket,
and an app counts once whoever it acts for); on the console, the signed session's subject;
otherwise (the OpenAPI document, the sign-in page, unknown URLs) the client address. The
operations endpoints (`/healthz`, `/readyz`, `/metrics`) are never limited: a load balancer or
a scraper must not be told to back off from the probes that decide whether to send traffic.

The buckets live in the process: under gunicorn each worker keeps its own, so with N workers a
caller may get up to N times the configured rate. That is deliberate: a shared store (Redis,
the database) would cost a round trip on every request to stop a few runaway clients.

Memory is bounded: a bucket that has refilled to its burst is the same as no bucket, so idle
ones are dropped as requests pass, and the map never holds more than `max_keys` callers (the
least recently seen goes first), whatever a flood of distinct addresses does.
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from flask import Flask, Response, current_app, g, request, session

from interfaces.http import metrics
from interfaces.http.problems import Problem
from interfaces.http.settings import RateLimit

EXTENSION = "kaizen_rate_limiter"
NEVER_LIMITED = frozenset({"/healthz", "/readyz", "/metrics"})
MAX_KEYS = 10_000
# How many idle buckets one request may drop: amortised O(1) work, yet the map drains quickly.
PRUNE_PER_CALL = 2


@dataclass(frozen=True)
class Decision:
    """The answer for one request: allowed or not, and if not, how many seconds to wait."""

    allowed: bool
    retry_after: int = 0


@dataclass
class _Bucket:
    tokens: float
    updated: float


class TokenBucketLimiter:
    """Token buckets by key: `rate` tokens per second refill up to `burst`; a request takes one.

    Thread-safe (gunicorn's gthread workers answer several requests at once). `clock` is a
    monotonic clock in seconds, injectable so tests move time by hand instead of sleeping.
    """

    def __init__(
        self,
        limit: RateLimit,
        clock: Callable[[], float] = time.monotonic,
        max_keys: int = MAX_KEYS,
    ) -> None:
        if max_keys < 1:
            raise ValueError("max_keys must be at least 1")
        self.limit = limit
        self.clock = clock
        self.max_keys = max_keys
        self._buckets: OrderedDict[str, _Bucket] = OrderedDict()
        self._lock = threading.Lock()
        # After this long without a request a bucket is full again, i.e. worth forgetting.
        self._refill_seconds = limit.burst / limit.rate

    def __len__(self) -> int:
        return len(self._buckets)

    def acquire(self, key: str) -> Decision:
        """Take one token from `key`'s bucket, or say how long until one is there."""
        rate, burst = self.limit.rate, self.limit.burst
        with self._lock:
            now = self.clock()
            self._prune(now)
            bucket = self._buckets.get(key)
            if bucket is None:
                bucket = _Bucket(tokens=float(burst), updated=now)
                self._buckets[key] = bucket
                while len(self._buckets) > self.max_keys:
                    self._buckets.popitem(last=False)
            else:
                self._buckets.move_to_end(key)
                elapsed = max(0.0, now - bucket.updated)  # a clock that steps back refills nothing
                bucket.tokens = min(float(burst), bucket.tokens + elapsed * rate)
                bucket.updated = now
            if bucket.tokens >= 1.0:
                bucket.tokens -= 1.0
                return Decision(allowed=True)
            wait = (1.0 - bucket.tokens) / rate
        return Decision(allowed=False, retry_after=max(1, math.ceil(wait)))

    def _prune(self, now: float) -> None:
        """Forget the least recently seen buckets that have refilled completely since."""
        for _ in range(PRUNE_PER_CALL):
            if not self._buckets:
                return
            key, oldest = next(iter(self._buckets.items()))
            if now - oldest.updated < self._refill_seconds:
                return
            del self._buckets[key]


def build(limit: RateLimit | None, clock: Callable[[], float]) -> TokenBucketLimiter | None:
    """The limiter for these settings, or None when rate limiting is off."""
    return None if limit is None else TokenBucketLimiter(limit, clock)


def caller_key() -> tuple[str, str]:
    """(kind, key) of the bucket this request draws from: the subject if known, else the address.

    The console's session cookie is signed with the app's key, so its subject cannot be forged;
    it is read only on console pages so that API answers do not gain a `Vary: Cookie`.
    """
    found = g.get("caller")
    if found is not None:
        return "principal", f"subject:{found.principal.subject}"
    if request.blueprint == "console":
        subject = session.get("sub")
        if isinstance(subject, str) and subject:
            return "principal", f"subject:{subject}"
    return "address", f"address:{request.remote_addr or 'unknown'}"


def _describe(limit: RateLimit) -> str:
    """The limit in the unit it was probably configured in (`120/min` reads as per minute)."""
    rate = f"{limit.rate:g} requests per second" if limit.rate >= 1 else f"{limit.rate * 60:g} requests per minute"
    return f"{rate} with bursts of {limit.burst}"


def limit_request() -> None:
    """429 when the caller's bucket is empty; runs after authentication, before the body or route."""
    limiter: TokenBucketLimiter | None = current_app.extensions.get(EXTENSION)
    if limiter is None or request.path in NEVER_LIMITED:
        return
    kind, key = caller_key()
    decision = limiter.acquire(key)
    if decision.allowed:
        return
    metrics.rate_limited(kind)
    g.rate_limit_retry_after = decision.retry_after
    who = "this token's subject" if kind == "principal" else "this client address"
    raise Problem(
        429,
        f"too many requests from {who}: this server process allows {_describe(limiter.limit)}; "
        f"retry after {decision.retry_after} s",
        headers={"Retry-After": str(decision.retry_after)},
    )


def _retry_after(response: Response) -> Response:
    """The console answers a 429 with its own HTML page; give it the same `Retry-After`."""
    seconds = g.get("rate_limit_retry_after")
    if response.status_code == 429 and seconds and "Retry-After" not in response.headers:
        response.headers["Retry-After"] = str(seconds)
    return response


def install(app: Flask, limit: RateLimit | None, clock: Callable[[], float]) -> None:
    """Keep this app's limiter (None: off) where `limit_request` finds it."""
    app.extensions[EXTENSION] = build(limit, clock)
    app.after_request(_retry_after)
