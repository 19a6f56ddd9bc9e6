"""The SLA policy document (docs/reference.md, "SLA policies") as a validated value object.

A vendor's policy says, per priority P1-P4, how long the vendor (or the internal team) may take
to respond, to post an update and to resolve, and on which business calendar that time is
counted. The document is what admins PUT and GET; this module parses it strictly (unknown keys
are refused, so a typo cannot silently drop a target) and gives the engine typed access.
An optional ``site_calendars`` names the office calendar of each site an issue may be reported
at, so that office-hours targets follow the reporter's office (:meth:`calendar_for`).

The vendors' defaults (:data:`DEFAULT_POLICIES`) are data at the end of this module, each
number marked "published" (from the vendor's public support terms) or "placeholder" (a
reasonable starting value for an admin to edit over the API).

Pure: standard library plus :mod:`domain.calendar`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Final, Literal

from domain.calendar import BusinessCalendar, CalendarError

__all__ = [
    "PRIORITIES",
    "TARGET_KINDS",
    "PolicyDocumentError",
    "PriorityTargets",
    "SlaPolicyDocument",
    "TargetKind",
    "iso_duration",
    "parse_iso_duration",
]

PRIORITIES: Final = ("P1", "P2", "P3", "P4")
TargetKind = Literal["response", "update", "resolution"]
TARGET_KINDS: Final[tuple[TargetKind, ...]] = ("response", "update", "resolution")

_DOCUMENT_KEYS: Final = frozenset({"calendars", "targets", "labels", "site_calendars"})
_SITE_LIMIT: Final = 64  # an issue's site is an identifier of at most 64 characters
_TARGET_KEYS: Final = frozenset({"calendar", "response", "update", "resolution"})
_REQUIRED_TARGET_KEYS: Final = ("calendar", "response", "resolution")
_DURATION = re.compile(
    r"^P(?!$)(?:(?P<days>[0-9]{1,5})D)?"
    r"(?:T(?=[0-9])(?:(?P<hours>[0-9]{1,6})H)?(?:(?P<minutes>[0-9]{1,6})M)?"
    r"(?:(?P<seconds>[0-9]{1,6})S)?)?$"
)


class PolicyDocumentError(ValueError):
    """A policy document the engine cannot use; ``path`` names the offending part."""

    def __init__(self, path: str, reason: str) -> None:
        self.path = path
        self.reason = reason
        super().__init__(f"{path}: {reason}" if path else reason)


# ------------------------------------------------------------------------------ durations


def parse_iso_duration(text: str) -> timedelta:
    """Parse ``PnDTnHnMnS`` (any part optional, at least one); a day counts as 24 hours.

    Raise ``ValueError`` for anything else: years, months and weeks have no fixed length in
    business time, so they are refused rather than guessed.
    """
    match = _DURATION.match(text) if isinstance(text, str) else None
    if match is None:
        raise ValueError(f"{text!r} is not an ISO 8601 duration such as PT4H or PT1H30M")
    parts = {name: int(value) for name, value in match.groupdict().items() if value}
    return timedelta(**parts)


def iso_duration(value: timedelta) -> str:
    """Format as ``PTnHnMnS`` (hours unbounded, zero parts left out, ``PT0S`` for zero).

    Hours rather than days, because a target of ``PT24H`` on office hours is three working
    days, not one calendar day; spelling it in hours avoids that misreading.
    """
    if value < timedelta(0):
        raise ValueError("a duration must not be negative")
    micros = value // timedelta(microseconds=1)
    seconds, fraction = divmod(micros, 1_000_000)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    text = "PT"
    if hours:
        text += f"{hours}H"
    if minutes:
        text += f"{minutes}M"
    if secs or fraction or text == "PT":
        text += f"{secs}.{fraction:06d}".rstrip("0").rstrip(".") + "S"
    return text


# ------------------------------------------------------------------------------- document


@dataclass(frozen=True)
class PriorityTargets:
    """The targets of one priority and the calendar they are counted on."""

    calendar: str
    response: timedelta
    resolution: timedelta
    update: timedelta | None = None

    def get(self, kind: TargetKind) -> timedelta | None:
        if kind == "response":
            return self.response
        if kind == "resolution":
            return self.resolution
        return self.update

    def to_document(self) -> dict[str, str]:
        doc = {"calendar": self.calendar, "response": iso_duration(self.response)}
        if self.update is not None:
            doc["update"] = iso_duration(self.update)
        doc["resolution"] = iso_duration(self.resolution)
        return doc


@dataclass(frozen=True, eq=True)
class SlaPolicyDocument:
    """One version of a vendor's SLA policy, validated. Build with :meth:`from_document`."""

    calendars: Mapping[str, BusinessCalendar]
    targets: Mapping[str, PriorityTargets]
    labels: Mapping[str, str]
    site_calendars: Mapping[str, str] = field(default_factory=dict)

    __hash__ = None  # type: ignore[assignment]  # holds mappings; equality is what matters

    @classmethod
    def from_document(cls, doc: object) -> SlaPolicyDocument:
        """Parse the docs/reference.md JSON; raise :class:`PolicyDocumentError` naming the bad path."""
        if not isinstance(doc, Mapping):
            raise PolicyDocumentError("", "the policy document must be a JSON object")
        _reject_unknown("", doc, _DOCUMENT_KEYS)
        for key in ("calendars", "targets"):
            if key not in doc:
                raise PolicyDocumentError(key, "is required")
        calendars = _parse_calendars(doc["calendars"])
        targets = _parse_targets(doc["targets"], calendars)
        labels = _parse_labels(doc.get("labels", {}))
        site_calendars = _parse_site_calendars(doc.get("site_calendars", {}), calendars)
        return cls(calendars=calendars, targets=targets, labels=labels, site_calendars=site_calendars)

    def to_document(self) -> dict[str, Any]:
        """The normalised document: priorities in order, durations as ``PTnHnM``.

        ``site_calendars`` appears only when it maps a site, so a document published before the
        key existed normalises to exactly what its event stored.
        """
        doc: dict[str, Any] = {
            "calendars": {name: cal.to_document() for name, cal in self.calendars.items()},
            "targets": {p: self.targets[p].to_document() for p in PRIORITIES if p in self.targets},
            "labels": {p: self.labels[p] for p in PRIORITIES if p in self.labels},
        }
        if self.site_calendars:
            doc["site_calendars"] = {site: self.site_calendars[site] for site in sorted(self.site_calendars)}
        return doc

    def target(self, priority: str, kind: str) -> timedelta | None:
        """The target of ``kind`` for ``priority``; ``None`` when the policy sets none."""
        if kind not in TARGET_KINDS:
            raise ValueError(f"unknown target kind {kind!r} (use {', '.join(TARGET_KINDS)})")
        targets = self.targets.get(priority)
        if targets is None:
            return None
        return targets.get(kind)

    def calendar_for(self, priority: str, site: str | None = None) -> BusinessCalendar:
        """The calendar the targets of ``priority`` are counted on, for an issue at ``site``.

        The priority's calendar, unless the issue's site has an office calendar in
        ``site_calendars`` (matched ignoring case) and the priority's calendar has office
        hours: a target counted in office hours is counted in *that site's* office hours and
        holidays, while a round-the-clock (24x7) target stays round the clock wherever the
        issue is. Without a site, or for a site not listed, the priority's calendar.
        """
        targets = self.targets.get(priority)
        if targets is None:
            raise KeyError(f"the policy sets no targets for {priority!r}")
        calendar = self.calendars[targets.calendar]
        name = self.site_calendar_name(site)
        if name is None or calendar.is_24x7:
            return calendar
        return self.calendars[name]

    def site_calendar_name(self, site: str | None) -> str | None:
        """The calendar ``site_calendars`` names for ``site`` (ignoring case), or ``None``."""
        if site is None or not self.site_calendars:
            return None
        wanted = site.casefold()
        for key, name in self.site_calendars.items():
            if key.casefold() == wanted:
                return name
        return None

    def label(self, priority: str) -> str:
        """The vendor's own name for ``priority`` (SAP "Very High"); the code when unnamed."""
        return self.labels.get(priority, priority)


