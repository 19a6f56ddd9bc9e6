"""The store breaker: 503 at once after a failure, then one cheap probe decides (half-open)."""

from __future__ import annotations

import threading
import time

from interfaces.http.breaker import StoreBreaker


class Probe:
    def __init__(self, answers: list[bool]) -> None:
        self.answers = answers
        self.calls = 0

    def __call__(self) -> bool:
        self.calls += 1
        return self.answers.pop(0)


def test_closed_breaker_never_probes() -> None:
    probe = Probe([])
    breaker = StoreBreaker(pause_seconds=0.05, probe=probe)
    assert not breaker.is_open() and probe.calls == 0


def test_open_during_the_pause_without_asking_the_store() -> None:
    probe = Probe([True])
    breaker = StoreBreaker(pause_seconds=10, probe=probe)
    breaker.trip()
    assert breaker.is_open() and breaker.is_open() and probe.calls == 0


def test_a_refused_probe_opens_it_for_another_pause_then_a_good_one_closes_it() -> None:
    probe = Probe([False, True])
    breaker = StoreBreaker(pause_seconds=0.05, probe=probe)
    breaker.trip()
    time.sleep(0.06)
    assert breaker.is_open() and probe.calls == 1  # the store is still away: 503 at once
    assert breaker.is_open() and probe.calls == 1  # within the new pause, no second probe
    time.sleep(0.06)
    assert not breaker.is_open() and probe.calls == 2  # back: requests reach the store again
    assert not breaker.is_open() and probe.calls == 2  # closed: no more probes


def test_only_one_request_probes_at_a_time() -> None:
    entered, release = threading.Event(), threading.Event()

    def slow_probe() -> bool:
        entered.set()
        release.wait(5)
        return True

    breaker = StoreBreaker(pause_seconds=0.0, probe=slow_probe)
    breaker.trip()
    first: list[bool] = []
    prober = threading.Thread(target=lambda: first.append(breaker.is_open()))
    prober.start()
    assert entered.wait(5)
    assert breaker.is_open()  # a second request while the first probes: answered 503, not queued
    release.set()
    prober.join(5)
    assert first == [False] and not breaker.is_open()


def test_without_a_probe_it_closes_when_the_pause_ends() -> None:
    breaker = StoreBreaker(pause_seconds=0.05)
    breaker.trip()
    assert breaker.is_open()
    time.sleep(0.06)
    assert not breaker.is_open()
