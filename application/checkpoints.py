"""Signed checkpoints: tamper evidence that holds against someone who can write to the database.

The hash chains of `application.audit` are plain SHA-256: whoever can edit a row can re-hash
the chain after it, or delete an aggregate's latest events, and `verify` still holds. A
checkpoint fixes the whole log up to a position with a Merkle root signed by a key that is not
in the database; published outside it (a JSON Lines file, subscribers), it lets anyone with the
public key show that the stored rows are still the ones that were signed.

The root is computed over the stored rows (position, originator id, version, topic, state
bytes) exactly as the recorder returns them on SQLite and PostgreSQL, never over decoded
events, so an export carrying those bytes verifies on a machine without the product
(docs/checkpoints.md). Signing and key files are adapters; this module takes them as callables.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import IO, Any, Protocol
from uuid import UUID

from application.audit import event_data, iterate_log, stored_bytes
from application.base import DeskBase
from application.errors import ApplicationError
from domain.merkle import TreeBuilder, audit_path, leaf_bytes, leaf_hash, root_from_path

FIELDS = ("position", "root", "signed_at", "signature", "key_id")


class Signer(Protocol):
    @property
    def key_id(self) -> str: ...

    def sign(self, message: bytes) -> str: ...


class Verifier(Protocol):
    def verify(self, key_id: str, message: bytes, signature: str) -> str | None: ...


@dataclass(frozen=True)
class Row:
    """One stored event as the tree sees it."""

    position: int
    originator_id: UUID
    version: int
    topic: str
    state_sha256: bytes
    state: bytes | None = None  # left out of an export when it holds a redacted secret

    @property
    def leaf(self) -> bytes:
        return leaf_hash(leaf_bytes(self.position, self.originator_id, self.version, self.topic, self.state_sha256))


def signed_message(position: int, root: str, signed_at: str, key_id: str) -> bytes:
    """What the signature covers: compact, key-sorted JSON of the four other fields (UTF-8)."""
    body = {"key_id": key_id, "position": position, "root": root, "signed_at": signed_at}
    return json.dumps(body, sort_keys=True, separators=(",", ":")).encode("utf-8")


def stored_rows(desk: DeskBase, up_to: int | None = None) -> Iterator[Row]:
    """The stored rows in log order, streamed in batches, up to a position (inclusive)."""
    for stored in iterate_log(desk):
        if up_to is not None and stored.id > up_to:
            return
        state = bytes(stored.state)
        yield Row(
            stored.id,
            UUID(str(stored.originator_id)),
            stored.originator_version,
            stored.topic,
            hashlib.sha256(state).digest(),
            state,
        )


def row_of(item: dict[str, Any]) -> Row:
    """An export line's (or a proof leaf's) row; its `state`, when given, must hash to `state_sha256`."""
    digest = bytes.fromhex(str(item["state_sha256"]))
    state = None
    if item.get("state") is not None:
        state = base64.b64decode(str(item["state"]), validate=True)
        if hashlib.sha256(state).digest() != digest:
            raise ValueError("its state does not hash to its state_sha256")
    return Row(
        int(item["position"]), UUID(str(item["aggregate_id"])), int(item["version"]), str(item["topic"]), digest, state
    )


def export_rows(stream: IO[str]) -> Iterator[Row]:
    """The rows of a `kaizen export --format jsonl` file (its `topic`, `state_sha256` and base64
    `state` fields, in the file's order: a reordered file is reported, not sorted)."""
    for number, line in enumerate(stream, 1):
        if not line.strip():
            continue
        try:
            yield row_of(json.loads(line))
        except (ValueError, KeyError, TypeError) as exc:
            raise ValueError(f"export line {number}: not an event line the checkpoints cover ({exc})") from None


def log_root(rows: Iterable[Row]) -> tuple[int, str, int]:
    """(last position, root hex, row count) of the rows, in constant memory."""
    builder = TreeBuilder()
    last = 0
    for row in rows:
        builder.add(row.leaf)
        last = row.position
    return last, builder.root().hex(), builder.size


class LeafLog(Protocol):
    """The published (position, leaf) records beside the checkpoints (adapters.checkpoint_log)."""

    def records(self) -> Iterator[tuple[int, bytes]]: ...

    def append_records(self, records: Iterable[tuple[int, bytes]]) -> None: ...

    def append_checkpoint(self, checkpoint: dict[str, Any]) -> None: ...


class CheckpointRefused(ApplicationError):
    """The store no longer matches what was already published: signing now would bless the edit."""

    def __init__(self, finding: Finding) -> None:
        super().__init__(f"not signing: the store no longer matches the published leaves at {finding.line()}")
        self.finding = finding


def make_checkpoint(
    desk: DeskBase, signer: Signer, published: LeafLog | None = None, up_to: int | None = None
) -> dict[str, Any]:
    """Sign the log head (or the log up to `up_to`): the five fields of the contract.

    With `published` (the checkpoint directory, already locked by the caller) the rows are first
    compared with the leaves published before, in the same streaming pass; a row that changed
    since refuses the checkpoint (CheckpointRefused). Then the new leaves are appended, and the
    checkpoint line after them, so a published checkpoint never covers unpublished leaves."""
    head = desk.recorder.max_notification_id() or 0
    target = head if up_to is None else min(up_to, head)
    builder = TreeBuilder()
    before = iter(published.records()) if published is not None else iter(())
    expected = next(before, None)

    def fresh_leaves() -> Iterator[tuple[int, bytes]]:
        """Every row into the tree; the ones not yet published come out, streamed (the old ones
        all come first, so a refusal is raised before anything is appended)."""
        nonlocal expected
        for row in stored_rows(desk, target):
            leaf = row.leaf
            if expected is not None and expected[0] < row.position:
                raise CheckpointRefused(Finding(expected[0], "a published event is missing"))
            if expected is not None:
                if expected[0] != row.position or expected[1] != leaf:
                    raise CheckpointRefused(Finding(row.position, "the event differs from the one published"))
                expected = next(before, None)
            else:
                yield row.position, leaf
            builder.add(leaf)

    if published is not None:
        published.append_records(fresh_leaves())
    else:
        for _ in fresh_leaves():
            pass
    if expected is not None:
        raise CheckpointRefused(Finding(expected[0], "a published event is missing"))
    root = builder.root().hex()
    signed_at = desk.clock().isoformat()
    signature = signer.sign(signed_message(target, root, signed_at, signer.key_id))
    checkpoint = {
        "position": target,
        "root": root,
        "signed_at": signed_at,
        "signature": signature,
        "key_id": signer.key_id,
    }
    if published is not None:
        published.append_checkpoint(checkpoint)
    return checkpoint


def signature_problem(checkpoint: dict[str, Any], keys: Verifier) -> str | None:
    """None when the checkpoint is well formed and signed by one of `keys`."""
    try:
        position, root = int(checkpoint["position"]), str(checkpoint["root"])
        signed_at, key_id, signature = str(checkpoint["signed_at"]), str(checkpoint["key_id"]), checkpoint["signature"]
    except (KeyError, TypeError, ValueError):
        return f"a checkpoint needs {', '.join(FIELDS)}"
    if not isinstance(signature, str):
        return "the signature is not a base64 string"
    return keys.verify(key_id, signed_message(position, root, signed_at, key_id), signature)


# -- verification against checkpoints ---------------------------------------------------------------
@dataclass(frozen=True)
class Finding:
    """Something that no longer matches, at the first position it shows."""

    position: int
    reason: str

    def line(self) -> str:
        return f"position {self.position}: {self.reason}"


@dataclass
class CheckpointReport:
    events: int = 0
    checkpoints: int = 0
    matched: int = 0
    findings: list[Finding] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.findings

    @property
    def first_position(self) -> int | None:
        return min((f.position for f in self.findings), default=None)


def verify_rows(
    rows: Iterable[Row],
    checkpoints: list[dict[str, Any]],
    keys: Verifier,
    hints: Iterable[int] = (),
    reference: Iterable[tuple[int, bytes]] = (),
) -> CheckpointReport:
    """Stream the rows once; at each signed checkpoint compare the root of the rows so far.

    A root only says that something up to its position changed. The published leaves
    (`reference`) say where: they are trusted up to a checkpoint whose signed root they
    reproduce, and the first position where rows and leaves part is then exact. Without them
    (or if they were altered too) the finding names the first position the evidence allows: a
    missing or out-of-order row, a broken hash chain (`hints`), else the first position the
    failing checkpoint covers beyond the last one that still matches."""
    return _Verification(checkpoints, keys, hints, reference).run(rows)


class _Verification:
    def __init__(
        self,
        checkpoints: list[dict[str, Any]],
        keys: Verifier,
        hints: Iterable[int],
        reference: Iterable[tuple[int, bytes]],
    ) -> None:
        self.report = CheckpointReport(checkpoints=len(checkpoints))
        good: list[tuple[int, str]] = []
        for checkpoint in checkpoints:
            problem = signature_problem(checkpoint, keys)
            if problem is None:
                good.append((int(checkpoint["position"]), str(checkpoint["root"])))
            else:
                where = checkpoint.get("position")
                self.report.findings.append(
                    Finding(where if isinstance(where, int) else 0, f"the checkpoint is not to be trusted: {problem}")
                )
        self.pending = iter(sorted(good))
        self.current = next(self.pending, None)
        self.hinted = sorted(set(hints))
        self.rows = TreeBuilder()
        self.leaves = TreeBuilder()
        self.reference = iter(reference)
        self.expected = next(self.reference, None)
        self.last = 0  # the highest row position read
        self.settled = 0  # the position of the last checkpoint that still matched
        self.trusted = True  # the reference reproduced every checkpoint so far
        self.anomalies: list[int] = []  # missing or out-of-order positions since `settled`
        self.parted: Finding | None = None  # where the rows first part from the reference
        self.failed = False

    def run(self, rows: Iterable[Row]) -> CheckpointReport:
        for row in rows:
            while self.current is not None and row.position > self.current[0]:
                self._settle(ended=False)
            self._reference_before(row.position)
            self._compare(row)
            if row.position <= self.last:
                self.anomalies.append(row.position)
            elif row.position != self.last + 1:
                self.anomalies.append(self.last + 1)  # a gap (PostgreSQL can also leave one)
            self.rows.add(row.leaf)
            self.last = max(self.last, row.position)
            self.report.events += 1
        while self.current is not None:
            self._settle(ended=True)
        return self.report

    def _reference_before(self, position: int) -> None:
        """Take the published leaves before `position`: rows the store no longer has."""
        while self.expected is not None and self.expected[0] < position:
            self._part(self.expected[0], "the event is missing (deleted, or the log was cut short)")
            self.leaves.add(self.expected[1])
            self.expected = next(self.reference, None)

    def _compare(self, row: Row) -> None:
        if self.expected is not None and self.expected[0] == row.position:
            if self.expected[1] != row.leaf:
                self._part(row.position, "the event differs from the one signed (edited, re-hashed or moved)")
            self.leaves.add(self.expected[1])
            self.expected = next(self.reference, None)
        elif self.expected is not None or row.position <= self.last:
            self._part(row.position, "the event is not where the signed log had it (inserted or moved)")

    def _part(self, position: int, reason: str) -> None:
        if self.parted is None:
            self.parted = Finding(position, reason)

    def _settle(self, ended: bool) -> None:
        assert self.current is not None
        position, root = self.current
        self._reference_before(position + 1)
        self.trusted = self.trusted and self.leaves.root().hex() == root
        if not self.failed:
            if ended and self.last < position:
                finding = Finding(
                    self.last + 1, f"the log ends at position {self.last}; the checkpoint at {position} covers more"
                )
                self._fail(finding, position)
            elif self.rows.root().hex() != root:
                fallback = Finding(_first(self.settled, position, self.anomalies, self.hinted), _why(position))
                self._fail(fallback, position)
            else:
                self.report.matched += 1
                self.settled = position
                self.anomalies.clear()
        self.current = next(self.pending, None)

    def _fail(self, fallback: Finding, position: int) -> None:
        exact = self.parted if self.trusted and self.parted is not None and self.parted.position <= position else None
        if exact is not None:
            exact = Finding(exact.position, f"{exact.reason}; the checkpoint at {position} no longer matches")
        self.report.findings.append(exact or fallback)
        self.failed = True


def _first(settled: int, position: int, anomalies: list[int], hinted: list[int]) -> int:
    inside = [p for p in (*anomalies, *hinted) if settled < p <= position]
    return min(inside) if inside else settled + 1


def _why(position: int) -> str:
    return f"the checkpoint at {position} no longer matches: an event up to it was edited, removed or reordered"


def chain_hints(desk: DeskBase, chains: Any) -> list[int]:
    """Positions where today's hash-chain check (`chains`, a VerifyReport) broke: exact where
    the chain was not re-hashed. A deleted version is not stored, so it is no hint; the gap it
    leaves in the positions is."""
    broken = {(b.aggregate_id, b.version) for b in chains.broken}
    if not broken:
        return []
    return [
        int(stored.id)
        for stored in iterate_log(desk)
        if (str(stored.originator_id), stored.originator_version) in broken
    ]


# -- inclusion proofs --------------------------------------------------------------------------------
def latest_covering(checkpoints: list[dict[str, Any]], position: int) -> dict[str, Any] | None:
    covering = [c for c in checkpoints if isinstance(c.get("position"), int) and c["position"] >= position]
    return max(covering, key=lambda c: (c["position"], str(c.get("signed_at")))) if covering else None


def inclusion_proof(
    desk: DeskBase, aggregate_id: UUID, version: int, checkpoint: dict[str, Any]
) -> dict[str, Any] | None:
    """The proof that one stored event is in the tree a checkpoint signed (None: no such event
    at or before the checkpoint). Two streaming passes over the rows up to its position."""
    up_to = int(checkpoint["position"])
    index, size, target = -1, 0, None
    for row in stored_rows(desk, up_to):
        if row.originator_id == aggregate_id and row.version == version:
            index, target = size, row
        size += 1
    if target is None:
        return None
    path = audit_path((row.leaf for row in stored_rows(desk, up_to)), index, size)
    proof_state = _shown_state(desk, target)
    return {
        "leaf": {
            "position": target.position,
            "aggregate_id": str(target.originator_id),
            "version": target.version,
            "topic": target.topic,
            "state_sha256": target.state_sha256.hex(),
            "state": proof_state,
            "hash": target.leaf.hex(),
        },
        "index": index,
        "tree_size": size,
        "audit_path": [node.hex() for node in path],
        "checkpoint": {k: checkpoint[k] for k in FIELDS},
    }


def _shown_state(desk: DeskBase, row: Row) -> str | None:
    """The state in base64 as an export shows it: left out when it holds a signing secret."""
    raw = row.state or b""
    shown: str | None = stored_bytes(row.topic, raw, event_data(desk, raw))["state"]
    return shown


def check_proof(proof: dict[str, Any], keys: Verifier) -> str | None:
    """None when the proof holds offline: the leaf bytes hash to the leaf, the path leads to the
    checkpoint's root, and the checkpoint's signature verifies."""
    try:
        leaf, checkpoint = proof["leaf"], proof["checkpoint"]
        row = row_of(leaf)
        path = [bytes.fromhex(node) for node in proof["audit_path"]]
        index, size = int(proof["index"]), int(proof["tree_size"])
    except (KeyError, TypeError, ValueError):
        return "not a proof: it needs leaf, index, tree_size, audit_path and checkpoint"
    problem = signature_problem(checkpoint, keys)
    if problem is not None:
        return f"checkpoint at position {checkpoint.get('position')}: {problem}"
    if row.position > int(checkpoint["position"]):
        return f"the event at position {row.position} is after the checkpoint at {checkpoint['position']}"
    check = root_from_path(row.leaf, index, size, path)
    if not check.ok or check.computed_root.hex() != checkpoint["root"]:
        return f"the audit path of position {row.position} does not lead to the checkpoint's root"
    return None


@dataclass(frozen=True)
class CheckpointSettings:
    """`KAIZEN_CHECKPOINT_KEY` (the private key file; no key, no checkpoints),
    `KAIZEN_CHECKPOINT_DIR` (where checkpoints.jsonl is appended) and
    `KAIZEN_CHECKPOINT_INTERVAL` (seconds, or with s/m/h: default 1h)."""

    key: str | None = None
    directory: str | None = None
    interval: float = 3600.0

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> CheckpointSettings:
        import os

        source = dict(os.environ if env is None else env)
        return cls(
            key=source.get("KAIZEN_CHECKPOINT_KEY") or None,
            directory=source.get("KAIZEN_CHECKPOINT_DIR") or None,
            interval=parse_interval(source.get("KAIZEN_CHECKPOINT_INTERVAL") or "1h"),
        )


def parse_interval(text: str) -> float:
    """`3600`, `90s`, `15m` or `1h`; from one second to a week."""
    units = {"s": 1, "m": 60, "h": 3600}
    value = text.strip().lower()
    scale = units.get(value[-1:], 0)
    try:
        seconds = float(value[:-1] if scale else value) * (scale or 1)
    except ValueError:
        raise ValueError(f"KAIZEN_CHECKPOINT_INTERVAL {text!r} is not a duration (e.g. 3600, 15m, 1h)") from None
    if not 1 <= seconds <= 7 * 86400:
        raise ValueError(f"KAIZEN_CHECKPOINT_INTERVAL {text!r} must be between one second and a week")
    return seconds


Locate = Callable[[Any, UUID, int], "int | None"]


def position_of(desk: DeskBase, aggregate_id: UUID, version: int, locate: Locate | None = None) -> int | None:
    """The log position of one stored event: `locate` (adapters.event_positions, one indexed
    read) when the caller wires it, else a scan of the log."""
    if locate is not None:
        return locate(desk.recorder, aggregate_id, version)
    for stored in iterate_log(desk):
        if UUID(str(stored.originator_id)) == aggregate_id and stored.originator_version == version:
            return int(stored.id)
    return None


def announce(desk: DeskBase, checkpoint: dict[str, Any]) -> bool:
    """Record the `audit.checkpoint` notice, which the outbox delivers to its subscribers; False
    when this checkpoint was already announced (by another worker, or before a restart)."""
    from eventsourcing.persistence import IntegrityError

    from domain.actor import SYSTEM
    from domain.checkpoint_notice import CheckpointNotice

    notice = CheckpointNotice(
        key_id=str(checkpoint["key_id"]),
        position=int(checkpoint["position"]),
        root=str(checkpoint["root"]),
        signed_at=str(checkpoint["signed_at"]),
        signature=str(checkpoint["signature"]),
        actor=SYSTEM,
        occurred_at=desk.clock(),
    )
    try:
        desk.save(notice)
    except IntegrityError:
        return False
    return True


def grown_since(desk: DeskBase, position: int) -> bool:
    """Whether the log holds more than checkpoint notices after `position`: each announcement
    is an event itself, and signing only to cover it would write a checkpoint every interval
    of an idle desk forever."""
    notice = ":CheckpointNotice.Published"
    return any(not stored.topic.endswith(notice) for stored in iterate_log(desk, after=position))
