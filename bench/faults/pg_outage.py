"""Drill 2: PostgreSQL goes away under load; the service says 503, recovers by itself, loses nothing.

`kaizen serve` (2 workers, projections in-process) on PostgreSQL, clients in a second process
posting report → triage → comment with Idempotency-Keys and retrying after a 5xx or a
connection error. After a few seconds of normal traffic the database goes away for
`--down` seconds (default 15: longer than the 10 s a client should wait for an answer), then
comes back; the server is never restarted.

- `--mode restart` (the `make faults` drill): `pg_ctlcluster 15 main stop -m fast`, wait,
  `start` (always started again, in a `finally`). Every database on the server goes away.
- `--mode database` (the short drill in `make test`, which must not stop a server other tests
  share): only this drill's database refuses connections (`ALTER DATABASE ... ALLOW_CONNECTIONS
  false` and its sessions terminated), then accepts them again.

Checked: a request sent during the outage is answered within 10 s, with a 503
`application/problem+json` carrying `Retry-After`, never a 500 or a stack trace; `/readyz`
says 503 while it lasts, and 200 again (the views caught up) within 30 s of the end;
commands succeed again within 30 s of the database coming back, with the same server process;
the clients' ledger matches the event log exactly.
"""

from __future__ import annotations

import argparse
import threading
import time
from collections import Counter
from typing import Any

from bench.common import (
    Server,
    given_or_new,
    http_get,
    issue_tokens,
    log,
    pg_admin,
    pg_ctl,
    pg_wait_ready,
    scratch_dir,
)
from bench.faults.common import finish
from bench.faults.ledger import check
from bench.loadgen import LoadProcess

RECOVERY_LIMIT_S = 30.0
ANSWER_LIMIT_S = 10.0  # a request sent while the store is away gets a 503 (or its answer) within this


