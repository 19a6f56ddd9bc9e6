"""Benchmark: attachment upload and download through the real server (`kaizen serve`, gunicorn).

One web worker, projections off, `KAIZEN_ATTACHMENT_MAX_MB=40`. For each store: `--repeat`
uploads of a 10 MiB file (random bytes in a PDF envelope, so every upload is new content) and
as many downloads, timed from a client process (`requests`), in MB/s; before them, after a
1 MiB warm-up upload, one 30 MiB upload. The web worker's VmHWM (its peak RSS, from
/proc/<pid>/status) is read before and after that upload: the claim checked is that a file is
streamed, never held whole, so the worker's peak grows by far less than the file (target: under
15 MiB for the 30 MiB upload). The peak after the timed runs is shown too (downloads included).
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path
from typing import Any

from bench.common import Server, emit, issue_tokens, log, pg_available, scratch_dir, store, table

MIB = 1024 * 1024
STREAM_TARGET_MIB = 15.0


def _status_kib(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    return 0


def _file(directory: Path, mib: int, n: int) -> Path:
    path = directory / f"file-{mib}-{n}.pdf"
    with path.open("wb") as out:
        out.write(b"%PDF-1.7\n")
        for _ in range(mib):
            out.write(os.urandom(MIB))
        out.write(b"\n%%EOF\n")
    return path


def _upload(base: str, token: str, key: str, path: Path) -> dict[str, Any]:
    import requests

    with path.open("rb") as handle:
        answer = requests.post(
            f"{base}/api/v1/issues/{key}/attachments",
            files={"file": (path.name, handle, "application/pdf")},
            headers={"Authorization": f"Bearer {token}"},
            timeout=120,
        )
    assert answer.status_code == 201, answer.text[:300]
    body: dict[str, Any] = answer.json()
    return body


def _download(base: str, token: str, attachment_id: str) -> int:
    import requests

    size = 0
    with requests.get(
        f"{base}/api/v1/attachments/{attachment_id}",
        headers={"Authorization": f"Bearer {token}"},
        stream=True,
        timeout=120,
    ) as answer:
        assert answer.status_code == 200, answer.status_code
        for chunk in answer.iter_content(256 * 1024):
            size += len(chunk)
    return size


def _report(base: str, token: str) -> str:
    import requests

    body = {
        "title": "Scanned delivery notes for the audit",
        "description": "Attached below",
        "module": "finance",
        "impact_scope": "team",
        "urgency": "minor",
    }
    answer = requests.post(f"{base}/api/v1/issues", json=body, headers={"Authorization": f"Bearer {token}"}, timeout=30)
    assert answer.status_code == 201, answer.text[:300]
    key: str = answer.json()["key"]
    return key


def run_store(engine: str, repeat: int) -> dict[str, Any]:
    with store(engine, "kaizen_bench_attach") as url, scratch_dir() as work:
        tokens = issue_tokens(url)
        server = Server(url, work, workers=1, projections=False, env={"KAIZEN_ATTACHMENT_MAX_MB": "40"})
        with server:
            base = server.base
            worker = server.worker_pids()[0]
            key = _report(base, tokens["admin"])
            _upload(base, tokens["admin"], key, _file(work, 1, 99))  # warm-up: first-use imports and buffers
            big = _file(work, 30, 0)
            hwm_before_30 = _status_kib(worker, "VmHWM")
            _upload(base, tokens["admin"], key, big)
            hwm_after_30 = _status_kib(worker, "VmHWM")
            files = [_file(work, 10, n) for n in range(repeat)]
            rss_before = _status_kib(worker, "VmRSS")
            started = time.perf_counter()
            uploaded = [_upload(base, tokens["admin"], key, path) for path in files]
            upload_s = time.perf_counter() - started
            started = time.perf_counter()
            read = sum(_download(base, tokens["admin"], item["id"]) for item in uploaded)
            download_s = time.perf_counter() - started
            total = sum(item["size"] for item in uploaded)
            assert read == total
            after_10 = _status_kib(worker, "VmHWM")
        return {
            "upload_mb_s": round(total / MIB / upload_s, 1),
            "download_mb_s": round(total / MIB / download_s, 1),
            "files": repeat,
            "worker_peak_before_30mib_upload_mib": round(hwm_before_30 / 1024, 1),
            "worker_rss_before_10mib_runs_mib": round(rss_before / 1024, 1),
            "worker_peak_after_10mib_runs_mib": round(after_10 / 1024, 1),
            "worker_peak_growth_30mib_upload_mib": round((hwm_after_30 - hwm_before_30) / 1024, 1),
            "streamed": (hwm_after_30 - hwm_before_30) / 1024 < STREAM_TARGET_MIB,
        }


def run(quick: bool, engines: tuple[str, ...], repeat: int | None = None) -> dict[str, Any]:
    count = repeat or (2 if quick else 5)
    results: dict[str, Any] = {"through": "kaizen serve (gunicorn, 1 worker), client: requests", "stores": {}}
    for engine in engines:
        if engine == "postgres" and not pg_available():
            continue
        log(f"attachments on {engine}: {count} x 10 MiB up and down, then one 30 MiB upload")
        results["stores"][engine] = run_store(engine, count)
    rows = [[engine, *out.values()] for engine, out in results["stores"].items()]
    if rows:
        first = next(iter(results["stores"].values()))
        print(table("Attachments (real server)", ["store", *first.keys()], rows))
    emit("attachments", results)
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--store", choices=["postgres", "sqlite", "both"], default="both")
    args = parser.parse_args(argv)
    engines = ("postgres", "sqlite") if args.store == "both" else (args.store,)
    run(False, engines, args.repeat)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
