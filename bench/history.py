"""Benchmark: history and time travel of one 1,000-event issue, alone (the last part of
`bench.read_side` without the 100k-issue log, so a change to the history path can be measured
in a minute).

Per store: one issue with `--events` events (each its own command, so snapshots are taken as in
production) beside `--issues` other issues, then in-process (`desk.history_page`,
`desk.version_as_of` + load) and over HTTP through `kaizen serve` (a history page, every page,
`?as_of=`, `?version=`, current). Target p99 < 50 ms.
"""

from __future__ import annotations

import argparse
import json
import random
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from bench import dataset
from bench.common import (
    Server,
    client_gc_paused,
    emit,
    issue_tokens,
    log,
    pg_available,
    scratch_dir,
    store,
    summary,
    table,
)
from bench.loadgen import Client

HISTORY_P99_TARGET_MS = 50.0
HISTORY_REPEAT = 200


def history_repeat(repeat: int) -> int:
    """Samples per history operation: at least 200, so that p99 is the second-slowest sample,
    not the slowest of 30 (one scheduling hiccup on a shared 2-core machine decided it)."""
    return max(repeat, HISTORY_REPEAT) if repeat >= 30 else repeat


def timed(action: Any, repeat: int) -> tuple[list[float], Any]:
    latencies, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = action()
        latencies.append((time.perf_counter() - started) * 1000)
    return latencies, result


