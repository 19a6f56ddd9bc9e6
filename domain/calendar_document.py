"""Reading a calendar document (api.md "SLA policy document") into a BusinessCalendar.

Validation names the path of the offending value (`hours.mon[1]: end 09:00 must be after start
18:00`), so an admin editing a policy over the API knows exactly what to fix.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from typing import Any, Final

import holidays as holidays_lib

from domain.calendar import (
    ALWAYS_OPEN,
    MINUTES_PER_DAY,
    WEEKDAYS,
    BusinessCalendar,
    CalendarError,
    HolidaySource,
    OpeningRange,
    _check_ranges,
    _load_zone,
)

_HHMM = re.compile(r"^([0-9]{2}):([0-9]{2})$")
_ISO_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
_CALENDAR_KEYS: Final = frozenset({"timezone", "hours", "holidays", "closed_days"})
_HOLIDAY_KEYS: Final = frozenset({"country", "subdivision"})


def parse_calendar(doc: object, name: str) -> BusinessCalendar:
    if doc == ALWAYS_OPEN:
        return BusinessCalendar.always_open(name)
    if not isinstance(doc, Mapping):
        raise CalendarError("", f'must be "{ALWAYS_OPEN}" or an object with timezone and hours')
    _reject_unknown_keys("", doc, _CALENDAR_KEYS)
    if "timezone" not in doc:
        raise CalendarError("timezone", "is required")
    if "hours" not in doc:
        raise CalendarError("hours", "is required")
    timezone = _parse_timezone(doc["timezone"])
    return BusinessCalendar(
        name=name,
        timezone=timezone,
        hours=_parse_hours(doc["hours"]),
        holidays=_parse_holidays(doc.get("holidays")),
        closed_days=_parse_closed_days(doc.get("closed_days", [])),
    )


def _reject_unknown_keys(path: str, doc: Mapping[Any, Any], allowed: frozenset[str]) -> None:
    for key in doc:
        if key not in allowed:
            where = f"{path}.{key}" if path else str(key)
            raise CalendarError(where, f"unknown key (allowed: {', '.join(sorted(allowed))})")


def _parse_timezone(value: object) -> str:
    if not isinstance(value, str) or not value:
        raise CalendarError("timezone", "must be an IANA time zone name such as Asia/Hong_Kong")
    _load_zone(value)
    return value


def _parse_hours(value: object) -> tuple[tuple[OpeningRange, ...], ...]:
    if not isinstance(value, Mapping):
        raise CalendarError("hours", "must be an object of weekday -> [[start, end], ...]")
    for key in value:
        if key not in WEEKDAYS:
            raise CalendarError(f"hours.{key}", f"unknown weekday (use {', '.join(WEEKDAYS)})")
    hours = tuple(_parse_day(f"hours.{wd}", value.get(wd, [])) for wd in WEEKDAYS)
    if not any(hours):
        raise CalendarError("hours", "at least one opening range is required")
    return hours


def _parse_day(path: str, value: object) -> tuple[OpeningRange, ...]:
    if not isinstance(value, list):
        raise CalendarError(path, "must be a list of [start, end] pairs")
    ranges = [_parse_range(f"{path}[{i}]", item) for i, item in enumerate(value)]
    ranges.sort()
    _check_ranges(path, ranges)
    return tuple(ranges)


def _parse_range(path: str, value: object) -> OpeningRange:
    if not isinstance(value, list) or len(value) != 2:
        raise CalendarError(path, 'must be a ["HH:MM", "HH:MM"] pair')
    start = _parse_hhmm(f"{path}[0]", value[0], is_end=False)
    end = _parse_hhmm(f"{path}[1]", value[1], is_end=True)
    if end <= start:
        raise CalendarError(path, f"end {value[1]} must be after start {value[0]}")
    return OpeningRange(start, end)


def _parse_hhmm(path: str, value: object, *, is_end: bool) -> int:
    match = _HHMM.match(value) if isinstance(value, str) else None
    if match is None:
        raise CalendarError(path, f"{value!r} is not an HH:MM time")
    hour, minute = int(match[1]), int(match[2])
    if (hour, minute) == (24, 0):
        if not is_end:
            raise CalendarError(path, "24:00 is only allowed as the end of a range")
        return MINUTES_PER_DAY
    if hour > 23 or minute > 59:
        raise CalendarError(path, f"{value!r} is not an HH:MM time")
    return hour * 60 + minute


def _parse_holidays(value: object) -> HolidaySource | None:
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise CalendarError("holidays", 'must be null or {"country": "HK", "subdivision": null}')
    _reject_unknown_keys("holidays", value, _HOLIDAY_KEYS)
    country, subdivision = value.get("country"), value.get("subdivision")
    if not isinstance(country, str) or not country:
        raise CalendarError("holidays.country", "must be a country code such as HK")
    if subdivision is not None and not isinstance(subdivision, str):
        raise CalendarError("holidays.subdivision", "must be a string or null")
    try:
        holidays_lib.country_holidays(country)
    except NotImplementedError:
        raise CalendarError("holidays.country", f"unknown holiday country {country!r}") from None
    try:
        holidays_lib.country_holidays(country, subdiv=subdivision)
    except NotImplementedError:
        raise CalendarError("holidays.subdivision", f"unknown subdivision {subdivision!r} of {country}") from None
    return HolidaySource(country, subdivision)


def _parse_closed_days(value: object) -> frozenset[date]:
    if not isinstance(value, list):
        raise CalendarError("closed_days", "must be a list of YYYY-MM-DD dates")
    days: set[date] = set()
    for i, item in enumerate(value):
        days.add(_parse_iso_date(f"closed_days[{i}]", item))
    return frozenset(days)


def _parse_iso_date(path: str, value: object) -> date:
    if isinstance(value, str) and _ISO_DATE.match(value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise CalendarError(path, f"{value!r} is not a YYYY-MM-DD date")
