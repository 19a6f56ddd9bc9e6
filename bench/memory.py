"""Benchmark 3: memory stays flat.

- Sustained run (PostgreSQL): `kaizen serve` (2 gunicorn workers, projections off) beside a
  `kaizen worker` process, under report+triage+comment load at concurrency 8 from a second
  process. After a warm-up (the aggregate cache fills: up to 2,000 aggregates per process), the
  RSS of every gunicorn worker and of the projection worker is sampled from /proc/<pid>/status
  once a second; growth after warm-up and a least-squares slope (MiB/min) are reported.
- Export: `kaizen export --format jsonl --output FILE` over a log of `--export-events` events
  (default 100k; `--export-events 1000000` for a million), RSS sampled every 0.05 s together
  with the bytes written so far, so RSS is shown against export progress (10 %, 25 %, ... 100 %).
Verdict "flat": growth after warm-up below 5 % of the RSS and below 8 MiB.
"""

from __future__ import annotations

import argparse
import subprocess
import time
from pathlib import Path
from typing import Any

from bench import dataset
from bench.common import (
    KAIZEN,
    RssSampler,
    Server,
    emit,
    issue_tokens,
    kaizen_env,
    log,
    pg_available,
    process,
    rss_kib,
    rss_profile,
    scratch_dir,
    store,
    table,
)
from bench.loadgen import LoadProcess

FLAT_MIB = 8.0
FLAT_SHARE = 0.05


def flat(profile: dict[str, Any]) -> bool:
    growth = profile.get("growth_after_warmup_mib")
    if growth is None:
        return False
    return growth < FLAT_MIB and growth < FLAT_SHARE * max(profile.get("end_mib") or 1, 1)


def sustained(workdir: Path, warmup: float, seconds: float, engine: str = "postgres") -> dict[str, Any]:
    with store(engine) as url:
        tokens = issue_tokens(url)
        server_dir = workdir / "server-memory"
        server_dir.mkdir(parents=True, exist_ok=True)
        with (
            Server(url, server_dir, workers=2, projections=False) as server,
            process([KAIZEN, "worker"], url, workdir / "worker.log") as worker,
        ):
            pids = {f"gunicorn worker {i + 1}": pid for i, pid in enumerate(server.worker_pids())}
            pids["gunicorn master"] = server.pid
            pids["kaizen worker (projections)"] = worker.pid
            load = LoadProcess(
                workdir,
                {
                    "base": server.base,
                    "tokens": tokens,
                    "concurrency": 8,
                    "mode": "timed",
                    "duration": warmup + seconds,
                    "warmup": 0,
                },
            )
            log(f"memory: sustained load, {warmup:.0f} s warm-up then {seconds:.0f} s sampled")
            with RssSampler(pids, interval=1.0) as sampler:
                result = load.result(timeout=warmup + seconds + 120)
            head = None
            try:
                from bench.common import head_position

                head = head_position(url)
            except Exception:
                pass
    fraction = warmup / (warmup + seconds)
    profiles = {name: rss_profile(samples, warmup_fraction=fraction) for name, samples in sampler.samples.items()}
    return {
        "engine": engine,
        "warmup_s": warmup,
        "sampled_s": seconds,
        "commands": result["commands_ok"],
        "commands_per_s": result["commands_per_s"],
        "statuses": result["statuses"],
        "events": head,
        "rss": profiles,
        "flat": {name: flat(p) for name, p in profiles.items()},
    }


def export_memory(workdir: Path, events: int, engine: str) -> dict[str, Any]:
    from application.config import store_settings
    from application.desk import KaizenDesk

    with store(engine) as url:
        desk = KaizenDesk(store_settings(url))
        try:
            log(f"memory: writing {events:,} events on {engine} for the export")
            seeded = dataset.seed(desk, until_events=events)
        finally:
            desk.close()
        return export_rss(url, workdir, engine, seeded["head"])


