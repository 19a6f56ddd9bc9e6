"""`kaizen audit verify|keygen|checkpoint|prove|check-proof`: tamper evidence from the command line.

`verify` alone recomputes the hash chains (they catch an edit, not a re-hash). With
`--checkpoints FILE` it also recomputes the Merkle root of the stored rows at every signed
checkpoint; with `--export FILE.jsonl` it does that over an export, with no database at all.
Exit 0 when everything holds, 1 with one line per finding (the first position that no longer
matches) otherwise. docs/checkpoints.md has the format and the algorithm.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from typing import Any

from interfaces.cli_common import open_desk


def register(group: Any, command: Callable[..., argparse.ArgumentParser]) -> None:
    """Add the `audit` actions to the group made by `build_parser`."""
    verify = command("verify", _verify, "recompute every hash chain (with --checkpoints, every signed root)", group)
    verify.add_argument("--checkpoints", metavar="FILE", help="a checkpoints.jsonl file (or its directory)")
    verify.add_argument(
        "--public-key",
        action="append",
        default=[],
        metavar="FILE",
        help="a public key the checkpoints may be signed with (repeat after a rotation; "
        "default: KAIZEN_CHECKPOINT_KEY.pub)",
    )
    verify.add_argument("--export", metavar="FILE.jsonl", help="verify this export instead of the database")
    keygen = command("keygen", _keygen, "create the Ed25519 checkpoint key (0600) and KEY.pub beside it", group)
    keygen.add_argument("--output", metavar="FILE", help="the private key file (default: KAIZEN_CHECKPOINT_KEY)")
    command("checkpoint", _checkpoint, "sign the log head now and publish it to KAIZEN_CHECKPOINT_DIR", group)
    prove = command("prove", _prove, "print the proof that one event is in the latest signed checkpoint", group)
    prove.add_argument("--key", required=True, metavar="KEY", help="the issue or suggestion key, e.g. KZ-7")
    prove.add_argument("--version", required=True, type=int, metavar="N")
    prove.add_argument("--checkpoints", metavar="FILE", help="default: KAIZEN_CHECKPOINT_DIR")
    check = command("check-proof", _check_proof, "check a proof offline against the public key", group)
    check.add_argument("file", metavar="FILE")
    check.add_argument("--public-key", action="append", default=[], metavar="FILE", required=True)


def _fail(line: str) -> int:
    print(line, file=sys.stderr, flush=True)
    return 1


def _settings() -> Any:
    from application.checkpoints import CheckpointSettings

    return CheckpointSettings.from_env()


def _public_keys(paths: list[str]) -> Any:
    from adapters.checkpoint_keys import load_public_keys, public_path

    if not paths:
        key = _settings().key
        if key is None:
            raise ValueError("give --public-key FILE (or set KAIZEN_CHECKPOINT_KEY)")
        paths = [str(public_path(key))]
    return load_public_keys(paths)


def _verify(args: argparse.Namespace) -> int:
    from adapters.checkpoint_log import leaves_file, read, read_leaves
    from application.audit import verify
    from application.checkpoints import chain_hints, export_rows, stored_rows, verify_rows

    if args.export and not args.checkpoints:
        return _fail("kaizen: --export needs --checkpoints FILE (and --public-key FILE)")
    if args.export:
        checkpoints, keys = read(args.checkpoints), _public_keys(args.public_key)
        with open(args.export, encoding="utf-8") as stream:
            leaves = read_leaves(leaves_file(args.checkpoints))
            report = verify_rows(export_rows(stream), checkpoints, keys, reference=leaves)
        return _checkpoint_answer(report, f"the export {args.export}")
    with open_desk() as desk:
        chains = verify(desk)
        if args.checkpoints:
            checkpoints, keys = read(args.checkpoints), _public_keys(args.public_key)
            hints = chain_hints(desk, chains)
            leaves = read_leaves(leaves_file(args.checkpoints))
            report = verify_rows(stored_rows(desk), checkpoints, keys, hints, leaves)
    for item in chains.broken:
        print(item.line())
    if not args.checkpoints:
        if chains.ok:
            print(f"Every hash chain holds ({chains.aggregates} aggregates, {chains.events} events).")
            return 0
        return _fail(f"kaizen: {len(chains.broken)} aggregate(s) with a broken hash chain")
    answer = _checkpoint_answer(report, "the store")
    if not chains.ok:
        return _fail(f"kaizen: {len(chains.broken)} aggregate(s) with a broken hash chain")
    return answer


def _checkpoint_answer(report: Any, what: str) -> int:
    if not report.checkpoints:
        return _fail("kaizen: the checkpoints file holds no checkpoint")
    if report.ok:
        print(f"Every checkpoint holds ({report.matched} checkpoints over {report.events} events in {what}).")
        return 0
    for finding in sorted(report.findings, key=lambda f: f.position):
        print(finding.line())
    return _fail(f"kaizen: {what} no longer matches its checkpoints from position {report.first_position}")


def _keygen(args: argparse.Namespace) -> int:
    from adapters.checkpoint_keys import generate, public_path

    path = args.output or _settings().key
    if not path:
        return _fail("kaizen: give --output FILE or set KAIZEN_CHECKPOINT_KEY")
    key_id = generate(path)
    print(f"Checkpoint key {key_id} written to {path} (0600); give auditors {public_path(path)}.")
    return 0


def _checkpoint(args: argparse.Namespace) -> int:
    from adapters.checkpoint_keys import load_signer
    from adapters.checkpoint_log import PublishedLog
    from application.checkpoints import make_checkpoint

    settings = _settings()
    if settings.key is None:
        return _fail("kaizen: set KAIZEN_CHECKPOINT_KEY to the key file (kaizen audit keygen creates one)")
    signer = load_signer(settings.key)
    with open_desk() as desk:
        if settings.directory:
            with PublishedLog(settings.directory) as published:
                checkpoint = make_checkpoint(desk, signer, published)
        else:  # printed only: whoever runs it keeps it
            checkpoint = make_checkpoint(desk, signer)
    print(json.dumps(checkpoint, sort_keys=True))
    return 0


def _prove(args: argparse.Namespace) -> int:
    from adapters.checkpoint_log import read
    from adapters.event_positions import event_position
    from application.checkpoints import inclusion_proof, latest_covering, position_of

    source = args.checkpoints or _settings().directory
    if not source:
        return _fail("kaizen: give --checkpoints FILE or set KAIZEN_CHECKPOINT_DIR")
    checkpoints = read(source)
    with open_desk() as desk:
        aggregate = desk.aggregate_id_of(args.key.upper())
        position = position_of(desk, aggregate, args.version, event_position)
        if position is None:
            return _fail(f"kaizen: {args.key.upper()} has no version {args.version}")
        checkpoint = latest_covering(checkpoints, position)
        if checkpoint is None:
            return _fail(f"kaizen: no checkpoint covers position {position} yet (run kaizen audit checkpoint)")
        proof = inclusion_proof(desk, aggregate, args.version, checkpoint)
    print(json.dumps(proof, sort_keys=True, indent=2))
    return 0


def _check_proof(args: argparse.Namespace) -> int:
    from application.checkpoints import check_proof

    with open(args.file, encoding="utf-8") as handle:
        try:
            proof = json.load(handle)
        except json.JSONDecodeError:
            return _fail(f"kaizen: {args.file} is not JSON")
    problem = check_proof(proof if isinstance(proof, dict) else {}, _public_keys(args.public_key))
    if problem is not None:
        return _fail(f"kaizen: {problem}")
    leaf, checkpoint = proof["leaf"], proof["checkpoint"]
    print(
        f"The event at position {leaf['position']} (version {leaf['version']}) is in the checkpoint at position "
        f"{checkpoint['position']} signed {checkpoint['signed_at']} by key {checkpoint['key_id']}."
    )
    return 0
