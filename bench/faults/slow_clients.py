"""Drill 6: slow clients (slowloris) must not hold the server.

    python -m bench.faults.slow_clients [--sockets 200] [--seconds 25]

`kaizen serve` (default workers, a fresh SQLite store) is attacked from a second process by
`--sockets` connections on loopback that send a request line and then one header line per
second, never finishing their headers and carrying no token; whenever the server closes one,
the attacker opens another, so the pressure stays at `--sockets` open connections. Meanwhile a
measuring client asks `/healthz` (a fresh connection each time, as a probe does) and posts a
command (`POST /api/v1/issues` with an admin token, on a kept-alive connection, as an app does).

Figures: the p50/p99/max of both during the attack, failed requests (an error, a timeout of
5 s, or a non-2xx answer), and how many slow sockets the server closed, after how long, and how
many of them got a 408 first. PASS: both p99 under 1 s, no failed request, and the server
closed slow sockets no later than its header deadline (`KAIZEN_HEADER_TIMEOUT_SECONDS`, 10 s)
plus 2 s. Before interfaces/slow_clients.py, 40 such sockets made every probe fail.
"""

from __future__ import annotations

import argparse
import http.client
import json
import random
import selectors
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from bench.common import ROOT, Server, issue_tokens, log, percentile, scratch_dir
from bench.faults.common import finish
from bench.loadgen import Client, report_body

TARGET_P99_S = 1.0
CLOSE_SLACK_S = 2.0
REQUEST_TIMEOUT_S = 5.0


@dataclass
class Slot:
    sock: socket.socket
    opened: float
    lines: int = 0
    answered: bool = False


@dataclass
class AttackResult:
    opened: int = 0
    closed_by_server: int = 0
    answered_408: int = 0
    close_after_s: list[float] = field(default_factory=list)
    connect_errors: int = 0
    open_at_end: int = 0


def _open(host: str, port: int, now: float) -> Slot | None:
    try:
        sock = socket.create_connection((host, port), timeout=2)
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: slow\r\n")
    except OSError:
        return None
    sock.setblocking(False)
    return Slot(sock, now)


def attack(host: str, port: int, sockets: int, seconds: float, interval: float = 1.0) -> AttackResult:
    """Keep `sockets` connections trickling one header line per `interval`; count the closes."""
    result = AttackResult()
    selector = selectors.DefaultSelector()
    slots: set[int] = set()
    by_fd: dict[int, Slot] = {}
    end = time.monotonic() + seconds

    def close(slot: Slot, by_server: bool) -> None:
        fd = slot.sock.fileno()
        selector.unregister(slot.sock)
        slots.discard(fd)
        by_fd.pop(fd, None)
        slot.sock.close()
        if by_server:
            result.closed_by_server += 1
            result.answered_408 += slot.answered
            result.close_after_s.append(round(time.monotonic() - slot.opened, 2))

    def top_up() -> None:
        while len(slots) < sockets and time.monotonic() < end:
            slot = _open(host, port, time.monotonic())
            if slot is None:
                result.connect_errors += 1
                time.sleep(0.05)
                continue
            result.opened += 1
            fd = slot.sock.fileno()
            slots.add(fd)
            by_fd[fd] = slot
            selector.register(slot.sock, selectors.EVENT_READ, slot)

    top_up()
    next_line = time.monotonic() + interval
    while time.monotonic() < end:
        for key, _ in selector.select(timeout=max(0.0, min(next_line, end) - time.monotonic())):
            slot = key.data
            try:
                data = slot.sock.recv(65536)
            except BlockingIOError:
                continue
            except OSError:
                close(slot, True)
                continue
            if not data:
                close(slot, True)
            elif b" 408 " in data.split(b"\r\n", 1)[0]:
                slot.answered = True
        if time.monotonic() >= next_line:
            next_line += interval
            for slot in list(by_fd.values()):
                slot.lines += 1
                try:
                    slot.sock.send(f"X-Slow-{slot.lines}: {random.randint(0, 9)}\r\n".encode())
                except BlockingIOError:
                    pass
                except OSError:
                    close(slot, True)
        top_up()
    result.open_at_end = len(slots)
    for slot in list(by_fd.values()):
        close(slot, False)
    return result


