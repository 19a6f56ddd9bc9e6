"""Notices the console builds on the server (after a command succeeds) reach the person in their
language, with the values filled in after translating, so a Vietnamese clerk does not read an
English sentence after submitting a suggestion."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from conftest import build_app
from flask import Flask

from application.context import Context
from domain.actor import SYSTEM
from interfaces.web.secret import SECRET_ENV
from tests.conftest import FakeClock, console_client, enrol_with_password

PASSWORD = "Milk tea at the Kwun Tong office"


@pytest.fixture
def console_app(store_url: str, clock: FakeClock, monkeypatch: pytest.MonkeyPatch) -> Iterator[Flask]:
    """The app with the console on (on PostgreSQL the console needs its signing key set)."""
    monkeypatch.setenv(SECRET_ENV, "console-notices-test-signing-key-0123456789")
    app = build_app(store_url, clock)
    try:
        yield app
    finally:
        app.extensions["kaizen"].close()


def test_the_notice_after_a_suggestion_is_in_the_persons_language(console_app: Flask) -> None:
    app = console_app
    desk = app.extensions["kaizen"].desk
    enrol_with_password(desk, "minh.tran", ["reporter"], PASSWORD, name="Minh Tran")
    desk.update_person(Context(SYSTEM), "minh.tran", {"language": "vi", "time_zone": "Asia/Ho_Chi_Minh"})
    client = console_client(app, login="minh.tran", password=PASSWORD)
    form = client.get("/console/suggestions/new").text
    csrf = re.search(r'name="csrf" value="([^"]+)"', form)
    assert csrf is not None
    body = {"title": "In nhãn pallet", "description": "Đỡ gõ lại số lô", "module": "warehouse", "csrf": csrf.group(1)}
    answer = client.post("/console/suggestions/new", data=body, follow_redirects=True)
    assert answer.status_code == 200
    notice = re.search(r"Đề xuất (SG-\d+) đã được gửi\.", answer.text)
    assert notice is not None, "the notice is in Vietnamese with the key filled in"
    assert "was submitted" not in answer.text
