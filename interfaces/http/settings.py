"""What the HTTP app needs to know that the store URL alone does not say."""

from __future__ import annotations

import math
import os
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

from application.config import ConfigurationError, number_from_env

MIB = 1024 * 1024
RATE_LIMIT_ENV = "KAIZEN_RATE_LIMIT"
# Per caller per process. Above what the benchmark's busiest token (the admin token, which sends
# most of its commands) asks of one worker that serves them all (bench/command_path.py,
# docs/performance.md). The limit stops
# runaway scripts from monopolising a worker, not normal use.
DEFAULT_RATE_LIMIT = "300/s,600"
DISABLED = frozenset({"off", "0", "false", "no", "none"})
RATE_LIMIT_PATTERN = re.compile(
    r"^(?P<rate>[0-9]+(?:\.[0-9]+)?)\s*/\s*(?P<unit>s|sec|second|min|minute)\s*(?:,\s*(?P<burst>[0-9]+))?$"
)
TOKEN_CACHE_ENV = "KAIZEN_TOKEN_CACHE_SECONDS"
# How stale a token read may be: a revocation by `kaizen token revoke` (another process)
# reaches every worker within this time. One second keeps that window shorter than a person
# takes to switch windows, and still saves all but one store read per token per second.
DEFAULT_TOKEN_CACHE_SECONDS = 1.0
MAX_TOKEN_CACHE_SECONDS = 300.0
IMPORT_MAX_ENV = "KAIZEN_IMPORT_MAX_MB"
# `POST /import` takes whole command logs: a year of a busy desk is a few MiB of JSON Lines, so
# 64 MiB leaves room without letting one request fill a disk (the body is spooled to a file).
DEFAULT_IMPORT_MAX_MB = 64.0
MAX_IMPORT_MAX_MB = 4096.0
SECONDS_PER_UNIT = {"s": 1.0, "sec": 1.0, "second": 1.0, "min": 60.0, "minute": 60.0}
MAX_RATE = 1_000_000.0


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class RateLimit:
    """A token bucket: `rate` requests per second sustained, up to `burst` at once."""

    rate: float
    burst: int


def parse_rate_limit(value: str) -> RateLimit | None:
    """`<rate>/s[,<burst>]` or `<rate>/min[,<burst>]`; `off` or `0` turn limiting off (None).

    Without a burst, two seconds' worth (at least 1). A bad value raises ConfigurationError
    with one line that names the variable, the value and the expected form.
    """
    text = value.strip().lower()
    if text in DISABLED:
        return None
    forms = f"'<rate>/s,<burst>' (e.g. {DEFAULT_RATE_LIMIT}), '<rate>/min' or 'off'"
    expected = f"{RATE_LIMIT_ENV}={value!r}: expected {forms}"
    found = RATE_LIMIT_PATTERN.match(text)
    if found is None:
        raise ConfigurationError(expected)
    rate = float(found["rate"]) / SECONDS_PER_UNIT[found["unit"]]
    if rate <= 0 or rate > MAX_RATE:
        raise ConfigurationError(f"{expected}; the rate must be above 0 and at most {MAX_RATE:,.0f}/s")
    burst = int(found["burst"]) if found["burst"] is not None else max(1, math.ceil(2 * rate))
    if burst < 1 or burst > MAX_RATE:
        raise ConfigurationError(f"{expected}; the burst must be between 1 and {MAX_RATE:,.0f}")
    return RateLimit(rate=rate, burst=burst)


def rate_limit_from_env(env: Mapping[str, str] | None = None) -> RateLimit | None:
    """`KAIZEN_RATE_LIMIT` read now (unset or empty: the default)."""
    source = os.environ if env is None else env
    return parse_rate_limit(source.get(RATE_LIMIT_ENV, "").strip() or DEFAULT_RATE_LIMIT)


def token_cache_from_env(env: Mapping[str, str] | None = None) -> float:
    """`KAIZEN_TOKEN_CACHE_SECONDS` read now: seconds from 0 (read the token on every request)
    to 300; unset or empty means the default. A bad value raises ConfigurationError."""
    return number_from_env(
        TOKEN_CACHE_ENV, DEFAULT_TOKEN_CACHE_SECONDS, MAX_TOKEN_CACHE_SECONDS, "seconds", "1 or 0.5", env
    )


def import_max_bytes_from_env(env: Mapping[str, str] | None = None) -> int:
    """`KAIZEN_IMPORT_MAX_MB` read now: the largest `POST /import` body, in MiB (0 to 4,096; 0
    refuses every import body over HTTP); unset or empty means 64. A bad value raises
    ConfigurationError, so `kaizen serve` stops on it in one line."""
    megabytes = number_from_env(IMPORT_MAX_ENV, DEFAULT_IMPORT_MAX_MB, MAX_IMPORT_MAX_MB, "MiB", "64 or 0.5", env)
    return int(megabytes * MIB)


