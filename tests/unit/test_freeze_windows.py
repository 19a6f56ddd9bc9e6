"""Freeze windows, pure: month-end close on working days, ad-hoc windows, edges and time zones."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from domain.errors import InvalidCommand
from domain.freeze import FreezeCalendar, FreezeSchedule
from tests.conftest import ADMIN

HKT = ZoneInfo("Asia/Hong_Kong")
BERLIN = ZoneInfo("Europe/Berlin")
WEEKDAYS = {d: [["09:00", "18:00"]] for d in ("mon", "tue", "wed", "thu", "fri")}
HK_CALENDAR = {"timezone": "Asia/Hong_Kong", "hours": WEEKDAYS, "holidays": {"country": "HK", "subdivision": None}}


def hk_document(**changes: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "timezone": "Asia/Hong_Kong",
        "month_end": {"last_working_days": 3, "first_working_days": 2, "calendar": HK_CALENDAR},
        "windows": [],
    }
    doc.update(changes)
    return doc


def hk(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=HKT)


@pytest.fixture
def schedule() -> FreezeSchedule:
    return FreezeSchedule.from_document(hk_document())


def test_march_close_runs_from_the_last_three_to_the_first_two_working_days(schedule: FreezeSchedule) -> None:
    # March 2026: the last working days are Fri 27, Mon 30, Tue 31; April opens Wed 1, Thu 2
    # (Good Friday, 3 April, is a Hong Kong holiday but lies after the window).
    window = schedule.month_end_window(2026, 3)
    assert window is not None
    assert window.name == "month-end close 2026-03"
    assert window.start == hk(2026, 3, 27, 0, 0)
    assert window.end == hk(2026, 4, 3, 0, 0)


@pytest.mark.parametrize(
    ("when", "inside"),
    [
        (hk(2026, 3, 26, 23, 59), False),  # the last minute before the window
        (hk(2026, 3, 27, 0, 0), True),  # the first minute of the window
        (hk(2026, 3, 28, 12, 0), True),  # the weekend inside the window is frozen too
        (hk(2026, 4, 2, 23, 59), True),  # the last minute of the window
        (hk(2026, 4, 2, 23, 59, 59), True),
        (hk(2026, 4, 3, 0, 0), False),  # the window's end is not inside it (half-open)
    ],
)
def test_edges_of_a_window(schedule: FreezeSchedule, when: datetime, inside: bool) -> None:
    window = schedule.window_at(when)
    assert (window is not None and window.name == "month-end close 2026-03") is inside
    assert window is None or inside


def test_the_same_instant_in_any_offset_gives_the_same_answer(schedule: FreezeSchedule) -> None:
    first = hk(2026, 3, 27, 0, 0)
    for zone in ("UTC", "America/New_York", "Asia/Jakarta", "Asia/Colombo"):
        local = first.astimezone(ZoneInfo(zone))
        assert schedule.window_at(local) is not None
        assert schedule.window_at(local - timedelta(seconds=1)) is None
    assert schedule.window_at(datetime(2026, 3, 26, 16, 0, tzinfo=UTC)) is not None  # 00:00 HKT
    assert schedule.window_at(datetime(2026, 3, 26, 15, 59, tzinfo=UTC)) is None


def test_public_holidays_push_the_first_working_days(schedule: FreezeSchedule) -> None:
    # 1 May 2026 (Friday) is Labour Day in Hong Kong: May opens Mon 4 and Tue 5.
    window = schedule.month_end_window(2026, 4)
    assert window is not None
    assert (window.start, window.end) == (hk(2026, 4, 28), hk(2026, 5, 6))
    assert schedule.window_at(hk(2026, 5, 5, 23, 59)) == window
    assert schedule.window_at(hk(2026, 5, 6, 0, 0)) is None


def test_closed_days_of_the_calendar_are_not_working_days() -> None:
    calendar = {**HK_CALENDAR, "closed_days": ["2026-03-31"]}
    schedule = FreezeSchedule.from_document(
        hk_document(month_end={"last_working_days": 3, "first_working_days": 2, "calendar": calendar})
    )
    window = schedule.month_end_window(2026, 3)
    assert window is not None and window.start == hk(2026, 3, 26)  # Thu 26, Fri 27, Mon 30


def test_day_boundaries_follow_the_document_time_zone_across_dst() -> None:
    # Berlin moves to summer time on 29 March 2026: the window starts at midnight CET and ends
    # at midnight CEST, so it is one hour shorter than the days it spans.
    doc = {"timezone": "Europe/Berlin", "month_end": {"last_working_days": 3, "first_working_days": 2}}
    schedule = FreezeSchedule.from_document(doc)
    window = schedule.month_end_window(2026, 3)
    assert window is not None
    assert window.start == datetime(2026, 3, 26, 23, 0, tzinfo=UTC)
    assert window.end == datetime(2026, 4, 2, 22, 0, tzinfo=UTC)
    assert schedule.window_at(datetime(2026, 4, 3, 0, 0, tzinfo=BERLIN) - timedelta(minutes=1)) == window
    assert schedule.window_at(datetime(2026, 4, 3, 0, 0, tzinfo=BERLIN)) is None


def test_without_a_calendar_monday_to_friday_are_working_days() -> None:
    schedule = FreezeSchedule.from_document(
        {"timezone": "UTC", "month_end": {"last_working_days": 1, "first_working_days": 1}}
    )
    window = schedule.month_end_window(2026, 2)  # Fri 27 Feb .. Mon 2 Mar
    assert window is not None
    assert (window.start, window.end) == (datetime(2026, 2, 27, tzinfo=UTC), datetime(2026, 3, 3, tzinfo=UTC))


def test_december_close_spans_into_january_of_the_next_year(schedule: FreezeSchedule) -> None:
    window = schedule.window_at(hk(2027, 1, 5, 12, 0))  # 1 January is a holiday: Jan opens Mon 4, Tue 5
    assert window is not None and window.name == "month-end close 2026-12"
    assert window.start == hk(2026, 12, 29) and window.end == hk(2027, 1, 6)


def test_ad_hoc_windows_are_half_open_and_named(schedule: FreezeSchedule) -> None:
    doc = hk_document(
        windows=[{"name": "Wave 2 go-live", "from": "2026-06-10T18:00:00+08:00", "to": "2026-06-12T09:00:00+08:00"}]
    )
    with_window = FreezeSchedule.from_document(doc)
    assert with_window.window_at(hk(2026, 6, 10, 17, 59)) is None
    found = with_window.window_at(hk(2026, 6, 10, 18, 0))
    assert found is not None and found.name == "Wave 2 go-live" and found.kind == "ad_hoc"
    assert with_window.window_at(hk(2026, 6, 12, 8, 59)) == found
    assert with_window.window_at(datetime(2026, 6, 12, 1, 0, tzinfo=UTC)) is None  # 09:00 HKT


def test_an_ad_hoc_window_wins_over_the_month_end_close_it_overlaps() -> None:
    doc = hk_document(
        windows=[{"name": "Audit fieldwork", "from": "2026-03-30T00:00:00+08:00", "to": "2026-04-01T00:00:00+08:00"}]
    )
    schedule = FreezeSchedule.from_document(doc)
    assert schedule.window_at(hk(2026, 3, 30, 10, 0)).name == "Audit fieldwork"  # type: ignore[union-attr]
    assert schedule.window_at(hk(2026, 4, 1, 10, 0)).name == "month-end close 2026-03"  # type: ignore[union-attr]


def test_windows_between_lists_month_end_and_ad_hoc_windows_in_order() -> None:
    doc = hk_document(windows=[{"name": "Upgrade", "from": "2026-05-16T00:00:00Z", "to": "2026-05-17T00:00:00Z"}])
    schedule = FreezeSchedule.from_document(doc)
    found = schedule.windows_between(hk(2026, 4, 1), hk(2026, 6, 1))
    assert [w.name for w in found] == [
        "month-end close 2026-03",
        "month-end close 2026-04",
        "Upgrade",
        "month-end close 2026-05",
    ]


def test_the_document_is_normalised_to_utc_and_round_trips() -> None:
    doc = hk_document(
        windows=[
            {"name": "B", "from": "2026-06-10T18:00:00+08:00", "to": "2026-06-11T00:00:00+08:00"},
            {"name": "A", "from": "2026-01-02T00:00:00Z", "to": "2026-01-03T00:00:00Z"},
        ]
    )
    normalised = FreezeSchedule.from_document(doc).to_document()
    assert [w["name"] for w in normalised["windows"]] == ["A", "B"]
    assert normalised["windows"][1] == {"name": "B", "from": "2026-06-10T10:00:00Z", "to": "2026-06-10T16:00:00Z"}
    assert FreezeSchedule.from_document(normalised).to_document() == normalised


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"timezone": None}, "timezone"),
        ({"month_end": {"last_working_days": 11, "first_working_days": 2}}, "month_end.last_working_days"),
        ({"month_end": {"last_working_days": 0, "first_working_days": 0}}, "month_end"),
        ({"month_end": {"last_working_days": 3, "typo": 1}}, "month_end.typo"),
        (
            {"month_end": {"calendar": {"timezone": "Asia/Hong_Kong", "hours": {"mon": [["18:00", "09:00"]]}}}},
            "month_end.calendar.hours.mon[0]",
        ),
        ({"windows": [{"name": "x", "from": "2026-01-02T00:00:00", "to": "2026-01-03T00:00:00Z"}]}, "windows[0].from"),
        ({"windows": [{"name": "x", "from": "2026-01-02T00:00:00Z", "to": "2026-01-02T00:00:00Z"}]}, "windows[0].to"),
        (
            {
                "windows": [
                    {"name": "x", "from": "2026-01-02T00:00:00Z", "to": "2026-01-03T00:00:00Z"},
                    {"name": "x", "from": "2026-02-02T00:00:00Z", "to": "2026-02-03T00:00:00Z"},
                ]
            },
            "windows[1].name",
        ),
        ({"windows": [{"name": "", "from": "2026-01-02T00:00:00Z", "to": "2026-01-03T00:00:00Z"}]}, "windows[0].name"),
        ({"extra": True}, "extra"),
    ],
)
def test_invalid_documents_name_the_offending_part(changes: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidCommand) as refused:
        FreezeSchedule.from_document(hk_document(**changes))
    assert refused.value.field == field


def test_a_naive_time_is_refused() -> None:
    with pytest.raises(InvalidCommand):
        FreezeSchedule.from_document(hk_document()).window_at(datetime(2026, 3, 27, 12, 0))


def test_nothing_is_frozen_before_a_document_is_published() -> None:
    empty = FreezeSchedule.empty()
    assert empty.window_at(hk(2026, 3, 31, 12, 0)) is None
    assert empty.to_document() == {"timezone": "UTC", "month_end": None, "windows": []}


def test_the_calendar_aggregate_versions_each_publication() -> None:
    calendar = FreezeCalendar.start(ADMIN, hk(2026, 1, 1))
    assert calendar.schedule().window_at(hk(2026, 3, 31)) is None
    calendar.publish(hk_document(), ADMIN, hk(2026, 1, 2))
    calendar.publish(hk_document(month_end=None), ADMIN, hk(2026, 1, 3))
    assert calendar.calendar_version == 2 and calendar.key == "freeze-windows"
    assert calendar.schedule().window_at(hk(2026, 3, 31)) is None
    assert date(2026, 1, 3) == calendar.published_at.date()  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "when",
    [
        datetime(1, 1, 1, tzinfo=UTC),
        datetime(9999, 12, 31, 23, 0, tzinfo=UTC),
        datetime(1969, 12, 31, 23, 59, tzinfo=UTC),
        datetime(2200, 1, 1, tzinfo=UTC),
    ],
)
def test_times_far_outside_any_plan_are_refused_not_crashed_on(schedule: FreezeSchedule, when: datetime) -> None:
    with pytest.raises(InvalidCommand) as refused:
        schedule.window_at(when)
    assert refused.value.field == "scheduled_for"
    with pytest.raises(InvalidCommand):
        FreezeSchedule.empty().window_at(when)
