"""Benchmark 2: the read side at scale, on each store.

1. A log of `--events` events (default 100k) is written in bulk (`bench.dataset`, full mix).
2. Audit: `application.audit.verify` over that log (time, events/s).
3. Catch-up from empty: `kaizen projections rebuild all` (the operator's command, a child
   process) over that log: wall time and events/s, and the process's RSS.
4. More issues (report only) until the store holds `--issues` issues (default 100k), one issue
   with 1,000 events (each its own command, so snapshots are taken as in production), then an
   incremental catch-up in-process (events/s again).
5. Queries at that size, in-process (the view functions) and over HTTP through `kaizen serve`:
   compliance report (5 groupings, and one month), issue list (first page, filters, text,
   breached, page 2); target p99 < 200 ms.
6. History and as_of / version reconstruction of the 1,000-event issue; target p99 < 50 ms.
"""

from __future__ import annotations

import argparse
import subprocess
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench import dataset
from bench import history as bench_history
from bench.common import (
    KAIZEN,
    RssSampler,
    Server,
    client_gc_paused,
    emit,
    issue_tokens,
    kaizen_env,
    log,
    pg_available,
    rss_profile,
    scratch_dir,
    store,
    summary,
    table,
)
from bench.history import timed
from bench.loadgen import Client

QUERY_P99_TARGET_MS = 200.0
HISTORY_P99_TARGET_MS = 50.0


def rebuild_with_cli(url: str, workdir: Path) -> dict[str, Any]:
    log_path = workdir / "rebuild.log"
    started = time.perf_counter()
    with log_path.open("ab") as sink:
        child = subprocess.Popen(
            [KAIZEN, "projections", "rebuild", "all"], env=kaizen_env(url), stdout=sink, stderr=subprocess.STDOUT
        )
        with RssSampler({"rebuild": child.pid}, interval=0.5) as sampler:
            code = child.wait(timeout=1800)
    seconds = time.perf_counter() - started
    if code != 0:
        raise RuntimeError(f"kaizen projections rebuild all failed:\n{log_path.read_text()[-2000:]}")
    return {
        "seconds": round(seconds, 2),
        "rss": rss_profile(sampler.samples["rebuild"], warmup_fraction=0.1),
        "output": log_path.read_text().strip().splitlines()[-1],
    }


def _compliance_by(views: Any, group: str, viewer: Any, now: datetime) -> Callable[[], Any]:
    """One compliance query as a call, bound to its group (a lambda in a loop would share it)."""
    from projections.reports import sla_compliance

    return lambda: sla_compliance(views, group, viewer, now)


def inprocess_queries(url: str, repeat: int) -> dict[str, dict[str, Any]]:
    from application.config import store_settings
    from domain.actor import Actor
    from projections.issue_list import list_issues
    from projections.reports import sla_compliance
    from projections.store import ViewStore

    views = ViewStore(store_settings(url))
    admin, reporter = Actor("admin-wong", "admin"), Actor("lina", "reporter")
    now = datetime.now(UTC)
    month_start = (now - timedelta(days=60)).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    month_end = (month_start + timedelta(days=32)).replace(day=1)
    first_page = list_issues(views, {}, 50, None, admin, now)
    cursor = first_page[1]
    queries: dict[str, Callable[[], Any]] = {
        **{
            f"compliance by {g}": _compliance_by(views, g, admin, now)
            for g in ("vendor", "priority", "module", "site", "month")
        },
        "compliance by vendor, one month": lambda: sla_compliance(views, "vendor", admin, now, month_start, month_end),
        "list: first page": lambda: list_issues(views, {}, 50, None, admin, now),
        "list: status=resolved": lambda: list_issues(views, {"status": "resolved"}, 50, None, admin, now),
        "list: vendor=sap, priority=P2": lambda: list_issues(
            views, {"vendor": "sap", "priority": "P2"}, 50, None, admin, now
        ),
        "list: text=posting": lambda: list_issues(views, {"text": "posting"}, 50, None, admin, now),
        "list: breached=true": lambda: list_issues(views, {"breached": "true"}, 50, None, admin, now),
        "list: page 2 (cursor)": lambda: list_issues(views, {}, 50, cursor, admin, now),
        "list: reporter's own": lambda: list_issues(views, {}, 50, None, reporter, now),
    }
    results = {}
    try:
        for name, query in queries.items():
            query()  # warm
            latencies, _ = timed(query, repeat)
            results[name] = summary(latencies)
    finally:
        views.close()
    return results