# ------------------------------------------------------------------------------- parsing


def _reject_unknown(path: str, doc: Mapping[Any, Any], allowed: frozenset[str]) -> None:
    for key in doc:
        if key not in allowed:
            where = f"{path}.{key}" if path else str(key)
            raise PolicyDocumentError(where, f"unknown key (allowed: {', '.join(sorted(allowed))})")


def _parse_calendars(value: object) -> dict[str, BusinessCalendar]:
    if not isinstance(value, Mapping):
        raise PolicyDocumentError("calendars", "must be an object of name -> calendar")
    calendars: dict[str, BusinessCalendar] = {}
    for name, doc in value.items():
        if not isinstance(name, str) or not name:
            raise PolicyDocumentError("calendars", "calendar names must be non-empty strings")
        try:
            calendars[name] = BusinessCalendar.from_document(doc, name=name)
        except CalendarError as error:
            inner = f".{error.path}" if error.path else ""
            raise PolicyDocumentError(f"calendars.{name}{inner}", error.reason) from None
    return calendars


def _check_priority(path: str, priority: object) -> str:
    if priority not in PRIORITIES:
        raise PolicyDocumentError(f"{path}.{priority}", "unknown priority (use P1, P2, P3, P4)")
    return str(priority)


def _parse_targets(value: object, calendars: Mapping[str, BusinessCalendar]) -> dict[str, PriorityTargets]:
    if not isinstance(value, Mapping):
        raise PolicyDocumentError("targets", "must be an object of priority -> targets")
    parsed = {
        _check_priority("targets", p): _parse_priority_targets(f"targets.{p}", doc, calendars)
        for p, doc in value.items()
    }
    return {p: parsed[p] for p in PRIORITIES if p in parsed}


