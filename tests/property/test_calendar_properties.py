"""Properties of business calendars (hypothesis), on calendars chosen to be awkward: split
shifts, a night shift across midnight, hours spanning DST transitions, a half-hour offset,
public holidays, and 24x7. A brute-force oracle checks the DST semantics minute by minute.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from domain.calendar import WEEKDAYS, BusinessCalendar

WORKDAYS = WEEKDAYS[:5]


def _calendar(doc: Any, name: str) -> BusinessCalendar:
    return BusinessCalendar.from_document(doc, name=name)


CALENDARS = [
    _calendar(
        {
            "timezone": "Asia/Hong_Kong",
            "hours": {d: [["09:00", "13:00"], ["14:00", "18:00"]] for d in WORKDAYS} | {"sat": [["09:00", "13:00"]]},
            "holidays": {"country": "HK", "subdivision": None},
            "closed_days": ["2026-12-24"],
        },
        "hk-split",
    ),
    _calendar(
        {
            "timezone": "America/New_York",
            "hours": {d: [["09:00", "17:00"]] for d in WORKDAYS} | {"sun": [["01:00", "04:00"]]},
            "holidays": {"country": "US", "subdivision": None},
        },
        "ny-dst",
    ),
    _calendar(
        {
            "timezone": "Europe/Berlin",
            "hours": {"sat": [["22:00", "24:00"]], "sun": [["00:00", "03:30"]], "mon": [["08:00", "16:00"]]},
            "holidays": {"country": "DE", "subdivision": None},
        },
        "berlin-night",
    ),
    _calendar({"timezone": "Asia/Colombo", "hours": {d: [["08:30", "17:00"]] for d in WORKDAYS}}, "colombo"),
    _calendar("24x7", "always"),
]

calendars = st.sampled_from(CALENDARS)
instants = st.datetimes(min_value=datetime(2025, 12, 1), max_value=datetime(2027, 11, 30), timezones=st.just(UTC)).map(
    lambda t: t.replace(microsecond=t.microsecond // 1000 * 1000)
)
durations = st.integers(min_value=0, max_value=200 * 3600).map(lambda s: timedelta(seconds=s))
small_durations = st.integers(min_value=0, max_value=20 * 3600).map(lambda s: timedelta(seconds=s))

FAST = settings(max_examples=200, deadline=None)


@FAST
@given(calendars, instants, durations)
def test_between_undoes_add(calendar: BusinessCalendar, t: datetime, d: timedelta) -> None:
    assert calendar.between(t, calendar.add(t, d)) == d


@FAST
@given(calendars, instants, durations, durations)
def test_add_composes(calendar: BusinessCalendar, t: datetime, a: timedelta, b: timedelta) -> None:
    assert calendar.add(calendar.add(t, a), b) == calendar.add(t, a + b)


@FAST
@given(calendars, instants, instants, small_durations)
def test_add_is_monotonic_in_the_start(calendar: BusinessCalendar, t1: datetime, t2: datetime, d: timedelta) -> None:
    early, late = sorted((t1, t2))
    assert calendar.add(early, d) <= calendar.add(late, d)


@FAST
@given(calendars, instants, durations, durations)
def test_add_is_monotonic_in_the_duration(calendar: BusinessCalendar, t: datetime, a: timedelta, b: timedelta) -> None:
    small, large = sorted((a, b))
    assert calendar.add(t, small) <= calendar.add(t, large)
    # business time never runs faster than real time
    assert calendar.add(t, large) - calendar.add(t, small) >= large - small


@FAST
@given(calendars, instants, instants, instants)
def test_between_is_monotonic_and_additive(calendar: BusinessCalendar, x: datetime, y: datetime, z: datetime) -> None:
    a, b, c = sorted((x, y, z))
    assert calendar.between(a, b) <= calendar.between(a, c)
    assert calendar.between(a, b) + calendar.between(b, c) == calendar.between(a, c)
    assert calendar.between(a, c) <= c - a


@FAST
@given(calendars, instants, durations)
def test_start_in_closed_time_counts_from_next_opening(calendar: BusinessCalendar, t: datetime, d: timedelta) -> None:
    opening = calendar.next_opening(t)
    assert opening >= t
    assert calendar.between(t, opening) == timedelta(0)
    assert calendar.is_open(opening)
    if d:
        assert calendar.add(t, d) == calendar.add(opening, d)


@FAST
@given(calendars, instants, durations.filter(bool))
def test_due_is_the_earliest_instant(calendar: BusinessCalendar, t: datetime, d: timedelta) -> None:
    """The due time is reached while open: the microsecond before it is open time, so a due
    time on a closing instant stays there instead of jumping to the next opening."""
    due = calendar.add(t, d)
    assert calendar.is_open(due - timedelta(microseconds=1))
    assert calendar.between(t, due - timedelta(microseconds=1)) < d


# ------------------------------------------------------------------ brute-force DST oracle


def _minute_is_open(calendar: BusinessCalendar, instant: datetime) -> bool:
    """Open when the local wall time falls in an opening range of its local date: the rule
    written the naive way, one instant at a time."""
    assert calendar.timezone is not None
    local = instant.astimezone(ZoneInfo(calendar.timezone))
    day: date = local.date()
    if day in calendar.closed_days or (calendar.holidays and day in calendar.holidays.dates(day.year)):
        return False
    minute = local.hour * 60 + local.minute
    return any(r.start <= minute < r.end for r in calendar.hours[day.weekday()])


DST_WEEKENDS = [
    datetime(2026, 3, 7, tzinfo=UTC),  # New York spring forward on Sun 8 Mar
    datetime(2026, 10, 31, tzinfo=UTC),  # New York fall back on Sun 1 Nov
    datetime(2026, 3, 28, tzinfo=UTC),  # Berlin spring forward on Sun 29 Mar
    datetime(2026, 10, 24, tzinfo=UTC),  # Berlin fall back on Sun 25 Oct
]


@settings(max_examples=60, deadline=None)
@given(
    st.sampled_from(CALENDARS[1:3]),
    st.sampled_from(DST_WEEKENDS),
    st.integers(min_value=0, max_value=48 * 60),
    st.integers(min_value=0, max_value=36 * 60),
)
def test_between_matches_a_minute_by_minute_count(
    calendar: BusinessCalendar, weekend: datetime, offset: int, length: int
) -> None:
    start = weekend + timedelta(minutes=offset)
    minutes = sum(_minute_is_open(calendar, start + timedelta(minutes=i)) for i in range(length))
    assert calendar.between(start, start + timedelta(minutes=length)) == timedelta(minutes=minutes)


# ------------------------------------------------------------------------- document round trip

hhmm = st.integers(min_value=0, max_value=24 * 4).map(lambda q: q * 15)


@st.composite
def opening_hours(draw: st.DrawFn) -> dict[str, list[list[str]]]:
    hours: dict[str, list[list[str]]] = {}
    for weekday in draw(st.sets(st.sampled_from(WEEKDAYS), min_size=1)):
        cuts = sorted(draw(st.sets(hhmm, min_size=2, max_size=6)))
        pairs = list(zip(cuts[::2], cuts[1::2], strict=False))
        hours[weekday] = [[f"{s // 60:02d}:{s % 60:02d}", f"{e // 60:02d}:{e % 60:02d}"] for s, e in pairs]
    return hours


@settings(max_examples=100, deadline=None)
@given(opening_hours(), st.sampled_from(["Asia/Hong_Kong", "Asia/Jakarta", "America/New_York"]))
def test_documents_round_trip(hours: dict[str, list[list[str]]], zone: str) -> None:
    doc: dict[str, Any] = {"timezone": zone, "hours": hours, "holidays": None, "closed_days": []}
    calendar = BusinessCalendar.from_document(doc)
    assert calendar.to_document() == {**doc, "hours": {d: hours[d] for d in WEEKDAYS if d in hours}}
    assert BusinessCalendar.from_document(calendar.to_document()) == calendar
