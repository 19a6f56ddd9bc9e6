"""Baseline: the raw `eventsourcing` library, no HTTP, no Kaizen code, same store and concurrency.

A plain `Aggregate` with three events whose stored sizes are padded to the sizes of the
product's Reported, Triaged and Commented events (measured in the same run), saved by a plain
`Application` with the library's defaults (no aggregate cache, no hash chain). Each thread
runs the same cycle as the HTTP load: create (1 save), get + change (1 save), get + change
(1 save), so "commands/s" means the same thing on both sides.

Run as `python -m bench.raw_library CONFIG.json` (the driver starts it, so each measurement
gets a fresh process); `batch` > 1 saves that many new aggregates in one `save()` instead, to
show what batching does against the append lock.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from typing import Any
from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, event


class Ticket(Aggregate):
    @event("Opened")
    def __init__(self, title: str, description: str, module: str, pad: str) -> None:
        self.title = title
        self.description = description
        self.module = module

    @event("Classified")
    def classify(self, priority: str, assignee: str, pad: str) -> None:
        self.priority = priority
        self.assignee = assignee

    @event("Noted")
    def note(self, body: str, pad: str) -> None:
        self.last_note = body


def library_environment(url: str, pool: int) -> dict[str, str]:
    """The library's own settings for the store behind `url` (no Kaizen extras)."""
    from application.config import store_settings

    settings = store_settings(url)
    keep = {
        "PERSISTENCE_MODULE",
        "SQLITE_DBNAME",
        "SQLITE_LOCK_TIMEOUT",
        "POSTGRES_DBNAME",
        "POSTGRES_HOST",
        "POSTGRES_PORT",
        "POSTGRES_USER",
        "POSTGRES_PASSWORD",
        "POSTGRES_CONNECT_TIMEOUT",
        "POSTGRES_LOCK_TIMEOUT",
    }
    env = {k: v for k, v in settings.environment.items() if k in keep}
    env["CREATE_TABLE"] = "y"
    if settings.engine == "postgres":
        env["POSTGRES_POOL_SIZE"] = str(max(5, pool))
        env["POSTGRES_MAX_OVERFLOW"] = "10"
    return env


def make_app(url: str, pool: int, name: str = "RawBaseline") -> Application[UUID]:
    cls = type(name, (Application,), {"name": name})
    return cls(env=library_environment(url, pool))


def stored_sizes(app: Application[UUID], pads: dict[str, int]) -> dict[str, int]:
    ticket = Ticket(title="t" * 40, description="d" * 200, module="finance", pad="x" * pads["Opened"])
    ticket.classify(priority="P2", assignee="admin-wong", pad="x" * pads["Classified"])
    ticket.note(body="b" * 80, pad="x" * pads["Noted"])
    sizes = {}
    for pending in ticket.collect_events():
        stored = app.mapper.to_stored_event(pending)
        sizes[type(pending).__name__] = len(stored.state)
    return sizes


def pads_for(app: Application[UUID], targets: dict[str, int]) -> dict[str, int]:
    """Padding per event so the stored state has the target size (bytes)."""
    zero = stored_sizes(app, {"Opened": 0, "Classified": 0, "Noted": 0})
    return {name: max(0, targets[name] - zero[name]) for name in zero}


def run(config: dict[str, Any]) -> dict[str, Any]:
    concurrency = int(config["concurrency"])
    batch = int(config.get("batch", 1))
    from application.schema import racing_schema_setup  # two processes may create the tables at once

    app = racing_schema_setup(lambda: make_app(config["url"], concurrency, config.get("app_name", "RawBaseline")))
    pads = pads_for(app, config["sizes"])
    padding = {name: "x" * n for name, n in pads.items()}
    latencies: list[float] = []
    lock = threading.Lock()
    errors = 0
    start_at = float(config.get("start_at") or time.time())
    warmup, duration = float(config.get("warmup", 1.0)), float(config["duration"])
    while time.time() < start_at:
        time.sleep(0.005)
    t0 = time.monotonic()
    window = (t0 + warmup, t0 + warmup + duration)
    counts = {"commands": 0, "events": 0}

    def timed(action: Any, events: int) -> None:
        nonlocal errors
        started = time.monotonic()
        try:
            action()
        except Exception:
            with lock:
                errors += 1
            return
        ended = time.monotonic()
        if window[0] <= ended <= window[1]:
            with lock:
                latencies.append((ended - started) * 1000)
                counts["commands"] += 1
                counts["events"] += events

    def change(ticket_id: UUID, how: str) -> None:
        found: Any = app.repository.get(ticket_id)
        if how == "classify":
            found.classify(priority="P2", assignee="admin-wong", pad=padding["Classified"])
        else:
            found.note(body="b" * 80, pad=padding["Noted"])
        app.save(found)

    def worker() -> None:
        n = 0
        while time.monotonic() < window[1]:
            n += 1
            if batch > 1:
                tickets = [
                    Ticket(title=f"Ticket {n}", description="d" * 200, module="finance", pad=padding["Opened"])
                    for _ in range(batch)
                ]
                timed(lambda tickets=tickets: app.save(*tickets), batch)
                continue
            ticket = Ticket(title=f"Ticket {n}", description="d" * 200, module="finance", pad=padding["Opened"])
            timed(lambda ticket=ticket: app.save(ticket), 1)
            timed(lambda ticket_id=ticket.id: change(ticket_id, "classify"), 1)
            timed(lambda ticket_id=ticket.id: change(ticket_id, "note"), 1)

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    sizes = stored_sizes(app, pads)
    app.close()
    from bench.common import summary

    return {
        "concurrency": concurrency,
        "batch": batch,
        "seconds": duration,
        "commands_ok": counts["commands"],
        "commands_per_s": round(counts["commands"] / duration, 1),
        "events_per_s": round(counts["events"] / duration, 1),
        "latency_ms": summary(latencies),
        "errors": errors,
        "event_sizes": sizes,
    }


def main(argv: list[str] | None = None) -> int:
    args = argv if argv is not None else sys.argv[1:]
    with open(args[0], encoding="utf-8") as handle:
        config = json.load(handle)
    result = run(config)
    with open(config["out"], "w", encoding="utf-8") as handle:
        json.dump(result, handle)
    return 0


def measure(workdir: Any, configs: list[dict[str, Any]], timeout: float = 300) -> list[dict[str, Any]]:
    """Run one raw-library process per config, all starting at the same instant; their results."""
    import subprocess
    import uuid
    from pathlib import Path

    from bench.common import PYTHON, ROOT

    start_at = time.time() + 2.5  # time for every process to import and connect
    runs = []
    for config in configs:
        name = uuid.uuid4().hex[:8]
        config_path = Path(workdir) / f"raw-{name}.json"
        out = Path(workdir) / f"raw-{name}.out.json"
        config_path.write_text(json.dumps({**config, "out": str(out), "start_at": start_at}))
        log = (Path(workdir) / f"raw-{name}.log").open("ab")
        runs.append(
            (
                subprocess.Popen(
                    [PYTHON, "-m", "bench.raw_library", str(config_path)],
                    cwd=ROOT,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                ),
                out,
                log,
            )
        )
    results = []
    for child, out, log in runs:
        code = child.wait(timeout=timeout)
        log.close()
        if code != 0:
            raise RuntimeError(f"raw library run failed: {Path(log.name).read_text()[-3000:]}")
        results.append(json.loads(out.read_text()))
    return results


if __name__ == "__main__":
    raise SystemExit(main())
