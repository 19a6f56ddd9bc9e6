"""Bitemporal import: replay a command log with its original business times.

The whole file is first replayed against an in-memory copy of the application, so every error
(malformed line, unknown ref, a transition the rules refuse) is reported with its line number
before anything is written. Each line then runs with an idempotency key derived from the file's
digest and the line number: a re-run after a crash replays what was applied and applies the
rest, with no duplicates and no gaps.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from application.config import StoreSettings
from application.context import Context, Receipt
from domain.actor import Actor
from domain.errors import DomainError

ISSUE_COMMANDS = {
    "report": "report",
    "triage": "triage",
    "assign": "assign",
    "respond": "respond",
    "comments": "comment_on_issue",
    "escalate": "escalate",
    "vendor-updates": "record_vendor_update",
    "wait": "wait",
    "resume": "resume",
    "workarounds": "record_workaround",
    "retire": "retire_workaround",
    "changes": "schedule_change",
    "resolve": "resolve",
    "reopen": "reopen",
    "close": "close_issue",
}
SUGGESTION_COMMANDS = {
    "suggest": "submit_suggestion",
    "votes": "vote",
    "merge": "merge",
    "review": "review",
    "decision": "decide",
    "implemented": "mark_implemented",
    "reward": "reward",
    "comments": "comment_on_suggestion",
}
CREATING = {"report": "issue", "suggest": "suggestion"}
DATETIME_FIELDS = ("noticed_at", "scheduled_for")
DATE_FIELDS = ("retire_by",)
ROLES = {"reporter", "admin", "auditor", "app"}
Progress = Callable[[int, int], None]


class ImportLineError(ValueError):
    """A line that cannot be imported; the message starts with its line number."""


@dataclass(frozen=True)
class Line:
    number: int
    at: datetime
    actor: Actor
    command: str
    ref: str
    data: dict[str, Any]


def _fail(number: int, message: str) -> ImportLineError:
    return ImportLineError(f"line {number}: {message}")


def parse_line(number: int, text: str) -> Line:
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        raise _fail(number, f"not valid JSON ({exc.msg})") from None
    if not isinstance(raw, dict):
        raise _fail(number, "each line must be a JSON object")
    unknown = set(raw) - {"at", "actor", "role", "via", "command", "ref", "data"}
    if unknown:
        raise _fail(number, f"unknown fields {sorted(unknown)}")
    for name in ("at", "actor", "role", "command", "ref"):
        if not isinstance(raw.get(name), str) or not raw[name]:
            raise _fail(number, f"'{name}' must be a non-empty string")
    try:
        at = datetime.fromisoformat(raw["at"].replace("Z", "+00:00"))
    except ValueError:
        raise _fail(number, f"'at' is not an RFC 3339 time: {raw['at']!r}") from None
    if at.tzinfo is None:
        raise _fail(number, "'at' needs a UTC offset")
    role = raw["role"]
    if role not in ROLES and not role.startswith("vendor:"):
        raise _fail(number, f"unknown role {role!r}")
    command = raw["command"]
    if command not in ISSUE_COMMANDS and command not in SUGGESTION_COMMANDS:
        raise _fail(number, f"unknown command {command!r}")
    data = raw.get("data") or {}
    if not isinstance(data, dict):
        raise _fail(number, "'data' must be an object")
    via = raw.get("via")
    if via is not None and not isinstance(via, str):
        raise _fail(number, "'via' must be a string or null")
    return Line(number, at, Actor(raw["actor"], role, via), command, raw["ref"], data)


def parse(lines: Iterable[str]) -> list[Line]:
    parsed: list[Line] = []
    for number, text in enumerate(lines, start=1):
        if not text.strip():
            continue
        line = parse_line(number, text)
        if parsed and line.at < parsed[-1].at:
            raise _fail(
                number, f"lines must be in time order ({line.at.isoformat()} is before line {parsed[-1].number})"
            )
        parsed.append(line)
    return parsed


def _converted(data: dict[str, Any], number: int) -> dict[str, Any]:
    out = dict(data)
    for name in DATETIME_FIELDS:
        if isinstance(out.get(name), str):
            try:
                out[name] = datetime.fromisoformat(out[name].replace("Z", "+00:00"))
            except ValueError:
                raise _fail(number, f"'{name}' is not an RFC 3339 time") from None
    for name in DATE_FIELDS:
        if isinstance(out.get(name), str):
            try:
                out[name] = date.fromisoformat(out[name])
            except ValueError:
                raise _fail(number, f"'{name}' is not a date (YYYY-MM-DD)") from None
    return out


class Replayer:
    """Runs parsed lines against one desk, keeping the ref -> key map."""

    def __init__(self, desk: Any, digest: str) -> None:
        self.desk = desk
        self.digest = digest
        self.refs: dict[str, tuple[str, str]] = {}  # ref -> (kind, key)

    def run(self, line: Line) -> Receipt:
        ctx = Context(
            line.actor,
            at=line.at,
            idempotency_key=f"import:{self.digest}:{line.number}",
            fingerprint=self.digest,
            principal="kaizen-import",
        )
        data = _converted(line.data, line.number)
        if line.command in CREATING:
            if line.ref in self.refs:
                raise _fail(line.number, f"ref {line.ref!r} is already defined")
            method = ISSUE_COMMANDS.get(line.command) or SUGGESTION_COMMANDS[line.command]
            receipt: Receipt = getattr(self.desk, method)(ctx, **data)
            self.refs[line.ref] = (CREATING[line.command], receipt.key)
            return receipt
        if line.ref not in self.refs:
            raise _fail(line.number, f"ref {line.ref!r} is not defined by an earlier line")
        kind, key = self.refs[line.ref]
        table = ISSUE_COMMANDS if kind == "issue" else SUGGESTION_COMMANDS
        if line.command not in table:
            raise _fail(line.number, f"command {line.command!r} does not apply to a {kind}")
        if line.command == "merge" and isinstance(data.get("into"), str):
            data["into"] = self.refs.get(data["into"], (kind, data["into"]))[1]
        if line.command == "retire":
            return self.desk.retire_workaround(ctx, key, data.pop("workaround_id", ""), **data)
        if line.command == "votes" and data.pop("withdraw", False):
            return self.desk.withdraw_vote(ctx, key)
        return getattr(self.desk, table[line.command])(ctx, key, **data)

    def run_checked(self, line: Line) -> Receipt:
        try:
            return self.run(line)
        except ImportLineError:
            raise
        except TypeError as exc:
            raise _fail(line.number, f"data does not fit command {line.command!r}: {exc}") from None
        except (DomainError, ValueError) as exc:
            raise _fail(line.number, str(exc)) from None
        except Exception as exc:
            name = type(exc).__name__
            if name in ("NotFound", "StaleVersion", "IdempotencyKeyReused", "ConcurrencyExhausted"):
                raise _fail(line.number, str(exc)) from None
            raise


def import_lines(desk: Any, text: str, progress: Progress | None = None) -> dict[str, str]:
    """Validate the whole log on an in-memory copy, then apply it; returns ref -> key."""
    from application.desk import KaizenDesk

    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]
    lines = parse(text.splitlines())
    rehearsal = KaizenDesk(
        StoreSettings(url="memory:", engine="popo", environment={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    )
    try:
        dry = Replayer(rehearsal, digest)
        for line in lines:
            dry.run_checked(line)
    finally:
        rehearsal.close()
    live = Replayer(desk, digest)
    for done, line in enumerate(lines, start=1):
        live.run_checked(line)
        if progress is not None:
            progress(done, len(lines))
    return {ref: key for ref, (_, key) in live.refs.items()}


def import_file(desk: Any, path: str, progress: Progress | None = None) -> dict[str, str]:
    with open(path, encoding="utf-8") as handle:
        return import_lines(desk, handle.read(), progress)
