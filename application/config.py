"""The one place where `KAIZEN_DATABASE_URL` becomes the library's environment.

Unset: an SQLite file `./kaizen.db`, so `kaizen serve` runs with nothing else installed.
`sqlite:///path/to/file.db` picks another file; `postgresql://user:pass@host:5432/db` uses
PostgreSQL through psycopg 3's pool.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import parse_qs, unquote, urlparse

DEFAULT_SQLITE_PATH = "kaizen.db"
POOL_SIZE = 1
"""PostgreSQL connections each pool keeps open (a process has two: the desk's and the views').
Each web worker and the projection process used to keep 5 + 5 open from the start, so four
workers needed 55 connections just to boot and failed on a server with 46 left; a pool grows
under load (a connection takes a few milliseconds) and shrinks back after 10 idle minutes."""
POOL_OVERFLOW = 4
"""Connections a pool may open beyond `POOL_SIZE`: one per request thread of a web worker
(gunicorn's 4), the one kept open serving its readiness check and standby runner."""
KEY_TURN_CONNECTIONS = 3  # a web worker's own connections for key turns: KZ, SG, MT (adapters/key_allocation.py)
ELECTION_CONNECTIONS = 1  # a runner's own connection for the election lock (adapters/election.py)


class ConfigurationError(ValueError):
    """The store URL (or another setting) cannot be used; the message says why."""


@dataclass(frozen=True)
class StoreSettings:
    url: str
    engine: str  # "sqlite" | "postgres"
    environment: dict[str, str]

    @property
    def redacted_url(self) -> str:
        """The URL without its password, for logs and `projections status`."""
        parsed = urlparse(self.url)
        if parsed.password:
            return self.url.replace(f":{parsed.password}@", ":***@")
        return self.url


def number_from_env(
    name: str, default: float, high: float, unit: str, example: str, env: Mapping[str, str] | None = None
) -> float:
    """A setting from 0 to `high` read from the environment now; unset or empty means `default`.
    A bad value raises ConfigurationError, one line naming the variable and the expected form."""
    value = (os.environ if env is None else env).get(name, "").strip()
    if not value:
        return default
    try:
        number = float(value)
    except ValueError:
        number = math.nan
    if not 0 <= number <= high:
        raise ConfigurationError(f"{name}={value!r}: expected {unit} from 0 to {high:,.0f} (e.g. {example})")
    return number


def database_url(env: dict[str, str] | None = None) -> str:
    source = os.environ if env is None else env
    return source.get("KAIZEN_DATABASE_URL") or f"sqlite:///{DEFAULT_SQLITE_PATH}"


def store_settings(url: str | None = None) -> StoreSettings:
    """Translate a database URL into the eventsourcing library's environment variables."""
    url = url or database_url()
    parsed = urlparse(url)
    # The aggregate cache fast-forwards cached aggregates by reading only newer events, so the
    # hot aggregates (key sequences, busy issues) are not replayed from their snapshot on every
    # command; cached objects are deep-copied out, so a refused command never pollutes it.
    common = {
        "CREATE_TABLE": "y",
        "AGGREGATE_CACHE_MAXSIZE": "2000",
        "AGGREGATE_CACHE_FASTFORWARD": "y",
        "DEEPCOPY_FROM_AGGREGATE_CACHE": "y",
    }
    if parsed.scheme == "sqlite":
        path = unquote(parsed.path)
        # sqlite:///relative.db -> path "/relative.db"; sqlite:////abs.db -> "//abs.db"
        if path.startswith("//") or path.startswith("/"):
            path = path[1:]
        if not path:
            raise ConfigurationError(f"{url!r}: an sqlite URL needs a file path, e.g. sqlite:///kaizen.db")
        return StoreSettings(
            url=url,
            engine="sqlite",
            environment={
                **common,
                # The library's SQLite factory, except that a connection that hit a read-only,
                # full or unreadable file is not reused (adapters/sqlite_store.py).
                "PERSISTENCE_MODULE": "adapters.sqlite_store:RenewingSQLiteFactory",
                "SQLITE_DBNAME": path,
                "SQLITE_LOCK_TIMEOUT": "30",
            },
        )
    if parsed.scheme in ("postgresql", "postgres", "postgresql+psycopg"):
        if not parsed.hostname or not parsed.path.strip("/"):
            raise ConfigurationError(f"{url!r}: a postgresql URL needs a host and a database name")
        query = parse_qs(parsed.query)
        return StoreSettings(
            url=url,
            engine="postgres",
            environment={
                **common,
                "PERSISTENCE_MODULE": "eventsourcing.postgres",
                "POSTGRES_DBNAME": parsed.path.strip("/"),
                "POSTGRES_HOST": parsed.hostname,
                "POSTGRES_PORT": str(parsed.port or 5432),
                "POSTGRES_USER": unquote(parsed.username or "postgres"),
                "POSTGRES_PASSWORD": unquote(parsed.password or ""),
                "POSTGRES_POOL_SIZE": query.get("pool_size", [str(POOL_SIZE)])[0],
                "POSTGRES_MAX_OVERFLOW": query.get("max_overflow", [str(POOL_OVERFLOW)])[0],
                # How long a request may wait for a pooled connection; with the fail-fast
                # recorders, a request gives up after about 3 x this while the database is away.
                "POSTGRES_CONNECT_TIMEOUT": query.get("connect_timeout", ["2"])[0],
                "APPLICATION_RECORDER_TOPIC": "adapters.postgres_recorders:FailFastApplicationRecorder",
                "TRACKING_RECORDER_TOPIC": "adapters.postgres_recorders:FailFastTrackingRecorder",
                "POSTGRES_LOCK_TIMEOUT": "10",
                "POSTGRES_IDLE_IN_TRANSACTION_SESSION_TIMEOUT": "10",
            },
        )
    raise ConfigurationError(f"{url!r}: KAIZEN_DATABASE_URL must start with sqlite:/// or postgresql://")


def with_pool_overflow(url: str, overflow: int) -> str:
    """A PostgreSQL URL whose pools may grow by `overflow` (`max_overflow=`), unless the URL says
    otherwise already; other URLs as they are. `kaizen serve` sizes its pools from its threads so."""
    parsed = urlparse(url)
    postgres = parsed.scheme in ("postgresql", "postgres", "postgresql+psycopg")
    if not postgres or "max_overflow" in parse_qs(parsed.query):
        return url
    query = f"{parsed.query}&max_overflow={overflow}" if parsed.query else f"max_overflow={overflow}"
    return parsed._replace(query=query).geturl()


@dataclass(frozen=True)
class ConnectionBudget:
    """The most PostgreSQL connections one `kaizen serve` holds, and what it holds once started."""

    workers: int
    web_worker: int  # at most, each: two pools at their largest, key turns, a standby's election asks
    projection_process: int  # two pools at their largest and the election lock
    master: int  # while it sets the store up before forking; closed before any worker starts
    at_start: int  # what every process holds once started and idle (pools grow under load)

    @property
    def total(self) -> int:
        return self.workers * self.web_worker + self.projection_process + self.master

    def describe(self) -> str:
        return (
            f"at most {self.total} PostgreSQL connections = {self.workers} workers x {self.web_worker}"
            f" + projection process {self.projection_process} + master {self.master} ({self.at_start} once started)"
        )


def connection_budget(settings: StoreSettings, workers: int, projection_process: bool = True) -> ConnectionBudget:
    """How many connections `kaizen serve` with `workers` web workers may open (README, "Stores
    and configuration"): each process has two pools (`pool_size` kept open, up to `pool_size +
    max_overflow`) plus connections of its own for locks."""
    env = settings.environment
    kept = int(env.get("POSTGRES_POOL_SIZE", POOL_SIZE))
    largest = kept + int(env.get("POSTGRES_MAX_OVERFLOW", POOL_OVERFLOW))
    projection = 2 * largest + ELECTION_CONNECTIONS if projection_process else 0
    # Started and idle, a process holds about two per pool (two of its threads met in each: the
    # runner and the readiness check, or LISTEN and the log reads) and its election connection.
    idle = 2 * min(max(kept, 2), largest) + ELECTION_CONNECTIONS
    return ConnectionBudget(
        workers=workers,
        web_worker=2 * largest + KEY_TURN_CONNECTIONS + ELECTION_CONNECTIONS,
        projection_process=projection,
        master=2 * kept,
        at_start=(workers + (1 if projection_process else 0)) * idle,
    )
