"""Drill 3: kill -9 the projection worker in the middle of catch-up; views stay exact, a standby takes over.

A PostgreSQL store gets a log of `--events` events (bulk, `bench.dataset`) and empty views.
`kaizen worker` A starts catching up; worker B stands by on the election lock. `--kills`
times (default 10), at a random moment while the active worker is still behind the log, the
active worker is killed with SIGKILL, a new standby is started, and the drill measures how long
until (a) another worker holds the election lock (pg_locks) and (b) the views' positions move
again. When the log is fully applied, every view table is dumped (rows sorted), all views are
rebuilt from scratch (`projections.admin.rebuild`, what `kaizen projections rebuild all` does)
and dumped again: the two dumps must be identical.

Workers run with `KAIZEN_NOTIFICATIONS=off`: the bulk-written history has thousands of clocks
that breached long ago, and the alert loop would keep appending alert events while the drill
waits for the log to settle; the projection runner under test is the same either way.
"""

from __future__ import annotations

import argparse
import contextlib
import random
import signal
import subprocess
import time
import zlib
from pathlib import Path
from typing import Any

from bench import dataset
from bench.common import KAIZEN, ROOT, given_or_new, head_position, kaizen_env, log, pg_admin, scratch_dir
from bench.faults.common import finish

TAKEOVER_LIMIT_S = 5.0
WORKER_ENV = {"KAIZEN_NOTIFICATIONS": "off"}


def lock_key() -> int:
    from adapters.election import LOCK_NAME

    return zlib.crc32(LOCK_NAME.encode()) & 0x7FFFFFFF


WORKER_APP = "kaizen-drill-worker-"


def lock_holder(dbname: str) -> tuple[int, str] | None:
    """The backend pid holding the projections' election lock in this database, with the
    application name of its client (each worker is started with its own, `PGAPPNAME`)."""
    with pg_admin() as conn:
        row = conn.execute(
            "SELECT l.pid, coalesce(a.application_name, '') FROM pg_locks l "
            "JOIN pg_database d ON d.oid = l.database LEFT JOIN pg_stat_activity a ON a.pid = l.pid "
            "WHERE l.locktype = 'advisory' AND l.granted AND l.objid = %s AND d.datname = %s",
            (lock_key(), dbname),
        ).fetchone()
    return (int(row[0]), str(row[1])) if row else None


def active_worker(workers: list[tuple[int, subprocess.Popen[bytes]]], dbname: str) -> int:
    """The index in `workers` of the one holding the election lock; the oldest if none is
    known to (a standby that started later may win the lock before an older one retries)."""
    holder = lock_holder(dbname)
    names = [f"{WORKER_APP}{n}" for n, _ in workers]
    return names.index(holder[1]) if holder is not None and holder[1] in names else 0


class Positions:
    def __init__(self, url: str) -> None:
        from application.config import store_settings
        from projections.catalogue import all_views
        from projections.store import ViewStore

        self.store = ViewStore(store_settings(url))
        self.names = [view.name for view in all_views()]

    def read(self) -> dict[str, int]:
        return {name: self.store.position(name) for name in self.names}

    def close(self) -> None:
        self.store.close()


def dump_views(url: str) -> dict[str, list[tuple[Any, ...]]]:
    from application.config import store_settings
    from projections.catalogue import all_views
    from projections.store import ViewStore

    views = ViewStore(store_settings(url))
    dumps: dict[str, list[tuple[Any, ...]]] = {}
    try:
        with views.transaction(commit=False) as sql:
            for view in all_views():
                for table in view.tables:
                    rows = sql.execute(f"SELECT * FROM {table}").fetchall()
                    dumps[table] = sorted(tuple(sorted((k, repr(v)) for k, v in row.items())) for row in rows)
    finally:
        views.close()
    return dumps


