"""A real OpenID provider for tests: `node tests/oidc/provider.mjs` (panva's oidc-provider).

`.ci/ensure-oidc-provider` installs the package into .ci/oidc/node_modules from the committed
lock file; nothing is downloaded here. Without node or the package the tests skip locally and
fail under `CI=true`, like the browser tests.

    with running_provider(redirect_uri, accounts) as provider:
        provider.issuer  # http://127.0.0.1:<free port>, discovery already answering
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "tests" / "oidc" / "provider.mjs"
PACKAGE = ROOT / ".ci" / "oidc" / "node_modules" / "oidc-provider" / "package.json"
CLIENT_ID = "kaizen-desk-console"
CLIENT_SECRET = "a-test-only-client-secret-of-enough-length"
START_SECONDS = 20.0
# The issuer's host: not the console's 127.0.0.1, so that the provider is another *site* (ports do
# not count for SameSite) and the browser treats the redirect back as cross-site, as in production.
PUBLIC_HOST = "localhost"


def unavailable(reason: str) -> None:
    """Skip locally; under CI=true a missing provider is a failure, never a silent skip."""
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"single sign-on tests must run under CI=true: {reason}")
    pytest.skip(reason)


def node_binary() -> str:
    """Node.js and the installed package, or a skip (a failure under CI=true) saying what to run."""
    node = shutil.which("node")
    if node is None:
        unavailable("node is not installed (Node.js 18+ runs tests/oidc/provider.mjs)")
        raise AssertionError("unreachable")
    if not PACKAGE.exists():
        unavailable("oidc-provider is not installed; run .ci/ensure-oidc-provider")
    return node


@dataclass(frozen=True)
class Provider:
    issuer: str
    client_id: str
    client_secret: str
    accounts: Mapping[str, Mapping[str, Any]]


@contextmanager
def running_provider(
    redirect_uri: str, accounts: Mapping[str, Mapping[str, Any]], id_token_claims: bool = False
) -> Iterator[Provider]:
    """Start the provider on a free port, wait for its discovery document, stop it afterwards.

    `accounts` maps a login (typed into the provider's login form, any password) to its claims
    (`email`, `email_verified`, `name`). With `id_token_claims` they are in the ID token too;
    otherwise only the userinfo endpoint has them."""
    node = node_binary()
    with tempfile.TemporaryDirectory(prefix="kaizen-oidc-") as scratch:
        accounts_file = Path(scratch) / "accounts.json"
        accounts_file.write_text(json.dumps(accounts), encoding="utf-8")
        log = (Path(scratch) / "provider.log").open("w+", encoding="utf-8")
        command = [
            node,
            str(SCRIPT),
            "--port",
            "0",
            "--public-host",
            PUBLIC_HOST,
            "--client-id",
            CLIENT_ID,
            "--client-secret",
            CLIENT_SECRET,
            "--redirect-uri",
            redirect_uri,
            "--accounts",
            str(accounts_file),
        ]
        if id_token_claims:
            command.append("--id-token-claims")
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=log, text=True, cwd=ROOT)
        try:
            issuer = _wait_until_listening(process, log)
            yield Provider(issuer, CLIENT_ID, CLIENT_SECRET, accounts)
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
            if process.stdout is not None:
                process.stdout.close()
            log.close()


def _wait_until_listening(process: subprocess.Popen[str], log: Any) -> str:
    assert process.stdout is not None
    line = process.stdout.readline().strip()  # "listening <issuer>", or "" if node exited
    if not line.startswith("listening "):
        process.wait(timeout=10)
        log.seek(0)
        raise RuntimeError(f"the OpenID provider did not start ({process.returncode}): {log.read()[-2000:]}")
    issuer = line.removeprefix("listening ")
    deadline = time.monotonic() + START_SECONDS
    while True:
        try:
            answer = requests.get(f"{issuer}/.well-known/openid-configuration", timeout=2)
            if answer.ok and answer.json().get("issuer") == issuer:
                return issuer
        except requests.RequestException:
            pass
        if time.monotonic() > deadline or process.poll() is not None:
            log.seek(0)
            raise RuntimeError(f"the OpenID provider at {issuer} did not answer discovery: {log.read()[-2000:]}")
        time.sleep(0.1)
