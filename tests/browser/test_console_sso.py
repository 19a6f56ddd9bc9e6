"""Single sign-on in Chromium against a real OpenID provider (oidc-provider, tests/oidc), on both stores.

The console runs in a thread (werkzeug) behind a dispatcher, so each test gets an app with its
own SSO settings on the same store and address (the provider knows one redirect URI). The
browser goes the whole way: the console's link, the provider's login form, the redirect back,
the console's pages. Two providers run: one that keeps the e-mail claims for its userinfo
endpoint (as Okta does) and one that puts them in the ID token too (Keycloak, Entra ID).
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest
from flask import Flask
from werkzeug.serving import make_server

from application.config import store_settings
from application.context import Context
from application.desk import KaizenDesk
from application.people import SSO_UNKNOWN
from domain.actor import Actor
from interfaces.http.app import create_app
from interfaces.http.settings import HttpSettings
from interfaces.web import sso
from interfaces.web.secret import SECRET_ENV
from interfaces.web.session import COOKIE
from tests.conftest import STORES, fresh_store
from tests.oidc.provider import Provider, running_provider

pytestmark = pytest.mark.xdist_group("browser")

ADMIN = Actor("ada.wong", "admin")
KNOWN_EMAIL = "mei.chan@example.test"
NEW_EMAIL = "new.comer@example.test"
ACCOUNTS: dict[str, dict[str, Any]] = {
    "known": {"email": KNOWN_EMAIL, "email_verified": True, "name": "Mei Chan"},
    "shouting": {"email": KNOWN_EMAIL.upper(), "email_verified": True, "name": "Mei Chan"},
    "stranger": {"email": "nobody@example.test", "email_verified": True, "name": "No Body"},
    "unverified": {"email": KNOWN_EMAIL, "email_verified": False, "name": "Not Mei"},
    "newcomer": {"email": NEW_EMAIL, "email_verified": True, "name": "New Comer"},
}
SECRET = "k" * 40
OIDC_ENV = ("KAIZEN_OIDC_ISSUER", "KAIZEN_OIDC_CLIENT_ID", "KAIZEN_OIDC_CLIENT_SECRET", "KAIZEN_OIDC_AUTO_CREATE")


class Dispatcher:
    """The WSGI app the server runs: whichever console app the current test made."""

    def __init__(self) -> None:
        self.app: Flask | None = None

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        assert self.app is not None, "no console app for this test"
        answer: Iterable[bytes] = self.app(environ, start_response)
        return answer


@dataclass
class Site:
    base_url: str
    store_url: str
    dispatcher: Dispatcher
    userinfo_provider: Provider  # claims from userinfo only
    id_token_provider: Provider  # claims in the ID token
    apps: list[Flask] = field(default_factory=list)

    def url(self, path: str) -> str:
        return self.base_url + path

    def serve(self, provider: Provider | None = None, issuer: str | None = None, **settings: Any) -> Flask:
        chosen = provider or self.userinfo_provider
        app = create_app(
            HttpSettings(
                database_url=self.store_url,
                run_projections=True,
                oidc_issuer=chosen.issuer if issuer is None else (issuer or None),
                oidc_client_id=chosen.client_id,
                oidc_client_secret=chosen.client_secret,
                **settings,
            )
        )
        self.dispatcher.app = app
        self.close()  # the previous test's app
        self.apps.append(app)
        return app

    def close(self) -> None:
        while self.apps:
            self.apps.pop().extensions["kaizen"].close()


def _seed(url: str) -> None:
    desk = KaizenDesk(store_settings(url), clock=lambda: datetime.now(UTC))
    try:
        desk.create_person(Context(ADMIN), "mei.chan", name="Mei Chan", email=KNOWN_EMAIL, roles=["reporter"])
    finally:
        desk.close()


@pytest.fixture(scope="module", params=STORES)
def site(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    with contextlib.ExitStack() as stack:
        patch = stack.enter_context(pytest.MonkeyPatch.context())
        patch.setenv(SECRET_ENV, SECRET)  # PostgreSQL has no key file: every app must share one key
        for name in OIDC_ENV:
            patch.delenv(name, raising=False)  # each test's settings say what it wants
        store_url = stack.enter_context(contextlib.contextmanager(fresh_store)(request, tmp_path_factory.mktemp("sso")))
        _seed(store_url)
        dispatcher = Dispatcher()
        server = make_server("127.0.0.1", 0, dispatcher, threaded=True)
        thread = threading.Thread(target=server.serve_forever, name="sso-console", daemon=True)
        thread.start()
        stack.callback(thread.join, 10)
        stack.callback(server.shutdown)
        base_url = f"http://127.0.0.1:{server.server_port}"
        redirect_uri = base_url + "/console/sign-in/sso/callback"
        userinfo = stack.enter_context(running_provider(redirect_uri, ACCOUNTS))
        id_token = stack.enter_context(running_provider(redirect_uri, ACCOUNTS, id_token_claims=True))
        found = Site(base_url, store_url, dispatcher, userinfo, id_token)
        stack.callback(found.close)
        yield found


@pytest.fixture
def new_page(browser: Any) -> Iterator[Callable[[], Any]]:
    contexts: list[Any] = []

    def make() -> Any:
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        context.set_default_timeout(15_000)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


def _through_provider(site: Site, page: Any, login: str, start: str = "/console/sign-in") -> None:
    """From the console's sign-in page, through the provider's login form, back to the console."""
    page.goto(site.url(start))
    link = page.get_by_role("link", name="Sign in with single sign-on")
    assert link.get_attribute("href", timeout=5_000).startswith("/console/sign-in/sso")
    link.click()
    page.wait_for_selector("input[name=login]")
    assert page.url.startswith(site.userinfo_provider.issuer) or page.url.startswith(site.id_token_provider.issuer)
    page.fill("input[name=login]", login)
    page.fill("input[name=password]", "any password: the provider's development login accepts it")
    page.click("button.login-submit")
    page.wait_for_url(lambda url: url.startswith(site.base_url))
    page.wait_for_load_state()


def _error(page: Any) -> str:
    text: str = page.locator("#sign-in-error").inner_text(timeout=5_000)
    return text


def _cookie(page: Any, name: str) -> dict[str, Any] | None:
    found = [c for c in page.context.cookies() if c["name"] == name]
    return found[0] if found else None


def test_the_sign_in_page_offers_single_sign_on_only_where_it_is_set_up(site: Site, new_page: Any) -> None:
    site.serve(issuer="")  # not configured
    page = new_page()
    page.goto(site.url("/console/sign-in"))
    assert page.get_by_role("link", name="Sign in with single sign-on").count() == 0
    answer = page.goto(site.url("/console/sign-in/sso"))
    assert answer.status == 404 and sso.NOT_CONFIGURED in _error(page)
    site.serve()
    page.goto(site.url("/console/sign-in"))
    assert page.get_by_role("link", name="Sign in with single sign-on").count() == 1


def test_a_verified_email_signs_in_the_person_who_has_it(site: Site, new_page: Any) -> None:
    app = site.serve()
    page = new_page()
    _through_provider(site, page, "known")
    page.wait_for_url(site.url("/console/issues"))  # a reporter's home
    who = page.locator(".who").inner_text()
    assert ("Mei Chan" in who or "mei.chan" in who) and "reporter" in who
    session = _cookie(page, COOKIE)
    assert session is not None and session["sameSite"] == "Strict" and session["httpOnly"]
    assert _cookie(page, sso.FLOW_COOKIE) is None  # the flow's cookie is gone once used
    person = app.extensions["kaizen"].desk.person_now("mei.chan")
    assert person is not None and person.last_signed_in_at is not None
    page.goto(site.url("/console/suggestions"))  # the session holds on the next pages
    assert page.url == site.url("/console/suggestions")


def test_claims_in_the_id_token_and_the_page_asked_for_first(site: Site, new_page: Any) -> None:
    site.serve(provider=site.id_token_provider)
    page = new_page()
    page.goto(site.url("/console/suggestions"))  # signed out: sent to sign in, remembering the page
    assert "/console/sign-in?next=" in page.url
    _through_provider(site, page, "shouting", start=page.url.removeprefix(site.base_url))
    page.wait_for_url(site.url("/console/suggestions"))
    assert "Mei Chan" in page.locator(".who").inner_text()  # the address's case does not matter


def test_an_unknown_email_is_refused(site: Site, new_page: Any) -> None:
    site.serve()
    page = new_page()
    _through_provider(site, page, "stranger")
    assert SSO_UNKNOWN in _error(page)
    assert _cookie(page, COOKIE) is None or page.locator(".who").count() == 0
    page.goto(site.url("/console/issues"))
    assert "/console/sign-in" in page.url  # not signed in


def test_an_unverified_email_is_refused_even_when_a_person_has_it(site: Site, new_page: Any) -> None:
    site.serve()
    page = new_page()
    _through_provider(site, page, "unverified")
    assert sso.UNVERIFIED in _error(page)
    page.goto(site.url("/console/issues"))
    assert "/console/sign-in" in page.url


def test_auto_create_makes_an_unknown_verified_email_a_reporter(site: Site, new_page: Any) -> None:
    app = site.serve(oidc_auto_create="reporter")
    page = new_page()
    _through_provider(site, page, "newcomer")
    page.wait_for_url(site.url("/console/issues"))
    desk: KaizenDesk = app.extensions["kaizen"].desk
    person = desk.person_by_login(NEW_EMAIL)
    assert person is not None and person.role == "reporter" and person.name == "New Comer"
    assert "New Comer" in page.locator(".who").inner_text()
    unverified = new_page()  # auto-create never trusts an unverified address either
    _through_provider(site, unverified, "unverified")
    assert sso.UNVERIFIED in _error(unverified)


def test_cancelling_at_the_provider_shows_why(site: Site, new_page: Any) -> None:
    site.serve()
    page = new_page()
    page.goto(site.url("/console/sign-in"))
    page.get_by_role("link", name="Sign in with single sign-on").click()
    page.wait_for_selector("input[name=login]")
    page.get_by_role("link", name="[ Cancel ]").click()
    page.wait_for_url(lambda url: url.startswith(site.base_url))
    assert sso.CANCELLED in _error(page)
    assert _cookie(page, sso.FLOW_COOKIE) is None


def test_a_forged_or_replayed_callback_is_refused(site: Site, new_page: Any) -> None:
    site.serve()
    page = new_page()
    page.goto(site.url("/console/sign-in"))
    page.get_by_role("link", name="Sign in with single sign-on").click()  # a flow is pending
    page.wait_for_selector("input[name=login]")
    answer = page.goto(site.url("/console/sign-in/sso/callback?code=forged&state=not-the-one"))
    assert answer.status == 400 and sso.EXPIRED in _error(page)
    answer = page.goto(site.url("/console/sign-in/sso/callback?code=forged"))
    assert answer.status == 400 and sso.EXPIRED in _error(page)
    assert "Traceback" not in page.content()


def test_an_unreachable_provider_is_a_clear_message(site: Site, new_page: Any) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]  # nothing listens once the socket is closed
    site.serve(issuer=f"http://127.0.0.1:{closed_port}")
    page = new_page()
    page.goto(site.url("/console/sign-in"))
    page.get_by_role("link", name="Sign in with single sign-on").click()
    page.wait_for_load_state()
    assert sso.UNREACHABLE in _error(page)