def http_queries(
    base: str, tokens: dict[str, str], long_key: str, times: list[datetime], repeat: int
) -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, Any]]]:
    client = Client(base)
    admin = {"Authorization": f"Bearer {tokens['admin']}"}

    def get(path: str, headers: dict[str, str]) -> Any:
        status, _, body = client.request("GET", path, headers=headers)
        if status != 200:
            raise RuntimeError(f"GET {path}: {status} {body[:300]!r}")
        return body

    import json as _json

    page = _json.loads(get("/api/v1/issues?limit=50", admin))
    cursor = page.get("next_cursor")
    now = datetime.now(UTC)
    month_start = (now - timedelta(days=60)).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    month_end = (month_start + timedelta(days=32)).replace(day=1)
    period = f"from={month_start.strftime('%Y-%m-%dT%H:%M:%SZ')}&to={month_end.strftime('%Y-%m-%dT%H:%M:%SZ')}"
    queries = {
        **{
            f"GET sla-compliance?group_by={g}": f"/api/v1/reports/sla-compliance?group_by={g}"
            for g in ("vendor", "priority", "module", "site", "month")
        },
        "GET sla-compliance, one month": f"/api/v1/reports/sla-compliance?group_by=vendor&{period}",
        "GET issues (first page)": "/api/v1/issues?limit=50",
        "GET issues?status=resolved": "/api/v1/issues?status=resolved",
        "GET issues?vendor=sap&priority=P2": "/api/v1/issues?vendor=sap&priority=P2",
        "GET issues?text=posting": "/api/v1/issues?text=posting",
        "GET issues?breached=true": "/api/v1/issues?breached=true",
        "GET issues page 2": f"/api/v1/issues?limit=50&cursor={cursor}",
    }
    results = {}
    with client_gc_paused():
        for name, path in queries.items():
            get(path, admin)
            latencies, _ = timed(lambda path=path: get(path, admin), repeat)
            results[name] = summary(latencies)
    history = bench_history.over_http(base, tokens["auditor"], long_key, times, bench_history.history_repeat(repeat))
    client.close()
    return results, history


