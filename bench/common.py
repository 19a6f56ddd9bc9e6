"""What every benchmark and drill shares: stores, the server process, tokens, figures, output.

Nothing here is specific to one measurement. Stores are created fresh per measurement (an
SQLite file in a temporary directory, or a new PostgreSQL database dropped afterwards); the
server is `kaizen serve` (gunicorn) as a child process in its own session, so it can be
stopped, or killed with -9, by its process id alone.
"""

from __future__ import annotations

import contextlib
import gc
import json
import os
import platform
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
PYTHON = sys.executable
KAIZEN = str(Path(sys.executable).with_name("kaizen"))
PG_ADMIN_DSN = os.environ.get(
    "KAIZEN_BENCH_PG", os.environ.get("KAIZEN_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
)
PG_CLUSTER = ("15", "main")


# -- output ------------------------------------------------------------------------------------
@contextlib.contextmanager
def client_gc_paused() -> Iterator[None]:
    """Keep the measuring client's own garbage collections out of the latencies it times, as
    `timeit` does: a bench process that has just written 100k issues has a large heap, and a
    full collection there (tens of ms) would be charged to whichever request it interrupted."""
    gc.collect()
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def percentile(values: Sequence[float], fraction: float) -> float | None:
    """Nearest-rank percentile (always an observed value); None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, -(-round(fraction * 1000) * len(ordered) // 1000))
    return ordered[min(rank, len(ordered)) - 1]


def summary(latencies_ms: Sequence[float]) -> dict[str, Any]:
    return {
        "n": len(latencies_ms),
        "p50_ms": _round(percentile(latencies_ms, 0.50)),
        "p99_ms": _round(percentile(latencies_ms, 0.99)),
        "max_ms": _round(max(latencies_ms) if latencies_ms else None),
    }


def _round(value: float | None, digits: int = 2) -> float | None:
    return None if value is None else round(value, digits)


def ratio(numerator: float | None, denominator: float | None) -> float | None:
    if not numerator or not denominator:
        return None
    return round(numerator / denominator, 3)


def fmt(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        if abs(value) >= 100:
            return f"{value:,.0f}"
        return f"{value:.2f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def table(title: str, headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    cells = [[str(h) for h in headers]] + [[fmt(c) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    lines = [title, "-" * len(title)]
    for index, row in enumerate(cells):
        lines.append("  ".join(c.rjust(w) if index else c.ljust(w) for c, w in zip(row, widths, strict=True)))
    text = "\n".join(lines)
    print(text, flush=True)
    print(flush=True)
    return text


def emit(name: str, payload: dict[str, Any]) -> None:
    """One machine-readable line per benchmark or drill: `BENCH_JSON {...}`."""
    print("BENCH_JSON " + json.dumps({"name": name, **payload}, sort_keys=True, default=str), flush=True)


def loadavg() -> str:
    """The 1, 5 and 15 minute load averages: how busy the (possibly shared) machine was."""
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "?"


def exit_cleanly_on_sigterm() -> None:
    """SIGTERM unwinds like Ctrl-C, so servers are stopped and databases dropped on the way out."""

    def stop(signum: int, frame: Any) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, stop)


def log(message: str) -> None:
    print(f"[{datetime.now().strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def machine() -> dict[str, Any]:
    """Date, cores, memory, CPU model and versions: the context every figure needs."""
    cpu = "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    memory = ""
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        memory = subprocess.run(["free", "-h"], capture_output=True, text=True, check=False).stdout.strip()
    pg_version = None
    with contextlib.suppress(Exception):
        import psycopg

        with psycopg.connect(PG_ADMIN_DSN, connect_timeout=3) as conn:
            row = conn.execute("SHOW server_version").fetchone()
            pg_version = row[0] if row else None
    import sqlite3

    import eventsourcing

    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "free_h": memory,
        "python": platform.python_version(),
        "postgresql": pg_version,
        "sqlite": sqlite3.sqlite_version,
        "eventsourcing": getattr(eventsourcing, "__version__", "9.5"),
    }


# -- stores ------------------------------------------------------------------------------------
def pg_admin() -> Any:
    import psycopg

    return psycopg.connect(PG_ADMIN_DSN, autocommit=True, connect_timeout=5)


def pg_available() -> bool:
    try:
        with pg_admin():
            return True
    except Exception:
        return False


def create_pg_database(prefix: str = "kaizen_bench") -> tuple[str, str]:
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    with pg_admin() as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return PG_ADMIN_DSN.rsplit("/", 1)[0] + f"/{name}", name


def drop_pg_database(name: str) -> None:
    for attempt in range(20):
        try:
            with pg_admin() as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            return
        except Exception:
            if attempt == 19:
                raise
            time.sleep(0.5)


@contextlib.contextmanager
def pg_database(prefix: str = "kaizen_bench") -> Iterator[str]:
    url, name = create_pg_database(prefix)
    try:
        yield url
    finally:
        drop_pg_database(name)


@contextlib.contextmanager
def scratch_dir(prefix: str = "kaizen-bench-") -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


@contextlib.contextmanager
def store(engine: str, prefix: str = "kaizen_bench") -> Iterator[str]:
    """A fresh, empty store URL on `engine` ("sqlite" or "postgres")."""
    if engine == "postgres":
        with pg_database(prefix) as url:
            yield url
    else:
        with scratch_dir() as directory:
            yield f"sqlite:///{directory / 'kaizen.db'}"


@contextlib.contextmanager
def given_or_new(url: str | None, engine: str = "postgres", prefix: str = "kaizen_drill") -> Iterator[str]:
    """`url` when the caller brings a store (the tests' fixtures do), else a fresh one dropped afterwards."""
    if url is not None:
        yield url
    else:
        with store(engine, prefix) as fresh:
            yield fresh


def pg_ctl(action: str) -> None:
    """`pg_ctlcluster 15 main start|stop|restart` (fault drills only)."""
    command = ["pg_ctlcluster", "--skip-systemctl-redirect", *PG_CLUSTER, action]
    if action == "stop":
        command += ["-m", "fast"]
    subprocess.run(command, check=True, capture_output=True, text=True, timeout=120)


def pg_wait_ready(timeout: float = 60) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pg_available():
            return True
        time.sleep(0.2)
    return False


# -- tokens and events in-process ----------------------------------------------------------------
PARTIES = {"admin": ("admin", "admin-wong"), "reporter": ("reporter", "lina"), "auditor": ("auditor", "audrey")}


def issue_tokens(url: str, parties: dict[str, tuple[str, str]] | None = None) -> dict[str, str]:
    from application.config import store_settings
    from application.context import Context
    from application.desk import KaizenDesk
    from domain.actor import SYSTEM

    desk = KaizenDesk(store_settings(url))
    try:
        enrol_assignee(desk)
        return {
            name: desk.issue_token(Context(SYSTEM), role, subject)[1]
            for name, (role, subject) in (parties or PARTIES).items()
        }
    finally:
        desk.close()


ASSIGNEE = "admin-wong"


def enrol_assignee(desk: Any) -> None:
    """Enrol the person the load triages to: an assignee must be an active person or a group,
    so without them every triage of the load would be refused."""
    from application.context import Context
    from domain.actor import SYSTEM

    if desk.person_now(ASSIGNEE) is None:
        desk.create_person(
            Context(SYSTEM), ASSIGNEE, name="Admin Wong", email=f"{ASSIGNEE}@example.com", roles=["admin"]
        )


def head_position(url: str) -> int:
    from application.config import store_settings
    from application.desk import KaizenDesk

    desk = KaizenDesk(store_settings(url))
    try:
        return int(desk.recorder.max_notification_id() or 0)
    finally:
        desk.close()


# -- processes ---------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def port_free(port: int) -> bool:
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
            return True
        except OSError:
            return False


def rss_kib(pid: int) -> int | None:
    """Resident set size from /proc/<pid>/status (KiB), None once the process is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except (OSError, ValueError):
        return None
    return None


PROJECTION_PROCESS = "kaizen-project"


def process_name(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return ""


def children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rfind(")") + 2 :].split()
        if len(fields) > 1 and int(fields[1]) == pid:
            found.append(int(entry.name))
    return sorted(found)


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return state[state.rfind(")") + 2 :].split()[0] != "Z"


def http_get(base: str, path: str, timeout: float = 5) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(base + path, timeout=timeout) as response:
            return response.status, response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode("utf-8", "replace")


def kaizen_env(url: str, **extra: str) -> dict[str, str]:
    env = {**os.environ, "KAIZEN_DATABASE_URL": url, "PYTHONPATH": str(ROOT), **extra}
    env.pop("KAIZEN_DEBUG", None)
    return env


@dataclass
class Server:
    """`kaizen serve` (gunicorn) as a child process.

    `projections=False` runs the same `interfaces.serve.run` without the in-process projection
    runner, for measurements that run `kaizen worker` beside it.
    """

    url: str
    workdir: Path
    workers: int | None = None
    projections: bool = True
    port: int = field(default_factory=free_port)
    user: int | None = None
    env: dict[str, str] = field(default_factory=dict)
    process: subprocess.Popen[bytes] | None = None
    starts: int = 0

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log_path(self) -> Path:
        return self.workdir / "server.log"

    def command(self) -> list[str]:
        if self.projections:
            command = [KAIZEN, "serve", "--host", "127.0.0.1", "--port", str(self.port)]
            if self.workers:
                command += ["--workers", str(self.workers)]
            return command
        workers = self.workers or "None"
        return [
            PYTHON,
            "-c",
            "from interfaces.serve import run; "
            f"run(host='127.0.0.1', port={self.port}, workers={workers}, start_projections=False)",
        ]

    def start(self, wait: bool = True, timeout: float = 60) -> Server:
        metrics = self.workdir / "metrics"
        metrics.mkdir(parents=True, exist_ok=True)
        command = self.command()
        if self.user is not None:  # an unprivileged server (root ignores file modes); setpriv drops every capability
            os.chown(metrics, self.user, self.user)
            command = [
                "setpriv",
                f"--reuid={self.user}",
                f"--regid={self.user}",
                "--clear-groups",
                "--inh-caps=-all",
                *command,
            ]
        with self.log_path.open("ab") as sink:
            self.process = subprocess.Popen(
                command,
                cwd=ROOT,
                stdout=sink,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                env=kaizen_env(self.url, PROMETHEUS_MULTIPROC_DIR=str(metrics), HOME=str(self.workdir), **self.env),
            )
        self.starts += 1
        if wait:
            self.wait_ready(timeout)
        return self

    def wait_ready(self, timeout: float = 60) -> float:
        """Seconds until /healthz answers 200 on every worker's socket (the master's, in fact)."""
        assert self.process is not None
        started = time.monotonic()
        deadline = started + timeout
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"the server exited with {self.process.returncode}:\n{self.tail()}")
            with contextlib.suppress(OSError):
                if http_get(self.base, "/healthz", timeout=2)[0] == 200:
                    return time.monotonic() - started
            if time.monotonic() > deadline:
                raise RuntimeError(f"the server did not answer /healthz within {timeout}s:\n{self.tail()}")
            time.sleep(0.05)

    def wait_workers(self, timeout: float = 10) -> int:
        """The number of gunicorn workers once it has stopped changing (they boot one by one)."""
        deadline = time.monotonic() + timeout
        count, stable_since = -1, time.monotonic()
        while time.monotonic() < deadline:
            now = len(self.worker_pids())
            if now != count:
                count, stable_since = now, time.monotonic()
            elif time.monotonic() - stable_since > 1.0:
                break
            time.sleep(0.1)
        return count

    def tail(self, lines: int = 30) -> str:
        with contextlib.suppress(OSError):
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        return ""

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def worker_pids(self) -> list[int]:
        """gunicorn's workers: the master's children but the projection process."""
        if self.process is None:
            return []
        return [pid for pid in children(self.pid) if process_name(pid) != PROJECTION_PROCESS]

    def kill9(self) -> list[int]:
        """kill -9 the master only; returns the workers it leaves behind."""
        workers = self.worker_pids()
        os.kill(self.pid, signal.SIGKILL)
        assert self.process is not None
        self.process.wait()
        return workers

    def stop(self, timeout: float = 40) -> None:
        if self.process is None:
            return
        process, self.process = self.process, None
        if process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait()

    def __enter__(self) -> Server:
        return self.start() if self.process is None else self

    def __exit__(self, *exc: object) -> None:
        self.stop()


@dataclass
class BareServer(Server):
    """`bench.raw_http` (the raw library behind a bare WSGI function) under gunicorn, with the
    worker class, workers and threads of `kaizen serve`, no access log and no projections."""

    def command(self) -> list[str]:
        from interfaces.serve import KEEPALIVE_SECONDS, THREADS_PER_WORKER, default_workers

        return [
            PYTHON,
            "-m",
            "gunicorn",
            "--worker-class",
            "interfaces.slow_clients.BufferingThreadWorker",
            "--keep-alive",
            str(KEEPALIVE_SECONDS),
            "--workers",
            str(self.workers or default_workers()),
            "--threads",
            str(THREADS_PER_WORKER),
            "--bind",
            f"127.0.0.1:{self.port}",
            "bench.raw_http:app",
        ]


def wait_gone(pids: Sequence[int], timeout: float) -> float | None:
    """Seconds until every pid has exited, or None on timeout."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if not any(alive(pid) for pid in pids):
            return time.monotonic() - started
        time.sleep(0.02)
    return None


def kill_all(pids: Sequence[int]) -> None:
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


@contextlib.contextmanager
def process(
    command: Sequence[str], url: str, log_path: Path, env: dict[str, str] | None = None, **kwargs: Any
) -> Iterator[subprocess.Popen[bytes]]:
    """Any `kaizen ...` child on `url`, stopped (TERM, then KILL) on exit."""
    with log_path.open("ab") as sink:
        child = subprocess.Popen(
            list(command),
            cwd=ROOT,
            stdout=sink,
            stderr=subprocess.STDOUT,
            env=kaizen_env(url, **(env or {})),
            start_new_session=True,
            **kwargs,
        )
    try:
        yield child
    finally:
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
            try:
                child.wait(timeout=20)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()


class RssSampler:
    """Samples the RSS of some processes every `interval` seconds in a thread."""

    def __init__(self, pids: dict[str, int], interval: float = 1.0) -> None:
        import threading

        self.pids = dict(pids)
        self.interval = interval
        self.samples: dict[str, list[tuple[float, int]]] = {name: [] for name in pids}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self.started = time.monotonic()

    def _run(self) -> None:
        while not self._stop.is_set():
            now = time.monotonic() - self.started
            for name, pid in self.pids.items():
                value = rss_kib(pid)
                if value is not None:
                    self.samples[name].append((now, value))
            self._stop.wait(self.interval)

    def __enter__(self) -> RssSampler:
        self.started = time.monotonic()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def rss_profile(samples: Sequence[tuple[float, int]], warmup_fraction: float = 0.25) -> dict[str, Any]:
    """Start, peak and end RSS (MiB) and the growth after warm-up: end-quarter median minus the
    median of the quarter after warm-up, and a least-squares slope in MiB per minute."""
    if not samples:
        return {"samples": 0}
    values = [v / 1024 for _, v in samples]
    times = [t for t, _ in samples]
    n = len(values)
    start = int(n * warmup_fraction)
    steady = values[start:] or values
    steady_t = times[start:] or times
    q = max(1, len(steady) // 4)
    early = sorted(steady[:q])[len(steady[:q]) // 2]
    late = sorted(steady[-q:])[len(steady[-q:]) // 2]
    slope = None
    if len(steady) >= 3:
        mean_t = sum(steady_t) / len(steady_t)
        mean_v = sum(steady) / len(steady)
        var = sum((t - mean_t) ** 2 for t in steady_t)
        if var > 0:
            slope = sum((t - mean_t) * (v - mean_v) for t, v in zip(steady_t, steady, strict=True)) / var * 60
    return {
        "samples": n,
        "seconds": round(times[-1] - times[0], 1),
        "first_mib": round(values[0], 1),
        "after_warmup_mib": round(early, 1),
        "end_mib": round(late, 1),
        "peak_mib": round(max(values), 1),
        "growth_after_warmup_mib": round(late - early, 1),
        "slope_mib_per_min": None if slope is None else round(slope, 2),
    }
