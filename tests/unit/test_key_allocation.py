"""Turns for key allocation: taken in order within a process, never waited for without bound."""

from __future__ import annotations

import threading
import time

import pytest

import application.key_allocation as key_allocation
from application.key_allocation import allocation_turn


def test_a_stuck_turn_delays_the_next_allocation_by_the_bounded_wait_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """While the store is away the holder spends seconds failing; the queue must not add them up."""
    monkeypatch.setattr(key_allocation, "TURN_WAIT_SECONDS", 0.2)
    holding, release = threading.Event(), threading.Event()

    def stuck_save() -> None:
        with allocation_turn("KZ-test"):
            holding.set()
            release.wait(5)

    holder = threading.Thread(target=stuck_save)
    holder.start()
    try:
        assert holding.wait(5)
        started = time.monotonic()
        with allocation_turn("KZ-test"):
            waited = time.monotonic() - started
        assert 0.15 <= waited < 1.0
    finally:
        release.set()
        holder.join()
    started = time.monotonic()
    with allocation_turn("KZ-test"):  # the holder's release left the turn free again
        assert time.monotonic() - started < 0.1


def test_turns_for_different_prefixes_do_not_wait_for_each_other() -> None:
    with allocation_turn("KZ-a"):
        started = time.monotonic()
        with allocation_turn("SG-a"):
            assert time.monotonic() - started < 0.1
