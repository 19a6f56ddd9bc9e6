"""An auditor's own verifier, written from docs/checkpoints.md alone.

It imports nothing from Kaizen Desk: only the standard library and `cryptography` for Ed25519.
`python independent_verifier.py EXPORT.jsonl CHECKPOINTS.jsonl KEY.pub [KEY.pub ...]` prints
what it finds and exits 1 when a checkpoint does not hold.
"""

from __future__ import annotations

import base64
import hashlib
import json
import struct
import sys
import uuid
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey


def sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def load_keys(paths: list[str]) -> dict[str, Ed25519PublicKey]:
    keys: dict[str, Ed25519PublicKey] = {}
    for path in paths:
        with open(path, "rb") as handle:
            key = serialization.load_pem_public_key(handle.read())
        assert isinstance(key, Ed25519PublicKey)
        raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        keys[sha256(raw).hex()[:16]] = key
    return keys


def signature_holds(checkpoint: dict[str, Any], keys: dict[str, Ed25519PublicKey]) -> bool:
    key = keys.get(checkpoint.get("key_id", ""))
    if key is None:
        return False
    message = json.dumps(
        {
            "key_id": checkpoint["key_id"],
            "position": checkpoint["position"],
            "root": checkpoint["root"],
            "signed_at": checkpoint["signed_at"],
        },
        sort_keys=True,
        separators=(",", ":"),
    ).encode("utf-8")
    try:
        key.verify(base64.b64decode(checkpoint["signature"]), message)
    except (InvalidSignature, ValueError):
        return False
    return True


def leaf_hash(line: dict[str, Any]) -> bytes:
    digest = bytes.fromhex(line["state_sha256"])
    if line.get("state") is not None and sha256(base64.b64decode(line["state"])) != digest:
        raise ValueError(f"position {line['position']}: state does not hash to state_sha256")
    topic = line["topic"].encode("utf-8")
    data = (
        struct.pack(">Q", line["position"])
        + uuid.UUID(line["aggregate_id"]).bytes
        + struct.pack(">Q", line["version"])
        + struct.pack(">I", len(topic))
        + topic
        + digest
    )
    return sha256(b"\x00" + data)


def mth(leaves: list[bytes]) -> bytes:
    """The Merkle tree hash by its recursive definition (fine for an auditor's file)."""
    if not leaves:
        return sha256(b"")
    if len(leaves) == 1:
        return leaves[0]
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    return sha256(b"\x01" + mth(leaves[:k]) + mth(leaves[k:]))


def verify(export: str, checkpoints_file: str, key_files: list[str]) -> tuple[bool, list[str]]:
    keys = load_keys(key_files)
    with open(checkpoints_file, encoding="utf-8") as handle:
        checkpoints = [json.loads(line) for line in handle if line.strip()]
    problems: list[str] = []
    valid = []
    for checkpoint in checkpoints:
        if signature_holds(checkpoint, keys):
            valid.append(checkpoint)
        else:
            problems.append(f"checkpoint at {checkpoint.get('position')}: bad signature")
    rows: list[tuple[int, bytes]] = []
    with open(export, encoding="utf-8") as handle:
        for text in handle:
            if text.strip():
                line = json.loads(text)
                if rows and line["position"] <= rows[-1][0]:
                    problems.append(f"position {line['position']}: out of order")
                rows.append((line["position"], leaf_hash(line)))
    last = rows[-1][0] if rows else 0
    for checkpoint in sorted(valid, key=lambda c: c["position"]):
        if last < checkpoint["position"]:
            problems.append(f"checkpoint at {checkpoint['position']}: the export ends at {last}")
            continue
        covered = [leaf for position, leaf in rows if position <= checkpoint["position"]]
        if mth(covered).hex() != checkpoint["root"]:
            problems.append(f"checkpoint at {checkpoint['position']}: root does not match")
    return not problems, problems


def check_proof(proof: dict[str, Any], key_files: list[str]) -> bool:
    checkpoint, leaf = proof["checkpoint"], proof["leaf"]
    if not signature_holds(checkpoint, load_keys(key_files)) or leaf["position"] > checkpoint["position"]:
        return False
    fn, sn, r = proof["index"], proof["tree_size"] - 1, leaf_hash(leaf)
    for p_hex in proof["audit_path"]:
        p = bytes.fromhex(p_hex)
        if sn == 0:
            return False
        if fn % 2 == 1 or fn == sn:
            r = sha256(b"\x01" + p + r)
            while fn % 2 == 0 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = sha256(b"\x01" + r + p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r.hex() == checkpoint["root"]


if __name__ == "__main__":
    ok, found = verify(sys.argv[1], sys.argv[2], sys.argv[3:])
    print("\n".join(found) or "every checkpoint holds")
    sys.exit(0 if ok else 1)
