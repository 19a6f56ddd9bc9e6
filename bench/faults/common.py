"""Printing a drill's outcome the same way for every drill."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from bench.common import emit, table

NOBODY = 65534
AS_NOBODY = ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups"]
ROOT = Path(__file__).resolve().parents[2]


class DrillCannotRun(Exception):
    """This machine or checkout cannot host the drill; the message says what to change."""


def why_nobody_cannot_run(module: str = "interfaces.serve") -> str | None:
    """Why uid 65534 cannot import `module` from this checkout with this interpreter, or None.

    Root ignores file modes, so the read-only drill must run its server as another user, and
    that user must reach the checkout and its virtual environment: not so under a 0700
    directory, as a fresh clone in a private temporary directory is."""
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        return "needs root, to hand the store's files to uid 65534"
    if shutil.which("setpriv") is None:
        return "needs setpriv (util-linux), to run the server as uid 65534"
    probe = subprocess.run(
        [*AS_NOBODY, sys.executable, "-c", f"import {module}"],
        cwd="/",
        env={**os.environ, "PYTHONPATH": str(ROOT), "PYTHONDONTWRITEBYTECODE": "1"},
        capture_output=True,
        timeout=60,
    )
    if probe.returncode != 0:
        return (
            f"uid {NOBODY} cannot run the project from {ROOT} with {sys.executable} "
            "(a parent directory is not readable by others, e.g. a 0700 temporary directory): "
            "run it from a checkout other users can read"
        )
    return None


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
