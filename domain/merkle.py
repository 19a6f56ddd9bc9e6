"""The Merkle tree maths of signed checkpoints (RFC 6962 / RFC 9162 shape), pure and streaming.

A checkpoint's `root` is the Merkle tree hash of every stored event up to a log position, in
log order. Leaves and nodes are domain-separated, as in Certificate Transparency, so a leaf can
never be passed off as a node:

    leaf = SHA-256(0x00 || leaf bytes)        node = SHA-256(0x01 || left || right)

and a tree of n leaves splits at k, the largest power of two below n. The root of the empty log
is SHA-256 of nothing. `leaf_bytes` is the one canonical encoding of a stored row
(docs/checkpoints.md spells it out for auditors who write their own verifier).

The builder keeps one hash per set bit of the leaf count (at most 64), so the root of a million
rows costs constant memory; an inclusion proof is computed in one more streaming pass by
building the subtrees its path names.
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from uuid import UUID

EMPTY_ROOT = hashlib.sha256(b"").digest()


def leaf_bytes(position: int, originator_id: UUID, version: int, topic: str, state_sha256: bytes) -> bytes:
    """position (8 bytes) | originator id (16) | version (8) | topic length (4) | topic UTF-8 |
    SHA-256 of the stored state (32), integers unsigned big-endian: unambiguous without a parser.

    The leaf takes the state's digest, not the state, so an export can prove an event whose
    state holds a signing secret without showing the secret (its `state` is left out, its
    `state_sha256` is not)."""
    if len(state_sha256) != 32:
        raise ValueError("the state digest is 32 bytes")
    encoded = topic.encode("utf-8")
    return b"".join(
        (
            struct.pack(">Q", position),
            originator_id.bytes,
            struct.pack(">Q", version),
            struct.pack(">I", len(encoded)),
            encoded,
            state_sha256,
        )
    )


def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


class TreeBuilder:
    """The root of a growing tree, one leaf hash at a time, in constant memory.

    The stack holds the roots of the perfect subtrees the leaves so far decompose into, largest
    first; folding it from the right gives exactly RFC 6962's split at the largest power of two."""

    def __init__(self) -> None:
        self.size = 0
        self._stack: list[tuple[int, bytes]] = []

    def add(self, leaf: bytes) -> None:
        height, value = 0, leaf
        while self._stack and self._stack[-1][0] == height:
            value = node_hash(self._stack.pop()[1], value)
            height += 1
        self._stack.append((height, value))
        self.size += 1

    def root(self) -> bytes:
        if not self._stack:
            return EMPTY_ROOT
        value = self._stack[-1][1]
        for _, left in reversed(self._stack[:-1]):
            value = node_hash(left, value)
        return value


def tree_root(leaves: Iterable[bytes]) -> bytes:
    builder = TreeBuilder()
    for leaf in leaves:
        builder.add(leaf)
    return builder.root()


def _split(n: int) -> int:
    """The largest power of two smaller than n (n >= 2)."""
    return 1 << ((n - 1).bit_length() - 1)


def path_ranges(index: int, size: int) -> list[tuple[int, int]]:
    """The leaf ranges [start, end) whose subtree roots form the audit path of leaf `index` in a
    tree of `size` leaves, from the leaf's sibling up to the root's other child (RFC 6962 PATH)."""
    if not 0 <= index < size:
        raise ValueError(f"leaf {index} is not in a tree of {size}")
    ranges: list[tuple[int, int]] = []
    start, end = 0, size
    while end - start > 1:
        k = _split(end - start)
        if index < start + k:
            ranges.append((start + k, end))
            end = start + k
        else:
            ranges.append((start, start + k))
            start = start + k
    ranges.reverse()
    return ranges


def audit_path(leaves: Iterator[bytes], index: int, size: int) -> list[bytes]:
    """The audit path of leaf `index`, reading the first `size` leaves once (constant memory
    besides the path: the ranges are disjoint, so one builder at a time is open)."""
    ranges = path_ranges(index, size)
    order = sorted(range(len(ranges)), key=lambda i: ranges[i][0])
    roots: dict[int, bytes] = {}
    position = 0
    for slot in order:
        start, end = ranges[slot]
        builder = TreeBuilder()
        for leaf in leaves:
            if position >= start:
                builder.add(leaf)
            position += 1
            if position == end:
                break
        if builder.size != end - start:
            raise ValueError(f"the log has fewer than {size} events")
        roots[slot] = builder.root()
    return [roots[i] for i in range(len(ranges))]


@dataclass(frozen=True)
class InclusionCheck:
    ok: bool
    computed_root: bytes


def root_from_path(leaf: bytes, index: int, size: int, path: Sequence[bytes]) -> InclusionCheck:
    """RFC 9162 section 2.1.3.2: the root the leaf and its path imply (ok False when the path has
    the wrong length for this index and size)."""
    if not 0 <= index < size:
        return InclusionCheck(False, b"")
    fn, sn, value = index, size - 1, leaf
    for sibling in path:
        if sn == 0:
            return InclusionCheck(False, value)
        if fn & 1 or fn == sn:
            value = node_hash(sibling, value)
            while fn and not fn & 1:
                fn >>= 1
                sn >>= 1
        else:
            value = node_hash(value, sibling)
        fn >>= 1
        sn >>= 1
    return InclusionCheck(sn == 0, value)