def top_up(url: str, events: int, seed: int) -> int:
    """Append about `events` more events to the log; its new head."""
    from application.config import store_settings
    from application.desk import KaizenDesk

    desk = KaizenDesk(store_settings(url))
    try:
        start = int(desk.recorder.max_notification_id() or 0)
        return int(dataset.seed(desk, until_events=start + events, rng_seed=seed)["head"])
    finally:
        desk.close()


def start_worker(url: str, workdir: Path, n: int) -> tuple[int, subprocess.Popen[bytes]]:
    sink = (workdir / f"worker-{n}.log").open("ab")
    return n, subprocess.Popen(
        [KAIZEN, "worker"],
        cwd=ROOT,
        env=kaizen_env(url, **WORKER_ENV, PGAPPNAME=f"{WORKER_APP}{n}"),
        stdout=sink,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def run(
    kills: int = 10,
    delay: tuple[float, float] = (0.3, 1.5),
    events: int = 100_000,
    seed: int = 3,
    takeover_limit: float = TAKEOVER_LIMIT_S,
    url: str | None = None,
) -> dict[str, Any]:
    from application.config import store_settings
    from application.desk import KaizenDesk
    from projections.admin import rebuild

    rng = random.Random(seed)
    started = time.perf_counter()
    takeovers: list[dict[str, float]] = []
    problems: list[str] = []
    topped_up = 0
    with given_or_new(url, "postgres") as url, scratch_dir("kaizen-drill-") as workdir:
        dbname = url.rsplit("/", 1)[1]
        desk = KaizenDesk(store_settings(url))
        try:
            seeded = dataset.seed(desk, until_events=events)
        finally:
            desk.close()
        head = seeded["head"]
        log(f"projection failover: {head:,} events written; starting worker A and standby B")
        positions = Positions(url)
        workers = [start_worker(url, workdir, 0)]
        spawned = 1
        try:
            deadline = time.monotonic() + 60
            while min(positions.read().values()) == 0 and time.monotonic() < deadline:
                time.sleep(0.05)
            workers.append(start_worker(url, workdir, spawned))
            spawned += 1
            time.sleep(1.0)  # the standby has started and tried the lock
            for n in range(kills):
                time.sleep(rng.uniform(*delay))
                before = positions.read()
                if min(before.values()) >= head:
                    # Catch-up outran the kills (a fast machine, a small --events): write more,
                    # so that this kill, too, lands while the active worker is behind.
                    head = top_up(url, events // 2, seed=seed + n + 1)
                    topped_up += 1
                    log(f"projection failover: the views had caught up before kill {n + 1}; log now {head:,} events")
                    before = positions.read()
                _, active = workers.pop(active_worker(workers, dbname))
                holder = lock_holder(dbname)
                active.send_signal(signal.SIGKILL)
                killed_at = time.monotonic()
                active.wait()
                workers.append(start_worker(url, workdir, spawned))  # the next standby
                spawned += 1
                lock_s = progress_s = None
                limit = killed_at + 30
                while time.monotonic() < limit and (lock_s is None or progress_s is None):
                    if lock_s is None:
                        now_holder = lock_holder(dbname)
                        if now_holder is not None and (holder is None or now_holder[0] != holder[0]):
                            lock_s = time.monotonic() - killed_at
                    if progress_s is None and any(p > before[k] for k, p in positions.read().items()):
                        progress_s = time.monotonic() - killed_at
                    time.sleep(0.02)
                takeovers.append(
                    {
                        "lock_s": lock_s if lock_s is not None else float("nan"),
                        "progress_s": progress_s if progress_s is not None else float("nan"),
                        "behind": head - min(before.values()),
                    }
                )
                log(
                    f"kill -9 #{n + 1} of the active worker ({head - min(before.values()):,} events behind): "
                    f"lock taken over after {lock_s and round(lock_s, 2)} s, views moving after "
                    f"{progress_s and round(progress_s, 2)} s"
                )
            log("projection failover: waiting for the views to reach the head of the log")
            deadline = time.monotonic() + 600
            current_head = head
            while time.monotonic() < deadline:
                current_head = head_position(url)
                if min(positions.read().values()) >= current_head:
                    break
                time.sleep(0.2)
            caught_up = min(positions.read().values()) >= current_head
        finally:
            for _, worker in workers:
                if worker.poll() is None:
                    worker.send_signal(signal.SIGTERM)
            for _, worker in workers:
                with contextlib.suppress(subprocess.TimeoutExpired):
                    worker.wait(timeout=20)
                if worker.poll() is None:
                    worker.kill()
                    worker.wait()
            positions.close()
        log("projection failover: dumping the views, rebuilding from scratch, dumping again")
        after_kills = dump_views(url)
        rebuild_started = time.perf_counter()
        rebuild(store_settings(url), "all")
        rebuild_s = time.perf_counter() - rebuild_started
        clean = dump_views(url)
    differing = sorted(t for t in set(after_kills) | set(clean) if after_kills.get(t) != clean.get(t))
    for table in differing:
        a, b = set(after_kills.get(table, [])), set(clean.get(table, []))
        problems.append(f"table {table}: {len(a - b)} rows only after the kills, {len(b - a)} only in the rebuild")
    lock_times = [t["lock_s"] for t in takeovers if t["lock_s"] == t["lock_s"]]
    progress_times = [t["progress_s"] for t in takeovers if t["progress_s"] == t["progress_s"]]
    out = {
        "events": head,
        "kills": len(takeovers),
        "seconds": round(time.perf_counter() - started, 1),
        "takeovers": takeovers,
        "lock_takeover_s_max": round(max(lock_times), 2) if lock_times else None,
        "lock_takeover_s_mean": round(sum(lock_times) / len(lock_times), 2) if lock_times else None,
        "progress_s_max": round(max(progress_times), 2) if progress_times else None,
        "progress_s_mean": round(sum(progress_times) / len(progress_times), 2) if progress_times else None,
        "tables": len(clean),
        "rows": sum(len(v) for v in clean.values()),
        "topped_up": topped_up,
        "differing_tables": differing,
        "rebuild_s": round(rebuild_s, 1),
        "problems": problems,
    }
    out["checks"] = {
        f"killed {kills} times while behind the log": len(takeovers) == kills,
        "views after the kills equal a clean rebuild (every table, every row)": not differing,
        f"a standby took the lock within {takeover_limit:.0f} s every time": len(lock_times) == len(takeovers)
        and bool(lock_times)
        and max(lock_times) <= takeover_limit,
        f"views moved again within {takeover_limit:.0f} s every time": len(progress_times) == len(takeovers)
        and bool(progress_times)
        and max(progress_times) <= takeover_limit,
        "the views reached the head of the log": caught_up,
    }
    return out


def report(out: dict[str, Any]) -> int:
    return finish(
        "fault_projection_failover",
        f"Drill 3: kill -9 the projection worker {out['kills']} times "
        f"during catch-up of {out['events']:,} events (PostgreSQL)",
        out,
        [
            (
                "standby holds the election lock after (mean / max s)",
                f"{out['lock_takeover_s_mean']} / {out['lock_takeover_s_max']}",
            ),
            ("views move again after (mean / max s)", f"{out['progress_s_mean']} / {out['progress_s_max']}"),
            ("events behind at each kill", [t["behind"] for t in out["takeovers"]]),
            ("times the log was topped up because the views had caught up", out["topped_up"]),
            ("view tables compared / rows", f"{out['tables']} / {out['rows']:,}"),
            ("tables that differ from a clean rebuild", out["differing_tables"] or "none"),
            ("clean rebuild for the comparison (s)", out["rebuild_s"]),
            ("drill wall time (s)", out["seconds"]),
        ],
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.faults.projection_failover", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--kills", type=int, default=10)
    parser.add_argument("--events", type=int, default=100_000)
    args = parser.parse_args(argv)
    return report(run(kills=args.kills, events=args.events))


if __name__ == "__main__":
    raise SystemExit(main())
