"""Change-freeze windows: month-end close on the company calendar, plus ad-hoc windows.

Vendors slip when many customers ask at once, above all during month-end close, so vendor
changes are planned outside these windows. The rules, exactly:

* **Day boundaries** are local midnights in the document's ``timezone``; the business calendar
  (a :class:`~domain.calendar.BusinessCalendar` document) only decides *which dates* are working
  days: a date is a working day when its weekday has opening hours and it is neither a public
  holiday of the calendar nor one of its closed days (a ``"24x7"`` calendar: every date works).
* **Month-end close of month M** runs from local midnight at the start of the first of M's last
  ``last_working_days`` working days to local midnight at the end of the last of M+1's first
  ``first_working_days`` working days. It is one interval: the weekend or holiday between the
  last day of M and the first working day of M+1 is frozen too. It is named
  ``month-end close YYYY-MM`` after M.
* **Ad-hoc windows** are given as RFC 3339 instants with an offset.
* Every window is half-open, ``[from, to)``: its first instant is inside, its end is not, so
  two windows that touch never overlap and the first minute after a window is free.
* **Sites.** An ad-hoc window may name ``sites`` (an issue's ``site`` values, matched ignoring
  case): it freezes only changes on issues reported at one of them (a stocktake in Jakarta does
  not stop a change in Colombo). A window without ``sites``, and the month-end close, freeze
  every site. An issue with no site is frozen only by windows for every site.

Pure: standard library, ``zoneinfo`` and the calendar module only.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import Enum
from typing import Any, Final, Literal
from uuid import UUID
from zoneinfo import ZoneInfo

from eventsourcing.domain import event

from domain.actor import Actor
from domain.base import KaizenAggregate
from domain.calendar import BusinessCalendar, CalendarError
from domain.errors import InvalidCommand
from domain.keys import named_id

MAX_WORKING_DAYS: Final = 10
MAX_WINDOWS: Final = 500
MAX_NAME: Final = 200
# Far enough for any plan, near enough that month arithmetic never leaves datetime's range.
EARLIEST: Final = datetime(1970, 1, 1, tzinfo=UTC)
LATEST: Final = datetime(2200, 1, 1, tzinfo=UTC)
MONTH_END: Final = "month_end"
AD_HOC: Final = "ad_hoc"
_TOP_KEYS: Final = frozenset({"timezone", "month_end", "windows"})
_MONTH_END_KEYS: Final = frozenset({"last_working_days", "first_working_days", "calendar"})
_WINDOW_KEYS: Final = frozenset({"name", "from", "to", "sites"})
MAX_SITES: Final = 50
MAX_SITE: Final = 64  # an issue's site is an identifier of at most 64 characters
# Without a calendar, Monday to Friday are working days and nothing else closes.
_WEEKDAYS_ONLY: Final = {d: [["00:00", "24:00"]] for d in ("mon", "tue", "wed", "thu", "fri")}


class AnySite(Enum):
    """Whichever site: the windows of every site, for a question not about one issue."""

    ANY = "any"


ANY_SITE: Final = AnySite.ANY
SiteQuery = str | None | Literal[AnySite.ANY]
"""Which windows count: ``ANY_SITE`` every one; a site those for it and for every site; ``None``
(an issue reported without a site) only those for every site."""


def _invalid(path: str, reason: str) -> InvalidCommand:
    return InvalidCommand(f"{path}: {reason}", path)


def in_range(when: datetime, field: str) -> datetime:
    """`when` in UTC, if it carries an offset and lies between 1970 and 2199; else InvalidCommand."""
    if when.tzinfo is None or when.utcoffset() is None:
        raise InvalidCommand(f"{field} must carry a UTC offset", field)
    if not EARLIEST.year - 1 <= when.year <= LATEST.year:  # before converting: year 1 - offset overflows
        raise InvalidCommand(f"{field} must lie between 1970 and 2199", field)
    instant = when.astimezone(UTC)
    if not EARLIEST <= instant < LATEST:
        raise InvalidCommand(f"{field} must lie between 1970 and 2199", field)
    return instant


def rfc3339(value: datetime) -> str:
    """UTC with a `Z`, the form stored documents and answers use."""
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


@dataclass(frozen=True)
class FreezeWindow:
    """One concrete window, `[start, end)` in UTC."""

    name: str
    start: datetime
    end: datetime
    kind: str = AD_HOC
    sites: tuple[str, ...] = ()  # empty: every site

    def covers(self, when: datetime) -> bool:
        return self.start <= when < self.end

    def overlaps(self, a: datetime, b: datetime) -> bool:
        return self.start < b and a < self.end

    def applies_to(self, site: SiteQuery) -> bool:
        """Whether the window freezes changes at ``site`` (see :data:`SiteQuery`)."""
        if not self.sites or site is ANY_SITE:
            return True
        return site is not None and site.casefold() in {s.casefold() for s in self.sites}

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": self.kind,
            "from": rfc3339(self.start),
            "to": rfc3339(self.end),
            "sites": list(self.sites),
        }

    def to_document(self) -> dict[str, Any]:
        """As stored: ``sites`` only when the window has some, so older documents stay as they were."""
        doc: dict[str, Any] = {"name": self.name, "from": rfc3339(self.start), "to": rfc3339(self.end)}
        if self.sites:
            doc["sites"] = list(self.sites)
        return doc


@dataclass(frozen=True)
class MonthEndRule:
    """Which working days of a month belong to its close: the last N and the next month's first K."""

    last_working_days: int
    first_working_days: int
    calendar: BusinessCalendar

    def is_working_day(self, day: date) -> bool:
        cal = self.calendar
        if cal.is_24x7:
            return True
        if not cal.hours[day.weekday()] or day in cal.closed_days:
            return False
        return not (cal.holidays is not None and day in cal.holidays.dates(day.year))

    def working_days(self, year: int, month: int) -> list[date]:
        day = date(year, month, 1)
        found: list[date] = []
        while day.month == month:
            if self.is_working_day(day):
                found.append(day)
            day += timedelta(days=1)
        return found

    def closing_days(self, year: int, month: int) -> list[date]:
        """The last `last_working_days` working days of the month (fewer if it has fewer)."""
        days = self.working_days(year, month)
        return days[len(days) - min(self.last_working_days, len(days)) :]

    def opening_days(self, year: int, month: int) -> list[date]:
        """The first `first_working_days` working days of the month."""
        return self.working_days(year, month)[: self.first_working_days]

    def to_document(self) -> dict[str, Any]:
        return {
            "last_working_days": self.last_working_days,
            "first_working_days": self.first_working_days,
            "calendar": self.calendar.to_document(),
        }


