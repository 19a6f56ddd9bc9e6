"""The what-if form: an auditor edits SAP's targets, sees the figures under them beside today's,
and a target the policy API would refuse is refused beside the form with its detail, nothing written."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.browser.conftest import Console

pytestmark = pytest.mark.xdist_group("browser-desk")  # the work desk: its own worker (tests/browser/conftest.py)


def press(page: Any, selector: str) -> Any:
    with page.expect_response(lambda r: r.request.method == "POST") as answer:
        page.click(selector)
    page.wait_for_load_state()
    return answer.value


def figures(page: Any, vendor: str) -> list[int]:
    """Met, breached, running today, then under the proposal (the % columns left out)."""
    cells = page.locator(f"table.what-if tr[data-vendor={vendor}] td").all_inner_texts()
    return [int(cells[i]) for i in (0, 1, 2, 4, 5, 6)]


def test_an_auditor_sees_tighter_targets_beside_todays_figures(open_as: Any, console: Console) -> None:
    page = open_as("auditor")
    page.goto(console.url("/console/compliance"))
    page.click("text=What-if: figures under proposed targets")
    page.select_option("select[name=vendor]", "sap")
    document = json.loads(page.input_value("textarea[name=policy]"))
    for targets in document["targets"].values():
        targets["response"] = "PT1M"
    page.fill("textarea[name=policy]", json.dumps(document))
    page.select_option("select[name=kind]", "response")
    head = int(console.desk.recorder.max_notification_id() or 0)
    answer = press(page, "button[data-action=what-if]")
    assert answer.status == 200
    met, breached, running, met_then, breached_then, running_then = figures(page, "sap")
    assert met + breached + running == met_then + breached_then + running_then > 0
    assert met_then <= met and breached_then >= breached
    assert figures(page, "internal")[:3] == figures(page, "internal")[3:]  # only SAP's clocks change
    assert int(console.desk.recorder.max_notification_id() or 0) == head  # nothing written

    document["targets"]["P1"]["response"] = "PT0H"
    typed = json.dumps(document)
    page.fill("textarea[name=policy]", typed)
    answer = press(page, "button[data-action=what-if]")
    assert answer.status == 422
    alert = page.locator("[role=alert]").inner_text()
    assert "targets.P1.response" in alert
    assert json.loads(page.input_value("textarea[name=policy]")) == document  # kept as typed
    assert int(console.desk.recorder.max_notification_id() or 0) == head
