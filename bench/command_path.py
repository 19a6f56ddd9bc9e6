"""Benchmark 1: the command path over HTTP against the raw library and PostgreSQL itself.

For each store (PostgreSQL, SQLite) and each concurrency (1, 8, 32):
- HTTP: report + triage + comment cycles posted to `kaizen serve` (gunicorn, default workers,
  projections in-process as shipped) by `bench.loadgen`, a second local process;
- raw: the same cycle on the raw `eventsourcing` library (`bench.raw_library`), events padded
  to the product's sizes, threads, no HTTP;
- bare HTTP: the raw library's cycle behind a bare WSGI function (`bench.raw_http`) under the
  same gunicorn settings and load generator, which splits HTTP/raw into what HTTP itself
  costs (bare/raw) and what Kaizen adds over it (HTTP/bare);
- pgbench (PostgreSQL only): single INSERTs of rows of the mean event size, and the library's
  append transaction (table lock + NOTIFY + INSERT).
Ratios printed: HTTP/raw, bare/raw, HTTP/bare and raw/pgbench. Targets: HTTP ≥ 50 % of raw at equal concurrency;
p99 < 50 ms at concurrency 8.

The append lock: the same raw cycle at 1, 8 and 32 writers, one save of 10 new aggregates
(batching), and two processes on one application against two processes on two applications
(separate tables, separate locks).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from bench import pgbench, raw_library
from bench.common import (
    BareServer,
    Server,
    emit,
    enrol_assignee,
    issue_tokens,
    loadavg,
    log,
    pg_available,
    ratio,
    scratch_dir,
    store,
    table,
)
from bench.loadgen import COMMENT, TRIAGE, report_body, timed_load

CONCURRENCY = (1, 8, 32)
HTTP_SHARE_TARGET = 0.5
P99_TARGET_MS = 50.0


def product_event_sizes() -> dict[str, int]:
    """Stored sizes of the product's Reported, Triaged and Commented events for the load's bodies."""
    import random

    from application.config import store_settings
    from application.context import Context
    from application.desk import KaizenDesk
    from domain.actor import Actor

    with scratch_dir() as directory:
        desk = KaizenDesk(store_settings(f"sqlite:///{directory / 'sizes.db'}"))
        try:
            enrol_assignee(desk)
            receipt = desk.report(Context(Actor("lina", "reporter")), **report_body(random.Random(0), 1))
            desk.triage(Context(Actor("admin-wong", "admin")), receipt.key, **TRIAGE)
            desk.comment_on_issue(Context(Actor("admin-wong", "admin")), receipt.key, **COMMENT)
            sizes = {}
            for stored in desk.recorder.select_notifications(start=1, limit=100):
                name = stored.topic.split(".")[-1]
                if name in ("Reported", "Triaged", "Commented"):
                    sizes[name] = len(stored.state)
        finally:
            desk.close()
    return sizes


def raw_targets(sizes: dict[str, int]) -> dict[str, int]:
    return {"Opened": sizes["Reported"], "Classified": sizes["Triaged"], "Noted": sizes["Commented"]}


def median_run(runs: list[dict[str, Any]], key: str) -> dict[str, Any]:
    """The run with the median rate (its latencies go with it); every rate is kept beside it."""
    ordered = sorted(runs, key=lambda r: r.get(key) or 0)
    chosen = dict(ordered[len(ordered) // 2])
    chosen["rounds"] = [r.get(key) for r in runs]
    return chosen


def measure_store(
    engine: str, workdir: Path, duration: float, warmup: float, sizes: dict[str, int], rounds: int
) -> dict[str, Any]:
    """HTTP, raw library and pgbench in turn at each concurrency, `rounds` times, medians kept.

    Interleaving matters on a shared machine: whatever else runs there loads the baselines
    and the measured path alike, so the ratios stay meaningful when absolute rates move.
    """
    results: dict[str, Any] = {
        "engine": engine,
        "http": {},
        "bare": {},
        "raw": {},
        "pgbench": {},
        "pgbench_append": {},
    }
    row_bytes = round(sum(sizes.values()) / len(sizes))
    loads: list[str] = []
    with store(engine) as url, store(engine, prefix="kaizen_bench_bare") as bare_url:
        tokens = issue_tokens(url)
        server = Server(url, workdir / f"server-{engine}")
        bare = BareServer(
            bare_url, workdir / f"bare-{engine}", env={"KAIZEN_BENCH_SIZES": json.dumps(raw_targets(sizes))}
        )
        for directory in (server.workdir, bare.workdir):
            directory.mkdir(parents=True, exist_ok=True)
        with server:  # the bare server runs only for its own loads: both at once exceed max_connections
            results["server_workers"] = server.wait_workers()
            for c in CONCURRENCY:
                runs: dict[str, list[dict[str, Any]]] = {
                    "http": [],
                    "bare": [],
                    "raw": [],
                    "pgbench": [],
                    "pgbench_append": [],
                }
                for r in range(rounds):
                    loads.append(loadavg())
                    log(
                        f"command path {engine}, concurrency {c}, round {r + 1}/{rounds}: HTTP, bare HTTP, raw library"
                        + (", pgbench" if engine == "postgres" else "")
                        + f" (load average {loads[-1]})"
                    )
                    runs["http"].append(timed_load(workdir, server.base, tokens, c, duration, warmup))
                    with bare:
                        runs["bare"].append(timed_load(workdir, bare.base, tokens, c, duration, warmup))
                    with store(engine) as raw_url:
                        config = {
                            "url": raw_url,
                            "concurrency": c,
                            "sizes": raw_targets(sizes),
                            "duration": duration,
                            "warmup": warmup,
                        }
                        runs["raw"].append(raw_library.measure(workdir, [config])[0])
                    if engine == "postgres":
                        for script in ("insert", "append"):
                            with store(engine) as pg_url:
                                runs["pgbench" if script == "insert" else "pgbench_append"].append(
                                    pgbench.run(pg_url, workdir, c, duration, row_bytes, script)
                                )
                results["http"][c] = median_run(runs["http"], "commands_per_s")
                results["bare"][c] = median_run(runs["bare"], "commands_per_s")
                results["raw"][c] = median_run(runs["raw"], "commands_per_s")
                if engine == "postgres":
                    results["pgbench"][c] = median_run(runs["pgbench"], "tps")
                    results["pgbench_append"][c] = median_run(runs["pgbench_append"], "tps")
    results["loadavg"] = loads
    return results


def report_store(results: dict[str, Any]) -> list[dict[str, Any]]:
    engine = results["engine"]
    rows, out = [], []
    for c in CONCURRENCY:
        http, bare, raw = results["http"][c], results["bare"][c], results["raw"][c]
        pg = results["pgbench"].get(c, {})
        share = ratio(http["commands_per_s"], raw["commands_per_s"])
        row = {
            "engine": engine,
            "concurrency": c,
            "http_cmd_s": http["commands_per_s"],
            "http_p50_ms": http["latency_ms"]["p50_ms"],
            "http_p99_ms": http["latency_ms"]["p99_ms"],
            "http_non_2xx": sum(v for k, v in http["statuses"].items() if not k.startswith("2")),
            "http_errors": sum(http["errors"].values()),
            "bare_cmd_s": bare["commands_per_s"],
            "bare_p50_ms": bare["latency_ms"]["p50_ms"],
            "bare_p99_ms": bare["latency_ms"]["p99_ms"],
            "bare_non_2xx": sum(v for k, v in bare["statuses"].items() if not k.startswith("2")),
            "bare_over_raw": ratio(bare["commands_per_s"], raw["commands_per_s"]),
            "http_over_bare": ratio(http["commands_per_s"], bare["commands_per_s"]),
            "raw_cmd_s": raw["commands_per_s"],
            "raw_p50_ms": raw["latency_ms"]["p50_ms"],
            "raw_p99_ms": raw["latency_ms"]["p99_ms"],
            "pgbench_tps": pg.get("tps"),
            "pgbench_p99_ms": pg.get("p99_ms"),
            "http_over_raw": share,
            "raw_over_pgbench": ratio(raw["commands_per_s"], pg.get("tps")),
            "target_http_share_met": share is not None and share >= HTTP_SHARE_TARGET,
        }
        if c == 8:
            row["target_p99_met"] = (http["latency_ms"]["p99_ms"] or 1e9) < P99_TARGET_MS
        out.append(row)
        rows.append(
            [
                c,
                row["http_cmd_s"],
                row["http_p50_ms"],
                row["http_p99_ms"],
                row["http_non_2xx"],
                row["raw_cmd_s"],
                row["raw_p50_ms"],
                row["raw_p99_ms"],
                row["pgbench_tps"],
                row["http_over_raw"],
                row["raw_over_pgbench"],
                "met" if row["target_http_share_met"] else "MISSED",
                ("met" if row["target_p99_met"] else "MISSED") if c == 8 else "",
            ]
        )
    table(
        f"Command path on {engine} (report+triage+comment; commands/s, latency per command; "
        f"{results.get('server_workers')} gunicorn workers)",
        [
            "conc",
            "HTTP/s",
            "p50ms",
            "p99ms",
            "non2xx",
            "raw/s",
            "raw p50",
            "raw p99",
            "pgbench tps",
            "HTTP/raw",
            "raw/pgb",
            "HTTP>=50%raw",
            "p99<50ms@8",
        ],
        rows,
    )
    table(
        f"Where the gap to the raw library goes on {engine}: HTTP itself (the raw library behind a bare "
        "WSGI function under the same gunicorn and load generator), then Kaizen over that",
        [
            "conc",
            "raw/s",
            "bare HTTP/s",
            "bare p50",
            "bare p99",
            "Kaizen HTTP/s",
            "bare/raw",
            "Kaizen/bare",
            "Kaizen/raw",
        ],
        [
            [
                row["concurrency"],
                row["raw_cmd_s"],
                row["bare_cmd_s"],
                row["bare_p50_ms"],
                row["bare_p99_ms"],
                row["http_cmd_s"],
                row["bare_over_raw"],
                row["http_over_bare"],
                row["http_over_raw"],
            ]
            for row in out
        ],
    )
    return out


def measure_append_lock(
    workdir: Path, duration: float, warmup: float, sizes: dict[str, int], single: dict[int, Any], pgb: dict[str, Any]
) -> dict[str, Any]:
    """What the per-application append lock costs, and whether batching or separate apps help."""
    targets = raw_targets(sizes)
    out: dict[str, Any] = {"writers": {c: single[c]["commands_per_s"] for c in CONCURRENCY}}
    with store("postgres") as url:
        log("append lock: raw library, one save of 10 new aggregates, 8 writers")
        batched = raw_library.measure(
            workdir,
            [{"url": url, "concurrency": 8, "batch": 10, "sizes": targets, "duration": duration, "warmup": warmup}],
        )[0]
    with store("postgres") as url:
        log("append lock: raw library, 2 processes x 8 threads, one application")
        same = raw_library.measure(
            workdir,
            [
                {"url": url, "concurrency": 8, "sizes": targets, "duration": duration, "warmup": warmup}
                for _ in range(2)
            ],
        )
    with store("postgres") as url:
        log("append lock: raw library, 2 processes x 8 threads, two applications")
        separate = raw_library.measure(
            workdir,
            [
                {
                    "url": url,
                    "concurrency": 8,
                    "sizes": targets,
                    "duration": duration,
                    "warmup": warmup,
                    "app_name": f"RawBaseline{i}",
                }
                for i in range(2)
            ],
        )
    out["batch10_events_s"] = batched["events_per_s"]
    out["batch10_saves_s"] = batched["commands_per_s"]
    out["batch10_p99_ms"] = batched["latency_ms"]["p99_ms"]
    out["two_procs_one_app_cmd_s"] = round(sum(r["commands_per_s"] for r in same), 1)
    out["two_procs_two_apps_cmd_s"] = round(sum(r["commands_per_s"] for r in separate), 1)
    out["pgbench_insert_tps"] = {c: pgb["pgbench"].get(c, {}).get("tps") for c in CONCURRENCY}
    out["pgbench_append_tps"] = {c: pgb["pgbench_append"].get(c, {}).get("tps") for c in CONCURRENCY}
    out["pgbench_append_p99_ms"] = {c: pgb["pgbench_append"].get(c, {}).get("p99_ms") for c in CONCURRENCY}
    rows = [
        ["raw library, 1 writer (events/s)", single[1]["events_per_s"], ""],
        [
            "raw library, 8 writers",
            single[8]["events_per_s"],
            ratio(single[8]["events_per_s"], single[1]["events_per_s"]),
        ],
        [
            "raw library, 32 writers",
            single[32]["events_per_s"],
            ratio(single[32]["events_per_s"], single[1]["events_per_s"]),
        ],
        [
            "raw, 8 writers, save(10 new aggregates)",
            batched["events_per_s"],
            ratio(batched["events_per_s"], single[8]["events_per_s"]),
        ],
        [
            "raw, 2 processes x 8 writers, one application",
            out["two_procs_one_app_cmd_s"],
            ratio(out["two_procs_one_app_cmd_s"], single[8]["events_per_s"]),
        ],
        [
            "raw, 2 processes x 8 writers, two applications",
            out["two_procs_two_apps_cmd_s"],
            ratio(out["two_procs_two_apps_cmd_s"], out["two_procs_one_app_cmd_s"]),
        ],
    ]
    for c in CONCURRENCY:
        ins, app = out["pgbench_insert_tps"][c], out["pgbench_append_tps"][c]
        rows.append([f"pgbench {c} clients: plain INSERT tps / append-transaction tps", ins, ratio(app, ins)])
    table(
        "Append lock on PostgreSQL (events/s; ratio: against the row above or the 1-writer/insert figure)",
        ["measurement", "rate", "ratio"],
        rows,
    )
    return out


def run(quick: bool = False, engines: tuple[str, ...] = ("postgres", "sqlite")) -> dict[str, Any]:
    duration, warmup, rounds = (2.0, 1.0, 1) if quick else (4.0, 1.0, 3)
    if "postgres" in engines and not pg_available():
        log("PostgreSQL is not reachable: command path on SQLite only")
        engines = tuple(e for e in engines if e != "postgres")
    sizes = product_event_sizes()
    table("Product event sizes (stored state, bytes)", ["event", "bytes"], sorted(sizes.items()))
    summary: dict[str, Any] = {"duration_s": duration, "rounds": rounds, "event_sizes": sizes, "stores": {}}
    with scratch_dir() as workdir:
        measured = {}
        for engine in engines:
            measured[engine] = measure_store(engine, workdir, duration, warmup, sizes, rounds)
            summary["stores"][engine] = report_store(measured[engine])
        if "postgres" in measured:
            summary["append_lock"] = measure_append_lock(
                workdir, duration, warmup, sizes, measured["postgres"]["raw"], measured["postgres"]
            )
    for engine, result in measured.items():
        summary.setdefault("raw_event_sizes", {})[engine] = result["raw"][1].get("event_sizes")
        summary.setdefault("statuses", {})[engine] = {c: result["http"][c]["statuses"] for c in CONCURRENCY}
        summary.setdefault("rounds_rates", {})[engine] = {
            c: {
                "http": result["http"][c]["rounds"],
                "raw": result["raw"][c]["rounds"],
                "pgbench": result["pgbench"].get(c, {}).get("rounds"),
            }
            for c in CONCURRENCY
        }
        summary.setdefault("loadavg", {})[engine] = result["loadavg"]
    emit("command_path", summary)
    return summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.command_path", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--store", choices=["postgres", "sqlite", "both"], default="both")
    args = parser.parse_args(argv)
    engines = ("postgres", "sqlite") if args.store == "both" else (args.store,)
    run(args.quick, engines)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
