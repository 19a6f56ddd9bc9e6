"""Business calendars: when an SLA clock is allowed to tick.

A calendar is either around the clock (``"24x7"``: business time is plain elapsed time) or an
IANA time zone with weekly opening hours, public holidays and extra closed days. Business time
is *real elapsed time* inside opening hours. An opening range such as ``09:00-18:00`` on a local
date is the set of real instants whose local wall time on that date falls in the range, so on a
daylight-saving change day a local hour that does not exist is not counted, and a local hour
that happens twice is counted twice (it really elapsed twice).

The maths works on UTC instants with microsecond ``timedelta`` arithmetic, so every figure is
exact and can be recomputed by hand. Each local date is turned into its UTC open intervals once
(cached per calendar), and closed dates cost one set lookup, so a target of weeks is cheap.

The calendar document (docs/reference.md, "SLA policies") is read here too, by
``BusinessCalendar.from_document``: the parser and the model share the grammar's limits (ranges
sorted and disjoint, known zones), so they live in one module.

Pure: standard library, ``zoneinfo`` and ``holidays`` only.
"""

from __future__ import annotations

import itertools
import re
from bisect import bisect_right
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Any, Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays as holidays_lib

__all__ = [
    "ALWAYS_OPEN",
    "WEEKDAYS",
    "BusinessCalendar",
    "CalendarError",
    "HolidaySource",
    "OpeningRange",
]

ALWAYS_OPEN: Final = "24x7"
WEEKDAYS: Final = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MINUTES_PER_DAY: Final = 24 * 60


# UTC offsets stay within -12h..+14h today; a margin of 16h around a local date is enough to
# hold every instant whose wall time lies on that date.
_MARGIN: Final = timedelta(hours=16)
# Offsets are sampled this far apart to find transitions; no zone changes its offset twice
# within 8 hours, so two equal neighbouring samples mean no transition between them.
_SAMPLE_STEP: Final = timedelta(hours=8)
# How far ahead of a start the engine looks for open time before declaring the calendar
# closed for good (only reachable with a pathological calendar).
_SEARCH_CHUNK: Final = timedelta(days=7)
_SEARCH_LIMIT: Final = timedelta(days=3660)
_DAY_CACHE_LIMIT: Final = 8192
# Open intervals are also kept merged per block of local dates, so a window inside one block is
# a binary search instead of a walk over its days. A block covers _BLOCK_DAYS dates from an
# aligned start plus _BLOCK_SPILL more, so any window of up to _BLOCK_SPILL dates fits in the
# block of its first date (a week's scan, with its one-day margins, is 9 dates).
_BLOCK_DAYS: Final = 28
_BLOCK_SPILL: Final = 16
_BLOCK_CACHE_LIMIT: Final = 512
_ONE_DAY: Final = timedelta(days=1)
_INNER_MARGIN: Final = timedelta(days=2)
"""Dates this far inside a span are wholly inside it: no zone's wall clock moves a day."""
_LAST_BLOCK: Final = (date.max.toordinal() - _BLOCK_SPILL) // _BLOCK_DAYS - 1  # blocks stay in date's range

Interval = tuple[datetime, datetime]

# The calendar document's grammar (docs/reference.md, "SLA policies").
_HHMM = re.compile(r"^([0-9]{2}):([0-9]{2})$")
_ISO_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
_CALENDAR_KEYS: Final = frozenset({"timezone", "hours", "holidays", "closed_days"})
_HOLIDAY_KEYS: Final = frozenset({"country", "subdivision"})


class CalendarError(ValueError):
    """A calendar document (or calendar use) that cannot be honoured.

    ``path`` names the offending part of the document (``hours.mon[1]``) so that an API can
    point the user at it; ``str()`` gives ``"path: reason"``.
    """

    def __init__(self, path: str, reason: str) -> None:
        self.path = path
        self.reason = reason
        super().__init__(f"{path}: {reason}" if path else reason)


@dataclass(frozen=True, order=True)
class OpeningRange:
    """One opening range of a weekday, in minutes after local midnight; ``end`` may be 1440."""

    start: int
    end: int

    def __post_init__(self) -> None:
        if not 0 <= self.start < self.end <= MINUTES_PER_DAY:
            raise CalendarError("", f"invalid opening range {self.start}..{self.end} minutes")

    def to_document(self) -> list[str]:
        return [_format_hhmm(self.start), _format_hhmm(self.end)]


