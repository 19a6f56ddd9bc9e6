"""Short versions of fault drills 1-3 (the full ones: `make faults`, bench/faults/).

Each runs real processes (gunicorn, `kaizen worker`, a load generator) on its own PostgreSQL
database from `create_postgres_database()`. None of them stops the PostgreSQL server, which
other tests share: the outage drill here makes only its own database refuse connections.
Together they take well under a minute.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from bench.faults import kill_master, pg_outage, projection_failover
from tests.conftest import create_postgres_database

pytestmark = [pytest.mark.xdist_group("faults"), pytest.mark.postgres, pytest.mark.slow]


@pytest.fixture
def database(postgres_available: None) -> Iterator[str]:
    url, drop = create_postgres_database()
    try:
        yield url
    finally:
        drop()


def failed_checks(out: dict[str, Any]) -> str:
    failed = [name for name, ok in out["checks"].items() if not ok]
    return json.dumps({"failed": failed, "problems": out.get("problems", [])[:10]}, default=str)


def test_kill_9_of_the_master_loses_and_doubles_nothing_acknowledged(database: str) -> None:
    out = kill_master.run(kills=3, concurrency=4, workers=2, up=(0.4, 1.0), url=database, settle=0.5)
    assert all(out["checks"].values()), failed_checks(out)
    assert out["ledger"]["acknowledged"] > 0 and out["ledger"]["problem_count"] == 0


@pytest.fixture(scope="module")
def outage(postgres_available: None) -> Iterator[dict[str, Any]]:
    """One outage of the drill's own database (6 s), shared by the two tests below."""
    url, drop = create_postgres_database()
    try:
        yield pg_outage.run(mode="database", down=6.0, concurrency=4, before=1.5, after=0.5, ready_wait=8.0, url=url)
    finally:
        drop()


def test_a_database_outage_loses_nothing_and_heals_by_itself(outage: dict[str, Any]) -> None:
    checks = outage["checks"]
    for name in (
        "every acknowledged request stored exactly once, nothing else stored",
        "every 503 is problem+json with Retry-After",
        "no 500 (or other 5xx than 503)",
        "no stack trace in any answer",
        "commands succeed again within 30 s, same server process",
    ):
        assert checks[name], failed_checks(outage)


def test_the_service_says_503_while_the_database_is_away_and_its_views_catch_up(outage: dict[str, Any]) -> None:
    checks = outage["checks"]
    assert checks["the service answered 503 during the outage"], failed_checks(outage)
    assert checks["/readyz said 503 during the outage"], failed_checks(outage)
    assert checks["the views caught up again (/readyz 200) within 30 s"], failed_checks(outage)


def test_killing_the_projection_worker_mid_catch_up_keeps_views_exact(database: str) -> None:
    out = projection_failover.run(kills=3, delay=(0.05, 0.25), events=20_000, takeover_limit=10.0, url=database)
    assert all(out["checks"].values()), failed_checks(out)
