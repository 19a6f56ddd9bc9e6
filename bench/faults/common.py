"""Printing a drill's outcome the same way for every drill."""

from __future__ import annotations

from typing import Any

from bench.common import emit, table


def finish(name: str, title: str, result: dict[str, Any], figures: list[tuple[str, Any]]) -> int:
    """Print the figures, the checks and PASS/FAIL; return the exit code."""
    rows = [[label, value] for label, value in figures]
    for check, ok in result["checks"].items():
        rows.append([f"check: {check}", "ok" if ok else "FAILED"])
    result["passed"] = all(result["checks"].values())
    table(f"{title}: {'PASS' if result['passed'] else 'FAIL'}", ["figure", "value"], rows)
    for problem in result.get("problems", [])[:20]:
        print(f"  problem: {problem}")
    emit(name, result)
    print(f"{name}: {'PASS' if result['passed'] else 'FAIL'}", flush=True)
    return 0 if result["passed"] else 1