def _parse_priority_targets(path: str, value: object, calendars: Mapping[str, BusinessCalendar]) -> PriorityTargets:
    if not isinstance(value, Mapping):
        raise PolicyDocumentError(path, "must be an object with calendar, response, resolution")
    _reject_unknown(path, value, _TARGET_KEYS)
    for key in _REQUIRED_TARGET_KEYS:
        if key not in value:
            raise PolicyDocumentError(f"{path}.{key}", "is required")
    calendar = value["calendar"]
    if not isinstance(calendar, str) or calendar not in calendars:
        raise PolicyDocumentError(f"{path}.calendar", f"unknown calendar {calendar!r}")
    update = value.get("update")
    return PriorityTargets(
        calendar=calendar,
        response=_parse_target(f"{path}.response", value["response"]),
        resolution=_parse_target(f"{path}.resolution", value["resolution"]),
        update=None if update is None else _parse_target(f"{path}.update", update),
    )


def _parse_target(path: str, value: object) -> timedelta:
    try:
        duration = parse_iso_duration(value)  # type: ignore[arg-type]  # checked inside
    except (ValueError, OverflowError):
        duration = timedelta(0)
    if duration <= timedelta(0):
        raise PolicyDocumentError(path, "must be a positive ISO 8601 duration (e.g. PT4H)")
    return duration


def _parse_site_calendars(value: object, calendars: Mapping[str, BusinessCalendar]) -> dict[str, str]:
    """``site -> calendar name``; sites are an issue's ``site`` values, unique ignoring case."""
    if not isinstance(value, Mapping):
        raise PolicyDocumentError("site_calendars", "must be an object of site -> calendar name")
    found: dict[str, str] = {}
    seen: dict[str, str] = {}
    for site, name in value.items():
        path = f"site_calendars.{site}"
        if not isinstance(site, str) or not site.strip() or site != site.strip() or len(site) > _SITE_LIMIT:
            raise PolicyDocumentError("site_calendars", f"sites must be identifiers of 1-{_SITE_LIMIT} characters")
        if site.casefold() in seen:
            raise PolicyDocumentError(path, f"the same site as {seen[site.casefold()]!r} (sites ignore case)")
        if not isinstance(name, str) or name not in calendars:
            raise PolicyDocumentError(path, f"unknown calendar {name!r}")
        seen[site.casefold()] = site
        found[site] = name
    return found


def _parse_labels(value: object) -> dict[str, str]:
    if not isinstance(value, Mapping):
        raise PolicyDocumentError("labels", "must be an object of priority -> label")
    labels: dict[str, str] = {}
    for priority, label in value.items():
        checked = _check_priority("labels", priority)
        if not isinstance(label, str) or not label.strip():
            raise PolicyDocumentError(f"labels.{priority}", "must be a non-empty string")
        labels[checked] = label
    return labels
