"""The console's server side without a browser: signing key, chain check, charts, headers, CSV.

These run on both stores (the shared `store_url` fixture) and need no Chromium, so they also
guard the console on machines where the browser tests skip.
"""

from __future__ import annotations

import csv
import io
import re
import sqlite3
import stat
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from application.audit import verify
from application.config import store_settings
from application.context import Context
from application.desk import KaizenDesk
from domain.actor import SYSTEM
from interfaces.http.app import create_app
from interfaces.http.settings import HttpSettings
from interfaces.web.chain import verify_chain
from interfaces.web.charts import clock_timeline, percent_bars
from interfaces.web.secret import KEY_FILE, SECRET_ENV, console_secret, file_key
from tests.browser.conftest import PASSWORD
from tests.conftest import ADMIN, REPORTER, VENDOR_SAP, FakeClock, console_client, ctx, enrol_with_password

ISSUE: dict[str, Any] = dict(
    title='=HYPERLINK("http://x") 月结',
    description="d",
    module="finance",
    impact_scope="company",
    urgency="blocking",
    vendor="sap",
    site="HK",
)
LONG_SECRET = "s" * 40


def test_an_explicit_secret_wins_and_a_short_one_switches_the_console_off(tmp_path: Path) -> None:
    settings = store_settings(f"sqlite:///{tmp_path / 'k.db'}")
    assert console_secret(settings, {SECRET_ENV: LONG_SECRET}).key == LONG_SECRET.encode()
    assert console_secret(settings, {SECRET_ENV: "short"}).key is None
    postgres = store_settings("postgresql://u@127.0.0.1:5432/kaizen")
    choice = console_secret(postgres, {})
    assert choice.key is None and SECRET_ENV in choice.source
    assert not (tmp_path / KEY_FILE).exists()


def test_the_sqlite_key_file_is_private_and_every_worker_reads_the_same_key(tmp_path: Path) -> None:
    settings = store_settings(f"sqlite:///{tmp_path / 'k.db'}")
    with ThreadPoolExecutor(8) as pool:
        keys = set(pool.map(lambda _: console_secret(settings, {}).key, range(16)))
    assert len(keys) == 1 and len(next(iter(keys)) or b"") == 64
    path = tmp_path / KEY_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == [KEY_FILE]  # no scratch files left behind
    assert file_key(path) == next(iter(keys))


@pytest.fixture
def seeded(store_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Flask, dict[str, str]]]:
    """An app with projections on either store (PostgreSQL needs the key from the environment)."""
    monkeypatch.setenv(SECRET_ENV, LONG_SECRET)
    clock = FakeClock(datetime(2026, 3, 2, 1, 0, tzinfo=UTC))
    app = create_app(HttpSettings(database_url=store_url, run_projections=True, clock=clock))
    desk: KaizenDesk = app.extensions["kaizen"].desk
    tokens = {
        name: desk.issue_token(Context(SYSTEM), role, subject)[1]
        for name, role, subject in (
            ("admin", "admin", ADMIN.id),
            ("reporter", "reporter", REPORTER.id),
            ("sap", "vendor:sap", VENDOR_SAP.id),
            ("app", "app", "expense-app"),
        )
    }
    for actor in (REPORTER, VENDOR_SAP):  # people who sign in with a password (`signed_in_as`)
        enrol_with_password(desk, actor.id, [actor.role], PASSWORD)
    key = desk.report(ctx(REPORTER), **ISSUE).key
    desk.escalate(ctx(), key, vendor="sap", vendor_ticket="INC-1")
    clock.advance(hours=2)
    position = desk.recorder.max_notification_id()
    app.extensions["kaizen"].read.wait_for(position, 10)
    try:
        yield app, tokens
    finally:
        app.extensions["kaizen"].close()


def signed_in(app: Flask, token: str) -> FlaskClient:
    client: FlaskClient = console_client(app, token=token)
    return client


def signed_in_as(app: Flask, login: str, password: str = PASSWORD) -> FlaskClient:
    """A client signed in through the login form, as a person."""
    client: FlaskClient = console_client(app, login=login, password=password)
    return client


def test_pages_answer_with_security_headers_and_csv_defuses_formulas(seeded: tuple[Flask, dict[str, str]]) -> None:
    app, tokens = seeded
    client = signed_in(app, tokens["admin"])
    page = client.get("/console/compliance?from=2026-01&to=2026-03")
    assert page.status_code == 200
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    assert page.headers["X-Frame-Options"] == "DENY" and page.headers["Cache-Control"] == "no-store"
    answer = client.get("/console/compliance.csv?table=breaches&from=2026-01&to=2026-03")
    rows = list(csv.DictReader(io.StringIO(answer.data.decode("utf-8-sig"))))
    assert [r["title"] for r in rows] == ["'" + ISSUE["title"]]  # a spreadsheet will not run it
    assert answer.headers["Content-Disposition"] == 'attachment; filename="sla-breaches-2026-01-to-2026-03.csv"'