def _attacker_process(port: int, sockets: int, seconds: float) -> subprocess.Popen[str]:
    code = (
        "import json, dataclasses, sys\n"
        "from bench.faults.slow_clients import attack\n"
        f"r = attack('127.0.0.1', {port}, {sockets}, {seconds})\n"
        "print(json.dumps(dataclasses.asdict(r)))\n"
    )
    return subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, stdout=subprocess.PIPE, text=True)


class Measure:
    """`/healthz` on a fresh connection every 0.1 s and a command every 0.2 s, each timed."""

    def __init__(self, port: int, token: str) -> None:
        self.port = port
        self.token = token
        self.latencies: dict[str, list[float]] = {"healthz": [], "command": []}
        self.failures: dict[str, list[str]] = {"healthz": [], "command": []}
        self.stop = threading.Event()

    def _healthz(self) -> None:
        while not self.stop.is_set():
            started = time.perf_counter()
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=REQUEST_TIMEOUT_S)
                conn.request("GET", "/healthz")
                status = conn.getresponse().status
                conn.close()
                if status != 200:
                    self.failures["healthz"].append(f"status {status}")
            except OSError as exc:
                self.failures["healthz"].append(type(exc).__name__)
            self.latencies["healthz"].append(time.perf_counter() - started)
            self.stop.wait(0.1)

    def _command(self) -> None:
        client = Client(f"http://127.0.0.1:{self.port}", timeout=REQUEST_TIMEOUT_S)
        n = 0
        while not self.stop.is_set():
            n += 1
            started = time.perf_counter()
            try:
                status, _, _ = client.request(
                    "POST",
                    "/api/v1/issues",
                    report_body(random.Random(n), n),
                    {"Authorization": f"Bearer {self.token}"},
                )
                if status != 201:
                    self.failures["command"].append(f"status {status}")
            except OSError as exc:
                self.failures["command"].append(type(exc).__name__)
            self.latencies["command"].append(time.perf_counter() - started)
            self.stop.wait(0.2)
        client.close()

    def run_for(self, seconds: float) -> None:
        threads = [threading.Thread(target=self._healthz), threading.Thread(target=self._command)]
        for thread in threads:
            thread.start()
        time.sleep(seconds)
        self.stop.set()
        for thread in threads:
            thread.join(timeout=REQUEST_TIMEOUT_S + 5)


def _ms(values: list[float], fraction: float) -> float | None:
    value = percentile(values, fraction)
    return None if value is None else round(value * 1000, 1)


def _figures(measure: Any, kind: str) -> dict[str, Any]:
    """Requests, p50/p99/max and failures of one kind of measured request."""
    latencies = measure.latencies[kind]
    return {
        "requests": len(latencies),
        "p50_ms": _ms(latencies, 0.5),
        "p99_ms": _ms(latencies, 0.99),
        "max_ms": _ms(latencies, 1.0),
        "failed": len(measure.failures[kind]),
    }


