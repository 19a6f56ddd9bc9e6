"""`make faults`: the seven fault drills, one after the other; exit 1 if any fails.

    python -m bench.faults.run [--only kill_master,pg_outage,...,mail_intake]   (DRILLS below: all seven)

Drill 2 stops and starts the local PostgreSQL cluster (`pg_ctlcluster 15 main`): other users
of that server see it go away for about 15 s. It is always started again (try/finally). Each
drill is bounded (a few minutes at most); the whole run takes about 6 minutes on 2 cores.
"""

from __future__ import annotations

import argparse
import time
import traceback
from collections.abc import Callable
from functools import partial
from typing import Any

from bench.common import emit, exit_cleanly_on_sigterm, log, pg_available, table
from bench.faults import fuzz, kill_master, mail_intake, pg_outage, projection_failover, readonly_sqlite, slow_clients
from bench.faults.common import DrillCannotRun

Drill = tuple[Callable[[], dict[str, Any]], Callable[[dict[str, Any]], int]]
DRILL_TABLE: dict[str, Drill] = {
    "kill_master": (kill_master.run, kill_master.report),
    "pg_outage": (partial(pg_outage.run, mode="restart"), pg_outage.report),
    "projection_failover": (projection_failover.run, projection_failover.report),
    "readonly_sqlite": (readonly_sqlite.run, readonly_sqlite.report),
    "fuzz": (fuzz.run, fuzz.report),
    "slow_clients": (slow_clients.run, slow_clients.report),
    "mail_intake": (mail_intake.run, mail_intake.report),
}
DRILLS = tuple(DRILL_TABLE)


def run_one(name: str) -> tuple[int, dict[str, Any] | None]:
    run, report = DRILL_TABLE[name]
    out = run()
    return report(out), out


def main(argv: list[str] | None = None) -> int:
    exit_cleanly_on_sigterm()
    parser = argparse.ArgumentParser(prog="python -m bench.faults.run", description=__doc__.splitlines()[0])
    parser.add_argument("--only", default=",".join(DRILLS), help="comma-separated: " + ", ".join(DRILLS))
    args = parser.parse_args(argv)
    chosen = [name.strip() for name in args.only.split(",") if name.strip()]
    unknown = set(chosen) - set(DRILLS)
    if unknown:
        parser.error(f"unknown drill(s): {', '.join(sorted(unknown))}")
    if not pg_available():
        log("PostgreSQL is not reachable on 127.0.0.1:5432; the PostgreSQL drills will fail")
    rows, failed = [], 0
    started = time.perf_counter()
    for name in chosen:
        began = time.perf_counter()
        log(f"drill {name}")
        try:
            code, _ = run_one(name)
        except DrillCannotRun as exc:
            log(f"drill {name} cannot run here: {exc}")
            code = 2
        except Exception:
            traceback.print_exc()
            code = 2
        seconds = round(time.perf_counter() - began, 1)
        rows.append([name, "PASS" if code == 0 else ("ERROR" if code == 2 else "FAIL"), seconds])
        failed += code != 0
    rows.append(["total", f"{len(chosen) - failed}/{len(chosen)} passed", round(time.perf_counter() - started, 1)])
    table("Fault drills", ["drill", "result", "seconds"], rows)
    emit("faults_run", {"results": {r[0]: r[1] for r in rows[:-1]}, "seconds": rows[-1][2]})
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
