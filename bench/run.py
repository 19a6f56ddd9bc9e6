"""`make bench`: every benchmark, one after the other, then a summary of targets and ratios.

    python -m bench.run [--quick] [--only command_path,read_side,memory] [--events N] [--issues N]
                        [--export-events N] [--store postgres|sqlite|both]

`--quick` shortens every measurement (about 5 minutes on 2 cores); without it the read-side
figures are at 100k events / 100k issues. Results are also written to
`bench/results/<timestamp>.json` (and `latest.json`).
"""

from __future__ import annotations

import argparse
import json
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.common import emit, exit_cleanly_on_sigterm, loadavg, log, machine, pg_available, table

RESULTS = Path(__file__).resolve().parent / "results"
BENCHMARKS = ("command_path", "read_side", "memory", "sign_in", "work_desk", "checkpoints", "what_if", "attachments")


def verdicts(results: dict[str, Any]) -> list[list[Any]]:
    rows: list[list[Any]] = []
    command = results.get("command_path")
    if command:
        for engine, store_rows in command["stores"].items():
            for row in store_rows:
                rows.append(
                    [
                        f"{engine}: HTTP >= 50 % of raw library at concurrency {row['concurrency']}",
                        f"{row['http_over_raw']} (bare HTTP alone: {row.get('bare_over_raw')})",
                        "met" if row["target_http_share_met"] else "MISSED",
                    ]
                )
                if "target_p99_met" in row:
                    rows.append(
                        [
                            f"{engine}: HTTP p99 < 50 ms at concurrency 8",
                            f"{row['http_p99_ms']} ms",
                            "met" if row["target_p99_met"] else "MISSED",
                        ]
                    )
    read = results.get("read_side")
    if read:
        for engine, out in read["stores"].items():
            if "verdict" not in out:
                continue
            v = out["verdict"]
            rows.append(
                [
                    f"{engine}: queries p99 < 200 ms at {out['issues']:,} issues (worst, in-process / HTTP)",
                    f"{v['queries_worst_p99_ms_inprocess']} / {v['queries_worst_p99_ms_http']} ms",
                    "met" if v["queries_target_met"] else "MISSED",
                ]
            )
            rows.append(
                [
                    f"{engine}: history / as_of p99 < 50 ms, 1,000-event issue (worst)",
                    f"{v['history_worst_p99_ms']} ms",
                    "met" if v["history_target_met"] else "MISSED",
                ]
            )
    memory = results.get("memory")
    if memory:
        sustained = memory.get("sustained")
        if sustained:
            for name, ok in sustained["flat"].items():
                p = sustained["rss"][name]
                rows.append(
                    [
                        f"RSS flat under load: {name}",
                        f"+{p.get('growth_after_warmup_mib')} MiB",
                        "met" if ok else "MISSED",
                    ]
                )
        for engine, e in memory["exports"].items():
            rows.append(
                [
                    f"RSS constant during export of {e['exported_lines']:,} events ({engine})",
                    f"+{e['rss'].get('growth_after_warmup_mib')} MiB",
                    "met" if e["flat"] else "MISSED",
                ]
            )
    return rows


def main(argv: list[str] | None = None) -> int:
    exit_cleanly_on_sigterm()
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="shorter runs (about 5 minutes in all)")
    parser.add_argument("--only", default=",".join(BENCHMARKS), help="comma-separated: " + ", ".join(BENCHMARKS))
    parser.add_argument("--events", type=int, default=None, help="read side: log size (default 100000)")
    parser.add_argument("--issues", type=int, default=None, help="read side: issues for queries (default 100000)")
    parser.add_argument("--export-events", type=int, default=None, help="memory: events exported (default 100000)")
    parser.add_argument("--checkpoint-events", type=int, default=None, help="checkpoints: log size (default 100000)")
    parser.add_argument("--store", choices=["postgres", "sqlite", "both"], default="both")
    parser.add_argument("--catch-up-only", action="store_true", help="read side: write, verify, rebuild, export only")
    args = parser.parse_args(argv)
    chosen = [name.strip() for name in args.only.split(",") if name.strip()]
    unknown = set(chosen) - set(BENCHMARKS)
    if unknown:
        parser.error(f"unknown benchmark(s): {', '.join(sorted(unknown))}")
    engines = ("postgres", "sqlite") if args.store == "both" else (args.store,)
    info = machine()
    info["loadavg_at_start"] = loadavg()
    if not pg_available():
        log("PostgreSQL is not reachable on 127.0.0.1:5432: PostgreSQL figures are skipped")
    table("Machine", ["what", "value"], [[k, str(v).replace("\n", " | ")] for k, v in info.items()])
    results: dict[str, Any] = {"machine": info, "quick": args.quick, "timings_s": {}}
    started = time.perf_counter()
    for name in chosen:
        began = time.perf_counter()
        if name == "command_path":
            from bench import command_path

            results[name] = command_path.run(args.quick, engines)
        elif name == "read_side":
            from bench import read_side

            results[name] = read_side.run(
                args.quick, args.events, args.issues, tuple(reversed(engines)), args.catch_up_only
            )
        elif name == "memory":
            from bench import memory

            results[name] = memory.run(args.quick, args.export_events, tuple(reversed(engines)))
        elif name == "sign_in":
            from bench import sign_in

            results[name] = sign_in.run(args.quick, engines)
        elif name == "work_desk":
            from bench import work_desk

            results[name] = work_desk.run(args.quick, engines)
        elif name == "checkpoints":
            from bench import checkpoints

            results[name] = checkpoints.run(args.quick, args.checkpoint_events, engines)
        elif name == "what_if":
            from bench import what_if

            results[name] = what_if.run(args.quick, args.issues, engines)
        elif name == "attachments":
            from bench import attachments

            results[name] = attachments.run(args.quick, engines)
        results["timings_s"][name] = round(time.perf_counter() - began, 1)
        log(f"{name} took {results['timings_s'][name]} s (load average {loadavg()})")
    results["timings_s"]["total"] = round(time.perf_counter() - started, 1)
    results["machine"]["loadavg_at_end"] = loadavg()
    table("Targets", ["target", "measured", "verdict"], verdicts(results))
    table("Wall time (s)", ["benchmark", "seconds"], list(results["timings_s"].items()))
    RESULTS.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    text = json.dumps(results, indent=1, sort_keys=True, default=str)
    (RESULTS / f"{stamp}{'-quick' if args.quick else ''}.json").write_text(text)
    (RESULTS / "latest.json").write_text(text)
    emit("bench_run", {"timings_s": results["timings_s"], "quick": args.quick, "machine": info})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
