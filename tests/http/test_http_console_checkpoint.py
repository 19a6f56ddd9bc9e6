"""The issue page names the latest signed checkpoint covering the issue's latest event, on both
stores; it shows nothing while no checkpoint covers it, or when none is published at all."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from adapters.checkpoint_keys import generate, load_signer
from adapters.checkpoint_log import PublishedLog
from application.checkpoints import make_checkpoint
from application.context import Context
from application.desk import KaizenDesk
from domain.actor import SYSTEM
from interfaces.http.app import create_app
from interfaces.http.settings import HttpSettings
from interfaces.web.secret import SECRET_ENV
from tests.conftest import ADMIN, REPORTER, FakeClock, console_client, ctx

ISSUE: dict[str, Any] = dict(
    title="Month-end close 月结", description="d", module="finance", impact_scope="team", urgency="minor"
)


@pytest.fixture
def console(store_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[tuple[Flask, str, Path]]:
    monkeypatch.setenv(SECRET_ENV, "checkpoint-console-test-signing-key-0123456789")
    monkeypatch.setenv("KAIZEN_CHECKPOINT_DIR", str(tmp_path / "published"))
    clock = FakeClock(datetime(2026, 3, 2, 1, 0, tzinfo=UTC))
    app = create_app(HttpSettings(database_url=store_url, run_projections=True, clock=clock))
    desk: KaizenDesk = app.extensions["kaizen"].desk
    token = desk.issue_token(Context(SYSTEM), "admin", ADMIN.id)[1]
    key = tmp_path / "checkpoint.key"
    generate(key)
    try:
        yield app, token, key
    finally:
        app.extensions["kaizen"].close()


def _sign(desk: KaizenDesk, key: Path, directory: str) -> dict[str, object]:
    with PublishedLog(directory) as log:
        return make_checkpoint(desk, load_signer(key), log)


def test_the_issue_page_shows_the_checkpoint_that_covers_its_latest_event(
    console: tuple[Flask, str, Path], tmp_path: Path
) -> None:
    app, token, key = console
    desk: KaizenDesk = app.extensions["kaizen"].desk
    issue = desk.report(ctx(REPORTER), vendor="sap", **ISSUE).key
    app.extensions["kaizen"].read.wait_for(desk.recorder.max_notification_id(), 10)
    client = console_client(app, token=token)
    page = client.get(f"/console/issues/{issue}")
    assert page.status_code == 200 and 'id="checkpoint"' not in page.text  # nothing published yet
    signed = _sign(desk, key, str(tmp_path / "published"))
    page = client.get(f"/console/issues/{issue}")
    assert page.status_code == 200
    assert f'data-checkpoint-position="{signed["position"]}"' in page.text
    assert str(signed["root"]) in page.text and str(signed["key_id"]) in page.text
    assert f"kaizen audit prove --key {issue} --version 1" in page.text
    desk.escalate(ctx(), issue, vendor="sap", vendor_ticket="INC-1")  # the latest event is not covered yet
    app.extensions["kaizen"].read.wait_for(desk.recorder.max_notification_id(), 10)
    assert 'id="checkpoint"' not in client.get(f"/console/issues/{issue}").text
