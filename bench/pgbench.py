"""Baseline: PostgreSQL's own insert rate, measured with `pgbench -f script.sql`.

The table has the shape of the library's stored-events table (originator id and version as
the primary key, topic, state, a notification id with a unique index) and each row's state
has the mean size of the product's events. Two scripts:
- `insert`: one INSERT per transaction, what the server can do at all;
- `append`: the library's append transaction (SET LOCAL lock_timeout; LOCK TABLE ... IN
  EXCLUSIVE MODE; NOTIFY; INSERT ... RETURNING; COMMIT), to price the append lock on its own.
Latency percentiles come from pgbench's per-transaction log (`-l`).
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from bench.common import percentile

TABLE = "bench_stored_events"
CREATE = f"""
CREATE TABLE IF NOT EXISTS {TABLE} (
  originator_id uuid NOT NULL,
  originator_version bigint NOT NULL,
  topic text NOT NULL,
  state bytea,
  notification_id bigserial,
  PRIMARY KEY (originator_id, originator_version));
CREATE UNIQUE INDEX IF NOT EXISTS {TABLE}_notification_id ON {TABLE} (notification_id ASC);
"""


def pgbench_path() -> str | None:
    for candidate in (shutil.which("pgbench"), "/usr/lib/postgresql/15/bin/pgbench"):
        if candidate and Path(candidate).exists():
            return candidate
    return None


def _insert(row_bytes: int) -> str:
    topic = "bench.domain_Ticket.Classified"  # no colon: pgbench reads :name as a variable
    return (
        f"INSERT INTO {TABLE} (originator_id, originator_version, topic, state) VALUES "
        f"(gen_random_uuid(), 1, '{topic}', convert_to(repeat('x', {row_bytes}), 'UTF8')) "
        "RETURNING notification_id;"
    )


def scripts(row_bytes: int) -> dict[str, str]:
    return {
        "insert": _insert(row_bytes) + "\n",
        "append": "\n".join(
            [
                "BEGIN;",
                "SET LOCAL lock_timeout = '10s';",
                f"LOCK TABLE {TABLE} IN EXCLUSIVE MODE;",
                f"NOTIFY {TABLE};",
                _insert(row_bytes),
                "COMMIT;",
            ]
        )
        + "\n",
    }


def prepare(url: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(CREATE)


def run(
    url: str, workdir: Path, clients: int, seconds: float, row_bytes: int, script: str = "insert", threads: int = 2
) -> dict[str, Any]:
    binary = pgbench_path()
    if binary is None:
        return {"error": "pgbench not installed (apt-get install -y postgresql-contrib)"}
    prepare(url)
    parsed = urlparse(url)
    directory = Path(workdir) / f"pgbench-{script}-{clients}"
    directory.mkdir(parents=True, exist_ok=True)
    script_path = directory / "script.sql"
    script_path.write_text(scripts(row_bytes)[script])
    command = [
        binary,
        "-n",
        "-h",
        parsed.hostname or "127.0.0.1",
        "-p",
        str(parsed.port or 5432),
        "-U",
        parsed.username or "postgres",
        "-f",
        str(script_path),
        "-c",
        str(clients),
        "-j",
        str(min(threads, clients)),
        "-T",
        str(max(1, round(seconds))),
        "-M",
        "prepared",
        "-l",
        "--log-prefix",
        str(directory / "log"),
        parsed.path.strip("/"),
    ]
    done = subprocess.run(command, capture_output=True, text=True, cwd=directory, timeout=seconds + 120, check=False)
    if done.returncode != 0:
        return {"error": done.stderr.strip()[-500:]}
    tps = re.search(r"tps = ([0-9.]+) \(without initial connection time\)", done.stdout)
    latencies = []
    for log_file in directory.glob("log*"):
        for line in log_file.read_text().splitlines():
            parts = line.split()
            if len(parts) >= 3 and parts[2].isdigit():
                latencies.append(int(parts[2]) / 1000.0)
    return {
        "clients": clients,
        "script": script,
        "row_bytes": row_bytes,
        "tps": round(float(tps.group(1)), 1) if tps else None,
        "p50_ms": percentile(latencies, 0.5),
        "p99_ms": percentile(latencies, 0.99),
        "transactions": len(latencies),
    }