def _next_month(year: int, month: int) -> tuple[int, int]:
    return (year + 1, 1) if month == 12 else (year, month + 1)


def _previous_month(year: int, month: int) -> tuple[int, int]:
    return (year - 1, 12) if month == 1 else (year, month - 1)


@dataclass(frozen=True)
class FreezeSchedule:
    """The company's freeze document, parsed: answers "which window covers this instant?"."""

    timezone: str
    month_end: MonthEndRule | None
    windows: tuple[FreezeWindow, ...] = ()

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    # -- document ---------------------------------------------------------------------------
    @classmethod
    def empty(cls) -> FreezeSchedule:
        """What is in force before anyone publishes a document: nothing is frozen."""
        return cls(timezone="UTC", month_end=None, windows=())

    @classmethod
    def from_document(cls, doc: object) -> FreezeSchedule:
        """Parse and validate; raise InvalidCommand naming the offending part (`windows[1].to`)."""
        if not isinstance(doc, Mapping):
            raise _invalid("document", "must be an object with timezone, month_end and windows")
        _reject_unknown("", doc, _TOP_KEYS)
        timezone = _parse_timezone(doc.get("timezone"))
        month_end = _parse_month_end(doc.get("month_end"), timezone)
        windows = _parse_windows(doc.get("windows", []))
        return cls(timezone=timezone, month_end=month_end, windows=windows)

    def to_document(self) -> dict[str, Any]:
        """The normalised document (instants in UTC, windows by start), as stored in events."""
        return {
            "timezone": self.timezone,
            "month_end": self.month_end.to_document() if self.month_end else None,
            "windows": [w.to_document() for w in self.windows],
        }

    # -- the rule -----------------------------------------------------------------------------
    def _midnight(self, day: date) -> datetime:
        return datetime.combine(day, time(0), tzinfo=self.zone).astimezone(UTC)

    def month_end_window(self, year: int, month: int) -> FreezeWindow | None:
        """The close of month (year, month), spanning into the next month; None without a rule."""
        rule = self.month_end
        if rule is None:
            return None
        closing = rule.closing_days(year, month)
        opening = rule.opening_days(*_next_month(year, month))
        days = closing + opening
        if not days:
            return None
        return FreezeWindow(
            name=f"month-end close {year:04d}-{month:02d}",
            start=self._midnight(days[0]),
            end=self._midnight(days[-1] + timedelta(days=1)),
            kind=MONTH_END,
        )

    def window_at(
        self, when: datetime, field: str = "scheduled_for", site: SiteQuery = ANY_SITE
    ) -> FreezeWindow | None:
        """The window covering `when` at `site` (ad-hoc windows first, being the more specific,
        and of those a site's own before one for every site), or None.

        A month-end window spans only its own month and the next, so for an instant in local
        month M only the closes of M-1 and M can cover it.
        """
        instant = in_range(when, field)
        covering = [w for w in self.windows if w.covers(instant) and w.applies_to(site)]
        if covering:
            return min(covering, key=lambda w: not w.sites)  # the first site window, else the first
        local = instant.astimezone(self.zone)
        for year, month in (_previous_month(local.year, local.month), (local.year, local.month)):
            found = self.month_end_window(year, month)
            if found is not None and found.covers(instant):
                return found
        return None

    def windows_between(self, a: datetime, b: datetime, site: SiteQuery = ANY_SITE) -> list[FreezeWindow]:
        """Every window overlapping `[a, b)` at `site`, by start (for planning screens and tests)."""
        low, high = in_range(a, "from"), in_range(b, "to")
        found = [w for w in self.windows if w.overlaps(low, high) and w.applies_to(site)]
        if self.month_end is not None and low < high:
            local_low, local_high = low.astimezone(self.zone), high.astimezone(self.zone)
            year, month = _previous_month(local_low.year, local_low.month)
            while (year, month) <= (local_high.year, local_high.month):
                window = self.month_end_window(year, month)
                if window is not None and window.overlaps(low, high):
                    found.append(window)
                year, month = _next_month(year, month)
        return sorted(found, key=lambda w: (w.start, w.end, w.name))


