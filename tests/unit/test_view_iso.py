"""`projections.view.iso` spells every instant exactly as `strftime` did (the views' stored
text must not change), whatever its time zone, and the same when asked again from its cache."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from projections.view import iso

ZONES = [
    UTC,
    ZoneInfo("UTC"),
    ZoneInfo("Asia/Hong_Kong"),
    ZoneInfo("America/New_York"),
    timezone(timedelta(hours=-3, minutes=-30)),
]


def strftime_spelling(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@settings(max_examples=500, deadline=None)
@given(
    st.datetimes(min_value=datetime(2, 1, 1), max_value=datetime(9998, 12, 31), timezones=st.just(UTC)),
    st.sampled_from(ZONES),
)
def test_iso_is_strftime_spelling(instant: datetime, zone: object) -> None:
    local = instant.astimezone(zone)  # type: ignore[arg-type]
    assert iso(local) == strftime_spelling(instant)
    assert iso(instant) == iso(local)  # the cached text of the same instant


def test_iso_of_none_and_edges() -> None:
    assert iso(None) is None
    assert iso(datetime(999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)) == "999-12-31T23:59:59.999999Z"
    assert iso(datetime(2026, 3, 2, 9, 30, tzinfo=ZoneInfo("Asia/Hong_Kong"))) == "2026-03-02T01:30:00.000000Z"