def view_stall_from_env(env: Mapping[str, str] | None = None) -> float:
    """`KAIZEN_VIEW_STALL_SECONDS` read now: how long a view may fail on one event before
    `/readyz` says 503 (projections/stalls.py); a bad value raises ConfigurationError."""
    from projections.stalls import stall_seconds

    return stall_seconds(env)


OIDC_ISSUER_ENV = "KAIZEN_OIDC_ISSUER"
OIDC_CLIENT_ID_ENV = "KAIZEN_OIDC_CLIENT_ID"
OIDC_CLIENT_SECRET_ENV = "KAIZEN_OIDC_CLIENT_SECRET"
OIDC_AUTO_CREATE_ENV = "KAIZEN_OIDC_AUTO_CREATE"
OIDC_AUTO_CREATE_ROLES = frozenset({"reporter"})


def _env_text(name: str, env: Mapping[str, str] | None = None) -> str | None:
    value = (os.environ if env is None else env).get(name, "").strip()
    return value or None


def oidc_issuer_from_env(env: Mapping[str, str] | None = None) -> str | None:
    """`KAIZEN_OIDC_ISSUER`: the OpenID provider's issuer URL (discovery is read from its
    /.well-known/openid-configuration); unset means no single sign-on (interfaces/web/sso.py)."""
    issuer = _env_text(OIDC_ISSUER_ENV, env)
    if issuer is not None and not issuer.startswith(("https://", "http://")):
        raise ConfigurationError(
            f"{OIDC_ISSUER_ENV}={issuer!r}: expected the issuer's URL, e.g. https://idp.example/realms/kaizen"
        )
    return issuer


def oidc_client_id_from_env(env: Mapping[str, str] | None = None) -> str | None:
    return _env_text(OIDC_CLIENT_ID_ENV, env)


def oidc_client_secret_from_env(env: Mapping[str, str] | None = None) -> str | None:
    return _env_text(OIDC_CLIENT_SECRET_ENV, env)


def oidc_auto_create_from_env(env: Mapping[str, str] | None = None) -> str | None:
    """`KAIZEN_OIDC_AUTO_CREATE=reporter` enrols an unknown (verified) e-mail address as a
    reporter at its first single sign-on; unset or empty refuses unknown addresses."""
    value = _env_text(OIDC_AUTO_CREATE_ENV, env)
    if value is not None and value.lower() not in OIDC_AUTO_CREATE_ROLES:
        raise ConfigurationError(f"{OIDC_AUTO_CREATE_ENV}={value!r}: expected 'reporter' or nothing")
    return value.lower() if value is not None else None


@dataclass(frozen=True)
class HttpSettings:
    """Settings of one app instance.

    `database_url` None means the environment (`KAIZEN_DATABASE_URL`, else `sqlite:///kaizen.db`),
    the same rule as the CLI. `run_projections` starts the read side's runner in this process;
    every gunicorn worker may do so because the runner elects one leader per database, the
    others stand by. `clock` exists so tests can move time by hand; `max_lag` is the number of
    events a view may trail the log before `/readyz` reports the process as not ready.
    `rate_limit` (None: off) is read from `KAIZEN_RATE_LIMIT` when the settings are made, so
    `kaizen serve` refuses a bad value in one line before any worker starts; `monotonic` is the
    limiter's clock, separate from `clock` because buckets must not jump with the wall clock.
    `token_cache_seconds` (`KAIZEN_TOKEN_CACHE_SECONDS`) is how long a worker may trust a
    token as it read it, so how long another process's revocation may take to reach it.
    `max_body` bounds every body but the import's, which has `import_max_bytes`
    (`KAIZEN_IMPORT_MAX_MB`); both are enforced by counting (interfaces/http/bodies.py).
    """

    database_url: str | None = None
    run_projections: bool = True
    max_lag: int = 1000
    clock: Callable[[], datetime] = field(default=utc_now)
    max_body: int = MIB
    read_wait_seconds: float = 5.0
    rate_limit: RateLimit | None = field(default_factory=rate_limit_from_env)
    monotonic: Callable[[], float] = field(default=time.monotonic)
    token_cache_seconds: float = field(default_factory=token_cache_from_env)
    view_stall_seconds: float = field(default_factory=view_stall_from_env)  # KAIZEN_VIEW_STALL_SECONDS
    import_max_bytes: int = field(default_factory=import_max_bytes_from_env)
    # Single sign-on (OpenID Connect) for the console, KAIZEN_OIDC_*: all of issuer, client id and
    # secret set, or it is off (interfaces/web/sso.py).
    oidc_issuer: str | None = field(default_factory=oidc_issuer_from_env)
    oidc_client_id: str | None = field(default_factory=oidc_client_id_from_env)
    oidc_client_secret: str | None = field(default_factory=oidc_client_secret_from_env)
    oidc_auto_create: str | None = field(default_factory=oidc_auto_create_from_env)
