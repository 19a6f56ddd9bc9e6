"""Turns for key allocation: in order across threads and processes, never waited for without bound."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

import application.allocation_turns as allocation_turns
from adapters.key_allocation import shared_turns
from application.allocation_turns import AllocationTurns
from application.config import store_settings


@pytest.fixture
def turns(tmp_path: Path) -> Iterator[tuple[AllocationTurns, AllocationTurns]]:
    """Two processes' turns on one SQLite store (flock conflicts between open files as between processes)."""
    settings = store_settings(f"sqlite:///{tmp_path / 'kaizen.db'}")
    first, second = AllocationTurns(shared_turns(settings)), AllocationTurns(shared_turns(settings))
    yield first, second
    first.close()
    second.close()


def hold(turns: AllocationTurns, prefix: str, holding: threading.Event, release: threading.Event) -> threading.Thread:
    def stuck_save() -> None:
        with turns.turn(prefix):
            holding.set()
            release.wait(5)

    thread = threading.Thread(target=stuck_save)
    thread.start()
    assert holding.wait(5)
    return thread


@pytest.mark.parametrize("other_process", [False, True])
def test_a_stuck_turn_delays_the_next_allocation_by_the_bounded_wait_only(
    turns: tuple[AllocationTurns, AllocationTurns], other_process: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """While the store is away the holder spends seconds failing; the queue must not add them up."""
    monkeypatch.setattr(allocation_turns, "TURN_WAIT_SECONDS", 0.2)
    holder_turns, waiter_turns = turns[0], turns[1] if other_process else turns[0]
    release = threading.Event()
    holder = hold(holder_turns, "KZ", threading.Event(), release)
    try:
        started = time.monotonic()
        with waiter_turns.turn("KZ"):
            waited = time.monotonic() - started
        assert 0.15 <= waited < 1.0
    finally:
        release.set()
        holder.join()
    started = time.monotonic()
    with waiter_turns.turn("KZ"):  # the holder's release left the turn free again
        assert time.monotonic() - started < 0.1


def test_a_turn_held_by_another_process_is_waited_for_until_it_is_released(
    turns: tuple[AllocationTurns, AllocationTurns],
) -> None:
    release = threading.Event()
    holder = hold(turns[0], "KZ", threading.Event(), release)
    threading.Timer(0.3, release.set).start()
    started = time.monotonic()
    with turns[1].turn("KZ"):
        waited = time.monotonic() - started
    holder.join()
    assert 0.25 <= waited < 0.9  # got the turn when it was released, not at the bound


def test_turns_for_different_prefixes_do_not_wait_for_each_other(
    turns: tuple[AllocationTurns, AllocationTurns],
) -> None:
    with turns[0].turn("KZ"):
        started = time.monotonic()
        with turns[1].turn("SG"):
            assert time.monotonic() - started < 0.1