def measure_store(
    engine: str, events: int, issues: int, repeat: int, workdir: Path, catch_up_only: bool = False
) -> dict[str, Any]:
    from application.audit import verify
    from application.config import store_settings
    from application.desk import KaizenDesk
    from projections.catalogue import all_views
    from projections.runner import ProjectionRunner
    from projections.store import ViewStore

    out: dict[str, Any] = {"engine": engine}
    with store(engine) as url:
        desk = KaizenDesk(store_settings(url))
        try:
            log(f"read side {engine}: writing {events:,} events in bulk")
            out["seed"] = dataset.seed(desk, until_events=events)
            out["log_events"] = out["seed"]["head"]
            log(f"read side {engine}: audit verify over {out['log_events']:,} events")
            started = time.perf_counter()
            report = verify(desk)
            seconds = time.perf_counter() - started
            out["verify"] = {
                "events": report.events,
                "aggregates": report.aggregates,
                "ok": report.ok,
                "seconds": round(seconds, 2),
                "events_per_s": round(report.events / seconds),
            }
            log(f"read side {engine}: kaizen projections rebuild all (catch-up from empty)")
            rebuild = rebuild_with_cli(url, workdir)
            rebuild["events"] = out["log_events"]
            rebuild["events_per_s"] = round(out["log_events"] / rebuild["seconds"])
            out["rebuild"] = rebuild
            if catch_up_only:  # the 1M-event run: export memory on the same log, then stop
                from bench.memory import export_rss

                out["export"] = export_rss(url, workdir, engine, out["log_events"])
                return out
            have = out["seed"]["issues"]
            log(f"read side {engine}: adding {max(0, issues - have):,} issues (report only) and a 1,000-event issue")
            out["seed_more"] = dataset.seed(desk, add_issues=max(0, issues - have), mix="minimal", rng_seed=11)
            started = time.perf_counter()
            long_key, times = dataset.long_issue(desk, 1000)
            out["long_issue"] = {
                "key": long_key,
                "events": len(times),
                "seconds": round(time.perf_counter() - started, 2),
            }
            out["issues"] = have + out["seed_more"]["issues"] + 1
            views = ViewStore(desk.settings)
            runner = ProjectionRunner(desk, views, all_views())
            runner.setup()
            log(f"read side {engine}: incremental catch-up")
            started = time.perf_counter()
            applied = runner.catch_up()
            seconds = time.perf_counter() - started
            out["catch_up_incremental"] = {
                "events": applied,
                "seconds": round(seconds, 2),
                "events_per_s": round(applied / seconds) if seconds else None,
            }
            views.close()
            out["head"] = int(desk.recorder.max_notification_id() or 0)
            log(f"read side {engine}: queries at {out['issues']:,} issues, in-process")
            out["queries"] = inprocess_queries(url, repeat)
            out["history"] = bench_history.inprocess(desk, long_key, times, bench_history.history_repeat(repeat))
        finally:
            desk.close()
        tokens = issue_tokens(url)
        log(f"read side {engine}: the same queries over HTTP")
        server_dir = workdir / f"server-read-{engine}"
        server_dir.mkdir(parents=True, exist_ok=True)
        # Alerts off: the bulk-written history has thousands of long-breached clocks, and raising
        # their alerts in the background would load the machine while latencies are measured.
        with Server(url, server_dir, workers=2, env={"KAIZEN_NOTIFICATIONS": "off"}) as server:
            out["http_queries"], out["http_history"] = http_queries(server.base, tokens, long_key, times, repeat)
    return out


def report_catch_up(out: dict[str, Any]) -> None:
    e = out["export"]
    table(
        f"Read side on {out['engine']}: {out['log_events']:,} events (catch-up only)",
        ["measurement", "events", "seconds", "events/s", "RSS MiB (peak)"],
        [
            [
                "bulk write through desk.save (full mix)",
                out["seed"]["events"],
                out["seed"]["seconds"],
                out["seed"]["events_per_s"],
                "",
            ],
            [
                "audit verify (hash chains)",
                out["verify"]["events"],
                out["verify"]["seconds"],
                out["verify"]["events_per_s"],
                "",
            ],
            [
                "catch-up from empty: kaizen projections rebuild all",
                out["rebuild"]["events"],
                out["rebuild"]["seconds"],
                out["rebuild"]["events_per_s"],
                out["rebuild"]["rss"].get("peak_mib"),
            ],
            [
                "kaizen export --format jsonl",
                e["exported_lines"],
                e["seconds"],
                e["events_per_s"],
                e["rss"].get("peak_mib"),
            ],
        ],
    )
    table(
        f"kaizen export on {out['engine']}: RSS (MiB) when this share of the file was written",
        list(e["rss"]["rss_at_progress_mib"]),
        [list(e["rss"]["rss_at_progress_mib"].values())],
    )


