"""The web console in a real browser: Debian's Chromium driven by Playwright.

One server per test session (werkzeug in a thread, on a free 127.0.0.1 port) on a fresh SQLite
store holding the small demo, an SLA policy published twice and a scheduled meeting; one
headless Chromium. Every browser test module is in the xdist group "browser", so they share
that server and browser in a single worker. Time is fixed (`NOW`), so figures and screenshots are repeatable.

Chromium is `/usr/bin/chromium` (`.ci/ensure-chromium` installs it); the project never runs
`playwright install`. Under `CI=true` a missing browser or Playwright fails the run; locally it
skips with the reason.
"""

from __future__ import annotations

import os
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
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
# (role, subject): the reporter and the vendor are people the demo knows.
PARTIES = {
    "admin": ("admin", "ada.wong"),
    "auditor": ("auditor", "audrey.lam"),
    "sap": ("vendor:sap", "sap-support"),
    "reporter": ("reporter", "cherry.mak"),
}
ADMIN = Actor("ada.wong", "admin")


def _unavailable(reason: str) -> None:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"browser tests must run under CI=true: {reason}")
    pytest.skip(reason)


@dataclass
class Console:
    """The running console: its address, the role tokens, and the desk behind it."""

    base_url: str
    tokens: dict[str, str]
    token_ids: dict[str, str]
    desk: KaizenDesk

    def url(self, path: str) -> str:
        return self.base_url + path


def _seed(url: str) -> tuple[dict[str, str], dict[str, str]]:
    """The demo plus what it lacks for these pages: policy versions and a meeting; the tokens."""
    desk = KaizenDesk(store_settings(url), clock=lambda: NOW)
    try:
        load_demo(desk, seed=7, now=NOW, scale=0.2)
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
        issued = {name: desk.issue_token(Context(SYSTEM), role, subject) for name, (role, subject) in PARTIES.items()}
    finally:
        desk.close()
    return {k: v[1] for k, v in issued.items()}, {k: v[0] for k, v in issued.items()}


@pytest.fixture(scope="session")
def console(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Console]:
    url = f"sqlite:///{tmp_path_factory.mktemp('console') / 'kaizen.db'}"
    tokens, token_ids = _seed(url)
    app = create_app(HttpSettings(database_url=url, run_projections=True, clock=lambda: NOW))
    services = app.extensions["kaizen"]
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="console-server", daemon=True)
    thread.start()
    try:
        services.read.wait_for(int(services.desk.recorder.max_notification_id() or 0), timeout=30)
        yield Console(f"http://127.0.0.1:{server.server_port}", tokens, token_ids, services.desk)
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
    """`open_as("auditor")` gives a signed-in page (1280 px wide unless `width=` says otherwise)."""
    contexts: list[Any] = []

    def sign_in(party: str | None, width: int = 1280, height: int = 900, lang: str | None = None) -> Any:
        context = browser.new_context(viewport={"width": width, "height": height}, accept_downloads=True)
        context.set_default_timeout(10_000)
        contexts.append(context)
        page = context.new_page()
        page.goto(console.url("/console/sign-in" + (f"?lang={lang}" if lang else "")))
        if party is not None:
            page.fill("#token", console.tokens[party])
            page.click("form.stacked button[type=submit]")
            page.wait_for_load_state()
        return page

    yield sign_in
    for context in contexts:
        context.close()


@pytest.fixture(scope="session")
def shoot() -> Any:
    """`shoot(page, name)` saves a PNG: into docs/screenshots with KAIZEN_UPDATE_SCREENSHOTS=1,
    else into a temporary folder (taken either way, so a page that cannot be captured fails)."""
    target = SCREENSHOTS if UPDATE_SCREENSHOTS else Path(tempfile.gettempdir()) / "kaizen-console-screenshots"
    target.mkdir(parents=True, exist_ok=True)

    def take(page: Any, name: str, full_page: bool = True) -> Path:
        path = target / f"{name}.png"
        page.screenshot(path=str(path), full_page=full_page, animations="disabled")
        return path

    return take
