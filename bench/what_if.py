"""What-if and `as_of` compliance: how long the in-memory recompute from the SLA facts takes.

    python -m bench.what_if [--issues N] [--store postgres|sqlite|both] [--quick]

Per store, twice: over the demo data (`kaizen demo`), and over `--issues` issues (default
100k, `bench.dataset.seed`, the `full` mix: met, breached and running clocks). The SLA view is
built by a rebuild; then it times
- `what_if_s`: POST /reports/what-if's work for SAP with every response target halved, over
  every clock (today's figures and the proposed ones from one read of the facts);
- `what_if_quarter_s`: the same for the last full quarter only;
- `as_of_quarter_s`: GET /reports/sla-compliance?quarter=...&as_of=<quarter close>;
- `live_quarter_s`: the live report of that quarter, for comparison.
"""

from __future__ import annotations

import argparse
import time
from datetime import UTC, datetime
from typing import Any

from bench.common import emit, log, pg_available, store, table

DEFAULT_ISSUES = 100_000
QUICK_ISSUES = 10_000
TIMES = ("what_if_s", "what_if_quarter_s", "as_of_quarter_s", "live_quarter_s", "rebuild_sla_s")


def _timed(action: Any) -> tuple[Any, float]:
    started = time.perf_counter()
    value = action()
    return value, round(time.perf_counter() - started, 3)


def _halved(document: dict[str, Any]) -> dict[str, Any]:
    from domain.sla_policy_document import SlaPolicyDocument, iso_duration, parse_iso_duration

    targets = {}
    for priority, target in document["targets"].items():
        targets[priority] = {**target, "response": iso_duration(parse_iso_duration(target["response"]) / 2)}
    return SlaPolicyDocument.from_document({**document, "targets": targets}).to_document()


def measure(url: str, source: str, issues: int) -> dict[str, Any]:
    from application.config import store_settings
    from application.desk import KaizenDesk
    from domain.actor import Actor
    from domain.health import Quarter
    from domain.sla_policy_document import SlaPolicyDocument
    from projections.admin import rebuild
    from projections.read_side import ReadSide

    desk = KaizenDesk(store_settings(url))
    try:
        if source == "demo":
            from interfaces.demo.loader import load_demo

            load_demo(desk)
        else:
            from bench.dataset import seed

            seed(desk, add_issues=issues, mix="full", batch=1000)
        document = desk.get_policy("sap").document
        head = int(desk.recorder.max_notification_id() or 0)
    finally:
        desk.close()
    _, rebuild_s = _timed(lambda: rebuild(store_settings(url), "sla"))
    read = ReadSide(store_settings(url))
    try:
        now = datetime.now(UTC)
        quarter = Quarter.containing(now).previous
        auditor = Actor("bench-auditor", "auditor")
        proposed = {"sap": SlaPolicyDocument.from_document(_halved(document))}
        everything, what_if_s = _timed(lambda: read.reports.what_if("vendor", auditor, now, proposed))
        _, what_if_quarter_s = _timed(
            lambda: read.reports.what_if("vendor", auditor, now, proposed, quarter.start, quarter.end)
        )
        _, as_of_s = _timed(
            lambda: read.reports.sla_compliance(
                "vendor", auditor, now, quarter.start, quarter.end, None, None, quarter.end
            )
        )
        _, live_s = _timed(lambda: read.reports.sla_compliance("vendor", auditor, now, quarter.start, quarter.end))
        with read.store.transaction(commit=False) as sql:
            clocks = int(sql.execute("SELECT COUNT(*) AS n FROM sla_clock").scalar())
    finally:
        read.store.close()
    sap = {r["vendor"]: r for r in everything["current"]}.get("sap", {})
    sap_then = {r["vendor"]: r for r in everything["proposed"]}.get("sap", {})
    return {
        "source": source,
        "events": head,
        "clocks": clocks,
        "quarter": str(quarter),
        "rebuild_sla_s": rebuild_s,
        "what_if_s": what_if_s,
        "what_if_quarter_s": what_if_quarter_s,
        "as_of_quarter_s": as_of_s,
        "live_quarter_s": live_s,
        "sap_percent_met_today": sap.get("percent_met"),
        "sap_percent_met_proposed": sap_then.get("percent_met"),
    }


def run(quick: bool, issues: int | None, engines: tuple[str, ...]) -> dict[str, Any]:
    size = issues or (QUICK_ISSUES if quick else DEFAULT_ISSUES)
    results: dict[str, Any] = {"issues": size, "stores": {}}
    for engine in engines:
        if engine == "postgres" and not pg_available():
            continue
        results["stores"][engine] = []
        for source in ("demo", "dataset"):
            log(f"what-if on {engine}: {source}" + (f" ({size:,} issues)" if source == "dataset" else ""))
            with store(engine, "kaizen_bench_what_if") as url:
                results["stores"][engine].append(measure(url, source, size))
    rows = [
        [engine, r["source"], f"{r['clocks']:,}", *(r[k] for k in TIMES)]
        for engine, runs in results["stores"].items()
        for r in runs
    ]
    headers = ["store", "data", "clocks", "what-if s", "what-if quarter s", "as_of quarter s", "live quarter s"]
    table("What-if and as_of compliance", [*headers, "rebuild sla s"], rows)
    emit("what_if", results)
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.what_if", description=__doc__.splitlines()[0])
    parser.add_argument("--issues", type=int, default=None, help=f"issues (default {DEFAULT_ISSUES:,})")
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_ISSUES:,} issues")
    parser.add_argument("--store", choices=["postgres", "sqlite", "both"], default="both")
    args = parser.parse_args(argv)
    engines = ("postgres", "sqlite") if args.store == "both" else (args.store,)
    run(args.quick, args.issues, engines)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
