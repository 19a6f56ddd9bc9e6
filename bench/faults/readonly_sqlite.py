"""Drill 4: the SQLite store becomes read-only; clear errors, no corruption, recovery when writable.

The server runs as an unprivileged user (uid 65534; root ignores file modes), on an SQLite
file in a directory that user owns. After some writes, the database file, its `-wal` and
`-shm` are made 0444 and the directory 0555 (so no journal can be created either), then:

- phase A, the running server: commands are sent to it. Files it already holds open stay
  writable (POSIX checks modes at open time), so this phase shows what an operator's chmod
  does to a live process;
- phase B, the server restarted while the files are read-only (a deploy, a crash, a new
  worker): commands must be refused with 503 `application/problem+json` and `Retry-After`,
  never a 500 or a stack trace; reads answer 200, or a well-formed 503 when SQLite cannot
  open the WAL file read-only (it needs to write `-shm`; whether that file survived the
  restart depends on whether the last connection checkpointed it away);
- `PRAGMA integrity_check` (read-only connection) must say `ok`;
- the files are made writable again: without restarting anything, commands must succeed
  again within 30 s; at the end integrity_check and `audit verify` pass and every issue
  whose report was acknowledged is in the store.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import sqlite3
import time
from collections import Counter
from pathlib import Path
from typing import Any

from bench.common import Server, issue_tokens, log, scratch_dir
from bench.faults.common import NOBODY, DrillCannotRun, finish, why_nobody_cannot_run
from bench.loadgen import Client, report_body

RECOVERY_LIMIT_S = 30.0


def integrity(path: Path) -> str:
    with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10)) as conn:
        return ",".join(row[0] for row in conn.execute("PRAGMA integrity_check").fetchall())


def store_files(path: Path) -> list[Path]:
    return [p for p in (path, Path(f"{path}-wal"), Path(f"{path}-shm")) if p.exists()]


def set_read_only(path: Path, read_only: bool) -> None:
    for file in store_files(path):
        os.chmod(file, 0o444 if read_only else 0o644)
    os.chmod(path.parent, 0o555 if read_only else 0o755)


class Probe:
    """Commands and reads against the server, every answer classified."""

    def __init__(self, base: str, tokens: dict[str, str]) -> None:
        self.client = Client(base, timeout=30)
        self.tokens = tokens
        self.n = 0
        self.acknowledged: list[str] = []
        self.bad: list[str] = []

    def _call(self, method: str, path: str, body: Any, token: str) -> tuple[str, dict[str, Any] | None]:
        try:
            status, headers, raw = self.client.request(method, path, body, {"Authorization": f"Bearer {token}"})
        except OSError as exc:
            return f"conn:{type(exc).__name__}", None
        text = raw.decode("utf-8", "replace")
        if "Traceback" in text or status == 500:
            self.bad.append(f"{status} {text[:200]}")
        if status == 503 and (
            "retry-after" not in headers or "application/problem+json" not in headers.get("content-type", "")
        ):
            self.bad.append(f"503 without Retry-After/problem+json: {headers}")
        parsed = json.loads(text) if "json" in headers.get("content-type", "") and text else None
        return str(status), parsed

    def command(self) -> str:
        self.n += 1
        status, body = self._call(
            "POST", "/api/v1/issues", report_body(random.Random(self.n), self.n), self.tokens["reporter"]
        )
        if status.startswith("2") and body:
            self.acknowledged.append(body["key"])
        return status

    def read(self) -> str:
        key = self.acknowledged[0] if self.acknowledged else "KZ-1"
        return self._call("GET", f"/api/v1/issues/{key}", None, self.tokens["admin"])[0]


def run(commands: int = 20) -> dict[str, Any]:
    from application.audit import verify
    from application.config import store_settings
    from application.desk import KaizenDesk

    reason = why_nobody_cannot_run()
    if reason is not None:
        raise DrillCannotRun(reason)
    started = time.perf_counter()
    with scratch_dir("kaizen-drill-") as workdir:
        os.chmod(workdir, 0o755)  # the unprivileged server must reach its store
        data = workdir / "store"
        data.mkdir()
        db = data / "kaizen.db"
        url = f"sqlite:///{db}"
        tokens = issue_tokens(url)
        for path in [data, *store_files(db)]:
            os.chown(path, NOBODY, NOBODY)
        server = Server(url, workdir, workers=2, user=NOBODY)
        server.start()
        phases: dict[str, Counter[str]] = {}
        probe = Probe(server.base, tokens)
        errors_logged: Counter[str | None] = Counter()
        restart_error = integrity_read_only = None
        recovery, same_process = None, False
        try:
            phases["writable"] = Counter(probe.command() for _ in range(commands))
            set_read_only(db, True)
            log("read-only store: files 0444, directory 0555; commands to the running server")
            phases["read-only, running server"] = Counter(probe.command() for _ in range(commands))
            server.stop()
            log("read-only store: server restarted on the read-only files")
            restart_error = None
            try:
                server.start(timeout=30)
            except RuntimeError as exc:
                restart_error = str(exc)[-1500:]
            if restart_error is None:
                probe.client = Client(server.base, timeout=30)
                phases["read-only, restarted server"] = Counter(probe.command() for _ in range(commands))
                phases["read-only, restarted server: reads"] = Counter(probe.read() for _ in range(5))
            integrity_read_only = integrity(db)
            set_read_only(db, False)
            writable_at = time.monotonic()
            log("read-only store: writable again; waiting for commands to succeed (no restart)")
            recovery = None
            recovering: Counter[str] = Counter()
            if restart_error is None:
                while time.monotonic() - writable_at < RECOVERY_LIMIT_S + 2:
                    status = probe.command()
                    recovering[status] += 1
                    if status.startswith("2"):
                        recovery = time.monotonic() - writable_at
                        break
                    time.sleep(0.2)
                phases["writable again (until the first success)"] = recovering
                phases["writable again, after recovery"] = Counter(probe.command() for _ in range(commands))
            same_process = server.process is not None and server.process.poll() is None
            errors_logged = Counter(
                json.loads(line).get("error")
                for line in server.log_path.read_text(errors="replace").splitlines()
                if '"store_unavailable"' in line and line.startswith("{")
            )
            if recovery is None and restart_error is None:  # does a restart bring it back?
                server.stop()
                server.start(timeout=30)
                probe.client = Client(server.base, timeout=30)
                phases["writable again, server restarted"] = Counter(probe.command() for _ in range(5))
        finally:
            with contextlib.suppress(Exception):
                set_read_only(db, False)
            server.stop()
        integrity_end = integrity(db)
        desk = KaizenDesk(store_settings(url))
        try:
            chains = verify(desk)
            missing = []
            for key in probe.acknowledged:
                try:
                    desk.get_issue(key)
                except Exception:
                    missing.append(key)
        finally:
            desk.close()
    read_only_statuses = phases.get("read-only, restarted server", Counter())
    out = {
        "seconds": round(time.perf_counter() - started, 1),
        "phases": {name: dict(counter) for name, counter in phases.items()},
        "restart_error": restart_error,
        "integrity_read_only": integrity_read_only,
        "integrity_end": integrity_end,
        "recovery_s": None if recovery is None else round(recovery, 2),
        "same_process_recovered": same_process,
        "chains_ok": chains.ok,
        "events": chains.events,
        "acknowledged": len(probe.acknowledged),
        "missing": missing,
        "bad_answers": probe.bad[:10],
        "store_unavailable_errors_logged": dict(errors_logged),
        "problems": probe.bad[:10]
        + ([f"server did not start on the read-only store: {restart_error}"] if restart_error else []),
    }
    out["checks"] = {
        "the server starts on a read-only store": restart_error is None,
        "refused writes are 503 problem+json with Retry-After (restarted server)": bool(read_only_statuses)
        and set(read_only_statuses) == {"503"},
        "reads answer 200 or a well-formed 503": set(phases.get("read-only, restarted server: reads", Counter()))
        <= {"200", "503"},
        "no 500, no stack trace, every 503 well-formed": not probe.bad,
        "PRAGMA integrity_check ok while read-only and at the end": integrity_read_only == "ok"
        and integrity_end == "ok",
        f"writes succeed again within {RECOVERY_LIMIT_S:.0f} s of the files being writable, no restart": recovery
        is not None
        and recovery <= RECOVERY_LIMIT_S
        and same_process,
        "hash chains verify; every acknowledged issue is stored": chains.ok and not missing,
    }
    return out


def report(out: dict[str, Any]) -> int:
    figures: list[tuple[str, Any]] = [(f"answers: {name}", counts) for name, counts in out["phases"].items()]
    figures += [
        ("errors behind the 503s (server log, store_unavailable)", out["store_unavailable_errors_logged"]),
        ("PRAGMA integrity_check (read-only / end)", f"{out['integrity_read_only']} / {out['integrity_end']}"),
        ("writes succeed again after the files are writable (s)", out["recovery_s"]),
        ("acknowledged reports / missing from the store", f"{out['acknowledged']} / {len(out['missing'])}"),
        ("events in the store, chains verified", f"{out['events']} ({'ok' if out['chains_ok'] else 'BROKEN'})"),
        ("drill wall time (s)", out["seconds"]),
    ]
    return finish(
        "fault_readonly_sqlite", "Drill 4: SQLite store made read-only (0444 files, 0555 directory)", out, figures
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.faults.readonly_sqlite", description=__doc__.splitlines()[0])
    parser.add_argument("--commands", type=int, default=20)
    args = parser.parse_args(argv)
    return report(run(args.commands))


if __name__ == "__main__":
    raise SystemExit(main())