# ------------------------------------------------------------------------------- parsing


def _reject_unknown(path: str, doc: Mapping[Any, Any], allowed: frozenset[str]) -> None:
    for key in doc:
        if key not in allowed:
            where = f"{path}.{key}" if path else str(key)
            raise _invalid(where, f"unknown key (allowed: {', '.join(sorted(allowed))})")


def _parse_timezone(value: object) -> str:
    if not isinstance(value, str) or not value:
        raise _invalid("timezone", "is required: an IANA time zone such as Asia/Hong_Kong")
    try:
        ZoneInfo(value)
    except Exception:
        raise _invalid("timezone", f"unknown IANA time zone {value!r}") from None
    return value


def _parse_count(path: str, value: object) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= MAX_WORKING_DAYS:
        raise _invalid(path, f"must be an integer from 0 to {MAX_WORKING_DAYS}")
    return value


def _parse_month_end(value: object, timezone: str) -> MonthEndRule | None:
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise _invalid("month_end", "must be null or an object with last_working_days and first_working_days")
    _reject_unknown("month_end", value, _MONTH_END_KEYS)
    last = _parse_count("month_end.last_working_days", value.get("last_working_days", 3))
    first = _parse_count("month_end.first_working_days", value.get("first_working_days", 2))
    if last + first == 0:
        raise _invalid("month_end", "needs at least one working day (or set month_end to null)")
    raw_calendar = value.get("calendar")
    if raw_calendar is None:
        raw_calendar = {"timezone": timezone, "hours": _WEEKDAYS_ONLY}
    try:
        calendar = BusinessCalendar.from_document(raw_calendar, name="month-end")
    except CalendarError as exc:
        where = f"month_end.calendar.{exc.path}" if exc.path else "month_end.calendar"
        raise _invalid(where, exc.reason) from None
    return MonthEndRule(last, first, calendar)


