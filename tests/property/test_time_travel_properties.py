"""`version_as_of` reads only the events' times (kept per aggregate, topped up with newer
events) instead of decoding every event: it must still answer exactly the definition, "the last
version recorded (or occurred) at or before as_of", whatever the order of the times.

Times are scripted out of order on both axes: business times as an import or a merge brings
them, recorded times as two servers with skewed clocks would write them.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from unittest.mock import patch

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from application.config import StoreSettings
from application.context import Context
from application.desk import KaizenDesk
from application.errors import NotFound
from application.event_times import last_version_at_or_before
from domain.actor import Actor

ADMIN = Actor("admin-wong", "admin")
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
ISSUE: dict[str, Any] = {
    "title": "Posting fails",
    "description": "GL posting stops",
    "module": "finance",
    "impact_scope": "company",
    "urgency": "degraded",
}
AXES = ("recorded", "occurred")
offsets = st.integers(min_value=-5_000_000, max_value=5_000_000)  # microseconds around T0


def linear(events: list[Any], as_of: datetime, axis: str) -> int:
    """The definition as it was first written: every event decoded, the highest matching version."""
    version = 0
    for event in events:
        when = event.timestamp if axis == "recorded" else (event.__dict__.get("occurred_at") or event.timestamp)
        if when <= as_of:
            version = max(version, event.originator_version)
    return version


def in_memory_desk() -> KaizenDesk:
    return KaizenDesk(
        StoreSettings(url="memory:", engine="popo", environment={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    )


def scripted(recorded: list[int]) -> Iterator[datetime]:
    """The library's clock, answering the scripted recorded times in turn (then T0 onwards)."""
    for offset in recorded:
        yield T0 + timedelta(microseconds=offset)
    n = 0
    while True:
        n += 1
        yield T0 + timedelta(seconds=n)


def probes_of(events: list[Any], extra: list[int]) -> list[datetime]:
    """Every event's times and a microsecond either side, plus arbitrary instants."""
    times = [T0 + timedelta(microseconds=x) for x in extra]
    for event in events:
        for when in (event.timestamp, event.__dict__.get("occurred_at") or event.timestamp):
            times += [when - timedelta(microseconds=1), when, when + timedelta(microseconds=1)]
    return times


def check(desk: KaizenDesk, key: str, extra: list[int]) -> None:
    events = desk.events_of(key)
    for as_of in probes_of(events, extra):
        for axis in AXES:
            expected = linear(events, as_of, axis)
            if expected == 0:
                try:
                    desk.version_as_of(key, as_of, axis)
                except NotFound:
                    continue
                raise AssertionError(f"{as_of} on {axis}: expected NotFound")
            assert desk.version_as_of(key, as_of, axis) == expected, (as_of, axis)


@settings(max_examples=40, deadline=None)
@given(
    steps=st.lists(st.tuples(offsets, offsets, st.booleans()), min_size=1, max_size=20),
    extra=st.lists(offsets, max_size=5),
)
def test_version_as_of_is_the_last_version_at_or_before_whatever_the_order_of_times(
    steps: list[tuple[int, int, bool]], extra: list[int]
) -> None:
    clock = scripted([recorded for recorded, _, _ in steps for _ in range(4)])
    desk = in_memory_desk()
    try:
        with patch("eventsourcing.domain.datetime_now_with_tzinfo", side_effect=lambda: next(clock)):
            key = ""
            for number, (_, occurred, probe_now) in enumerate(steps):
                ctx = Context(ADMIN, at=T0 + timedelta(microseconds=occurred))
                if number == 0:
                    key = desk.report(ctx, **ISSUE).key
                else:
                    desk.comment_on_issue(ctx, key, body=f"update {number}", visibility="public")
                if probe_now:  # the kept times must be topped up by the events recorded after
                    check(desk, key, extra)
        check(desk, key, extra)
    finally:
        desk.close()


@given(
    times=st.lists(st.tuples(st.integers(1, 50), offsets), max_size=30),
    as_of=offsets,
)
def test_last_version_at_or_before_matches_a_scan_in_any_order(times: list[tuple[int, int]], as_of: int) -> None:
    at = [(v, T0 + timedelta(microseconds=x)) for v, x in times]
    moment = T0 + timedelta(microseconds=as_of)
    expected = 0
    for version, when in at:
        if when <= moment and version > expected:
            expected = version
    assert last_version_at_or_before(at, moment) == expected


def test_an_unknown_key_and_a_time_before_the_first_event_are_not_found() -> None:
    desk = in_memory_desk()
    try:
        with pytest.raises(NotFound):
            desk.version_as_of("KZ-404", T0)
        key = desk.report(Context(ADMIN), **ISSUE).key
        long_before = datetime(2000, 1, 1, tzinfo=UTC)
        for axis in ("recorded", "occurred"):
            with pytest.raises(NotFound):
                desk.version_as_of(key, long_before, axis)
        assert desk.version_as_of(key, datetime.now(UTC) + timedelta(days=1)) == 1
    finally:
        desk.close()
