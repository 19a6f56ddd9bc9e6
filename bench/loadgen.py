"""The load generator: a second local process that posts report → triage → comment cycles.

Run as `python -m bench.loadgen CONFIG.json`; it writes its result as JSON to `config["out"]`.
Each thread keeps one keep-alive `http.client` connection to 127.0.0.1 and runs cycles:
report an issue (reporter token), triage it and comment on it (admin token).

Two ways to run:
- `"mode": "timed"`: warm up, then count the commands answered during `duration` seconds
  (throughput, p50/p99 latency per command). No retries; a failure is counted and the cycle
  starts over.
- `"mode": "until_stopped"` (fault drills): every request carries an `Idempotency-Key`; a
  connection error or a 5xx is retried with the same key and body until an answer that is
  not 5xx arrives. The run ends when stdin closes; threads finish the request in flight.
  The ledger (key → command, issue, status) is written with the result, and every 503 is
  checked for `Retry-After` and `application/problem+json`.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import random
import sys
import threading
import time
import uuid
from collections import Counter
from typing import Any
from urllib.parse import urlparse

RETRYABLE_ERRORS = (OSError, http.client.HTTPException)
TITLES = [
    "GL posting fails at month end",
    "Goods receipt stuck in quality hold",
    "Payroll export truncates names",
    "库存盘点差异无法过账",
    "Sales order credit check loops",
    "Báo cáo tồn kho sai số lượng",
]


def report_body(rnd: random.Random, n: int) -> dict[str, Any]:
    return {
        "title": f"{rnd.choice(TITLES)} #{n}",
        "description": "Posting run stops at 40% with error F5 263; the period cannot be closed until it is fixed. "
        "Seen on two company codes since the last support package.",
        "module": rnd.choice(["finance", "warehouse", "production", "sales", "purchasing", "hr"]),
        "impact_scope": rnd.choice(["company", "department", "team", "user"]),
        "urgency": rnd.choice(["blocking", "degraded", "minor"]),
        "vendor": rnd.choice(["sap", "oracle", "microsoft", "internal"]),
        "site": rnd.choice(["HK", "SG", "SZ"]),
    }


TRIAGE = {"assignee": "admin-wong"}
COMMENT: dict[str, Any] = {
    "body": "Looking at it now; the vendor note 3312 may apply, will confirm after the test run.",
    "visibility": "public",
}


class Client:
    """One keep-alive connection; reconnects after any error."""

    def __init__(self, base: str, timeout: float = 30) -> None:
        parsed = urlparse(base)
        self.host, self.port = parsed.hostname or "127.0.0.1", parsed.port or 80
        self.timeout = timeout
        self.conn: http.client.HTTPConnection | None = None

    def request(
        self, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None
    ) -> tuple[int, dict[str, str], bytes]:
        if self.conn is None:
            self.conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        data = json.dumps(body).encode() if body is not None else None
        all_headers = {"Content-Type": "application/json"} if data is not None else {}
        all_headers.update(headers or {})
        try:
            self.conn.request(method, path, body=data, headers=all_headers)
            response = self.conn.getresponse()
            raw = response.read()
        except BaseException:
            self.close()
            raise
        answer_headers = {k.lower(): v for k, v in response.getheaders()}
        if answer_headers.get("connection", "").lower() == "close":
            self.close()
        return response.status, answer_headers, raw

    def close(self) -> None:
        if self.conn is not None:
            try:
                self.conn.close()
            finally:
                self.conn = None


class Stats:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.latencies: dict[str, list[float]] = {"report": [], "triage": [], "comment": []}
        self.statuses: Counter[str] = Counter()
        self.errors: Counter[str] = Counter()
        self.ledger: list[dict[str, Any]] = []
        self.timeline: list[tuple[float, float, str]] = []  # (sent, answered, outcome), time.monotonic()
        self.bad_503: list[str] = []
        self.traceback_bodies = 0
        self.retries = 0


def run(config: dict[str, Any]) -> dict[str, Any]:
    base = config["base"]
    tokens = config["tokens"]
    concurrency = int(config["concurrency"])
    mode = config.get("mode", "timed")
    drill = mode == "until_stopped"
    warmup = float(config.get("warmup", 1.0))
    duration = float(config.get("duration", 5.0))
    record_timeline = bool(config.get("timeline", drill))
    stats = Stats()
    stop = threading.Event()
    t0 = time.monotonic()
    window: dict[str, float] = {"start": t0 + warmup, "end": t0 + warmup + duration}

    def counted(now: float) -> bool:
        return drill or window["start"] <= now <= window["end"]

    def call(client: Client, name: str, path: str, body: Any, token: str) -> tuple[int, dict[str, Any] | None]:
        """One command; in drills retried until a non-5xx answer. Returns (status, parsed body)."""
        key = uuid.uuid4().hex if drill else None
        headers = {"Authorization": f"Bearer {token}"}
        if key:
            headers["Idempotency-Key"] = key
        attempts = 0
        first = time.monotonic()
        while True:
            attempts += 1
            started = time.monotonic()
            try:
                status, answer_headers, raw = client.request("POST", path, body, headers)
            except RETRYABLE_ERRORS as exc:
                outcome = f"conn:{type(exc).__name__}"
                with stats.lock:
                    stats.errors[outcome] += 1
                    if record_timeline:
                        stats.timeline.append((round(started, 3), round(time.monotonic(), 3), outcome))
                if not drill:
                    return -1, None
                stats.retries += 1
                time.sleep(min(0.05 * attempts, 0.5))
                continue
            ended = time.monotonic()
            text = raw.decode("utf-8", "replace")
            with stats.lock:
                if record_timeline:
                    stats.timeline.append((round(started, 3), round(ended, 3), str(status)))
                if "Traceback" in text:
                    stats.traceback_bodies += 1
                if status == 503:
                    ctype = answer_headers.get("content-type", "")
                    if "retry-after" not in answer_headers or "application/problem+json" not in ctype:
                        stats.bad_503.append(f"{ctype} retry-after={answer_headers.get('retry-after')}")
                if counted(ended):
                    stats.statuses[str(status)] += 1
            if status >= 500 and drill:
                stats.retries += 1
                time.sleep(min(0.1 * attempts, 1.0))
                continue
            parsed: dict[str, Any] | None = None
            if "json" in answer_headers.get("content-type", ""):
                try:
                    parsed = json.loads(text)
                except ValueError:
                    parsed = None
            if counted(ended) and 200 <= status < 300:
                with stats.lock:
                    stats.latencies[name].append((ended - (first if drill else started)) * 1000)
            if key:
                issue_key = parsed.get("key") if isinstance(parsed, dict) else None
                with stats.lock:
                    stats.ledger.append(
                        {
                            "key": key,
                            "command": name,
                            "path": path,
                            "status": status,
                            "issue": issue_key,
                            "attempts": attempts,
                            "replayed": answer_headers.get("idempotent-replayed") == "true",
                        }
                    )
            return status, parsed

    def worker(index: int) -> None:
        rnd = random.Random(index)
        client = Client(base)
        n = 0
        try:
            while not stop.is_set():
                if not drill and time.monotonic() > window["end"]:
                    return
                n += 1
                status, issue = call(client, "report", "/api/v1/issues", report_body(rnd, n), tokens["reporter"])
                if status != 201 or not issue:
                    continue
                key = issue["key"]
                if stop.is_set():
                    return
                status, _ = call(client, "triage", f"/api/v1/issues/{key}/triage", TRIAGE, tokens["admin"])
                if stop.is_set() or status != 200:
                    continue
                call(client, "comment", f"/api/v1/issues/{key}/comments", COMMENT, tokens["admin"])
        finally:
            client.close()

    threads = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(concurrency)]
    for thread in threads:
        thread.start()
    if drill:
        sys.stdin.read()  # the drill closes our stdin to stop us
        stop.set()
    for thread in threads:
        thread.join(timeout=None if drill else warmup + duration + 60)
    elapsed = duration if not drill else time.monotonic() - t0
    answered = sum(len(v) for v in stats.latencies.values())
    every = [x for v in stats.latencies.values() for x in v]
    return {
        "concurrency": concurrency,
        "mode": mode,
        "seconds": round(elapsed, 3),
        "commands_ok": answered,
        "commands_per_s": round(answered / elapsed, 1) if elapsed else None,
        "latency_ms": _summary(every),
        "by_command": {name: _summary(values) for name, values in stats.latencies.items()},
        "statuses": dict(stats.statuses),
        "errors": dict(stats.errors),
        "retries": stats.retries,
        "bad_503": stats.bad_503[:20],
        "bad_503_count": len(stats.bad_503),
        "traceback_bodies": stats.traceback_bodies,
        "ledger": stats.ledger if drill else [],
        "timeline": stats.timeline if record_timeline else [],
    }


def _summary(values: list[float]) -> dict[str, Any]:
    from bench.common import summary

    return summary(values)


def main(argv: list[str] | None = None) -> int:
    args = argv if argv is not None else sys.argv[1:]
    with open(args[0], encoding="utf-8") as handle:
        config = json.load(handle)
    result = run(config)
    with open(config["out"], "w", encoding="utf-8") as handle:
        json.dump(result, handle)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())


# -- driving it from another process ---------------------------------------------------------------
class LoadProcess:
    """`python -m bench.loadgen` as a child: the load comes from a second local process."""

    def __init__(self, workdir: Any, config: dict[str, Any]) -> None:
        import subprocess
        from pathlib import Path

        from bench.common import PYTHON, ROOT

        self.workdir = Path(workdir)
        name = uuid.uuid4().hex[:8]
        self.config_path = self.workdir / f"load-{name}.json"
        self.out_path = self.workdir / f"load-{name}.out.json"
        self.log_path = self.workdir / f"load-{name}.log"
        self.config = {**config, "out": str(self.out_path)}
        self.config_path.write_text(json.dumps(self.config))
        with self.log_path.open("ab") as sink:
            self.process = subprocess.Popen(
                [PYTHON, "-m", "bench.loadgen", str(self.config_path)],
                cwd=ROOT,
                stdin=subprocess.PIPE,
                stdout=sink,
                stderr=subprocess.STDOUT,
            )

    def result(self, timeout: float | None = None) -> dict[str, Any]:
        """Close stdin (the drill's stop signal), wait, and read the result."""
        assert self.process.stdin is not None
        with contextlib.suppress(OSError):
            self.process.stdin.close()
        code = self.process.wait(timeout=timeout)
        if code != 0 or not self.out_path.exists():
            raise RuntimeError(f"load generator failed ({code}):\n{self.log_path.read_text(errors='replace')[-3000:]}")
        result: dict[str, Any] = json.loads(self.out_path.read_text())
        return result

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()


def timed_load(
    workdir: Any, base: str, tokens: dict[str, str], concurrency: int, duration: float, warmup: float = 1.0
) -> dict[str, Any]:
    load = LoadProcess(
        workdir,
        {
            "base": base,
            "tokens": tokens,
            "concurrency": concurrency,
            "mode": "timed",
            "duration": duration,
            "warmup": warmup,
        },
    )
    return load.result(timeout=warmup + duration + 120)
