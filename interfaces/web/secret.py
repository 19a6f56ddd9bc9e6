"""Where the console's signing key comes from.

The session cookie is signed (itsdangerous HMAC), so every process that may receive a request
must hold the same key: several gunicorn workers on one host, and for PostgreSQL several hosts
behind a load balancer. The rule, in order:

1. `KAIZEN_SECRET_KEY` (at least 32 characters) wins everywhere. Required for PostgreSQL:
   hosts share no file system, and storing a signing key in the database it protects would
   hand it to anyone with read access to the views.
2. SQLite: a random key in `kaizen-secret.key` beside the database file, created 0600 on first
   start. Workers that race to create it write private temporary files and `link()` one into
   place; the loser reads the winner's, so all workers agree. The database's directory is
   already where this deployment keeps its state (and its backups).
3. Otherwise (PostgreSQL without the variable, an unwritable directory) the console is
   switched off: its pages answer 503 saying what to set. Failing closed beats a per-process
   key that would sign users out whenever a request reaches another worker.

An in-memory SQLite database lives in one process, so a per-process key is right there.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from application.config import StoreSettings

SECRET_ENV = "KAIZEN_SECRET_KEY"
KEY_FILE = "kaizen-secret.key"
MIN_LENGTH = 32


@dataclass(frozen=True)
class SecretChoice:
    """The key (None: console disabled) and, for the 503 page and the logs, where it came from."""

    key: bytes | None
    source: str


def console_secret(settings: StoreSettings, env: Mapping[str, str] | None = None) -> SecretChoice:
    """Pick the signing key by the rule in the module docstring."""
    source = os.environ if env is None else env
    configured = source.get(SECRET_ENV, "")
    if configured:
        if len(configured) < MIN_LENGTH:
            return SecretChoice(None, f"{SECRET_ENV} is shorter than {MIN_LENGTH} characters")
        return SecretChoice(configured.encode("utf-8"), SECRET_ENV)
    if settings.engine != "sqlite":
        return SecretChoice(None, f"set {SECRET_ENV} (PostgreSQL deployments share no key file)")
    dbname = settings.environment.get("SQLITE_DBNAME", "")
    if not dbname or dbname.startswith(":memory:") or dbname.startswith("file:"):
        return SecretChoice(secrets.token_bytes(32), "per-process key (in-memory database)")
    path = Path(dbname).resolve().parent / KEY_FILE
    try:
        return SecretChoice(file_key(path), str(path))
    except OSError as exc:
        return SecretChoice(None, f"cannot create {path} ({exc.strerror}); set {SECRET_ENV}")


def file_key(path: Path) -> bytes:
    """The key stored at `path`, created atomically (and readable by the owner only) if absent."""
    try:
        return _read(path)
    except FileNotFoundError:
        pass
    scratch = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(scratch, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="ascii") as out:
            out.write(secrets.token_hex(32) + "\n")
            out.flush()
            os.fsync(out.fileno())
        with contextlib.suppress(FileExistsError):  # another worker's key is already in place: use it
            os.link(scratch, path)  # atomic, and never replaces an existing file
    finally:
        scratch.unlink(missing_ok=True)
    return _read(path)


def _read(path: Path) -> bytes:
    text = path.read_text(encoding="ascii").strip()
    if len(text) < MIN_LENGTH:
        raise OSError(0, f"{path} holds a key shorter than {MIN_LENGTH} characters")
    return text.encode("ascii")


def derive(key: bytes, purpose: str) -> bytes:
    """A key for one purpose, so the configured secret can serve others without reuse."""
    return hmac.new(key, f"kaizen-console:{purpose}".encode(), hashlib.sha256).digest()
