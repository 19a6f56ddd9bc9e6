"""`kaizen serve` on a PostgreSQL that has no connection left for it: up, not ready, then ready.

The server's role is a throwaway one with a connection limit, and other clients hold every
connection it allows, as on the production server that was at 54 of 100 when the master
exited with "too many clients". Nothing of the PostgreSQL server itself is changed.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from tests.conftest import PG_ADMIN_DSN, create_postgres_database
from tests.e2e.test_e2e_gunicorn import call, serving, tokens_for

pytestmark = pytest.mark.xdist_group("e2e")
HELD = 2  # connections the "other clients" hold: all the role may have


@pytest.fixture
def crowded(postgres_available: None) -> Iterator[dict[str, Any]]:
    """A database owned by a new role that may open `HELD` connections, all of them held."""
    url, drop = create_postgres_database()
    name = url.rsplit("/", 1)[1]
    role = f"kaizen_budget_{uuid.uuid4().hex[:8]}"
    admin = psycopg.connect(PG_ADMIN_DSN, autocommit=True)
    held: list[psycopg.Connection[Any]] = []
    try:
        admin.execute(f'CREATE ROLE "{role}" LOGIN CONNECTION LIMIT {HELD}')
        admin.execute(f'ALTER DATABASE "{name}" OWNER TO "{role}"')
        host = PG_ADMIN_DSN.split("@", 1)[1].rsplit("/", 1)[0]
        role_url = f"postgresql://{role}@{host}/{name}"
        held.extend(psycopg.connect(role_url) for _ in range(HELD))
        yield {"url": role_url, "admin_url": url, "role": role, "admin": admin, "held": held}
    finally:
        for conn in held:
            conn.close()
        drop()
        admin.execute(f'DROP ROLE IF EXISTS "{role}"')
        admin.close()


def until(probe: Any, ok: Any, within: float) -> Any:
    deadline = time.monotonic() + within
    while True:
        answer = probe()
        if ok(answer) or time.monotonic() > deadline:
            return answer
        time.sleep(0.2)


def test_a_server_without_connections_stays_up_and_becomes_ready_when_it_gets_them(
    crowded: dict[str, Any], tmp_path: Path
) -> None:
    log = tmp_path / "gunicorn.log"
    with pytest.raises(psycopg.OperationalError, match="too many connections"):
        psycopg.connect(crowded["url"], connect_timeout=2).close()
    with serving(crowded["url"], log) as (base, process):
        assert call(base, "GET", "/healthz")[0] == 200
        status, headers, problem = call(base, "GET", "/readyz")
        assert status == 503 and headers["Content-Type"] == "application/problem+json"
        assert headers["Retry-After"] == "5" and problem["status"] == 503
        time.sleep(2.5)  # the workers' retries go on; neither they nor the master give up
        assert process.poll() is None
        assert call(base, "GET", "/healthz")[0] == 200 and call(base, "GET", "/readyz")[0] == 503
        assert call(base, "POST", "/api/v1/issues", {"title": "x"}, token="kz_unknown")[0] == 503

        for conn in crowded["held"]:  # the other clients finish, and the operator raises the limit
            conn.close()
        crowded["held"].clear()
        crowded["admin"].execute(f'ALTER ROLE "{crowded["role"]}" CONNECTION LIMIT 20')

        ready = until(lambda: call(base, "GET", "/readyz"), lambda a: a[0] == 200, within=15)
        assert ready[0] == 200, (ready, log.read_text()[-3000:])
        tokens = tokens_for(crowded["admin_url"])
        issue = {
            "title": "Posting run stops at 40%",
            "description": "after the month-end close",
            "module": "finance",
            "impact_scope": "company",
            "urgency": "blocking",
            "vendor": "sap",
        }
        status, headers, created = call(base, "POST", "/api/v1/issues", issue, token=tokens["lina"])
        assert status == 201, created
        position = headers["X-Event-Position"]
        status, _, listed = call(base, "GET", f"/api/v1/issues?min_position={position}", token=tokens["admin"])
        assert status == 200 and created["key"] in [item["key"] for item in listed["items"]]
        assert process.poll() is None
    text = log.read_text()
    assert "store_refused_at_start" in text and "store_set_up" in text


def test_a_started_server_holds_no_more_connections_than_its_budget_says(
    postgres_available: None, tmp_path: Path
) -> None:
    """Four workers and the projection process used to hold 55 connections from the start (5 + 5
    per pool and an election connection each); the budget line says what they hold now, and
    `pg_stat_activity` agrees."""
    from application.config import connection_budget, store_settings, with_pool_overflow

    url, drop = create_postgres_database()
    log = tmp_path / "gunicorn.log"
    try:
        with serving(url, log) as (base, _):
            assert until(lambda: call(base, "GET", "/readyz"), lambda a: a[0] == 200, within=15)[0] == 200
            time.sleep(1.0)  # the standbys ask for the election, the leader listens
            with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as admin:
                row = admin.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = %s", (url.rsplit("/", 1)[1],)
                ).fetchone()
            held = int(row[0]) if row else 0
        budget = connection_budget(store_settings(with_pool_overflow(url, 4)), workers=1)
        assert 0 < held <= budget.at_start + 2, (held, budget.describe())  # + a pool that grew once more
        assert f'"total": {budget.total}' in log.read_text()
    finally:
        drop()