def _parse_instant(path: str, value: object) -> datetime:
    if not isinstance(value, str):
        raise _invalid(path, "must be an RFC 3339 time with an offset")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise _invalid(path, f"{value!r} is not an RFC 3339 time") from None
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        raise _invalid(path, "must carry a UTC offset (Z or +08:00): a bare local time is ambiguous")
    return in_range(parsed, path)


def _parse_windows(value: object) -> tuple[FreezeWindow, ...]:
    if not isinstance(value, list):
        raise _invalid("windows", "must be a list of {name, from, to, sites?}")
    if len(value) > MAX_WINDOWS:
        raise _invalid("windows", f"at most {MAX_WINDOWS} windows")
    windows: list[FreezeWindow] = []
    names: set[str] = set()
    for i, item in enumerate(value):
        path = f"windows[{i}]"
        if not isinstance(item, Mapping):
            raise _invalid(path, "must be an object with name, from and to")
        _reject_unknown(path, item, _WINDOW_KEYS)
        name = item.get("name")
        if not isinstance(name, str) or not name.strip() or len(name) > MAX_NAME:
            raise _invalid(f"{path}.name", f"must be a non-empty text of at most {MAX_NAME} characters")
        if name in names:
            raise _invalid(f"{path}.name", f"{name!r} is used twice; window names must be unique")
        names.add(name)
        start, end = _parse_instant(f"{path}.from", item.get("from")), _parse_instant(f"{path}.to", item.get("to"))
        if end <= start:
            raise _invalid(f"{path}.to", "must be after from")
        sites = _parse_sites(f"{path}.sites", item.get("sites", []))
        windows.append(FreezeWindow(name=name, start=start, end=end, kind=AD_HOC, sites=sites))
    return tuple(sorted(windows, key=lambda w: (w.start, w.end, w.name)))


def _parse_sites(path: str, value: object) -> tuple[str, ...]:
    """A window's sites: identifiers as an issue's ``site``, no two equal ignoring case."""
    if value is None:
        return ()
    if not isinstance(value, list) or len(value) > MAX_SITES:
        raise _invalid(path, f"must be a list of at most {MAX_SITES} sites (an issue's site, such as JKT)")
    seen: set[str] = set()
    for i, site in enumerate(value):
        if not isinstance(site, str) or not site.strip() or site != site.strip() or len(site) > MAX_SITE:
            raise _invalid(f"{path}[{i}]", f"must be a site of 1-{MAX_SITE} characters without surrounding blanks")
        if any(ord(c) < 32 or ord(c) == 127 for c in site):
            raise _invalid(f"{path}[{i}]", "must not contain control characters")
        if site.casefold() in seen:
            raise _invalid(f"{path}[{i}]", f"{site!r} is listed twice (sites ignore case)")
        seen.add(site.casefold())
    return tuple(value)


# ------------------------------------------------------------------------------ aggregate


class FreezeCalendar(KaizenAggregate):
    """The company's freeze document, versioned by its events (one per company)."""

    KEY: Final = "freeze-windows"

    @staticmethod
    def create_id(key: str) -> UUID:
        return named_id("freeze-calendar", key)

    @event("Created")
    def __init__(self, key: str, actor: Actor, occurred_at: datetime) -> None:
        self.key = key
        self.document: dict[str, Any] | None = None
        self.calendar_version = 0
        self.published_at: datetime | None = None

    @classmethod
    def start(cls, actor: Actor, occurred_at: datetime) -> FreezeCalendar:
        return cls(key=cls.KEY, actor=actor, occurred_at=occurred_at)

    def publish(self, document: object, actor: Actor, occurred_at: datetime) -> None:
        """Replace the whole document; the stored one is the validated, normalised one."""
        normalised = FreezeSchedule.from_document(document).to_document()
        self._published(
            calendar_version=self.calendar_version + 1, document=normalised, actor=actor, occurred_at=occurred_at
        )

    @event("Published")
    def _published(self, calendar_version: int, document: dict[str, Any], actor: Actor, occurred_at: datetime) -> None:
        self.calendar_version = calendar_version
        self.document = document
        self.published_at = occurred_at

    def schedule(self) -> FreezeSchedule:
        if self.document is None:
            return FreezeSchedule.empty()
        return FreezeSchedule.from_document(self.document)
