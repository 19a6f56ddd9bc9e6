"""What the HTTP app needs to know that the store URL alone does not say."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

MIB = 1024 * 1024


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class HttpSettings:
    """Settings of one app instance.

    `database_url` None means the environment (`KAIZEN_DATABASE_URL`, else `sqlite:///kaizen.db`),
    the same rule as the CLI. `run_projections` starts the read side's runner in this process;
    every gunicorn worker may do so because the runner elects one leader per database, the
    others stand by. `clock` exists so tests can move time by hand; `max_lag` is the number of
    events a view may trail the log before `/readyz` reports the process as not ready.
    """

    database_url: str | None = None
    run_projections: bool = True
    max_lag: int = 1000
    clock: Callable[[], datetime] = field(default=utc_now)
    max_body: int = MIB
    read_wait_seconds: float = 5.0