def run(
    sockets: int = 200,
    seconds: float = 25.0,
    workers: int | None = None,
    header_timeout: float | None = None,
    ramp: float = 2.0,
) -> dict[str, Any]:
    """Attack, measure, and judge; `header_timeout` sets the server's KAIZEN_HEADER_TIMEOUT_SECONDS."""
    deadline = header_timeout if header_timeout is not None else 10.0
    env = {"KAIZEN_HEADER_TIMEOUT_SECONDS": str(header_timeout)} if header_timeout is not None else {}
    with scratch_dir("kaizen-drill-") as workdir:
        url = f"sqlite:///{workdir / 'kaizen.db'}"
        token = issue_tokens(url)["admin"]
        server = Server(url, workdir, workers=workers, env=env)
        server.start()
        try:
            log(f"slow clients: {sockets} slow sockets for {seconds:.0f} s against {server.base}")
            attacker = _attacker_process(server.port, sockets, seconds + ramp + 1)
            time.sleep(ramp)  # the sockets open and start trickling before the measurement
            measure = Measure(server.port, token)
            measure.run_for(seconds)
            stdout, _ = attacker.communicate(timeout=seconds + 60)
            attacked = AttackResult(**json.loads(stdout.strip().splitlines()[-1]))
            alive = server.process is not None and server.process.poll() is None
            tail = server.tail(200)
        finally:
            server.stop()
    closes = sorted(attacked.close_after_s)
    out: dict[str, Any] = {
        "sockets": sockets,
        "seconds": seconds,
        "header_timeout_s": deadline,
        "healthz": _figures(measure, "healthz"),
        "command": _figures(measure, "command"),
        "slow_sockets": {
            "opened": attacked.opened,
            "closed_by_server": attacked.closed_by_server,
            "answered_408": attacked.answered_408,
            "closed_after_s_median": percentile(closes, 0.5),
            "closed_after_s_min": closes[0] if closes else None,
            "closed_after_s_max": closes[-1] if closes else None,
            "open_at_end": attacked.open_at_end,
            "connect_errors": attacked.connect_errors,
        },
        "problems": (measure.failures["healthz"] + measure.failures["command"])[:20]
        + ([] if "Traceback" not in tail else ["a traceback in the server log"]),
    }
    out["checks"] = {
        f"/healthz p99 under {TARGET_P99_S:g} s": (out["healthz"]["p99_ms"] or 1e9) < TARGET_P99_S * 1000,
        f"command p99 under {TARGET_P99_S:g} s": (out["command"]["p99_ms"] or 1e9) < TARGET_P99_S * 1000,
        "no failed request": out["healthz"]["failed"] == 0 and out["command"]["failed"] == 0,
        "requests were measured": out["healthz"]["requests"] > 0 and out["command"]["requests"] > 0,
        f"the server closed slow sockets within its header deadline + {CLOSE_SLACK_S:g} s": bool(closes)
        and closes[-1] <= deadline + CLOSE_SLACK_S,
        "the server stayed up, no traceback in its log": alive and "Traceback" not in tail,
    }
    return out


def report(out: dict[str, Any]) -> int:
    h, c, s = out["healthz"], out["command"], out["slow_sockets"]
    figures: list[tuple[str, Any]] = [
        ("slow sockets kept open (one header line per second, no token)", out["sockets"]),
        ("attack measured for (s)", out["seconds"]),
        ("/healthz requests, p50 / p99 / max ms", f"{h['requests']}, {h['p50_ms']} / {h['p99_ms']} / {h['max_ms']}"),
        ("command requests, p50 / p99 / max ms", f"{c['requests']}, {c['p50_ms']} / {c['p99_ms']} / {c['max_ms']}"),
        ("failed requests (/healthz + command)", h["failed"] + c["failed"]),
        (
            "slow sockets opened / closed by the server / of which answered 408",
            f"{s['opened']} / {s['closed_by_server']} / {s['answered_408']}",
        ),
        (
            "closed after (s): min / median / max",
            f"{s['closed_after_s_min']} / {s['closed_after_s_median']} / {s['closed_after_s_max']}",
        ),
        ("server header deadline (s)", out["header_timeout_s"]),
    ]
    return finish("fault_slow_clients", "Drill 6: slow clients (slowloris)", out, figures)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.faults.slow_clients", description=__doc__.splitlines()[0])
    parser.add_argument("--sockets", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=25.0)
    parser.add_argument("--workers", type=int, default=None)
    args = parser.parse_args(argv)
    return report(run(sockets=args.sockets, seconds=args.seconds, workers=args.workers))


if __name__ == "__main__":
    raise SystemExit(main())
