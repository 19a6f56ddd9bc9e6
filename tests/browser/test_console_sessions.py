"""Console sessions end on the server, in every worker, on both stores; posts from other origins
are refused; vendors are shown no suggestions. No browser needed (the Flask test client)."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient

from application.context import Context
from domain.actor import SYSTEM
from interfaces.http.app import create_app
from interfaces.http.settings import HttpSettings
from interfaces.web.session import COOKIE
from tests.browser.conftest import PASSWORD
from tests.browser.test_console_server import seeded, signed_in, signed_in_as  # noqa: F401 (a fixture)
from tests.conftest import REPORTER, VENDOR_SAP, FakeClock, ctx


@pytest.fixture
def second_worker(seeded: tuple[Flask, dict[str, str]], store_url: str) -> Iterator[Flask]:  # noqa: F811
    """Another app on the same store and key (`seeded` set KAIZEN_SECRET_KEY): a second gunicorn worker."""
    app = create_app(HttpSettings(database_url=store_url, run_projections=False, clock=FakeClock()))
    try:
        yield app
    finally:
        app.extensions["kaizen"].close()


def _csrf(client: FlaskClient, path: str = "/console/issues") -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', client.get(path).text)
    assert found is not None
    return found.group(1)


def _replayed(app: Flask, cookie: str) -> FlaskClient:
    client = app.test_client()
    client.set_cookie(COOKIE, cookie, path="/console")
    return client


def test_sign_out_ends_the_session_in_every_worker(
    seeded: tuple[Flask, dict[str, str]],  # noqa: F811
    second_worker: Flask,
) -> None:
    app, tokens = seeded
    browser = signed_in(app, tokens["admin"])
    stolen = browser.get_cookie(COOKIE, path="/console")
    assert stolen is not None
    other_tab = signed_in(app, tokens["admin"])  # a second session of the same token
    assert _replayed(second_worker, stolen.value).get("/console/issues").status_code == 200

    signed_out = browser.post("/console/sign-out", data={"csrf": _csrf(browser)})
    assert signed_out.status_code == 303 and "/console/sign-in" in signed_out.headers["Location"]

    for worker in (app, second_worker):
        replay = _replayed(worker, stolen.value).get("/console/issues")
        assert replay.status_code == 302 and "/console/sign-in" in replay.headers["Location"]
        refused_post = _replayed(worker, stolen.value).post("/console/sign-out", data={"csrf": "x"})
        assert refused_post.status_code in (302, 400, 403)
    assert other_tab.get("/console/issues").status_code == 200  # only that session ended
    assert signed_in(app, tokens["admin"]).get("/console/issues").status_code == 200  # and signing in works


@pytest.mark.parametrize("origin", ["null", "https://evil.example", "http://localhost.evil.example", "file://"])
def test_posts_from_any_other_origin_are_refused(seeded: tuple[Flask, dict[str, str]], origin: str) -> None:  # noqa: F811
    app, tokens = seeded
    client = signed_in(app, tokens["admin"])
    refused = client.post("/console/sign-out", data={"csrf": _csrf(client)}, headers={"Origin": origin})
    assert refused.status_code == 403
    assert client.get("/console/issues").status_code == 200  # still signed in: nothing happened


def test_posts_from_the_console_itself_are_accepted(seeded: tuple[Flask, dict[str, str]]) -> None:  # noqa: F811
    app, tokens = seeded
    client = signed_in(app, tokens["admin"])
    cross_site = client.post(
        "/console/sign-out", data={"csrf": _csrf(client)}, headers={"Sec-Fetch-Site": "cross-site"}
    )
    assert cross_site.status_code == 403
    own = client.post(
        "/console/sign-out",
        data={"csrf": _csrf(client)},
        headers={"Origin": "http://localhost", "Sec-Fetch-Site": "same-origin"},
    )
    assert own.status_code == 303


def test_vendors_are_shown_no_suggestions(seeded: tuple[Flask, dict[str, str]]) -> None:  # noqa: F811
    app, tokens = seeded
    desk = app.extensions["kaizen"].desk
    desk.submit_suggestion(ctx(REPORTER), title="Scan receipts", description="d", module="warehouse")
    app.extensions["kaizen"].read.wait_for(desk.recorder.max_notification_id(), 10)
    admin = signed_in(app, tokens["admin"]).get("/console/suggestions").text
    assert "Scan receipts" in admin
    vendor = signed_in_as(app, VENDOR_SAP.id)
    board = vendor.get("/console/suggestions").text
    assert "Scan receipts" not in board and 'href="/console/suggestions"' not in vendor.get("/console/issues").text


def test_the_invitation_page_leaks_no_referrer_and_its_own_null_origin_post_is_accepted(
    seeded: tuple[Flask, dict[str, str]],  # noqa: F811
) -> None:
    app, _ = seeded
    desk = app.extensions["kaizen"].desk
    path = desk.create_person(
        Context(SYSTEM), "new.starter", name="New Starter", email="new.starter@example.com", roles=["reporter"]
    ).invitation_path
    client = app.test_client()
    page = client.get(path)
    assert page.status_code == 200 and page.headers["Referrer-Policy"] == "no-referrer"
    form = {"csrf": _csrf(client, path), "password": PASSWORD, "password_confirm": PASSWORD}
    for site in (None, "cross-site"):  # `null` from another site's page, or saying nothing: refused
        headers = {"Origin": "null", **({"Sec-Fetch-Site": site} if site else {})}
        assert client.post(path, data=form, headers=headers).status_code == 403
    own = client.post(path, data=form, headers={"Origin": "null", "Sec-Fetch-Site": "same-origin"})
    assert own.status_code == 303  # what Chromium sends from a no-referrer page of ours
    assert client.get("/console/me").status_code == 200  # and the person is signed in
    used = app.test_client().get(path)
    assert used.status_code == 404 and "Ask an administrator" in used.text
