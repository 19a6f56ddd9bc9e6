"""Signed checkpoints: how long one takes over a long log, and verify throughput beside today's.

    python -m bench.checkpoints [--events N | --million] [--store postgres|sqlite|both]

Per store: the log is filled with real product events (`bench.dataset.seed`, the `minimal`
mix: a report and its key allocation, chained and sealed like any command's), then
- `checkpoint_s`: the first checkpoint over the whole log (every row read, hashed, its leaf
  published to leaves.bin) and `recheckpoint_s`: the next one, which also compares every row
  with the leaves already published;
- `verify_chains_eps`: today's `kaizen audit verify` (hash chains), events/s;
- `verify_checkpoints_eps`: the Merkle root at every checkpoint, with the published leaves;
- `verify_export_eps`: the same over a JSON Lines export, with no database (the export itself
  is timed apart, as `export_s`).
The default is 100k events; `--million` is the figure the issue asks for (about 10 minutes).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.common import emit, log, pg_available, store, table

DEFAULT_EVENTS = 100_000
QUICK_EVENTS = 20_000


def _timed(action: Any) -> tuple[Any, float]:
    started = time.perf_counter()
    value = action()
    return value, time.perf_counter() - started


def measure(url: str, events: int) -> dict[str, Any]:
    from adapters.checkpoint_keys import generate, load_public_keys, load_signer, public_path
    from adapters.checkpoint_log import PublishedLog, leaves_file, log_file, read, read_leaves
    from application.audit import export_jsonl, verify
    from application.checkpoints import export_rows, make_checkpoint, stored_rows, verify_rows
    from application.config import store_settings
    from application.desk import KaizenDesk
    from bench.dataset import seed

    desk = KaizenDesk(store_settings(url))
    try:
        filled = seed(desk, until_events=events, mix="minimal", batch=1000)
        head = int(desk.recorder.max_notification_id() or 0)
        log(f"  {head:,} events written in {filled['seconds']} s")
        with tempfile.TemporaryDirectory(prefix="kaizen-bench-checkpoints-") as scratch:
            key = Path(scratch) / "checkpoint.key"
            generate(key)
            signer, directory = load_signer(key), Path(scratch) / "published"

            def sign() -> dict[str, Any]:
                with PublishedLog(directory) as published:
                    return make_checkpoint(desk, signer, published)

            _, first = _timed(sign)
            _, again = _timed(sign)
            checkpoints, keys = read(log_file(directory)), load_public_keys([str(public_path(key))])
            chains, chain_s = _timed(lambda: verify(desk))
            assert chains.ok
            report, checkpoint_s = _timed(
                lambda: verify_rows(stored_rows(desk), checkpoints, keys, reference=read_leaves(leaves_file(directory)))
            )
            assert report.ok, report.findings[:3]
            export = Path(scratch) / "export.jsonl"

            def write_export() -> int:
                with export.open("w", encoding="utf-8") as stream:
                    return export_jsonl(desk, stream)

            _, export_s = _timed(write_export)

            def offline() -> Any:
                with export.open(encoding="utf-8") as stream:
                    return verify_rows(
                        export_rows(stream), checkpoints, keys, reference=read_leaves(leaves_file(directory))
                    )

            offline_report, offline_s = _timed(offline)
            assert offline_report.ok
            leaves_mib = leaves_file(directory).stat().st_size / 2**20
    finally:
        desk.close()
    return {
        "events": head,
        "checkpoint_s": round(first, 2),
        "recheckpoint_s": round(again, 2),
        "checkpoint_eps": round(head / first),
        "verify_chains_eps": round(head / chain_s),
        "verify_checkpoints_eps": round(head / checkpoint_s),
        "verify_export_eps": round(head / offline_s),
        "export_s": round(export_s, 2),
        "leaves_mib": round(leaves_mib, 1),
    }


def run(quick: bool, events: int | None, engines: tuple[str, ...]) -> dict[str, Any]:
    size = events or (QUICK_EVENTS if quick else DEFAULT_EVENTS)
    results: dict[str, Any] = {"events": size, "stores": {}}
    for engine in engines:
        if engine == "postgres" and not pg_available():
            continue
        log(f"checkpoints on {engine}: {size:,} events")
        with store(engine, "kaizen_bench_checkpoints") as url:
            results["stores"][engine] = measure(url, size)
    rows = [
        [
            engine,
            f"{r['events']:,}",
            r["checkpoint_s"],
            r["recheckpoint_s"],
            f"{r['verify_chains_eps']:,}",
            f"{r['verify_checkpoints_eps']:,}",
            f"{r['verify_export_eps']:,}",
        ]
        for engine, r in results["stores"].items()
    ]
    headers = ["store", "events", "checkpoint s", "next checkpoint s", "verify (chains) ev/s"]
    headers += ["verify (checkpoints) ev/s", "verify export offline ev/s"]
    table("Signed checkpoints", headers, rows)
    emit("checkpoints", results)
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.checkpoints", description=__doc__.splitlines()[0])
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--events", type=int, default=None, help=f"log size (default {DEFAULT_EVENTS:,})")
    size.add_argument("--million", action="store_true", help="1,000,000 events (about 10 minutes)")
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_EVENTS:,} events")
    parser.add_argument("--store", choices=["postgres", "sqlite", "both"], default="both")
    args = parser.parse_args(argv)
    engines = ("postgres", "sqlite") if args.store == "both" else (args.store,)
    run(args.quick, 1_000_000 if args.million else args.events, engines)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
