"""Everything on the work desk's busiest pages (the report form, an issue page with every command
form) is reachable by keyboard alone: pressing Tab from
the top of the page visits every visible control of the page's main part (links, buttons,
inputs, selects, the summaries that open command forms), in a finite number of presses. Radio
buttons count once per group, as the keyboard enters a group once and moves in it with arrows."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from application.context import Context
from domain.actor import Actor
from tests.browser.conftest import ADMIN, Console

pytestmark = pytest.mark.xdist_group("browser-desk")  # the work desk: its own worker (tests/browser/conftest.py)

REPORTER = Actor("cherry.mak", "reporter")
MARK = """() => {
  const seen = new Set();
  const controls = [...document.querySelectorAll(
    "main a[href], main button, main input:not([type=hidden]), main select, main textarea, main summary")]
    .filter(e => e.checkVisibility() && !e.disabled && e.tabIndex >= 0)
    .filter(e => {
      if (e.type !== "radio") return true;
      if (seen.has(e.name)) return false;
      seen.add(e.name); return true;
    });
  controls.forEach((e, n) => { e.dataset.kbd = String(n); });
  return controls.length;
}"""
FOCUSED = """() => {
  const e = document.activeElement;
  if (!e) return null;
  if (e.type === "radio") {
    const first = document.querySelector(`input[type=radio][name="${e.name}"][data-kbd]`);
    return first ? first.dataset.kbd : null;
  }
  return e.dataset.kbd ?? null;
}"""


def unreached(page: Any) -> list[str]:
    """The controls Tab never reached, described; empty when every one was."""
    count = int(page.evaluate(MARK))
    assert count > 3, "the page has controls to reach"
    reached: set[str] = set()
    page.locator("body").focus()
    for _ in range(count * 3 + 40):
        page.keyboard.press("Tab")
        found = page.evaluate(FOCUSED)
        if found is not None:
            reached.add(str(found))
        if len(reached) == count:
            return []
    missing = [str(n) for n in range(count) if str(n) not in reached]
    return [
        str(page.evaluate(f"() => document.querySelector('[data-kbd=\"{n}\"]').outerHTML.slice(0, 120)"))
        for n in missing
    ]


@pytest.mark.parametrize("path", ["/console/issues/new", "/console/issues/{key}"])  # the clerk's, the admin's
def test_every_control_is_reachable_with_the_tab_key(open_as: Any, console: Console, path: str) -> None:
    key = console.desk.report(
        Context(REPORTER),
        title=f"Keyboard check {uuid.uuid4().hex[:6]}",
        description="Reached by Tab alone.",
        module="sales",
        impact_scope="team",
        urgency="minor",
    ).key
    console.desk.comment_on_issue(Context(ADMIN), key, body="Seen.", visibility="public")
    admin = open_as("admin")
    admin.goto(console.url(path.format(key=key)))
    assert unreached(admin) == []
