"""How `interfaces.serve` configures gunicorn and the metrics directory (no server started)."""

from __future__ import annotations

from pathlib import Path

import pytest

from interfaces import serve


def test_gunicorn_options_follow_the_serving_rules(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(serve.os, "cpu_count", lambda: 2)
    assert serve.default_workers() == 4
    monkeypatch.setattr(serve.os, "cpu_count", lambda: 1)
    assert serve.default_workers() == 3
    options = serve.gunicorn_options("0.0.0.0", 8123, 2)
    assert options["bind"] == "0.0.0.0:8123" and options["workers"] == 2
    assert options["worker_class"] == "gthread" and options["threads"] == 4 and options["timeout"] == 30
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
