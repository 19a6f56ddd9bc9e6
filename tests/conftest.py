"""Fixtures shared by every layer: a fresh store on SQLite and on PostgreSQL.

PostgreSQL tests create their own database and drop it afterwards. Under `CI=true` an
unreachable server fails the run instead of skipping, so a green CI always includes PostgreSQL.
"""

from __future__ import annotations

import os
import re
import sys
import uuid
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from application.config import store_settings  # noqa: E402
from application.context import Context  # noqa: E402
from application.desk import KaizenDesk  # noqa: E402
from domain.actor import SYSTEM, Actor  # noqa: E402

PG_ADMIN_DSN = os.environ.get("KAIZEN_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
STORES = ["sqlite", "postgres"]


def _postgres_reachable() -> str | None:
    try:
        import psycopg

        with psycopg.connect(PG_ADMIN_DSN, connect_timeout=3):
            return None
    except Exception as exc:  # the reason is shown in the skip/fail message
        return str(exc).splitlines()[0] if str(exc) else type(exc).__name__


@pytest.fixture(scope="session")
def postgres_available() -> None:
    problem = _postgres_reachable()
    if problem is None:
        return
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"PostgreSQL is required under CI=true but unreachable: {problem}")
    pytest.skip(f"PostgreSQL unreachable: {problem}")


def create_postgres_database() -> tuple[str, Callable[[], None]]:
    """A new empty database and a function that drops it (terminating its connections)."""
    import psycopg

    name = f"kaizen_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base = PG_ADMIN_DSN.rsplit("/", 1)[0]

    def drop() -> None:
        with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    return f"{base}/{name}", drop


def fresh_store(request: pytest.FixtureRequest, directory: Path) -> Iterator[str]:
    """A fresh, empty store URL for `request.param`: an SQLite file in `directory`, or a new
    PostgreSQL database dropped afterwards."""
    if request.param == "sqlite":
        yield f"sqlite:///{directory / 'kaizen.db'}"
        return
    request.getfixturevalue("postgres_available")
    url, drop = create_postgres_database()
    try:
        yield url
    finally:
        drop()


@pytest.fixture(params=STORES)
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty store URL: an SQLite file, or a new PostgreSQL database."""
    yield from fresh_store(request, tmp_path)


@pytest.fixture
def postgres_url(postgres_available: None) -> Iterator[str]:
    url, drop = create_postgres_database()
    try:
        yield url
    finally:
        drop()


class FakeClock:
    """A clock tests move by hand, so SLA and time-travel figures are exact."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime(2026, 3, 2, 1, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs: float) -> datetime:
        self.now += timedelta(**kwargs)
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def desk(store_url: str, clock: FakeClock) -> Iterator[KaizenDesk]:
    app = KaizenDesk(store_settings(store_url), clock=clock)
    try:
        yield app
    finally:
        app.close()


REPORTER = Actor("lina", "reporter")
ADMIN = Actor("admin-wong", "admin")
VENDOR_SAP = Actor("sap-support", "vendor:sap")


def ctx(actor: Actor = ADMIN, **kwargs: object) -> Context:
    return Context(actor, **kwargs)  # type: ignore[arg-type]


def enrol_assignees(desk: KaizenDesk, *people: str, groups: Iterable[str] = (), role: str = "admin") -> None:
    """Make `people` active persons (with `role`) and `groups` admin teams, so triage and assign
    may name them: an assignee must be an active person or a group. Who already exists is kept."""
    system = Context(SYSTEM)
    for person in people:
        if desk.person_now(person) is None:
            desk.create_person(system, person, name=person, email=f"{person}@example.com", roles=[role])
    for group in groups:
        if not desk.is_assignable(group):
            desk.create_group(system, group, name=group, kind="admin_team")


def enrol_with_password(
    desk: KaizenDesk, login: str, roles: Iterable[str], password: str, *, name: str | None = None
) -> None:
    """`login` as a person with `roles` who signs in with `password`, whether or not they exist
    yet (an existing person gets those roles and a reset), through the one-time link as a
    person would use it."""
    system = Context(SYSTEM)
    wanted = list(roles)
    existing = desk.person_now(login)
    if existing is None:
        enrolment = desk.create_person(
            system, login, name=name or login, email=f"{login}@example.com", roles=wanted, language="en"
        )
    else:
        if existing.roles != wanted:
            desk.update_person(system, login, {"roles": wanted})
        enrolment = desk.reset_person(system, login)
    person, secret = enrolment.invitation_path.rstrip("/").split("/")[-2:]
    desk.accept_invitation(person, secret, password, password)


def console_client(app: Any, **form: str) -> Any:
    """A test client signed in to the console through its sign-in form (`login` and `password`,
    or an administrator's `token`), with the form's CSRF token, as a browser would."""
    client = app.test_client()
    csrf = re.search(r'name="csrf" value="([^"]+)"', client.get("/console/sign-in").text)
    assert csrf is not None
    answer = client.post("/console/sign-in", data={**form, "csrf": csrf.group(1)})
    assert answer.status_code == 303, answer.text
    return client
