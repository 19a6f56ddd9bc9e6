"""The projection processes say why they fail, with the traceback: once, not once per retry.

The worker's start (`interfaces.worker.run_forever`) retries while the store is away, and the
projection process of `kaizen serve` (`interfaces.projection_process`) ends on an unexpected
error; both must leave the stack in the log, or an operator sees a process that stopped or
spins for no visible reason.
"""

from __future__ import annotations

import io
import logging
import os
import threading
from typing import Any

import pytest

from application.config import store_settings
from interfaces import projection_process, worker


def test_the_worker_logs_a_new_start_error_with_its_traceback_once(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, tmp_path: Any
) -> None:
    stop = threading.Event()
    attempts: list[int] = []

    def refused(settings: Any, stopping: threading.Event) -> None:
        attempts.append(1)
        if len(attempts) == 3:
            stop.set()
        raise ConnectionRefusedError("the store refuses connections")

    monkeypatch.setattr(worker, "_follow", refused)
    monkeypatch.setattr(worker, "START_RETRY_S", 0.0)
    with caplog.at_level(logging.WARNING, logger="kaizen.worker"):
        worker.run_forever(store_settings(f"sqlite:///{tmp_path / 'w.db'}"), stop)
    retries = [record for record in caplog.records if record.name == "kaizen.worker"]
    assert len(retries) == 3 and "ConnectionRefusedError" in retries[0].getMessage()
    assert retries[0].exc_info and not any(record.exc_info for record in retries[1:])


@pytest.mark.skipif(not hasattr(os, "fork"), reason="the projection process is forked")
def test_the_projection_process_logs_why_it_ended(
    monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    def broken(database_url: str | None, parent_pid: int) -> None:
        raise RuntimeError("a bug in the projections")

    monkeypatch.setattr(projection_process, "follow_the_log", broken)
    # The child inherits this handler; it writes to the (captured) standard error it shares.
    handler = logging.StreamHandler(io.TextIOWrapper(os.fdopen(os.dup(2), "wb"), write_through=True))
    logger = logging.getLogger("kaizen.projections")
    logger.addHandler(handler)
    try:
        pid = projection_process.start(None)
        _, status = os.waitpid(pid, 0)
    finally:
        logger.removeHandler(handler)
        handler.close()
    assert os.waitstatus_to_exitcode(status) == 1
    err = capfd.readouterr().err
    assert "the projection process failed" in err
    assert "Traceback" in err and "RuntimeError: a bug in the projections" in err