def test_the_console_scopes_like_the_api(seeded: tuple[Flask, dict[str, str]]) -> None:
    app, tokens = seeded
    vendor = signed_in_as(app, VENDOR_SAP.id)
    assert vendor.get("/console/issues/KZ-1").status_code == 200
    assert vendor.get("/console/vendors/oracle").status_code == 404
    assert vendor.get("/console/agenda").status_code == 403
    app_client = app.test_client()
    csrf = re.search(r'name="csrf" value="([^"]+)"', app_client.get("/console/sign-in").text)
    assert csrf is not None
    refused = app_client.post("/console/sign-in", data={"token": tokens["app"], "csrf": csrf.group(1)})
    assert refused.status_code == 403  # an app token acts for others: no console session
    assert "for administrators" in refused.text
    assert app_client.get("/console/issues").status_code == 302
    assert app_client.get("/console/sign-in?next=//evil.example").status_code == 200


def test_without_a_signing_key_the_console_is_off_and_says_why(tmp_path: Path, monkeypatch: Any) -> None:
    def unwritable(path: Path) -> bytes:
        raise PermissionError(13, "Permission denied")

    monkeypatch.delenv(SECRET_ENV, raising=False)
    monkeypatch.setattr("interfaces.web.secret.file_key", unwritable)
    app = create_app(HttpSettings(database_url=f"sqlite:///{tmp_path / 'k.db'}", run_projections=False))
    try:
        answer = app.test_client().get("/console/sign-in")
        assert answer.status_code == 503 and SECRET_ENV in answer.text
        assert app.test_client().get("/healthz").status_code == 200  # the API is unaffected
    finally:
        app.extensions["kaizen"].close()


def _tamper(store_url: str, desk: KaizenDesk, key: str, version: int) -> None:
    """Change one stored event's bytes, as someone with database access could."""
    iid = desk.aggregate_id_of(key)
    if store_url.startswith("sqlite"):
        conn = sqlite3.connect(store_url.removeprefix("sqlite:///"))
        conn.execute(
            "UPDATE stored_events SET state = replace(state, 'INC-1', 'INC-9') "
            "WHERE originator_id = ? AND originator_version = ?",
            (iid.hex, version),
        )
        conn.commit()
        conn.close()
        return
    import psycopg

    with psycopg.connect(store_url, autocommit=True) as pg:
        row = pg.execute(
            "SELECT state FROM kaizen_events WHERE originator_id = %s AND originator_version = %s", (str(iid), version)
        ).fetchone()
        assert row is not None
        pg.execute(
            "UPDATE kaizen_events SET state = %s WHERE originator_id = %s AND originator_version = %s",
            (bytes(row[0]).replace(b"INC-1", b"INC-9"), str(iid), version),
        )


def test_one_issue_chain_agrees_with_the_full_verification(desk: KaizenDesk, store_url: str) -> None:
    key = desk.report(ctx(REPORTER), **ISSUE).key
    desk.escalate(ctx(), key, vendor="sap", vendor_ticket="INC-1")
    desk.record_vendor_update(ctx(VENDOR_SAP), key, message="looking")
    clean = verify_chain(desk, key)
    assert clean.ok and clean.events == 3 and clean.head is not None
    _tamper(store_url, desk, key, 2)
    broken = verify_chain(desk, key)
    assert (broken.ok, broken.broken_at) == (False, 2)
    assert [(b.name, b.version) for b in verify(desk).broken] == [(key, 2)]


def test_bar_geometry_keeps_the_chart_height_and_marks_empty_periods() -> None:
    chart = percent_bars([("01", 100.0), ("02", None), ("03", 50.0)], 300, 120)
    assert (chart.width, chart.height) == (300, 120)
    assert [b.tone for b in chart.bars] == ["good", "none", "poor"]
    full, empty, half = chart.bars
    assert full.y + full.height == pytest.approx(chart.baseline) and empty.height == 0
    assert half.height == pytest.approx(full.height / 2)


def test_timeline_cuts_a_clock_into_running_paused_and_overdue_stretches() -> None:
    start = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
    clock = SimpleNamespace(
        kind="vendor_response",
        vendor="sap",
        priority="P1",
        status="breached",
        started_at=start,
        due_at=start + timedelta(hours=2),
        stopped_at=start + timedelta(hours=4),
        paused=((start + timedelta(minutes=30), start + timedelta(hours=1)),),
    )
    (row,) = clock_timeline([clock], start + timedelta(hours=5)).rows
    assert [s.kind for s in row.spans] == ["running", "paused", "running", "overdue"]
    assert row.start_x < row.due_x < (row.stop_x or 0)


def test_the_cookie_is_secure_over_https_and_behind_a_tls_proxy(seeded: tuple[Flask, dict[str, str]]) -> None:
    app, _ = seeded
    for kwargs in ({"base_url": "https://desk.example"}, {"headers": {"X-Forwarded-Proto": "https"}}):
        cookie = app.test_client().get("/console/sign-in", **kwargs).headers["Set-Cookie"]
        assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Strict" in cookie
    plain = app.test_client().get("/console/sign-in").headers["Set-Cookie"]
    assert "Secure" not in plain
