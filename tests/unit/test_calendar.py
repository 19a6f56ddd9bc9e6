"""Business calendars, case by case: every expected figure below is worked out by hand.

Times are written in the calendar's local zone (``at(zone, ...)``) and compared as instants.
"""

from __future__ import annotations

import time as clock
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from domain.calendar import ALWAYS_OPEN, BusinessCalendar, CalendarError

HK = ZoneInfo("Asia/Hong_Kong")
SG = ZoneInfo("Asia/Singapore")
JKT = ZoneInfo("Asia/Jakarta")
HCM = ZoneInfo("Asia/Ho_Chi_Minh")
CMB = ZoneInfo("Asia/Colombo")
NY = ZoneInfo("America/New_York")
BER = ZoneInfo("Europe/Berlin")
MON_FRI = ("mon", "tue", "wed", "thu", "fri")


def at(zone: ZoneInfo, month: int, day: int, hour: int, minute: int = 0, *, fold: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=zone, fold=fold)


def utc(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


def office(
    zone: str,
    ranges: list[list[str]],
    country: str | None = None,
    closed_days: list[str] | None = None,
    **extra_days: list[list[str]],
) -> BusinessCalendar:
    hours: dict[str, Any] = {day: ranges for day in MON_FRI}
    hours.update(extra_days)
    doc = {
        "timezone": zone,
        "hours": hours,
        "holidays": {"country": country, "subdivision": None} if country else None,
        "closed_days": closed_days or [],
    }
    return BusinessCalendar.from_document(doc, name="test")


H = timedelta(hours=1)
M = timedelta(minutes=1)
HK_SPLIT = office("Asia/Hong_Kong", [["09:00", "13:00"], ["14:00", "18:00"]], "HK")


# ------------------------------------------------------------------ Hong Kong, split shift


def test_hk_lunch_break_is_not_counted() -> None:
    assert HK_SPLIT.add(at(HK, 3, 2, 12), 2 * H) == at(HK, 3, 2, 15)
    assert HK_SPLIT.between(at(HK, 3, 2, 12, 30), at(HK, 3, 2, 14, 30)) == H


def test_hk_a_full_day_is_eight_hours() -> None:
    assert HK_SPLIT.between(at(HK, 3, 2, 0), at(HK, 3, 3, 0)) == 8 * H


def test_hk_christmas_and_boxing_day_are_closed() -> None:
    # Thu 24 Dec 17:00: one hour left; Fri 25 and Sat 26 are public holidays, Sun closed.
    assert HK_SPLIT.add(at(HK, 12, 24, 17), 2 * H) == at(HK, 12, 28, 10)
    assert HK_SPLIT.between(at(HK, 12, 24, 0), at(HK, 12, 29, 0)) == 16 * H


def test_hk_general_holidays_close_offices_too() -> None:
    # Good Friday (3 Apr), the day following Tomb-Sweeping Day (6 Apr) and the day following
    # Easter Monday (7 Apr) are general holidays: Thu 2 Apr 17:00 + 2h -> Wed 8 Apr 10:00.
    assert HK_SPLIT.add(at(HK, 4, 2, 17), 2 * H) == at(HK, 4, 8, 10)


def test_closed_days_are_closed() -> None:
    calendar = office("Asia/Hong_Kong", [["09:00", "18:00"]], "HK", closed_days=["2026-12-24"])
    assert calendar.add(at(HK, 12, 23, 17), 2 * H) == at(HK, 12, 28, 10)


def test_hk_results_are_utc() -> None:
    due = HK_SPLIT.add(at(HK, 3, 2, 9), H)
    assert due == utc(3, 2, 2) and due.tzinfo is UTC


# ------------------------------------------------------------ other Asian offices we serve


def test_singapore_national_day_observed_on_monday() -> None:
    calendar = office("Asia/Singapore", [["09:00", "18:00"]], "SG")
    # Fri 7 Aug 17:00 + 2h: 1h Friday, Mon 10 Aug is National Day (observed) -> Tue 10:00.
    assert calendar.add(at(SG, 8, 7, 17), 2 * H) == at(SG, 8, 11, 10) == utc(8, 11, 2)


def test_jakarta_independence_day() -> None:
    calendar = office("Asia/Jakarta", [["08:00", "16:00"]], "ID")
    # Fri 14 Aug 15:00 + 3h: 1h Friday, Mon 17 Aug closed -> Tue 18 Aug 10:00 WIB (03:00Z).
    assert calendar.add(at(JKT, 8, 14, 15), 3 * H) == utc(8, 18, 3)


def test_ho_chi_minh_national_day_bridge_with_saturday_mornings() -> None:
    calendar = office("Asia/Ho_Chi_Minh", [["08:00", "12:00"], ["13:00", "17:00"]], "VN", sat=[["08:00", "12:00"]])
    # Fri 28 Aug 16:00 + 6h: 1h Fri, 4h Sat; Mon 31 Aug, Tue 1 and Wed 2 Sep closed -> Thu 09:00.
    assert calendar.add(at(HCM, 8, 28, 16), 6 * H) == at(HCM, 9, 3, 9) == utc(9, 3, 2)


def test_colombo_poya_day_and_half_hour_offset() -> None:
    calendar = office("Asia/Colombo", [["08:30", "17:00"]], "LK")
    # Tue 22 Dec 16:00 + 2h: 1h Tue, Wed 23 Dec is a Poya day -> Thu 09:30 (+05:30 = 04:00Z).
    assert calendar.add(at(CMB, 12, 22, 16), 2 * H) == utc(12, 24, 4)
    assert calendar.between(at(CMB, 12, 22, 0), at(CMB, 12, 25, 0)) == 17 * H


# ------------------------------------------------------------------------------ DST: New York

NY_EARLY = BusinessCalendar.from_document(
    {"timezone": "America/New_York", "hours": {"sun": [["01:00", "04:00"]]}, "holidays": None}
)


def test_new_york_spring_forward_skips_the_missing_hour() -> None:
    # 8 Mar 2026: 02:00 EST jumps to 03:00 EDT, so 01:00-04:00 holds two real hours.
    assert NY_EARLY.between(at(NY, 3, 8, 0), at(NY, 3, 9, 0)) == 2 * H
    assert NY_EARLY.open_intervals(at(NY, 3, 8, 0), at(NY, 3, 9, 0)) == [(utc(3, 8, 6), utc(3, 8, 8))]
    # Two hours from the opening end at the 04:00 EDT closing, not at 03:00 wall time.
    assert NY_EARLY.add(at(NY, 3, 8, 1), 2 * H) == at(NY, 3, 8, 4) == utc(3, 8, 8)
    # 01:59 EST + 2 minutes lands at 03:01 EDT.
    assert NY_EARLY.add(at(NY, 3, 8, 1, 59), 2 * M) == at(NY, 3, 8, 3, 1)


def test_new_york_fall_back_counts_the_repeated_hour_twice() -> None:
    # 1 Nov 2026: 02:00 EDT falls back to 01:00 EST, so 01:00-04:00 holds four real hours.
    assert NY_EARLY.between(at(NY, 11, 1, 0), at(NY, 11, 2, 0)) == 4 * H
    # 01:00 EDT + 1h30 is the second 01:30 (EST). (Python never finds an ambiguous local time
    # equal to another zone's time, so compare in UTC.)
    due = NY_EARLY.add(at(NY, 11, 1, 1), 90 * M)
    assert due == at(NY, 11, 1, 1, 30, fold=1).astimezone(UTC) == utc(11, 1, 6, 30)
    assert due.astimezone(NY).fold == 1


def test_new_york_range_inside_the_repeated_hour_is_two_intervals() -> None:
    calendar = BusinessCalendar.from_document({"timezone": "America/New_York", "hours": {"sun": [["01:30", "03:00"]]}})
    # Wall times 01:30-03:00 occur 05:30-06:00Z (EDT) and again 06:30-08:00Z (EST).
    assert calendar.open_intervals(utc(11, 1, 0), utc(11, 2, 0)) == [
        (utc(11, 1, 5, 30), utc(11, 1, 6)),
        (utc(11, 1, 6, 30), utc(11, 1, 8)),
    ]
    assert calendar.between(utc(11, 1, 0), utc(11, 2, 0)) == 2 * H
    assert not calendar.is_open(utc(11, 1, 6, 15))  # 01:15 EST is not in 01:30-03:00


def test_new_york_office_week_across_spring_forward() -> None:
    calendar = office("America/New_York", [["09:00", "17:00"]], "US")
    # Fri 6 Mar 16:00 EST + 2h -> Mon 9 Mar 10:00 EDT: office hours keep their wall times.
    assert calendar.add(at(NY, 3, 6, 16), 2 * H) == at(NY, 3, 9, 10) == utc(3, 9, 14)


# --------------------------------------------------------------------------------- DST: Berlin

BER_ALL_SUNDAY = BusinessCalendar.from_document({"timezone": "Europe/Berlin", "hours": {"sun": [["00:00", "24:00"]]}})


def test_berlin_spring_forward_sunday_has_23_hours() -> None:
    assert BER_ALL_SUNDAY.between(at(BER, 3, 28, 12), at(BER, 3, 30, 12)) == 23 * H
    assert BER_ALL_SUNDAY.add(at(BER, 3, 29, 1, 30), H) == at(BER, 3, 29, 3, 30)


def test_berlin_fall_back_sunday_has_25_hours() -> None:
    assert BER_ALL_SUNDAY.between(at(BER, 10, 24, 12), at(BER, 10, 26, 12)) == 25 * H
    # From the first 02:30 (CEST) one hour later is the second 02:30 (CET).
    assert BER_ALL_SUNDAY.add(at(BER, 10, 25, 2, 30), H) == at(BER, 10, 25, 2, 30, fold=1).astimezone(UTC)


def test_berlin_office_across_both_transitions_and_easter() -> None:
    calendar = office("Europe/Berlin", [["09:00", "17:00"]], "DE")
    assert calendar.add(at(BER, 3, 27, 16), 2 * H) == at(BER, 3, 30, 10) == utc(3, 30, 8)
    assert calendar.add(at(BER, 10, 23, 16), 2 * H) == at(BER, 10, 26, 10) == utc(10, 26, 9)
    # Good Friday 3 Apr and Easter Monday 6 Apr are closed.
    assert calendar.add(at(BER, 4, 2, 16), 2 * H) == at(BER, 4, 7, 10)


# ------------------------------------------------------------------------------ night shift

NIGHT = BusinessCalendar.from_document(
    {"timezone": "Asia/Hong_Kong", "hours": {"mon": [["22:00", "24:00"]], "tue": [["00:00", "06:00"]]}}
)


def test_night_shift_runs_across_midnight() -> None:
    assert NIGHT.add(at(HK, 3, 2, 23), 2 * H) == at(HK, 3, 3, 1)
    assert NIGHT.between(at(HK, 3, 2, 21), at(HK, 3, 3, 7)) == 8 * H
    assert NIGHT.open_intervals(at(HK, 3, 2, 0), at(HK, 3, 4, 0)) == [(at(HK, 3, 2, 22), at(HK, 3, 3, 6))]


def test_night_shift_due_at_its_closing_time() -> None:
    assert NIGHT.add(at(HK, 3, 2, 22), 8 * H) == at(HK, 3, 3, 6)
    assert NIGHT.add(at(HK, 3, 2, 22), 8 * H + M) == at(HK, 3, 9, 22, 1)


# --------------------------------------------------------------------------------- the edges


def test_due_exactly_at_closing_is_that_closing_time() -> None:
    assert HK_SPLIT.add(at(HK, 3, 2, 9), 8 * H) == at(HK, 3, 2, 18)
    assert HK_SPLIT.add(at(HK, 3, 2, 12), H) == at(HK, 3, 2, 13)  # lunch closing, not 14:00
    assert HK_SPLIT.add(at(HK, 3, 2, 9), 8 * H + timedelta(seconds=1)) == at(HK, 3, 3, 9) + timedelta(seconds=1)


def test_start_in_closed_time_counts_from_next_opening() -> None:
    assert HK_SPLIT.add(at(HK, 3, 7, 10), H) == at(HK, 3, 9, 10)  # Saturday -> Monday
    assert HK_SPLIT.add(at(HK, 3, 2, 13, 30), 30 * M) == at(HK, 3, 2, 14, 30)  # lunch
    assert HK_SPLIT.add(at(HK, 3, 2, 18), M) == at(HK, 3, 3, 9, 1)  # closing instant
    assert HK_SPLIT.next_opening(at(HK, 3, 7, 10)) == at(HK, 3, 9, 9)
    assert HK_SPLIT.next_opening(at(HK, 3, 2, 10)) == at(HK, 3, 2, 10)
    assert HK_SPLIT.between(at(HK, 3, 7, 10), at(HK, 3, 9, 9)) == timedelta(0)


def test_adding_zero_returns_the_start_even_when_closed() -> None:
    assert HK_SPLIT.add(at(HK, 3, 7, 10), timedelta(0)) == at(HK, 3, 7, 10)
    assert HK_SPLIT.add(at(HK, 3, 2, 10), timedelta(0)) == at(HK, 3, 2, 10)


def test_is_open() -> None:
    assert HK_SPLIT.is_open(at(HK, 3, 2, 9))
    assert not HK_SPLIT.is_open(at(HK, 3, 2, 13))
    assert not HK_SPLIT.is_open(at(HK, 3, 2, 8, 59))
    assert not HK_SPLIT.is_open(at(HK, 12, 25, 10))


def test_between_is_zero_when_b_is_not_after_a() -> None:
    assert HK_SPLIT.between(at(HK, 3, 2, 12), at(HK, 3, 2, 10)) == timedelta(0)
    assert HK_SPLIT.between(at(HK, 3, 2, 12), at(HK, 3, 2, 12)) == timedelta(0)


def test_exact_to_the_microsecond() -> None:
    start = at(HK, 3, 2, 12, 59) + timedelta(seconds=59, microseconds=999_999)
    assert HK_SPLIT.add(start, timedelta(microseconds=2)) == at(HK, 3, 2, 14) + timedelta(microseconds=1)


def test_naive_datetimes_and_negative_durations_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        HK_SPLIT.add(datetime(2026, 3, 2, 9), H)
    with pytest.raises(ValueError, match="negative"):
        HK_SPLIT.add(at(HK, 3, 2, 9), -H)


# ------------------------------------------------------------------------------------ 24x7


def test_24x7_is_plain_elapsed_time_even_across_dst() -> None:
    always = BusinessCalendar.from_document(ALWAYS_OPEN, name="always")
    assert always.is_24x7 and always.to_document() == ALWAYS_OPEN
    assert always.add(at(NY, 3, 8, 1), 2 * H) == at(NY, 3, 8, 4)
    assert always.between(at(BER, 10, 25, 0), at(BER, 10, 26, 0)) == 25 * H
    assert always.add(at(HK, 12, 25, 10), timedelta(days=3)) == at(HK, 12, 28, 10)
    assert always.next_opening(at(HK, 12, 25, 10)) == at(HK, 12, 25, 10)


# ------------------------------------------------------------------------------- performance


def test_ten_days_of_business_hours_is_fast() -> None:
    doc = HK_SPLIT.to_document()
    HK_SPLIT.add(at(HK, 3, 2, 9), 240 * H)  # warm the holiday tables of the year
    timings = []
    for _ in range(5):
        fresh = BusinessCalendar.from_document(doc)  # no cached days
        started = clock.perf_counter()
        due = fresh.add(at(HK, 3, 2, 9), 240 * H)
        timings.append(clock.perf_counter() - started)
    # 30 working days of 8h: 22 in March, 1-2 Apr, then (Good Friday, 6 and 7 Apr closed)
    # 8-10 and 13-15 Apr -> Wed 15 Apr 18:00.
    assert due == at(HK, 4, 15, 18)
    assert min(timings) < 0.005


def test_long_between_is_fast_and_right() -> None:
    started = clock.perf_counter()
    year = HK_SPLIT.between(at(HK, 1, 1, 0), datetime(2027, 1, 1, tzinfo=HK))
    assert clock.perf_counter() - started < 0.5
    weekdays = 261  # Mon-Fri in 2026
    holidays_on_weekdays = 14  # general holidays of 2026 falling Mon-Fri
    assert year == (weekdays - holidays_on_weekdays) * 8 * H


# ------------------------------------------------------------------------ documents, errors


def test_document_round_trip_is_normalised() -> None:
    doc = {
        "timezone": "Asia/Hong_Kong",
        "hours": {"tue": [["14:00", "18:00"], ["09:00", "13:00"]], "mon": [["09:00", "18:00"]], "sun": []},
        "holidays": {"country": "HK", "subdivision": None},
        "closed_days": ["2026-12-31", "2026-12-24", "2026-12-24"],
    }
    calendar = BusinessCalendar.from_document(doc, name="hk-office")
    assert calendar.to_document() == {
        "timezone": "Asia/Hong_Kong",
        "hours": {"mon": [["09:00", "18:00"]], "tue": [["09:00", "13:00"], ["14:00", "18:00"]]},
        "holidays": {"country": "HK", "subdivision": None},
        "closed_days": ["2026-12-24", "2026-12-31"],
    }
    assert BusinessCalendar.from_document(calendar.to_document(), name="hk-office") == calendar
    assert calendar.name == "hk-office"


def test_subdivision_holidays() -> None:
    calendar = BusinessCalendar.from_document(
        {
            "timezone": "America/New_York",
            "hours": {day: [["09:00", "17:00"]] for day in MON_FRI},
            "holidays": {"country": "US", "subdivision": "NY"},
        }
    )
    assert calendar.holidays is not None and calendar.holidays.subdivision == "NY"
    assert not calendar.is_open(at(NY, 12, 25, 10))


def _with(**changes: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {"timezone": "Asia/Hong_Kong", "hours": {"mon": [["09:00", "18:00"]]}}
    doc.update(changes)
    return doc


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        ("always", 'must be "24x7" or an object'),
        (["24x7"], 'must be "24x7" or an object'),
        (_with(timezone="Asia/Hongkong_Nowhere"), "timezone: unknown IANA time zone 'Asia/Hongkong_Nowhere'"),
        (_with(timezone="../etc/passwd"), "timezone: unknown IANA time zone"),
        (_with(timezone=8), "timezone: must be an IANA time zone name"),
        ({"hours": {"mon": [["09:00", "18:00"]]}}, "timezone: is required"),
        ({"timezone": "Asia/Hong_Kong"}, "hours: is required"),
        (_with(hours={"mon": [["9:00", "18:00"]]}), "hours.mon[0][0]: '9:00' is not an HH:MM time"),
        (_with(hours={"mon": [["09:00", "18:60"]]}), "hours.mon[0][1]: '18:60' is not an HH:MM time"),
        (_with(hours={"mon": [["09:00", "25:00"]]}), "hours.mon[0][1]: '25:00' is not an HH:MM time"),
        (_with(hours={"mon": [["24:00", "24:00"]]}), "hours.mon[0][0]: 24:00 is only allowed as the end"),
        (_with(hours={"mon": [["18:00", "09:00"]]}), "hours.mon[0]: end 09:00 must be after start 18:00"),
        (_with(hours={"mon": [["09:00", "09:00"]]}), "hours.mon[0]: end 09:00 must be after start 09:00"),
        (
            _with(hours={"mon": [["09:00", "13:00"], ["12:00", "18:00"]]}),
            "hours.mon: ranges 09:00-13:00 and 12:00-18:00 overlap",
        ),
        (_with(hours={"monday": [["09:00", "18:00"]]}), "hours.monday: unknown weekday"),
        (_with(hours={"mon": [["09:00"]]}), "hours.mon[0]: must be a"),
        (_with(hours={"mon": "09:00-18:00"}), "hours.mon: must be a list"),
        (_with(hours={}), "hours: at least one opening range is required"),
        (_with(hours={"sat": []}), "hours: at least one opening range is required"),
        (_with(holidays={"country": "XX", "subdivision": None}), "holidays.country: unknown holiday country 'XX'"),
        (_with(holidays={"country": "US", "subdivision": "ZZ"}), "holidays.subdivision: unknown subdivision 'ZZ'"),
        (_with(holidays={"country": "HK", "region": "x"}), "holidays.region: unknown key"),
        (_with(holidays="HK"), "holidays: must be null or"),
        (_with(closed_days=["2026-13-01"]), "closed_days[0]: '2026-13-01' is not a YYYY-MM-DD date"),
        (_with(closed_days=["20261224"]), "closed_days[0]: '20261224' is not a YYYY-MM-DD date"),
        (_with(closed_days="2026-12-24"), "closed_days: must be a list"),
        (_with(colour="blue"), "colour: unknown key"),
    ],
)
def test_invalid_calendar_documents_are_refused(doc: Any, message: str) -> None:
    with pytest.raises(CalendarError) as caught:
        BusinessCalendar.from_document(doc)
    assert message in str(caught.value)
    assert isinstance(caught.value, ValueError)
