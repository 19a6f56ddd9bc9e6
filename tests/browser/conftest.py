"""The web console in a real browser: Debian's Chromium driven by Playwright.

One server per store and test session (werkzeug in a thread, on a free 127.0.0.1 port): a fresh
SQLite file and a fresh PostgreSQL database, each holding the small demo, an SLA policy
published twice, a scheduled meeting and one person per role with a known password (`PEOPLE`);
one headless Chromium. Every browser test module is in one of two xdist groups, "browser" (the
reading pages, people and sign-in) and "browser-desk" (the work desk's forms and the whole
loop): the modules of a group share those servers and the browser in one worker, and the two
groups run on the two cores side by side, each with servers of its own. pytest runs every test
against one store, then the other. Time is fixed (`NOW`), so figures and screenshots are repeatable.

People sign in as a person would, with their login and password through the sign-in form;
pasting a token is the administrators' fallback and has tests of its own. The demo may or may
not already hold the people (`ensure_person` handles both): a person it lacks is invited, one
it has gets a password reset, and either way the one-time link sets the known password.

Chromium is `/usr/bin/chromium` (`.ci/ensure-chromium` installs it); the project never runs
`playwright install`. Under `CI=true` a missing browser or Playwright fails the run; locally it
skips with the reason.
"""

from __future__ import annotations

import os
import re
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from werkzeug.serving import make_server

from application.config import store_settings
from application.context import Context
from application.desk import KaizenDesk
from domain.actor import SYSTEM, Actor
from interfaces.demo.loader import load_demo
from interfaces.http.app import create_app
from interfaces.http.settings import HttpSettings
from interfaces.web.secret import SECRET_ENV
from tests.conftest import STORES, enrol_with_password, fresh_store

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
NOW = datetime(2026, 6, 30, 6, 0, tzinfo=UTC)
ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "docs" / "screenshots"
UPDATE_SCREENSHOTS = os.environ.get("KAIZEN_UPDATE_SCREENSHOTS") == "1"
SCREENSHOT_STORE = "sqlite"  # screenshots are taken once, on this store's run
PASSWORD = "Milk tea at the Kwun Tong office"  # every test person's password (long, not common)
SECRET = "browser-tests-console-signing-key-0123456789"


@dataclass(frozen=True)
class KnownPerson:
    login: str
    name: str
    roles: tuple[str, ...]


# The people each role signs in as; the reporter reports demo issues (the demo's HK staff).
PEOPLE = {
    "admin": KnownPerson("ada.wong", "Ada Wong", ("admin",)),
    "auditor": KnownPerson("audit.chan", "Audrey Chan", ("auditor",)),
    "sap": KnownPerson("sap.support.mwalter", "Markus Walter", ("vendor:sap",)),
    "reporter": KnownPerson("cherry.mak", "Cherry Mak", ("reporter",)),
}
ADMIN = Actor("ada.wong", "admin")


def _unavailable(reason: str) -> None:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"browser tests must run under CI=true: {reason}")
    pytest.skip(reason)


@dataclass
class Console:
    """The running console: its address and store, the people and the admin's token, the desk."""

    base_url: str
    store: str
    tokens: dict[str, str]
    token_ids: dict[str, str]
    desk: KaizenDesk
    app: Any = None  # the Flask app served (its url_map lists the console's pages)

    def url(self, path: str) -> str:
        return self.base_url + path

    def login(self, party: str) -> str:
        return PEOPLE[party].login


def ensure_person(desk: KaizenDesk, who: KnownPerson, password: str = PASSWORD) -> None:
    """`who`, signed-in-able with `password`, whether or not the demo already has them."""
    enrol_with_password(desk, who.login, who.roles, password, name=who.name)


REFUSED_ASSIGNEE = re.compile(r"assignee '([a-z0-9._-]+)' is not an active person or a group")


@cache
def assignees_the_demo_lacks() -> tuple[str, ...]:
    """The people the demo assigns issues to but does not enrol itself (none, once it enrols its
    own people): found by loading it into a scratch store until no triage is refused."""
    lacking: list[str] = []
    for _ in range(5):
        with tempfile.TemporaryDirectory() as scratch:
            desk = KaizenDesk(store_settings(f"sqlite:///{Path(scratch) / 'trial.db'}"), clock=lambda: NOW)
            try:
                for login in lacking:
                    _enrol(desk, login)
                summary = load_demo(desk, seed=7, now=NOW, scale=0.2)
            finally:
                desk.close()
        more = sorted({m.group(1) for p in summary.problems if (m := REFUSED_ASSIGNEE.search(p))} - set(lacking))
        if not more:
            break
        lacking += more
    return tuple(lacking)


def _enrol(desk: KaizenDesk, login: str) -> None:
    desk.create_person(Context(SYSTEM), login, name=login, email=f"{login}@example.com", roles=["admin"])