class ReadyProbe:
    """GET /readyz every 0.2 s: (time.monotonic(), status or 'conn')."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.samples: list[tuple[float, str]] = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def run(self) -> None:
        while not self.stop.is_set():
            at = time.monotonic()
            try:
                status = str(http_get(self.base, "/readyz", timeout=10)[0])
            except OSError:
                status = "conn"
            self.samples.append((at, status))
            self.stop.wait(0.2)

    def __enter__(self) -> ReadyProbe:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join(timeout=15)


def _database_outage(name: str, down: float) -> tuple[float, float]:
    """(went away, came back) in time.monotonic()."""
    with pg_admin() as conn:
        conn.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
        try:
            conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
                (name,),
            )
            down_at = time.monotonic()
            while time.monotonic() < down_at + down:  # sessions opened just before the switch go too
                time.sleep(0.25)
                conn.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = %s AND pid <> pg_backend_pid()",
                    (name,),
                )
        finally:
            conn.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
    return down_at, time.monotonic()


def _server_outage(down: float) -> tuple[float, float]:
    """Stop the cluster, wait, start it again (always); (went away, came back)."""
    down_at = time.monotonic()
    try:
        pg_ctl("stop")
        down_at = time.monotonic()
        time.sleep(down)
    finally:
        pg_ctl("start")
        if not pg_wait_ready(60):
            raise RuntimeError("PostgreSQL did not come back within 60 s")
    return down_at, time.monotonic()


def run(
    mode: str = "restart",
    down: float = 15.0,
    concurrency: int = 8,
    before: float = 3.0,
    after: float = 3.0,
    ready_wait: float = RECOVERY_LIMIT_S + 5,
    url: str | None = None,
) -> dict[str, Any]:
    started = time.perf_counter()
    with given_or_new(url, "postgres") as url, scratch_dir("kaizen-drill-") as workdir:
        name = url.rsplit("/", 1)[1]
        tokens = issue_tokens(url)
        server = Server(url, workdir, workers=2)
        server.start()
        workers_before = server.worker_pids()
        load = LoadProcess(
            workdir,
            {
                "base": server.base,
                "tokens": tokens,
                "concurrency": concurrency,
                "mode": "until_stopped",
                "timeline": True,
            },
        )
        try:
            with ReadyProbe(server.base) as probe:
                time.sleep(before)
                log(f"pg outage ({mode}): database going away for {down} s")
                down_at, up_at = _server_outage(down) if mode == "restart" else _database_outage(name, down)
                log("pg outage: database back; waiting for the service to recover")
                deadline = up_at + ready_wait  # until /readyz says 200 again, at most
                while time.monotonic() < deadline:
                    if any(s == "200" and at > up_at for at, s in probe.samples[-3:]):
                        break
                    time.sleep(0.2)
                time.sleep(after)
            result = load.result(timeout=180)
            same_process = server.process is not None and server.process.poll() is None
            workers_after = server.worker_pids()
        finally:
            load.kill()
            server.stop()
        verdict = check(url, result["ledger"])
    timeline = result["timeline"]
    # A request overlaps the outage if it was sent before the database came back and answered
    # after it went away: on a loaded machine, requests in flight when it went away may wait out
    # the whole outage on the pool, and their 503s arrive just after it.
    during = Counter(outcome for sent, answered, outcome in timeline if sent <= up_at and answered >= down_at)
    waits = [answered - sent for sent, answered, outcome in timeline if down_at <= sent <= up_at]
    ok_after = [answered for sent, answered, outcome in timeline if answered > up_at and outcome.startswith("2")]
    recovery = (min(ok_after) - up_at) if ok_after else None
    last_ok_before = max((a for s, a, o in timeline if a < down_at and o.startswith("2")), default=None)
    ready_during = Counter(s for at, s in probe.samples if down_at + 0.5 <= at <= up_at)
    ready_after = [at for at, s in probe.samples if at > up_at and s == "200"]
    statuses = result["statuses"]
    out = {
        "mode": mode,
        "down_s": round(up_at - down_at, 2),
        "concurrency": concurrency,
        "seconds": round(time.perf_counter() - started, 1),
        "answers_during_outage": dict(during),
        "statuses": statuses,
        "bad_503": result["bad_503"],
        "longest_wait_for_an_answer_s": round(max(waits), 2) if waits else None,
        "unanswered_within_client_timeout": sum(1 for s_, a_, o in timeline if o == "conn:TimeoutError"),
        "bad_503_count": result["bad_503_count"],
        "traceback_bodies": result["traceback_bodies"],
        "recovery_s": None if recovery is None else round(recovery, 2),
        "readyz_during": dict(ready_during),
        "readyz_recovery_s": round(min(ready_after) - up_at, 2) if ready_after else None,
        "gap_without_2xx_s": round(min(ok_after) - last_ok_before, 2) if ok_after and last_ok_before else None,
        "same_server_process": same_process,
        "workers_replaced": sorted(set(workers_before) - set(workers_after)),
        "ledger": verdict,
        "problems": verdict["problems"],
    }
    out["checks"] = {
        "every acknowledged request stored exactly once, nothing else stored": verdict["ok"],
        "the service answered 503 during the outage": during.get("503", 0) > 0,
        "every 503 is problem+json with Retry-After": result["bad_503_count"] == 0,
        f"no request waited over {ANSWER_LIMIT_S:.0f} s for an answer during the outage": bool(waits)
        and max(waits) <= ANSWER_LIMIT_S,
        "no 500 (or other 5xx than 503)": not any(k.startswith("5") and k != "503" for k in statuses),
        "no stack trace in any answer": result["traceback_bodies"] == 0,
        "/readyz said 503 during the outage": ready_during.get("503", 0) > 0,
        f"the views caught up again (/readyz 200) within {RECOVERY_LIMIT_S:.0f} s": bool(ready_after)
        and min(ready_after) - up_at <= RECOVERY_LIMIT_S,
        f"commands succeed again within {RECOVERY_LIMIT_S:.0f} s, same server process": recovery is not None
        and recovery <= RECOVERY_LIMIT_S
        and same_process,
    }
    return out


def report(out: dict[str, Any]) -> int:
    v = out["ledger"]
    what = "PostgreSQL stopped and started" if out["mode"] == "restart" else "the drill's database refused connections"
    return finish(
        f"fault_pg_outage_{out['mode']}",
        f"Drill 2: {what} for {out['down_s']} s under load ({out['concurrency']} clients)",
        out,
        [
            ("answers while the database was away", out["answers_during_outage"]),
            ("longest wait for an answer, request sent during the outage (s)", out["longest_wait_for_an_answer_s"]),
            ("requests unanswered within the client's 30 s timeout", out["unanswered_within_client_timeout"]),
            ("503 without Retry-After or problem+json", out["bad_503_count"]),
            ("/readyz while the database was away", out["readyz_during"]),
            ("first 2xx command after the database came back (s)", out["recovery_s"]),
            ("/readyz 200 again after (s)", out["readyz_recovery_s"]),
            ("longest stretch without a 2xx command (s)", out["gap_without_2xx_s"]),
            ("server process never restarted", out["same_server_process"]),
            ("gunicorn workers replaced by the master", len(out["workers_replaced"])),
            ("requests / acknowledged / refused", f"{v['requests']} / {v['acknowledged']} / {v['refused']}"),
            ("answers replayed from the idempotency record", v["replayed_answers"]),
            ("ledger problems", v["problem_count"]),
            ("all statuses seen", out["statuses"]),
            ("drill wall time (s)", out["seconds"]),
        ],
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.faults.pg_outage", description=__doc__.splitlines()[0])
    parser.add_argument("--mode", choices=["restart", "database"], default="restart")
    parser.add_argument("--down", type=float, default=15.0)
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args(argv)
    return report(run(args.mode, args.down, args.concurrency))


if __name__ == "__main__":
    raise SystemExit(main())
