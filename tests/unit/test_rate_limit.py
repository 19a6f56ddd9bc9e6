"""The token bucket and the settings read at start (`KAIZEN_RATE_LIMIT`, `KAIZEN_TOKEN_CACHE_SECONDS`,
`KAIZEN_PROJECTION_LINGER_MS`), without HTTP or a store.

Time is a hand-moved monotonic clock, so refills are exact and nothing sleeps.
"""

from __future__ import annotations

import pytest

from application.config import ConfigurationError
from interfaces import cli
from interfaces.http.ratelimit import TokenBucketLimiter
from interfaces.http.settings import (
    DEFAULT_RATE_LIMIT,
    DEFAULT_TOKEN_CACHE_SECONDS,
    RATE_LIMIT_ENV,
    TOKEN_CACHE_ENV,
    HttpSettings,
    RateLimit,
    parse_rate_limit,
    rate_limit_from_env,
    token_cache_from_env,
)
from projections.runner import FOLLOW_LINGER_SECONDS, LINGER_ENV, follow_linger_seconds


class Ticks:
    """A monotonic clock in seconds that tests move by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_burst_is_allowed_then_refused_with_the_seconds_to_wait() -> None:
    ticks = Ticks()
    limiter = TokenBucketLimiter(RateLimit(rate=0.5, burst=3), ticks)
    assert [limiter.acquire("lina").allowed for _ in range(3)] == [True, True, True]
    refused = limiter.acquire("lina")
    assert not refused.allowed
    assert refused.retry_after == 2  # one token every 2 s


def test_tokens_come_back_at_the_sustained_rate_and_never_beyond_the_burst() -> None:
    ticks = Ticks()
    limiter = TokenBucketLimiter(RateLimit(rate=10, burst=5), ticks)
    for _ in range(5):
        limiter.acquire("lina")
    assert not limiter.acquire("lina").allowed
    ticks.now += 0.1  # one token
    assert limiter.acquire("lina").allowed
    assert not limiter.acquire("lina").allowed
    ticks.now += 3600  # an hour idle still gives only the burst
    assert [limiter.acquire("lina").allowed for _ in range(6)] == [True] * 5 + [False]


def test_retry_after_is_at_least_one_second_even_for_fast_refills() -> None:
    ticks = Ticks()
    limiter = TokenBucketLimiter(RateLimit(rate=100, burst=1), ticks)
    limiter.acquire("lina")
    refused = limiter.acquire("lina")
    assert not refused.allowed and refused.retry_after == 1


def test_one_caller_emptying_its_bucket_leaves_another_untouched() -> None:
    limiter = TokenBucketLimiter(RateLimit(rate=1, burst=2), Ticks())
    for _ in range(3):
        limiter.acquire("lina")
    assert limiter.acquire("minh").allowed


def test_a_clock_that_steps_back_refills_nothing() -> None:
    ticks = Ticks()
    limiter = TokenBucketLimiter(RateLimit(rate=1, burst=1), ticks)
    limiter.acquire("lina")
    ticks.now -= 50
    assert not limiter.acquire("lina").allowed


def test_a_flood_of_distinct_callers_cannot_grow_the_map_past_its_cap() -> None:
    limiter = TokenBucketLimiter(RateLimit(rate=1, burst=5), Ticks(), max_keys=100)
    for n in range(5000):
        limiter.acquire(f"address:10.0.{n // 256}.{n % 256}")
    assert len(limiter) == 100


def test_idle_callers_are_forgotten_once_their_bucket_would_be_full_again() -> None:
    ticks = Ticks()
    limiter = TokenBucketLimiter(RateLimit(rate=10, burst=20), ticks)  # full again after 2 s
    for n in range(50):
        limiter.acquire(f"caller-{n}")
    ticks.now += 2.5
    for _ in range(30):
        limiter.acquire("busy")
        ticks.now += 0.01
    assert len(limiter) == 1


def test_the_most_recently_seen_caller_survives_eviction() -> None:
    ticks = Ticks()
    limiter = TokenBucketLimiter(RateLimit(rate=1, burst=2), ticks, max_keys=3)
    limiter.acquire("lina")
    limiter.acquire("lina")
    for n in range(2):
        limiter.acquire(f"other-{n}")
    limiter.acquire("lina")  # refused, but seen again: not the least recent any more
    limiter.acquire("other-2")
    assert not limiter.acquire("lina").allowed  # still empty: her bucket was kept


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("300/s,600", RateLimit(300.0, 600)),
        (" 50 / s , 80 ", RateLimit(50.0, 80)),
        ("0.5/s,3", RateLimit(0.5, 3)),
        ("120/min,10", RateLimit(2.0, 10)),
        ("10/s", RateLimit(10.0, 20)),  # burst defaults to two seconds' worth
        ("1/min", RateLimit(1 / 60, 1)),
        ("off", None),
        ("OFF", None),
        ("0", None),
    ],
)
def test_the_setting_accepts_rate_and_burst_or_off(value: str, expected: RateLimit | None) -> None:
    assert parse_rate_limit(value) == expected


@pytest.mark.parametrize("value", ["fast", "100", "100/h,5", "-5/s,10", "0/s,10", "100/s,0", "100/s,", "1e3/s"])
def test_a_bad_setting_is_one_clear_line_naming_the_variable(value: str) -> None:
    with pytest.raises(ConfigurationError) as raised:
        parse_rate_limit(value)
    message = str(raised.value)
    assert message.startswith(f"{RATE_LIMIT_ENV}={value!r}: expected")
    assert "\n" not in message


def test_unset_or_empty_means_the_default() -> None:
    assert rate_limit_from_env({}) == parse_rate_limit(DEFAULT_RATE_LIMIT) == RateLimit(300.0, 600)
    assert rate_limit_from_env({RATE_LIMIT_ENV: "  "}) == RateLimit(300.0, 600)


def test_http_settings_read_the_variable_when_made(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(RATE_LIMIT_ENV, "5/s,7")
    assert HttpSettings().rate_limit == RateLimit(5.0, 7)
    monkeypatch.setenv(RATE_LIMIT_ENV, "off")
    assert HttpSettings().rate_limit is None
    monkeypatch.setenv(RATE_LIMIT_ENV, "lots")
    with pytest.raises(ConfigurationError, match=RATE_LIMIT_ENV):
        HttpSettings()


def test_kaizen_serve_refuses_a_bad_value_in_one_line_before_starting(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import interfaces.serve

    def must_not_start(*args: object, **kwargs: object) -> None:
        raise AssertionError("the server started despite a bad KAIZEN_RATE_LIMIT")

    monkeypatch.setattr(interfaces.serve, "prepare_store", must_not_start)
    monkeypatch.setenv(RATE_LIMIT_ENV, "100 per second")
    assert cli.main(["serve", "--port", "8999"]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"kaizen: {RATE_LIMIT_ENV}='100 per second': expected")
    assert len(err.splitlines()) == 1


def test_the_token_window_is_read_from_its_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    assert token_cache_from_env({}) == DEFAULT_TOKEN_CACHE_SECONDS == 1.0
    assert token_cache_from_env({TOKEN_CACHE_ENV: "0"}) == 0.0
    assert token_cache_from_env({TOKEN_CACHE_ENV: " 2.5 "}) == 2.5
    for bad in ("-1", "soon", "nan", "301", "inf"):
        with pytest.raises(ConfigurationError, match=f"{TOKEN_CACHE_ENV}='{bad}': expected seconds from 0 to 300"):
            token_cache_from_env({TOKEN_CACHE_ENV: bad})
    monkeypatch.setenv(TOKEN_CACHE_ENV, "0.25")
    assert HttpSettings().token_cache_seconds == 0.25


def test_the_projection_linger_is_read_from_its_variable() -> None:
    assert follow_linger_seconds({}) == FOLLOW_LINGER_SECONDS == 0.05
    assert follow_linger_seconds({LINGER_ENV: "0"}) == 0.0
    assert follow_linger_seconds({LINGER_ENV: "200"}) == 0.2
    for bad in ("-5", "fast", "1001", "nan"):
        with pytest.raises(ConfigurationError, match=f"{LINGER_ENV}='{bad}': expected milliseconds from 0 to 1,000"):
            follow_linger_seconds({LINGER_ENV: bad})


@pytest.mark.parametrize(
    ("variable", "value", "command"),
    [
        (TOKEN_CACHE_ENV, "forever", "serve"),
        (LINGER_ENV, "soon", "serve"),
        (LINGER_ENV, "-1", "worker"),
    ],
)
def test_serve_and_worker_refuse_a_bad_setting_in_one_line_before_starting(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], variable: str, value: str, command: str
) -> None:
    import interfaces.serve
    import interfaces.worker

    def must_not_start(*args: object, **kwargs: object) -> None:
        raise AssertionError(f"kaizen {command} started despite {variable}={value!r}")

    monkeypatch.setattr(interfaces.serve, "prepare_store", must_not_start)
    monkeypatch.setattr(interfaces.worker, "_follow", must_not_start)
    monkeypatch.setenv(variable, value)
    assert cli.main([command]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"kaizen: {variable}={value!r}: expected") and len(err.splitlines()) == 1