def stamp(when: datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def inprocess(desk: Any, key: str, times: list[datetime], repeat: int) -> dict[str, dict[str, Any]]:
    rng = random.Random(5)
    results = {}
    if hasattr(desk, "history_page"):
        latencies, _ = timed(lambda: desk.history_page(key, 50), repeat)
        results["history: first page (50)"] = summary(latencies)
        latencies, _ = timed(lambda: desk.history_page(key, 500, rng.randint(0, len(times) - 500)), repeat)
        results["history: a page of 500 at a random cursor"] = summary(latencies)
    latencies, entries = timed(lambda: desk.history(key), repeat)
    results[f"history: all {len(entries)} events (CLI, console)"] = {**summary(latencies), "one_request": False}
    latencies, _ = timed(lambda: desk.version_as_of(key, rng.choice(times[1:]) + timedelta(microseconds=1)), repeat)
    results["as_of: version_as_of alone"] = summary(latencies)

    def as_of() -> Any:
        when = rng.choice(times[1:]) + timedelta(microseconds=1)
        return desk.get_issue(key, version=desk.version_as_of(key, when))

    latencies, _ = timed(as_of, repeat)
    results["as_of: version_as_of + load at that version"] = summary(latencies)
    latencies, _ = timed(lambda: desk.get_issue(key, version=rng.randint(1, len(times) - 1)), repeat)
    results["load at a random version (snapshot + replay)"] = summary(latencies)
    return results


def over_http(base: str, token: str, key: str, times: list[datetime], repeat: int) -> dict[str, dict[str, Any]]:
    with client_gc_paused():
        return _over_http(base, token, key, times, repeat)


def _over_http(base: str, token: str, key: str, times: list[datetime], repeat: int) -> dict[str, dict[str, Any]]:
    client = Client(base)
    headers = {"Authorization": f"Bearer {token}"}
    rng = random.Random(3)

    def get(path: str) -> Any:
        try:
            status, _, body = client.request("GET", path, headers=headers)
        except ConnectionError:  # a keep-alive connection the server dropped: one retry, timed with it
            status, _, body = client.request("GET", path, headers=headers)
        if status != 200:
            raise RuntimeError(f"GET {path}: {status} {body[:300]!r}")
        return json.loads(body)

    def every_page(limit: int) -> int:
        seen, cursor = 0, None
        while True:
            page = get(f"/api/v1/issues/{key}/history?limit={limit}" + (f"&cursor={cursor}" if cursor else ""))
            seen += len(page["items"])
            cursor = page.get("next_cursor")
            if not cursor:
                return seen

    results = {}
    latencies, first = timed(lambda: get(f"/api/v1/issues/{key}/history"), repeat)
    results[f"GET history, first page ({len(first['items'])} events)"] = summary(latencies)
    if first.get("next_cursor"):
        latencies, _ = timed(lambda: get(f"/api/v1/issues/{key}/history?limit=500"), repeat)
        results["GET history?limit=500"] = summary(latencies)
        latencies, seen = timed(lambda: every_page(500), repeat)
        results[f"GET history, every page of 500 ({seen} events, sum)"] = {**summary(latencies), "one_request": False}
    latencies, _ = timed(lambda: get(f"/api/v1/issues/{key}?as_of={stamp(rng.choice(times[1:]))}"), repeat)
    results["GET ?as_of=<random time>"] = summary(latencies)
    latencies, _ = timed(
        lambda: get(f"/api/v1/issues/{key}?as_of={stamp(rng.choice(times[1:]))}&axis=occurred"), repeat
    )
    results["GET ?as_of=<random time>&axis=occurred"] = summary(latencies)
    latencies, _ = timed(lambda: get(f"/api/v1/issues/{key}?version={rng.randint(1, len(times) - 1)}"), repeat)
    results["GET ?version=<random>"] = summary(latencies)
    latencies, _ = timed(lambda: get(f"/api/v1/issues/{key}"), repeat)
    results["GET current"] = summary(latencies)
    client.close()
    return results


def measure(engine: str, events: int, issues: int, repeat: int, workdir: Path) -> dict[str, Any]:
    from application.config import store_settings
    from application.desk import KaizenDesk

    out: dict[str, Any] = {"engine": engine}
    with store(engine) as url:
        desk = KaizenDesk(store_settings(url))
        try:
            log(f"history {engine}: {issues:,} issues and one {events:,}-event issue")
            if issues:
                dataset.seed(desk, add_issues=issues, mix="minimal", rng_seed=11)
            key, times = dataset.long_issue(desk, events)
            out["key"] = key
            out["inprocess"] = inprocess(desk, key, times, repeat)
        finally:
            desk.close()
        tokens = issue_tokens(url)
        server_dir = workdir / f"server-history-{engine}"
        server_dir.mkdir(parents=True, exist_ok=True)
        with Server(url, server_dir, workers=2, env={"KAIZEN_NOTIFICATIONS": "off"}) as server:
            out["http"] = over_http(server.base, tokens["auditor"], key, times, repeat)
    # Rows marked one_request=False (the CLI's whole history, the sum of every page) are shown, not judged.
    rows = [[f"in-process {n}", s["p50_ms"], s["p99_ms"], s["max_ms"]] for n, s in out["inprocess"].items()]
    rows += [[n, s["p50_ms"], s["p99_ms"], s["max_ms"]] for n, s in out["http"].items()]
    table(
        f"History and time travel on {engine}: one issue with {events:,} events; target p99 < "
        f"{HISTORY_P99_TARGET_MS:.0f} ms",
        ["operation", "p50 ms", "p99 ms", "max ms"],
        rows,
    )
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.history", description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1000)
    parser.add_argument("--issues", type=int, default=2000, help="other issues in the store")
    parser.add_argument("--repeat", type=int, default=HISTORY_REPEAT)
    parser.add_argument("--store", choices=["postgres", "sqlite", "both"], default="both")
    args = parser.parse_args(argv)
    engines = ["sqlite", "postgres"] if args.store == "both" else [args.store]
    if "postgres" in engines and not pg_available():
        engines.remove("postgres")
    results: dict[str, Any] = {"events": args.events, "issues": args.issues, "repeat": args.repeat, "stores": {}}
    with scratch_dir() as workdir:
        for engine in engines:
            results["stores"][engine] = measure(engine, args.events, args.issues, args.repeat, workdir)
    emit("history", results)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
