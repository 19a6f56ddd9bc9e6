"""axe-core inside the browser tests: the console's pages hold no serious or critical violation.

axe-core (Deque's engine, the one Lighthouse and the browsers' own audits use) is installed by
`.ci/ensure-axe` into .ci/axe/node_modules from the committed lock file and injected from disk
into the page under test, so nothing is fetched at test time. Rules are axe's defaults for
WCAG 2.0/2.1 A and AA plus its best practices; a violation whose impact is `serious` or
`critical` fails the test with the rule, the help text and the first offending elements.
"""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path
from typing import Any

import pytest

AXE = Path(__file__).resolve().parents[2] / ".ci" / "axe" / "node_modules" / "axe-core" / "axe.min.js"
FAILING_IMPACTS = ("serious", "critical")
RUN = """async () => {
  const result = await axe.run(document, {resultTypes: ["violations"]});
  return result.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 3).map(n => n.target.join(" "))
  }));
}"""


def require_axe() -> None:
    """Skip (locally) or fail (under CI=true) when axe-core is not installed."""
    if AXE.exists():
        return
    reason = f"{AXE} is missing; run .ci/ensure-axe"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"accessibility tests must run under CI=true: {reason}")
    pytest.skip(reason)


@cache
def axe_source() -> str:
    return AXE.read_text(encoding="utf-8")


def violations(page: Any) -> list[dict[str, Any]]:
    """The serious and critical axe violations of the page as it is now."""
    require_axe()
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        # Evaluated through the DevTools protocol, which the page's Content-Security-Policy
        # (script-src 'self') does not govern; a <script> tag would be refused, rightly.
        page.evaluate(axe_source())
    found: list[dict[str, Any]] = page.evaluate(RUN)
    return [v for v in found if v["impact"] in FAILING_IMPACTS]


def describe(found: list[dict[str, Any]]) -> str:
    return "; ".join(f"{v['impact']} {v['id']} ({v['help']}) at {', '.join(v['nodes'])}" for v in found)


def assert_accessible(page: Any) -> None:
    found = violations(page)
    assert not found, f"{page.url}: {describe(found)}"
