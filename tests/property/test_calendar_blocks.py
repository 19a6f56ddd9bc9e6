"""The calendar's per-block interval cache answers exactly as the day-by-day walk it replaces.

SLA clocks add targets and measure business time through `_open_within`; a window inside one
cached block of local dates is answered by bisection. Checked against the walk on awkward
zones: DST at local midnight (Havana), a skipped day (Apia, 2011), a half-hour DST (Lord Howe),
night shifts across midnight, holidays and closed days, and windows across block edges.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from domain.calendar import WEEKDAYS, BusinessCalendar

WORKDAYS = WEEKDAYS[:5]


def _calendar(zone: str, hours: dict[str, Any], **extra: Any) -> BusinessCalendar:
    return BusinessCalendar.from_document({"timezone": zone, "hours": hours, **extra}, name=zone)


CALENDARS = [
    _calendar(
        "Asia/Hong_Kong",
        {d: [["09:00", "18:00"]] for d in WORKDAYS},
        holidays={"country": "HK", "subdivision": None},
        closed_days=["2026-12-24", "2011-12-30"],
    ),
    _calendar("America/Havana", {d: [["00:00", "02:00"], ["22:30", "24:00"]] for d in WEEKDAYS}),
    _calendar("Pacific/Apia", {d: [["00:00", "24:00"]] for d in WORKDAYS} | {"sat": [["08:00", "09:00"]]}),
    _calendar("Australia/Lord_Howe", {d: [["01:30", "03:00"], ["09:00", "17:00"]] for d in WEEKDAYS}),
    _calendar(
        "Europe/London",
        {"sat": [["22:00", "24:00"]], "sun": [["00:00", "03:30"]], "mon": [["08:00", "16:00"]]},
        holidays={"country": "GB", "subdivision": None},
    ),
]

instants = st.datetimes(min_value=datetime(2010, 1, 1), max_value=datetime(2028, 12, 31), timezones=st.just(UTC))
spans = st.integers(min_value=0, max_value=40 * 24 * 3600 * 1_000_000).map(lambda us: timedelta(microseconds=us))


def walked(calendar: BusinessCalendar, low: datetime, high: datetime) -> list[tuple[datetime, datetime]]:
    zone = calendar._require_zone()
    first = low.astimezone(zone).date() - timedelta(days=1)
    last = high.astimezone(zone).date() + timedelta(days=1)
    return calendar._walk_within(low, high, first, last)


@settings(max_examples=400, deadline=None)
@given(st.sampled_from(CALENDARS), instants, spans)
def test_open_within_equals_the_day_by_day_walk(calendar: BusinessCalendar, low: datetime, span: timedelta) -> None:
    assert calendar._open_within(low, low + span) == walked(calendar, low, low + span)


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(CALENDARS), instants, st.integers(min_value=0, max_value=120 * 3600))
def test_add_and_between_equal_the_walk(calendar: BusinessCalendar, start: datetime, seconds: int) -> None:
    """What a clock computes, against a calendar whose windows always take the walk."""
    slow = BusinessCalendar.from_document(calendar.to_document(), name=calendar.name)
    slow.__dict__["_open_within"] = lambda low, high: walked(slow, low, high)
    target = timedelta(seconds=seconds)
    assert calendar.add(start, target) == slow.add(start, target)
    assert calendar.between(start, start + 3 * target) == slow.between(start, start + 3 * target)


def test_windows_at_block_edges() -> None:
    """Every start across two months of one block edge, by the quarter hour, a week long."""
    for calendar in CALENDARS:
        start = datetime(2026, 3, 1, tzinfo=UTC)
        for quarter in range(0, 60 * 24 * 4, 7):
            low = start + timedelta(minutes=15 * quarter)
            for span in (timedelta(hours=1), timedelta(days=7), timedelta(days=15)):
                assert calendar._open_within(low, low + span) == walked(calendar, low, low + span)


long_spans = st.integers(min_value=0, max_value=400 * 24 * 3600 * 1_000_000).map(lambda us: timedelta(microseconds=us))


@settings(max_examples=400, deadline=None)
@given(st.sampled_from(CALENDARS), instants, long_spans)
def test_between_equals_the_sum_of_the_walked_intervals(
    calendar: BusinessCalendar, low: datetime, span: timedelta
) -> None:
    """Long spans add whole dates from per-block sums and clip only the ends: the same total."""
    expected = sum((c - o for o, c in walked(calendar, low, low + span)), timedelta(0))
    assert calendar.between(low, low + span) == expected