def export_rss(url: str, workdir: Path, engine: str, head: int) -> dict[str, Any]:
    """`kaizen export` over the store at `url`, RSS sampled against the bytes written so far."""
    output = workdir / f"export-{engine}.jsonl"
    log(f"memory: kaizen export over {head:,} events on {engine}")
    started = time.perf_counter()
    samples: list[tuple[float, int, int]] = []  # (seconds, bytes written so far, RSS KiB)
    with (workdir / "export.log").open("ab") as sink:
        child = subprocess.Popen(
            [KAIZEN, "export", "--format", "jsonl", "--output", str(output)],
            env=kaizen_env(url),
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
        while child.poll() is None:
            rss = rss_kib(child.pid)
            written = output.stat().st_size if output.exists() else 0
            if rss is not None:
                samples.append((time.perf_counter() - started, written, rss))
            time.sleep(0.05)
        code = child.wait()
    seconds = time.perf_counter() - started
    if code != 0:
        raise RuntimeError((workdir / "export.log").read_text()[-2000:])
    lines = sum(1 for _ in output.open("rb"))
    size = output.stat().st_size
    output.unlink()
    by_progress = {}
    for share in (0.1, 0.25, 0.5, 0.75, 0.95):
        reached = [rss for _, written, rss in samples if written >= share * size * 0.999]
        by_progress[f"{int(share * 100)}%"] = round(reached[0] / 1024, 1) if reached else None
    tail = [rss for _, written, rss in samples if written >= 0.1 * size]
    profile = {
        "samples": len(samples),
        "first_mib": round(samples[0][2] / 1024, 1) if samples else None,
        "after_warmup_mib": by_progress["10%"],
        "end_mib": round(tail[-1] / 1024, 1) if tail else None,
        "peak_mib": round(max(rss for *_, rss in samples) / 1024, 1) if samples else None,
        "growth_after_warmup_mib": round((max(tail) - tail[0]) / 1024, 1) if tail else None,
        "slope_mib_per_min": None,
        "rss_at_progress_mib": by_progress,
    }
    return {
        "engine": engine,
        "events": head,
        "exported_lines": lines,
        "bytes": size,
        "seconds": round(seconds, 2),
        "events_per_s": round(lines / seconds),
        "rss": profile,
        "flat": flat(profile),
    }


def run(
    quick: bool = False,
    export_events: int | None = None,
    engines: tuple[str, ...] = ("sqlite", "postgres"),
    sustained_seconds: float | None = None,
) -> dict[str, Any]:
    warmup, seconds = (10.0, 20.0) if quick else (60.0, 90.0)
    if sustained_seconds:
        seconds = sustained_seconds
    export_events = export_events or (20_000 if quick else 100_000)
    if not pg_available():
        engines = tuple(e for e in engines if e != "postgres")
    results: dict[str, Any] = {"exports": {}}
    with scratch_dir() as workdir:
        if "postgres" in engines:
            results["sustained"] = sustained(workdir, warmup, seconds)
        for engine in engines:
            results["exports"][engine] = export_memory(workdir, export_events, engine)
    rows = []
    if "sustained" in results:
        s = results["sustained"]
        for name, p in s["rss"].items():
            rows.append(
                [
                    f"{name} ({s['commands']:,} commands, {s['commands_per_s']}/s)",
                    p.get("first_mib"),
                    p.get("after_warmup_mib"),
                    p.get("end_mib"),
                    p.get("peak_mib"),
                    p.get("growth_after_warmup_mib"),
                    p.get("slope_mib_per_min"),
                    "flat" if s["flat"][name] else "GROWING",
                ]
            )
    for engine, e in results["exports"].items():
        p = e["rss"]
        rows.append(
            [
                f"kaizen export, {e['exported_lines']:,} events on {engine} ({e['seconds']} s, "
                f"{e['events_per_s']:,}/s)",
                p.get("first_mib"),
                p.get("after_warmup_mib"),
                p.get("end_mib"),
                p.get("peak_mib"),
                p.get("growth_after_warmup_mib"),
                p.get("slope_mib_per_min"),
                "flat" if e["flat"] else "GROWING",
            ]
        )
    for engine, e in results["exports"].items():
        table(
            f"kaizen export on {engine}: RSS (MiB) when this share of the file was written",
            list(e["rss"]["rss_at_progress_mib"]),
            [list(e["rss"]["rss_at_progress_mib"].values())],
        )
    table(
        "Memory (RSS MiB from /proc/<pid>/status; growth: end-quarter median minus first median after warm-up; "
        "export: max minus RSS at 10 % written)",
        ["process", "first", "after warm-up", "end", "peak", "growth", "MiB/min", "verdict"],
        rows,
    )
    emit("memory", results)
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.memory", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--export-events", type=int, default=None)
    parser.add_argument("--seconds", type=float, default=None, help="sampled seconds of the sustained run")
    parser.add_argument("--store", choices=["postgres", "sqlite", "both"], default="both")
    args = parser.parse_args(argv)
    engines = ("sqlite", "postgres") if args.store == "both" else (args.store,)
    run(args.quick, args.export_events, engines, args.seconds)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
