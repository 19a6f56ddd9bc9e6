"""An auditor opens an issue in the browser and reads which signed checkpoint covers its latest
event, on both stores; an event after the checkpoint makes the line go away until the next one."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from adapters.checkpoint_keys import generate, load_signer
from adapters.checkpoint_log import PublishedLog
from application.checkpoints import make_checkpoint
from application.context import Context
from domain.actor import Actor
from tests.browser.conftest import Console

pytestmark = pytest.mark.xdist_group("browser")

REPORTER = Actor("cherry.mak", "reporter")


def test_the_auditor_sees_the_checkpoint_that_covers_the_issue(
    open_as: Any, console: Console, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    directory = tmp_path / "published"
    monkeypatch.setenv("KAIZEN_CHECKPOINT_DIR", str(directory))  # read on every page view
    key = tmp_path / "checkpoint.key"
    generate(key)
    desk = console.desk
    issue = desk.report(
        Context(REPORTER),
        title="Checkpoint covers this",
        description="Reported to be sealed.",
        module="finance",
        impact_scope="team",
        urgency="minor",
    ).key
    page = open_as("auditor")
    page.goto(console.url(f"/console/issues/{issue}"))
    assert page.locator("#checkpoint").count() == 0
    with PublishedLog(directory) as log:
        signed = make_checkpoint(desk, load_signer(key), log)
    page.reload()
    section = page.locator("#checkpoint")
    assert section.get_attribute("data-checkpoint-position") == str(signed["position"])
    text = section.inner_text()
    assert "Signed checkpoint" in text and str(signed["key_id"]) in text and str(signed["root"]) in text
    assert f"kaizen audit prove --key {issue} --version 1" in text
    desk.comment_on_issue(Context(REPORTER), issue, body="one more event")
    page.reload()
    assert page.locator("#checkpoint").count() == 0  # the latest event is not covered yet
