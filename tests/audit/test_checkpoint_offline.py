"""Offline checks: an export and an inclusion proof verify on a machine with no database, and a
verifier written only from docs/checkpoints.md agrees with `kaizen audit verify`."""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from adapters.checkpoint_keys import generate, load_signer, public_path
from adapters.checkpoint_log import PublishedLog, log_file
from application.checkpoints import make_checkpoint
from application.desk import KaizenDesk
from domain.merkle import audit_path, leaf_hash, root_from_path, tree_root
from interfaces.cli import main
from tests.audit import independent_verifier
from tests.conftest import ctx
from tests.integration.test_audit import _history

Kaizen = Callable[..., tuple[int, str, str]]


@pytest.fixture
def kaizen(store_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Iterator[Kaizen]:
    monkeypatch.setenv("KAIZEN_DATABASE_URL", store_url)

    def run(*argv: str) -> tuple[int, str, str]:
        code = main(list(argv))
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    yield run


@pytest.fixture
def signed(desk: KaizenDesk, tmp_path: Path, kaizen: Kaizen) -> dict[str, Path]:
    """A history, a key, a checkpoint over it published in a directory, and an export."""
    _history(desk)
    key = tmp_path / "checkpoint.key"
    generate(key)
    published = tmp_path / "published"
    with PublishedLog(published) as log:
        make_checkpoint(desk, load_signer(key), log)
    export = tmp_path / "export.jsonl"
    assert kaizen("export", "--format", "jsonl", "--output", str(export))[0] == 0
    return {"key": key, "pub": public_path(key), "checkpoints": log_file(published), "export": export}


def offline(kaizen: Kaizen, files: dict[str, Path], export: Path) -> tuple[int, str, str]:
    return kaizen(
        "audit",
        "verify",
        "--export",
        str(export),
        "--checkpoints",
        str(files["checkpoints"]),
        "--public-key",
        str(files["pub"]),
    )


def _lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def _write(path: Path, lines: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    return path


def _rewritten(line: dict[str, Any]) -> dict[str, Any]:
    """An edit made consistent everywhere the export shows it: new state, its new digest."""
    state = base64.b64decode(line["state"]).replace(b"INC-1", b"INC-9")
    return dict(line, state=base64.b64encode(state).decode(), state_sha256=hashlib.sha256(state).hexdigest())


def test_the_export_verifies_with_no_database_and_the_independent_verifier_agrees(
    signed: dict[str, Path], kaizen: Kaizen, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KAIZEN_DATABASE_URL", "postgresql://nobody@127.0.0.1:9/none")  # no store reachable
    code, out, err = offline(kaizen, signed, signed["export"])
    assert code == 0, err
    assert "Every checkpoint holds" in out
    ok, problems = independent_verifier.verify(str(signed["export"]), str(signed["checkpoints"]), [str(signed["pub"])])
    assert ok, problems


@pytest.mark.parametrize("tamper", ["edited", "swapped", "cut_short", "forged"])
def test_a_tampered_export_fails_both_verifiers_at_the_same_place(
    signed: dict[str, Path], kaizen: Kaizen, tmp_path: Path, tamper: str
) -> None:
    lines = _lines(signed["export"])
    escalated = next(i for i, line in enumerate(lines) if line["type"] == "Issue.EscalatedToVendor")
    checkpoints = signed["checkpoints"]
    if tamper == "edited":
        lines[escalated] = _rewritten(lines[escalated])
        expected = lines[escalated]["position"]
    elif tamper == "swapped":
        lines[escalated], lines[escalated + 1] = lines[escalated + 1], lines[escalated]
        expected = lines[escalated + 1]["position"]
    elif tamper == "cut_short":
        expected = lines.pop()["position"]
    else:
        forged = dict(json.loads(checkpoints.read_text().splitlines()[0]), position=3)
        checkpoints = tmp_path / "forged.jsonl"
        checkpoints.write_text(json.dumps(forged) + "\n")
        expected = 3
    export = _write(tmp_path / "tampered.jsonl", lines)
    files = dict(signed, checkpoints=checkpoints)
    code, out, err = offline(kaizen, files, export)
    assert code == 1, out
    assert out.splitlines()[0].startswith(f"position {expected}:"), out
    assert "Traceback" not in err
    ok, problems = independent_verifier.verify(str(export), str(checkpoints), [str(signed["pub"])])
    assert not ok and problems


def test_an_event_is_proved_offline_and_a_doctored_proof_is_refused(
    signed: dict[str, Path], kaizen: Kaizen, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("KAIZEN_CHECKPOINT_DIR", str(signed["checkpoints"].parent))
    code, out, err = kaizen("audit", "prove", "--key", "KZ-1", "--version", "3")
    assert code == 0, err
    proof = json.loads(out)
    assert proof["leaf"]["version"] == 3 and proof["checkpoint"]["position"] >= proof["leaf"]["position"]
    assert b"INC-1" in base64.b64decode(proof["leaf"]["state"])  # what the auditor attaches, readable
    path = tmp_path / "proof.json"
    path.write_text(out)
    code, out, _ = kaizen("audit", "check-proof", str(path), "--public-key", str(signed["pub"]))
    assert code == 0 and "is in the checkpoint at position" in out
    assert independent_verifier.check_proof(proof, [str(signed["pub"])])
    doctored = dict(proof, leaf=_rewritten(proof["leaf"]))
    path.write_text(json.dumps(doctored))
    code, _, err = kaizen("audit", "check-proof", str(path), "--public-key", str(signed["pub"]))
    assert code == 1 and "does not lead to the checkpoint's root" in err
    assert not independent_verifier.check_proof(doctored, [str(signed["pub"])])
    code, _, err = kaizen("audit", "prove", "--key", "KZ-1", "--version", "99")
    assert code == 1 and err.count("\n") == 1


@pytest.mark.parametrize("size", [0, 1, 2, 3, 5, 8, 13, 31, 64, 100])
def test_the_streaming_root_and_every_audit_path_match_the_recursive_definition(size: int) -> None:
    leaves = [leaf_hash(str(n).encode()) for n in range(size)]
    assert tree_root(leaves) == independent_verifier.mth(leaves)
    for index in range(size):
        path = audit_path(iter(leaves), index, size)
        check = root_from_path(leaves[index], index, size, path)
        assert check.ok and check.computed_root == independent_verifier.mth(leaves)
        if size > 1:  # the same path does not prove the leaf at another place
            other = (index + 1) % size
            assert root_from_path(leaves[index], other, size, path).computed_root != tree_root(leaves)


def test_an_event_holding_a_secret_is_covered_without_showing_it(
    desk: KaizenDesk, kaizen: Kaizen, tmp_path: Path
) -> None:
    _, secret = desk.create_subscription(
        ctx(), kind="email", target="audit@example.com", events=["audit.checkpoint"], language="en"
    )
    assert secret
    key = tmp_path / "checkpoint.key"
    generate(key)
    with PublishedLog(tmp_path / "published") as log:
        make_checkpoint(desk, load_signer(key), log)
    export = tmp_path / "export.jsonl"
    assert kaizen("export", "--format", "jsonl", "--output", str(export))[0] == 0
    lines = _lines(export)
    created = next(line for line in lines if line["type"] == "Subscription.Created")
    assert created["state"] is None and len(created["state_sha256"]) == 64
    shown = b"".join(base64.b64decode(line["state"]) for line in lines if line["state"])
    assert secret.encode() not in shown and secret not in export.read_text()
    files = {"checkpoints": log_file(tmp_path / "published"), "pub": public_path(key)}
    assert offline(kaizen, files, export)[0] == 0
    assert independent_verifier.verify(str(export), str(files["checkpoints"]), [str(files["pub"])])[0]


def test_the_root_of_a_long_log_is_computed_in_constant_memory(desk: KaizenDesk) -> None:
    import tracemalloc

    from application.checkpoints import log_root, stored_rows
    from tests.integration.test_audit import _bulk_issues

    def peak() -> int:
        tracemalloc.start()
        log_root(stored_rows(desk))
        found = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        return found

    _bulk_issues(desk, 4_000, 1)
    small = peak()
    _bulk_issues(desk, 12_000, 4_001)
    assert peak() < small * 1.25  # four times the rows, about the same memory (one read batch)