def report_store(out: dict[str, Any]) -> dict[str, Any]:
    engine = out["engine"]
    table(
        f"Read side on {engine}: write, verify, catch up",
        ["measurement", "events", "seconds", "events/s"],
        [
            [
                "bulk write through desk.save (full mix)",
                out["seed"]["events"],
                out["seed"]["seconds"],
                out["seed"]["events_per_s"],
            ],
            [
                "audit verify (hash chains)",
                out["verify"]["events"],
                out["verify"]["seconds"],
                out["verify"]["events_per_s"],
            ],
            [
                "catch-up from empty: kaizen projections rebuild all",
                out["rebuild"]["events"],
                out["rebuild"]["seconds"],
                out["rebuild"]["events_per_s"],
            ],
            [
                "bulk write, report only (to reach the issue count)",
                out["seed_more"]["events"],
                out["seed_more"]["seconds"],
                out["seed_more"]["events_per_s"],
            ],
            [
                "incremental catch-up (in-process runner)",
                out["catch_up_incremental"]["events"],
                out["catch_up_incremental"]["seconds"],
                out["catch_up_incremental"]["events_per_s"],
            ],
        ],
    )
    rows, worst = [], 0.0
    for name, s in out["queries"].items():
        rows.append([f"in-process {name}", s["p50_ms"], s["p99_ms"], s["max_ms"]])
        worst = max(worst, s["p99_ms"] or 0)
    worst_http = 0.0
    for name, s in out["http_queries"].items():
        rows.append([name, s["p50_ms"], s["p99_ms"], s["max_ms"]])
        worst_http = max(worst_http, s["p99_ms"] or 0)
    table(
        f"Queries on {engine} at {out['issues']:,} issues ({out['head']:,} events); target p99 < "
        f"{QUERY_P99_TARGET_MS:.0f} ms",
        ["query", "p50 ms", "p99 ms", "max ms"],
        rows,
    )
    rows, worst_hist = [], 0.0
    for name, s in {**out["history"], **out["http_history"]}.items():
        rows.append([name, s["p50_ms"], s["p99_ms"], s["max_ms"]])
        if s.get("one_request", True):  # not the CLI's whole history, nor the sum of every page
            worst_hist = max(worst_hist, s["p99_ms"] or 0)
    table(
        f"History and time travel on {engine}: one issue with 1,000 events (snapshot every 50); "
        f"target p99 < {HISTORY_P99_TARGET_MS:.0f} ms",
        ["operation", "p50 ms", "p99 ms", "max ms"],
        rows,
    )
    verdict = {
        "queries_worst_p99_ms_inprocess": worst,
        "queries_worst_p99_ms_http": worst_http,
        "queries_target_met": max(worst, worst_http) < QUERY_P99_TARGET_MS,
        "history_worst_p99_ms": worst_hist,
        "history_target_met": worst_hist < HISTORY_P99_TARGET_MS,
    }
    out["verdict"] = verdict
    return verdict


def run(
    quick: bool = False,
    events: int | None = None,
    issues: int | None = None,
    engines: tuple[str, ...] = ("sqlite", "postgres"),
    catch_up_only: bool = False,
) -> dict[str, Any]:
    events = events or (20_000 if quick else 100_000)
    issues = issues or (20_000 if quick else 100_000)
    repeat = 10 if quick else 30
    if "postgres" in engines and not pg_available():
        engines = tuple(e for e in engines if e != "postgres")
    results: dict[str, Any] = {"events": events, "issues": issues, "repeat": repeat, "stores": {}}
    with scratch_dir() as workdir:
        for engine in engines:
            started = time.perf_counter()
            out = measure_store(engine, events, issues, repeat, workdir, catch_up_only)
            if catch_up_only:
                report_catch_up(out)
            else:
                report_store(out)
            out["bench_seconds"] = round(time.perf_counter() - started, 1)
            results["stores"][engine] = out
    emit("read_side", results)
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.read_side", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--events", type=int, default=None, help="log size for catch-up and verify (default 100000)")
    parser.add_argument("--issues", type=int, default=None, help="issues for the query figures (default 100000)")
    parser.add_argument("--store", choices=["postgres", "sqlite", "both"], default="both")
    parser.add_argument(
        "--catch-up-only", action="store_true", help="write, verify, rebuild and export only (for --events 1000000)"
    )
    args = parser.parse_args(argv)
    engines = ("sqlite", "postgres") if args.store == "both" else (args.store,)
    run(args.quick, args.events, args.issues, engines, args.catch_up_only)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
