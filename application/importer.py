"""Bitemporal import: replay a command log with its original business times.

Every line is validated exactly as the same command over HTTP would be: the interface hands in
its schemas (`LineRules`), so an import line cannot carry what an HTTP body may not, and the
domain's own rules (`domain.values`) apply to both. The whole file is then rehearsed against
the live store (`application.rehearsal`: live aggregates and keys are seen, nothing is written),
so every error is reported with its line number before anything is written, and the rehearsal
allocates the same keys the real run will. Each line then runs with an idempotency key derived
from the file's digest and the line number: a re-run after a crash replays what was applied and
applies the rest, with no duplicates and no gaps.

The file is read three times from a seekable handle (digest, rehearsal, run), one line at a
time, so an import of tens of megabytes is never held in memory whole.
"""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import IO, Any, Protocol

from application.context import Context, Receipt
from application.errors import ApplicationError
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
Progress = Callable[[int, int], None]


class ImportLineError(ValueError):
    """A line that cannot be imported; the message starts with its line number."""


class ImportNotText(ImportLineError):
    """A line that is not UTF-8: the file is not a command log at all (HTTP 400, not 422)."""


class LineRules(Protocol):
    """How a line is validated: the same schemas as the HTTP commands, from the interface layer.

    Both methods raise ValueError with a message a person can act on; the importer adds the
    line number.
    """

    def envelope(self, raw: dict[str, Any]) -> dict[str, Any]:
        """`at` (an aware datetime), `actor`, `role`, `via`, `command`, `ref`, `data` (a dict)."""
        ...

    def body(self, kind: str, command: str, data: dict[str, Any]) -> dict[str, Any]:
        """The command's keyword arguments, loaded like the HTTP body of the same command."""
        ...


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


def parse_line(number: int, text: str, rules: LineRules) -> Line:
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        raise _fail(number, f"not valid JSON ({exc.msg})") from None
    except RecursionError:
        raise _fail(number, "nested too deeply to be a command") from None
    if not isinstance(raw, dict):
        raise _fail(number, "each line must be a JSON object")
    try:
        line = rules.envelope(raw)
    except ValueError as exc:
        raise _fail(number, str(exc)) from None
    command = line["command"]
    if command not in ISSUE_COMMANDS and command not in SUGGESTION_COMMANDS:
        raise _fail(number, f"unknown command {command!r}")
    actor = Actor(line["actor"], line["role"], line.get("via"))
    return Line(number, line["at"], actor, command, line["ref"], dict(line.get("data") or {}))


def numbered_lines(handle: IO[bytes]) -> Iterator[tuple[int, str]]:
    """Each non-blank line of the file with its number, decoded; from the start of the file."""
    handle.seek(0)
    for number, raw in enumerate(handle, start=1):
        try:
            text = raw.decode("utf-8-sig" if number == 1 else "utf-8")
        except UnicodeDecodeError:
            raise ImportNotText(f"line {number}: not UTF-8 text") from None
        if text.strip():
            yield number, text


def parse(handle: IO[bytes], rules: LineRules) -> Iterator[Line]:
    """The file's lines, validated one at a time, in time order."""
    previous: Line | None = None
    for number, text in numbered_lines(handle):
        line = parse_line(number, text, rules)
        if previous is not None and line.at < previous.at:
            raise _fail(number, f"lines must be in time order ({line.at.isoformat()} is before line {previous.number})")
        previous = line
        yield line


def digest_and_count(handle: IO[bytes]) -> tuple[str, int]:
    """The file's digest (it names the import's idempotency keys) and its number of lines."""
    handle.seek(0)
    digest = hashlib.sha256()
    count = 0
    for chunk in iter(lambda: handle.read(1 << 16), b""):
        digest.update(chunk)
        count += chunk.count(b"\n")
    return digest.hexdigest()[:32], count


class Replayer:
    """Runs parsed lines against one desk, keeping the ref -> key map."""

    def __init__(self, desk: Any, digest: str, rules: LineRules) -> None:
        self.desk = desk
        self.digest = digest
        self.rules = rules
        self.refs: dict[str, tuple[str, str]] = {}  # ref -> (kind, key)

    def run(self, line: Line) -> Receipt:
        ctx = Context(
            line.actor,
            at=line.at,
            idempotency_key=f"import:{self.digest}:{line.number}",
            fingerprint=self.digest,
            principal="kaizen-import",
        )
        if line.command in CREATING:
            if line.ref in self.refs:
                raise _fail(line.number, f"ref {line.ref!r} is already defined")
            data = self.rules.body(CREATING[line.command], line.command, line.data)
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
        raw = dict(line.data)
        if line.command == "merge" and isinstance(raw.get("into"), str) and raw["into"] in self.refs:
            raw["into"] = self.refs[raw["into"]][1]  # a ref of this file, or a key already stored
        data = self.rules.body(kind, line.command, raw)
        if line.command == "retire":
            return self.desk.retire_workaround(ctx, key, data.pop("workaround_id"), **data)
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
        except (DomainError, ApplicationError, ValueError) as exc:
            raise _fail(line.number, str(exc)) from None


def import_stream(desk: Any, handle: IO[bytes], rules: LineRules, progress: Progress | None = None) -> dict[str, str]:
    """Validate the whole log in a rehearsal over the live store, then apply it; returns ref -> key.

    `handle` is a seekable binary file of JSON Lines; it is read once per pass, line by line.
    """
    from application.rehearsal import RehearsalDesk

    digest, count = digest_and_count(handle)
    rehearsal = RehearsalDesk(desk)
    try:
        dry = Replayer(rehearsal, digest, rules)
        for line in parse(handle, rules):
            dry.run_checked(line)
    finally:
        rehearsal.close()
    live = Replayer(desk, digest, rules)
    for done, line in enumerate(parse(handle, rules), start=1):
        live.run_checked(line)
        if progress is not None:
            progress(min(done, count), count)
    return {ref: key for ref, (_, key) in live.refs.items()}


def import_text(desk: Any, text: str, rules: LineRules, progress: Progress | None = None) -> dict[str, str]:
    """`import_stream` of a log already in memory (a converted spreadsheet register, a test)."""
    return import_stream(desk, io.BytesIO(text.encode("utf-8")), rules, progress)


def import_file(desk: Any, path: str, rules: LineRules, progress: Progress | None = None) -> dict[str, str]:
    with open(path, "rb") as handle:
        return import_stream(desk, handle, rules, progress)
