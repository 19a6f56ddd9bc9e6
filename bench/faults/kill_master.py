"""Drill 1: `kill -9` the gunicorn master under load; nothing acknowledged is lost or doubled.

`kaizen serve` runs on PostgreSQL (or SQLite) with clients in a second process posting
report → triage → comment, every request with an Idempotency-Key, retrying (same key, same
body) after a connection error or a 5xx until they get an answer. The master is killed with
SIGKILL `--kills` times (default 20) at a random moment 0.5–2 s after it is up. Its workers are
then killed with SIGKILL too, as a container runtime or systemd's control-group kill does when
the main process dies (`--orphans kill`, the default: requests are cut in the middle, some
after their commit and before their answer); with `--orphans wait` they are left alone, and
the drill measures how long orphaned workers go on serving by themselves. The server is then
started again on the same port. At the end the clients' ledger is compared with the event log
(`bench.faults.ledger`).
"""

from __future__ import annotations

import argparse
import random
import time
from typing import Any

from bench.common import Server, given_or_new, issue_tokens, kill_all, log, port_free, scratch_dir, wait_gone
from bench.faults.common import finish
from bench.faults.ledger import check
from bench.loadgen import LoadProcess

ORPHAN_GRACE_S = 35.0  # gunicorn's graceful timeout (30 s) and a margin


def run(
    kills: int = 20,
    concurrency: int = 8,
    engine: str = "postgres",
    workers: int = 2,
    up: tuple[float, float] = (0.5, 2.0),
    seed: int = 20,
    orphans: str = "kill",
    url: str | None = None,
    settle: float = 1.5,
) -> dict[str, Any]:
    rng = random.Random(seed)
    restarts, orphan_exits, forced = [], [], 0
    started = time.perf_counter()
    with given_or_new(url, engine) as url, scratch_dir("kaizen-drill-") as workdir:
        tokens = issue_tokens(url)
        server = Server(url, workdir, workers=workers)
        server.start()
        load = LoadProcess(
            workdir,
            {
                "base": server.base,
                "tokens": tokens,
                "concurrency": concurrency,
                "mode": "until_stopped",
                "timeline": False,
            },
        )
        try:
            for n in range(kills):
                time.sleep(rng.uniform(*up))
                left = server.kill9()
                killed_at = time.monotonic()
                if orphans == "kill":
                    kill_all(left)
                    gone = wait_gone(left, 5)
                else:
                    gone = wait_gone(left, ORPHAN_GRACE_S)
                    if gone is None:
                        forced += 1
                        kill_all(left)
                        wait_gone(left, 5)
                    else:
                        orphan_exits.append(gone)
                deadline = time.monotonic() + 15
                while not port_free(server.port) and time.monotonic() < deadline:
                    time.sleep(0.05)
                server.process = None
                server.start(wait=True)
                restarts.append(time.monotonic() - killed_at)
                log(
                    f"kill -9 #{n + 1}: workers gone after {gone if gone is None else round(gone, 2)} s, "
                    f"answering again after {restarts[-1]:.2f} s"
                )
            time.sleep(settle)  # traffic on the last server before the clients stop
            result = load.result(timeout=180)
        finally:
            load.kill()
            server.stop()
        verdict = check(url, result["ledger"])
    statuses = result["statuses"]
    server_errors = {k: v for k, v in statuses.items() if k.startswith("5")}
    out = {
        "engine": engine,
        "kills": kills,
        "concurrency": concurrency,
        "workers": workers,
        "orphans": orphans,
        "seconds": round(time.perf_counter() - started, 1),
        "restart_s_max": round(max(restarts), 2) if restarts else None,
        "restart_s_mean": round(sum(restarts) / len(restarts), 2) if restarts else None,
        "orphans_exit_s_max": round(max(orphan_exits), 2) if orphan_exits else None,
        "orphans_forced": forced,
        "statuses": statuses,
        "connection_errors": result["errors"],
        "retries": result["retries"],
        "ledger": verdict,
        "problems": verdict["problems"],
        "traceback_bodies": result["traceback_bodies"],
    }
    out["checks"] = {
        "every acknowledged request stored exactly once, nothing else stored": verdict["ok"],
        f"the master was killed {kills} times under load": len(restarts) == kills,
        "no 500 answers": "500" not in server_errors,
        "no stack trace in any answer": result["traceback_bodies"] == 0,
        "load was running (>= 10 acknowledged per kill)": verdict["acknowledged"] >= 10 * kills,
    }
    return out


def report(out: dict[str, Any]) -> int:
    v = out["ledger"]
    return finish(
        "fault_kill_master",
        f"Drill 1: kill -9 the gunicorn master {out['kills']} times under load "
        f"({out['engine']}, {out['workers']} workers, {out['concurrency']} clients)",
        out,
        [
            ("requests (each with an Idempotency-Key)", v["requests"]),
            ("acknowledged 2xx", v["acknowledged"]),
            ("refused (4xx)", f"{v['refused']} {v['refused_statuses']}"),
            ("answers replayed from the idempotency record", v["replayed_answers"]),
            ("requests that needed a retry", v["retried_requests"]),
            ("connection errors seen by clients", sum(out["connection_errors"].values())),
            ("5xx answers seen by clients", {k: c for k, c in out["statuses"].items() if k.startswith("5")}),
            ("issues in the log / idempotency records", f"{v['issues_in_log']} / {v['idempotency_records']}"),
            ("ledger problems", v["problem_count"]),
            ("answering again after kill -9 (mean / max s)", f"{out['restart_s_mean']} / {out['restart_s_max']}"),
            *(
                [
                    ("orphaned workers exited by themselves within (max s)", out["orphans_exit_s_max"]),
                    ("orphaned workers that had to be killed", out["orphans_forced"]),
                ]
                if out["orphans"] == "wait"
                else [("workers", "killed -9 with the master (container/systemd semantics)")]
            ),
            ("drill wall time (s)", out["seconds"]),
        ],
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.faults.kill_master", description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--store", choices=["postgres", "sqlite"], default="postgres")
    parser.add_argument(
        "--orphans",
        choices=["kill", "wait"],
        default="kill",
        help="kill the master's workers with it (default), or let them exit by themselves",
    )
    args = parser.parse_args(argv)
    return report(run(args.kills, args.concurrency, args.store, orphans=args.orphans))


if __name__ == "__main__":
    raise SystemExit(main())