@dataclass(frozen=True)
class HolidaySource:
    """Which public holidays close the calendar, as the ``holidays`` package names them."""

    country: str
    subdivision: str | None = None

    def dates(self, year: int) -> frozenset[date]:
        return _public_holidays(self.country, self.subdivision, year)

    def to_document(self) -> dict[str, str | None]:
        return {"country": self.country, "subdivision": self.subdivision}


# Which `holidays` categories close an office. Hong Kong offices close on the *general*
# holidays (Good Friday, the day following Easter Monday, ...), which the package files under
# "optional" beside the statutory "public" ones; elsewhere the default category is right.
_OFFICE_CATEGORIES: Final[Mapping[str, tuple[str, ...]]] = {"HK": ("public", "optional")}


@lru_cache(maxsize=1024)
def _public_holidays(country: str, subdivision: str | None, year: int) -> frozenset[date]:
    """Holiday dates of one year, cached: the `holidays` package builds them anew on every call."""
    categories = _OFFICE_CATEGORIES.get(country)
    found = holidays_lib.country_holidays(country, subdiv=subdivision, years=year, categories=categories)
    return frozenset(found.keys())


@dataclass(frozen=True)
class BusinessCalendar:
    """A time zone with weekly opening hours, holidays and closed days, or 24x7.

    Build one with :meth:`from_document` (validating) or :meth:`always_open`. ``hours`` holds
    seven tuples of sorted, non-overlapping ranges, indexed by ``date.weekday()``.
    """

    name: str = ALWAYS_OPEN
    timezone: str | None = None
    hours: tuple[tuple[OpeningRange, ...], ...] = ()
    holidays: HolidaySource | None = None
    closed_days: frozenset[date] = frozenset()
    _zone: ZoneInfo | None = field(default=None, init=False, repr=False, compare=False)
    _days: dict[date, tuple[Interval, ...]] = field(
        default_factory=dict, init=False, repr=False, compare=False, hash=False
    )
    _blocks: dict[int, tuple[list[datetime], list[datetime]]] = field(
        default_factory=dict, init=False, repr=False, compare=False, hash=False
    )
    _sums: dict[int, list[timedelta]] = field(default_factory=dict, init=False, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        if self.timezone is None:
            if self.hours or self.holidays or self.closed_days:
                raise CalendarError("", "a 24x7 calendar has no hours, holidays or closed days")
            return
        object.__setattr__(self, "_zone", _load_zone(self.timezone))
        if len(self.hours) != len(WEEKDAYS):
            raise CalendarError("hours", "must give the ranges of all seven weekdays")
        for weekday, ranges in zip(WEEKDAYS, self.hours, strict=True):
            _check_ranges(f"hours.{weekday}", ranges)
        if not any(self.hours):
            raise CalendarError("hours", "at least one opening range is required")

    # ----------------------------------------------------------------------------- building

    @classmethod
    def always_open(cls, name: str = ALWAYS_OPEN) -> BusinessCalendar:
        """The 24x7 calendar: business time is elapsed time."""
        return cls(name=name)

    @classmethod
    def from_document(cls, doc: object, name: str = "calendar") -> BusinessCalendar:
        """Parse and validate the docs/reference.md calendar document; raise :class:`CalendarError`.

        Validation names the path of the offending value (``hours.mon[1]: end 09:00 must be
        after start 18:00``), so an admin editing a policy over the API knows what to fix.
        """
        if doc == ALWAYS_OPEN:
            return cls.always_open(name)
        if not isinstance(doc, Mapping):
            raise CalendarError("", f'must be "{ALWAYS_OPEN}" or an object with timezone and hours')
        _reject_unknown_keys("", doc, _CALENDAR_KEYS)
        if "timezone" not in doc:
            raise CalendarError("timezone", "is required")
        if "hours" not in doc:
            raise CalendarError("hours", "is required")
        timezone = _parse_timezone(doc["timezone"])
        return cls(
            name=name,
            timezone=timezone,
            hours=_parse_hours(doc["hours"]),
            holidays=_parse_holidays(doc.get("holidays")),
            closed_days=_parse_closed_days(doc.get("closed_days", [])),
        )

    def to_document(self) -> str | dict[str, Any]:
        """The normalised document: weekdays in order, ranges sorted, closed days sorted."""
        if self.is_24x7:
            return ALWAYS_OPEN
        return {
            "timezone": self.timezone,
            "hours": {
                weekday: [r.to_document() for r in ranges]
                for weekday, ranges in zip(WEEKDAYS, self.hours, strict=True)
                if ranges
            },
            "holidays": self.holidays.to_document() if self.holidays else None,
            "closed_days": [d.isoformat() for d in sorted(self.closed_days)],
        }

    @property
    def is_24x7(self) -> bool:
        return self.timezone is None

    # ---------------------------------------------------------------------------- the maths

    def add(self, start: datetime, duration: timedelta) -> datetime:
        """The earliest instant (UTC) by which ``duration`` of business time has elapsed.

        Being the *earliest* such instant gives the documented edges directly: a start in
        closed time counts from the next opening; a due time landing exactly on a closing time
        is that closing time; and ``add(t, 0) == t`` even when ``t`` is closed, because no
        business time has to elapse (this keeps ``add(add(t, a), b) == add(t, a + b)`` and
        ``between(t, add(t, d)) == d`` true for every ``d >= 0``).
        """
        begin = _as_utc(start, "start")
        if duration < timedelta(0):
            raise ValueError("duration must not be negative")
        if self.is_24x7 or not duration:
            return begin + duration
        remaining = duration
        for opens, closes in self._open_from(begin):
            available = closes - opens
            if remaining <= available:
                return opens + remaining
            remaining -= available
        raise AssertionError("unreachable: _open_from never ends without raising")

    def between(self, a: datetime, b: datetime) -> timedelta:
        """Business time elapsed from ``a`` to ``b``; zero when ``b`` is not after ``a``."""
        begin, end = _as_utc(a, "a"), _as_utc(b, "b")
        if end <= begin:
            return timedelta(0)
        if self.is_24x7:
            return end - begin
        zone = self._require_zone()
        first, last = begin.astimezone(zone).date(), end.astimezone(zone).date()
        inner_first, inner_last = first + _INNER_MARGIN, last - _INNER_MARGIN
        if (inner_last - inner_first).days < _BLOCK_DAYS or not self._in_blocks(first - _ONE_DAY, last + _ONE_DAY):
            return sum((c - o for o, c in self._open_within(begin, end)), timedelta(0))
        # A long span: the dates well inside it lie wholly inside it (a local date's instants stay
        # within a day of its wall clock), so they are added whole from per-block sums; only
        # the few dates at either end are clipped. Each date's open instants are its own, so
        # the pieces are disjoint and their sum is the merged intervals' (tests/property).
        edges = self._clipped_total(first - _ONE_DAY, inner_first - _ONE_DAY, begin, end)
        edges += self._clipped_total(inner_last + _ONE_DAY, last + _ONE_DAY, begin, end)
        return edges + self._dates_total(inner_first, inner_last)

    def is_open(self, at: datetime) -> bool:
        """Whether ``at`` lies inside opening hours (a closing instant itself is closed)."""
        instant = _as_utc(at, "at")
        if self.is_24x7:
            return True
        probe = self._open_within(instant, instant + timedelta(microseconds=1))
        return bool(probe)

    def next_opening(self, at: datetime) -> datetime:
        """``at`` itself when open, else the instant the calendar next opens (UTC)."""
        instant = _as_utc(at, "at")
        if self.is_24x7:
            return instant
        opens, _ = next(self._open_from(instant))
        return opens

    def open_intervals(self, a: datetime, b: datetime) -> list[Interval]:
        """The UTC open intervals within ``[a, b)``, sorted and merged (for reports, tests)."""
        begin, end = _as_utc(a, "a"), _as_utc(b, "b")
        if end <= begin:
            return []
        if self.is_24x7:
            return [(begin, end)]
        return self._open_within(begin, end)

    # ------------------------------------------------------------------------ the machinery

    def _open_from(self, begin: datetime) -> Iterator[Interval]:
        """Open intervals from ``begin`` on, in order, scanned a week at a time."""
        low = begin
        while low - begin < _SEARCH_LIMIT:
            high = low + _SEARCH_CHUNK
            yield from self._open_within(low, high)
            low = high
        raise CalendarError("hours", f"calendar {self.name!r} never opens after {begin}")

    def _open_within(self, low: datetime, high: datetime) -> list[Interval]:
        """Open intervals clipped to ``[low, high)``, sorted and merged.

        Each local date's intervals are the instants whose wall time is on that date, so the
        dates to look at are those of ``low`` and ``high`` widened by one for DST folds.
        """
        zone = self._require_zone()
        first = low.astimezone(zone).date() - _ONE_DAY
        last = high.astimezone(zone).date() + _ONE_DAY
        block = first.toordinal() // _BLOCK_DAYS
        if 0 < block < _LAST_BLOCK and last.toordinal() < (block + 1) * _BLOCK_DAYS + _BLOCK_SPILL:
            return self._clip_block(block, low, high)
        return self._walk_within(low, high, first, last)

    def _walk_within(self, low: datetime, high: datetime, first: date, last: date) -> list[Interval]:
        """``_open_within`` day by day over the local dates ``first..last`` (long windows)."""
        clipped: list[Interval] = []
        day = first
        while day <= last:
            for opens, closes in self._day_intervals(day):
                lo, hi = max(opens, low), min(closes, high)
                if lo < hi:
                    clipped.append((lo, hi))
            day += timedelta(days=1)
        return _merge(clipped)

    def _clip_block(self, block: int, low: datetime, high: datetime) -> list[Interval]:
        """``_open_within(low, high)`` from the block's merged intervals (the same list).

        The block's dates include every date ``_walk_within`` would visit; its other dates'
        intervals lie outside ``[low, high)`` (their instants have other local dates), so they
        add nothing, and clipping merged intervals equals merging clipped ones. Adding an SLA
        target walked nine days of intervals per week scanned and was most of a catch-up's
        SLA clock time; this is a bisection and the few intervals in the window."""
        cached = self._blocks.get(block)
        if cached is None:
            if len(self._blocks) >= _BLOCK_CACHE_LIMIT:
                self._blocks.clear()
            day = date.fromordinal(block * _BLOCK_DAYS)
            found: list[Interval] = []
            for _ in range(_BLOCK_DAYS + _BLOCK_SPILL):
                found.extend(self._day_intervals(day))
                day += _ONE_DAY
            merged = _merge(found)
            cached = self._blocks[block] = ([o for o, _ in merged], [c for _, c in merged])
        opens, closes = cached
        clipped: list[Interval] = []
        if high <= low:
            return clipped
        i = bisect_right(closes, low)  # the first interval that closes after `low`
        while i < len(opens) and opens[i] < high:
            clipped.append((max(opens[i], low), min(closes[i], high)))
            i += 1
        return clipped

    def _in_blocks(self, first: date, last: date) -> bool:
        """Whether the dates lie in blocks whose dates all exist (away from date's limits)."""
        return first.toordinal() // _BLOCK_DAYS > 0 and last.toordinal() // _BLOCK_DAYS < _LAST_BLOCK

    def _clipped_total(self, first: date, last: date, low: datetime, high: datetime) -> timedelta:
        """Open time of the local dates ``first..last`` that lies in ``[low, high)``."""
        total, day = timedelta(0), first
        while day <= last:
            for opens, closes in self._day_intervals(day):
                lo, hi = max(opens, low), min(closes, high)
                if lo < hi:
                    total += hi - lo
            day += _ONE_DAY
        return total

    def _dates_total(self, first: date, last: date) -> timedelta:
        """Open time of the local dates ``first..last``, each whole, from per-block prefix sums."""
        total, ordinal, end = timedelta(0), first.toordinal(), last.toordinal()
        while ordinal <= end:
            block = ordinal // _BLOCK_DAYS
            base = block * _BLOCK_DAYS
            sums = self._sums.get(block)
            if sums is None:
                if len(self._sums) >= _BLOCK_CACHE_LIMIT:
                    self._sums.clear()
                sums = [timedelta(0)]
                for offset in range(_BLOCK_DAYS):
                    intervals = self._day_intervals(date.fromordinal(base + offset))
                    sums.append(sums[-1] + sum((c - o for o, c in intervals), timedelta(0)))
                self._sums[block] = sums
            upto = min(end, base + _BLOCK_DAYS - 1)
            total += sums[upto - base + 1] - sums[ordinal - base]
            ordinal = upto + 1
        return total

    def _day_intervals(self, day: date) -> tuple[Interval, ...]:
        """The UTC intervals whose local wall time lies in ``day``'s opening ranges (cached)."""
        cached = self._days.get(day)
        if cached is not None:
            return cached
        ranges = () if self._is_closed_day(day) else self.hours[day.weekday()]
        computed = tuple(_merge(self._wall_ranges_to_utc(day, ranges))) if ranges else ()
        if len(self._days) >= _DAY_CACHE_LIMIT:
            self._days.clear()
        self._days[day] = computed
        return computed

    def _is_closed_day(self, day: date) -> bool:
        if day in self.closed_days:
            return True
        return self.holidays is not None and day in self.holidays.dates(day.year)

    def _wall_ranges_to_utc(self, day: date, ranges: tuple[OpeningRange, ...]) -> list[Interval]:
        """Preimage of the wall-time ranges under ``instant -> local wall time``.

        Wall time is linear in the instant between offset transitions, so within each piece of
        constant offset the preimage of ``[ws, we)`` is ``[ws - offset, we - offset)``.
        Wall times are handled as UTC-labelled datetimes to keep the arithmetic exact.
        """
        midnight = datetime.combine(day, time(), tzinfo=UTC)
        found: list[Interval] = []
        for piece_start, piece_end, offset in self._offset_pieces(midnight):
            for r in ranges:
                lo = max(midnight + timedelta(minutes=r.start) - offset, piece_start)
                hi = min(midnight + timedelta(minutes=r.end) - offset, piece_end)
                if lo < hi:
                    found.append((lo, hi))
        return found

    def _offset_pieces(self, midnight: datetime) -> list[tuple[datetime, datetime, timedelta]]:
        """Split the instants around a local date into pieces of constant UTC offset."""
        low, high = midnight - _MARGIN, midnight + timedelta(days=1) + _MARGIN
        samples = [low]
        while samples[-1] < high:
            samples.append(min(samples[-1] + _SAMPLE_STEP, high))
        offsets = [self._offset_at(s) for s in samples]
        pieces: list[tuple[datetime, datetime, timedelta]] = []
        piece_start = low
        for i in range(1, len(samples)):
            if offsets[i] != offsets[i - 1]:
                change = self._transition(samples[i - 1], samples[i], offsets[i - 1])
                pieces.append((piece_start, change, offsets[i - 1]))
                piece_start = change
        pieces.append((piece_start, high, offsets[-1]))
        return pieces

    def _transition(self, before: datetime, after: datetime, old: timedelta) -> datetime:
        """The first whole second in ``(before, after]`` whose offset is not ``old``."""
        lo, hi = 0, int((after - before).total_seconds())
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if self._offset_at(before + timedelta(seconds=mid)) == old:
                lo = mid
            else:
                hi = mid
        return before + timedelta(seconds=hi)

    def _offset_at(self, instant: datetime) -> timedelta:
        offset = instant.astimezone(self._require_zone()).utcoffset()
        assert offset is not None  # an aware datetime in a ZoneInfo always has one
        return offset

    def _require_zone(self) -> ZoneInfo:
        if self._zone is None:
            raise AssertionError("a 24x7 calendar has no time zone")
        return self._zone


# ------------------------------------------------------------------------------- helpers


def _as_utc(value: datetime, what: str) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{what} must be a timezone-aware datetime")
    return value.astimezone(UTC)


def _merge(intervals: list[Interval]) -> list[Interval]:
    """Sort and join touching or overlapping intervals."""
    merged: list[Interval] = []
    for opens, closes in sorted(intervals):
        if merged and opens <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], closes))
        else:
            merged.append((opens, closes))
    return merged


def _format_hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _load_zone(key: str) -> ZoneInfo:
    try:
        return ZoneInfo(key)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise CalendarError("timezone", f"unknown IANA time zone {key!r}") from None


def _check_ranges(path: str, ranges: tuple[OpeningRange, ...] | list[OpeningRange]) -> None:
    for earlier, later in itertools.pairwise(ranges):
        if later.start < earlier.end:
            raise CalendarError(
                path,
                f"ranges {'-'.join(earlier.to_document())} and "
                f"{'-'.join(later.to_document())} overlap (or are not sorted)",
            )


# ------------------------------------------------------------------- reading a document


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
