"""Times in the console: shown, and read from forms, in the signed-in person's time zone.

One written form everywhere: `2026-06-30 22:00 Asia/Ho_Chi_Minh` (minutes precision, then the
IANA name of the zone, or `UTC`). The IANA name rather than an abbreviation ("ICT", "HKT") or
an offset ("GMT+7"): it is what the person chose on /console/me, it is unambiguous, and an
auditor comparing with the API's RFC 3339 values can look the offset up. The zone is the
person's `time_zone`, else the site's (`KAIZEN_SITE_TIME_ZONE`), else UTC.

A `datetime-local` input posts a naive `2026-06-30T22:00`: it means that wall-clock time in the
same zone, so `aware()` gives it the zone's offset before the API's schema reads it.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from application.register_csv import site_time_zone


def zone_named(name: str | None) -> tuple[tzinfo, str] | None:
    """(zone, its name) for an IANA name, or None when it is empty or unknown."""
    if not name:
        return None
    if name == "UTC":
        return UTC, "UTC"
    try:
        return ZoneInfo(name), name
    except (ZoneInfoNotFoundError, ValueError):
        return None


def zone_for(person_zone: str | None) -> tuple[tzinfo, str]:
    """The zone a person's times are shown and read in: theirs, else the site's, else UTC."""
    try:
        site = site_time_zone()
    except Exception:  # an unusable setting must not break every page
        site = None
    return zone_named(person_zone) or zone_named(site) or (UTC, "UTC")


def parse(value: Any) -> Any:
    """An RFC 3339 string (as projections hand them over) as a datetime; anything else as is."""
    if isinstance(value, str) and value:
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return value
    return value


def shown(value: Any, zone: tzinfo, name: str, with_zone: bool = True) -> str:
    """`2026-06-30 22:00 Asia/Ho_Chi_Minh`; a date as `2026-06-30`; nothing as `—`."""
    value = parse(value)
    if value is None or value == "":
        return "—"
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=UTC)  # the store's naive times are UTC
        text = moment.astimezone(zone).strftime("%Y-%m-%d %H:%M")
        return f"{text} {name}" if with_zone else text
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def local_input(value: Any, zone: tzinfo) -> str:
    """A stored time as a `datetime-local` input's value in the zone (`2026-06-30T22:00`)."""
    value = parse(value)
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=UTC)
        return moment.astimezone(zone).strftime("%Y-%m-%dT%H:%M")
    return "" if value is None else str(value)


def aware(text: str, zone: tzinfo) -> str:
    """A `datetime-local` value (no offset) as RFC 3339 in the zone; anything else unchanged,
    so a value that already has an offset, or is not a time at all, reaches the schema as typed
    and is refused (or accepted) exactly as the API would."""
    stripped = text.strip()
    if not stripped or ("T" not in stripped and " " not in stripped):
        return text
    try:
        moment = datetime.fromisoformat(stripped)
    except ValueError:
        return text
    if moment.tzinfo is not None:
        return text
    return moment.replace(tzinfo=zone).isoformat()
