"""**Attach file** on the issue page, through the real server on both stores: a clerk attaches a
screenshot (PNG) to their own issue and sees its thumbnail; a PDF declared as a PNG is refused
beside the form (415) and nothing is written."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from application.context import Context
from domain.actor import Actor
from tests.browser.conftest import Console
from tests.browser.test_console_report import head, press

pytestmark = pytest.mark.xdist_group("browser-desk")  # the work desk: its own worker (tests/browser/conftest.py)

CLERK = Actor("cherry.mak", "reporter")


def own_issue(console: Console) -> str:
    receipt = console.desk.report(
        Context(CLERK),
        title="Goods receipt screen shows an empty grid",
        description="The grid is empty after posting.",
        module="warehouse",
        impact_scope="team",
        urgency="degraded",
    )
    return receipt.key


def test_a_clerk_attaches_a_screenshot_and_sees_its_thumbnail(open_as: Any, console: Console, tmp_path: Path) -> None:
    key = own_issue(console)
    screenshot = tmp_path / "empty-grid.png"
    Image.new("RGB", (800, 600), (20, 120, 200)).save(screenshot, format="PNG")
    page = open_as("reporter")
    page.goto(console.url(f"/console/issues/{key}"))
    page.set_input_files("#attachments-file", str(screenshot))
    page.fill("#attachments-comment", "This is what I see")
    answer = press(page, "button[data-action=attachments]")
    assert answer.status in (200, 303)
    thumbnail = page.locator(f"img[data-thumbnail='{key}-a1']")
    thumbnail.wait_for()
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=thumbnail.element_handle())
    assert 0 < thumbnail.evaluate("img => img.naturalWidth") <= 320
    assert console.desk.get_issue(key).attachments[0]["name"] == "empty-grid.png"


def test_a_file_that_is_not_what_it_says_is_refused_beside_the_form(
    open_as: Any, console: Console, tmp_path: Path
) -> None:
    key = own_issue(console)
    fake = tmp_path / "not-really.png"
    fake.write_bytes(b"%PDF-1.7\n%%EOF\n")
    page = open_as("reporter")
    page.goto(console.url(f"/console/issues/{key}"))
    before = head(console)
    page.set_input_files("#attachments-file", str(fake))
    answer = press(page, "button[data-action=attachments]")
    assert answer.status == 415
    assert page.locator("#attachments-error[role=alert]").is_visible()
    assert head(console) == before
    assert console.desk.get_issue(key).attachments == []