def _seed(url: str) -> tuple[dict[str, str], dict[str, str]]:
    """The demo plus what it lacks for these pages: policy versions, a meeting, the people; the
    administrator's token (for the pasted-token sign-in)."""
    desk = KaizenDesk(store_settings(url), clock=lambda: NOW)
    try:
        for login in assignees_the_demo_lacks():
            _enrol(desk, login)
        load_demo(desk, seed=7, now=NOW, scale=0.2)
        for who in PEOPLE.values():
            ensure_person(desk, who)
        document = desk.get_policy("sap").document
        for hours, day in (("PT2H", 40), ("PT3H", 20)):
            document = {**document, "targets": {**document["targets"]}}
            document["targets"]["P2"] = {**document["targets"]["P2"], "response": hours}
            desk.put_policy(Context(ADMIN, at=NOW - timedelta(days=day)), "sap", document)
        desk.schedule_meeting(
            Context(ADMIN),
            cadence="monthly",
            date=date(2026, 7, 2),
            title="July improvement meeting",
            attendees=[{"name": "Ms Chan", "department": "finance"}, {"name": "Mr Lee", "department": "warehouse"}],
        )
        issued = {"admin": desk.issue_token(Context(SYSTEM), "admin", ADMIN.id)}
    finally:
        desk.close()
    return {k: v[1] for k, v in issued.items()}, {k: v[0] for k, v in issued.items()}


@pytest.fixture(scope="session", params=STORES)
def console_store(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A fresh SQLite file, or a fresh PostgreSQL database dropped at the end of the session."""
    yield from fresh_store(request, tmp_path_factory.mktemp("console"))


@pytest.fixture(scope="session")
def console(console_store: str) -> Iterator[Console]:
    url = console_store
    tokens, token_ids = _seed(url)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(SECRET_ENV, SECRET)  # PostgreSQL has no key file; the same key on both stores
        app = create_app(HttpSettings(database_url=url, run_projections=True, clock=lambda: NOW, rate_limit=None))
    services = app.extensions["kaizen"]
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="console-server", daemon=True)
    thread.start()
    store = "sqlite" if url.startswith("sqlite") else "postgres"
    try:
        services.read.wait_for(int(services.desk.recorder.max_notification_id() or 0), timeout=30)
        yield Console(f"http://127.0.0.1:{server.server_port}", store, tokens, token_ids, services.desk, app)
    finally:
        server.shutdown()
        thread.join(timeout=10)
        services.close()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("the playwright package is not installed (pip install -e '.[dev]')")
    if not Path(CHROMIUM).exists():
        _unavailable(f"{CHROMIUM} is missing; run .ci/ensure-chromium (apt-get install chromium)")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def open_as(browser: Any, console: Console) -> Iterator[Any]:
    """`open_as("auditor")` gives a page signed in as that party's person (a key of `PEOPLE`, or
    any login with `password=`), 1280 px wide unless `width=` says otherwise; `None`: not signed in."""
    contexts: list[Any] = []

    def sign_in(
        party: str | None, width: int = 1280, height: int = 900, lang: str | None = None, password: str = PASSWORD
    ) -> Any:
        context = browser.new_context(viewport={"width": width, "height": height}, accept_downloads=True)
        context.set_default_timeout(10_000)
        contexts.append(context)
        page = context.new_page()
        page.goto(console.url("/console/sign-in" + (f"?lang={lang}" if lang else "")))
        if party is not None:
            sign_in_with_password(page, PEOPLE[party].login if party in PEOPLE else party, password)
        return page

    yield sign_in
    for context in contexts:
        context.close()


def sign_in_with_password(page: Any, login: str, password: str = PASSWORD) -> Any:
    """Type the login and password into the sign-in form and press **Sign in**, as a person does."""
    page.fill("#login", login)
    page.fill("#password", password)
    page.click("button[data-action=sign-in]")
    page.wait_for_load_state()
    return page


@pytest.fixture
def shoot(console: Console) -> Any:
    """`shoot(page, name)` saves a PNG: into docs/screenshots with KAIZEN_UPDATE_SCREENSHOTS=1 (on
    the SQLite run only, so each picture is written once), else into a temporary folder (taken
    either way, so a page that cannot be captured fails)."""
    keep = UPDATE_SCREENSHOTS and console.store == SCREENSHOT_STORE
    target = SCREENSHOTS if keep else Path(tempfile.gettempdir()) / "kaizen-console-screenshots" / console.store
    target.mkdir(parents=True, exist_ok=True)

    def take(page: Any, name: str, full_page: bool = True) -> Path:
        path = target / f"{name}.png"
        page.screenshot(path=str(path), full_page=full_page, animations="disabled")
        return path

    return take
