"""How `interfaces.serve` configures gunicorn and the metrics directory (no server started)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from gunicorn.workers.gthread import ThreadWorker

from interfaces import process_tuning, serve
from interfaces.slow_clients import BufferingThreadWorker


def test_gunicorn_options_follow_the_serving_rules(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    assert serve.default_workers() == 4
    monkeypatch.setattr(os, "cpu_count", lambda: 1)
    assert serve.default_workers() == 3
    options = serve.gunicorn_options("0.0.0.0", 8123, 2)
    assert options["bind"] == "0.0.0.0:8123" and options["workers"] == 2
    assert options["worker_class"] is BufferingThreadWorker and options["threads"] == 4 and options["timeout"] == 30
    assert issubclass(BufferingThreadWorker, ThreadWorker) and options["keepalive"] == 5  # gthread, requests read whole
    assert options["logger_class"] is serve.StructlogGunicornLogger and options["child_exit"] is serve.child_exit
    assert serve.gunicorn_options("0.0.0.0", 8123, 8, 1)["threads"] == 1  # `kaizen serve --threads 1`


def test_metrics_directory_is_created_and_cleared(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import prometheus_client.values as values

    original = values.ValueClass
    try:
        stale = tmp_path / "counter_123.db"
        stale.write_bytes(b"old")
        monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
        directory, created = serve.prepare_metrics_directory()
        assert directory == str(tmp_path) and not created and not stale.exists()
        monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR")
        directory, created = serve.prepare_metrics_directory()
        assert created and Path(directory).is_dir()
        Path(directory).rmdir()
    finally:
        values.ValueClass = original


def test_a_web_worker_collects_cyclic_garbage_rarely_and_never_rescans_its_start_up(tmp_path: Path) -> None:
    """With the default threshold a 500-event history page hit a ~50 ms full collection every
    ~53 requests; a worker's `load` (run after the fork) freezes what start-up loaded and raises
    the first threshold. Run in a child, so this test's own interpreter keeps its defaults."""
    import json
    import subprocess
    import sys

    code = (
        "import gc, json\n"
        "from interfaces.http.settings import HttpSettings\n"
        "from interfaces.serve import KaizenServer, gunicorn_options\n"
        f"settings = HttpSettings(database_url='sqlite:///{tmp_path / 'kaizen.db'}', run_projections=False)\n"
        "app = KaizenServer(settings, gunicorn_options('127.0.0.1', 0, 1)).load()\n"
        "print(json.dumps([app.name, gc.get_threshold(), gc.get_freeze_count()]))\n"
    )
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    name, threshold, frozen = json.loads(done.stdout.strip().splitlines()[-1])
    assert name == "kaizen"
    assert threshold == list(process_tuning.GC_THRESHOLDS) and threshold[0] >= 10_000
    assert frozen > 10_000  # the modules, the app and its schemas are out of every collection
