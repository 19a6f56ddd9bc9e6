"""The breaker's probe asks the real store, on a connection of its own, and gives up fast."""

from __future__ import annotations

import time

from adapters.store_probe import store_reachable
from application.config import store_settings


def test_a_running_store_is_reachable(store_url: str) -> None:
    assert store_reachable(store_settings(store_url))


def test_an_absent_postgres_is_reported_within_the_probe_timeout(postgres_url: str) -> None:
    base, _, name = postgres_url.rpartition("/")
    closed_port = base.replace(":5432", ":1")  # nothing listens on port 1
    started = time.monotonic()
    assert not store_reachable(store_settings(f"{closed_port}/{name}"))
    assert not store_reachable(store_settings(f"{base}/kaizen_no_such_database"))
    assert time.monotonic() - started < 2.5
