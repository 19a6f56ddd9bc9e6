"""The SLA policy document (api.md "SLA policy document") as a validated value object.

A vendor's policy says, per priority P1-P4, how long the vendor (or the internal team) may take
to respond, to post an update and to resolve, and on which business calendar that time is
counted. The document is what admins PUT and GET; this module parses it strictly (unknown keys
are refused, so a typo cannot silently drop a target) and gives the engine typed access.

The vendors' defaults (:data:`DEFAULT_POLICIES`) are data at the end of this module, each
number marked "published" (from the vendor's public support terms) or "placeholder" (a
reasonable starting value for an admin to edit over the API).

Pure: standard library plus :mod:`domain.calendar`.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Final, Literal

from domain.calendar import BusinessCalendar, CalendarError

__all__ = [
    "DEFAULT_POLICIES",
    "PRIORITIES",
    "TARGET_KINDS",
    "PolicyDocumentError",
    "PriorityTargets",
    "SlaPolicyDocument",
    "TargetKind",
    "default_policy_document",
    "iso_duration",
    "parse_iso_duration",
]

PRIORITIES: Final = ("P1", "P2", "P3", "P4")
TargetKind = Literal["response", "update", "resolution"]
TARGET_KINDS: Final[tuple[TargetKind, ...]] = ("response", "update", "resolution")

_DOCUMENT_KEYS: Final = frozenset({"calendars", "targets", "labels"})
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

    __hash__ = None  # type: ignore[assignment]  # holds mappings; equality is what matters

    @classmethod
    def from_document(cls, doc: object) -> SlaPolicyDocument:
        """Parse the api.md JSON; raise :class:`PolicyDocumentError` naming the bad path."""
        if not isinstance(doc, Mapping):
            raise PolicyDocumentError("", "the policy document must be a JSON object")
        _reject_unknown("", doc, _DOCUMENT_KEYS)
        for key in ("calendars", "targets"):
            if key not in doc:
                raise PolicyDocumentError(key, "is required")
        calendars = _parse_calendars(doc["calendars"])
        targets = _parse_targets(doc["targets"], calendars)
        labels = _parse_labels(doc.get("labels", {}))
        return cls(calendars=calendars, targets=targets, labels=labels)

    def to_document(self) -> dict[str, Any]:
        """The normalised document: priorities in order, durations as ``PTnHnM``."""
        return {
            "calendars": {name: cal.to_document() for name, cal in self.calendars.items()},
            "targets": {p: self.targets[p].to_document() for p in PRIORITIES if p in self.targets},
            "labels": {p: self.labels[p] for p in PRIORITIES if p in self.labels},
        }

    def target(self, priority: str, kind: str) -> timedelta | None:
        """The target of ``kind`` for ``priority``; ``None`` when the policy sets none."""
        if kind not in TARGET_KINDS:
            raise ValueError(f"unknown target kind {kind!r} (use {', '.join(TARGET_KINDS)})")
        targets = self.targets.get(priority)
        if targets is None:
            return None
        return targets.get(kind)

    def calendar_for(self, priority: str) -> BusinessCalendar:
        """The calendar the targets of ``priority`` are counted on."""
        targets = self.targets.get(priority)
        if targets is None:
            raise KeyError(f"the policy sets no targets for {priority!r}")
        return self.calendars[targets.calendar]

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


# ------------------------------------------------------------------------------ defaults

_WEEKDAYS_MON_FRI: Final = ("mon", "tue", "wed", "thu", "fri")


def _office(
    timezone: str, country: str, ranges: list[list[str]], saturday: list[list[str]] | None = None
) -> dict[str, Any]:
    hours: dict[str, Any] = {day: copy.deepcopy(ranges) for day in _WEEKDAYS_MON_FRI}
    if saturday:
        hours["sat"] = saturday
    return {
        "timezone": timezone,
        "hours": hours,
        "holidays": {"country": country, "subdivision": None},
        "closed_days": [],
    }


def _hk_office() -> dict[str, Any]:
    """Vendors' business hours are the customer's local ones; the company is in Hong Kong."""
    return _office("Asia/Hong_Kong", "HK", [["09:00", "18:00"]])


DEFAULT_POLICIES: Final[dict[str, dict[str, Any]]] = {
    "sap": {
        "calendars": {"always": "24x7", "business-hours": _hk_office()},
        "targets": {
            "P1": {
                "calendar": "always",
                "response": "PT1H",  # published: Very High, initial response 1 hour, 24x7
                "update": "PT4H",  # placeholder (cf. the published 4-hour action plan)
                "resolution": "PT24H",  # placeholder: SAP commits to no resolution time
            },
            "P2": {
                "calendar": "business-hours",
                "response": "PT4H",  # published: High, initial response 4 business hours
                "update": "PT8H",  # placeholder
                "resolution": "PT40H",  # placeholder
            },
            "P3": {
                "calendar": "business-hours",
                "response": "PT8H",  # placeholder
                "resolution": "PT80H",  # placeholder
            },
            "P4": {
                "calendar": "business-hours",
                "response": "PT16H",  # placeholder
                "resolution": "PT160H",  # placeholder
            },
        },
        "labels": {"P1": "Very High", "P2": "High", "P3": "Medium", "P4": "Low"},
    },
    "oracle": {
        "calendars": {"always": "24x7", "business-hours": _hk_office()},
        "targets": {
            "P1": {
                "calendar": "always",
                "response": "PT1H",  # published: Severity 1, response within 1 hour, 24x7
                "update": "PT4H",  # placeholder
                "resolution": "PT24H",  # placeholder
            },
            "P2": {
                "calendar": "business-hours",
                "response": "PT4H",  # placeholder
                "update": "PT8H",  # placeholder
                "resolution": "PT40H",  # placeholder
            },
            "P3": {
                "calendar": "business-hours",
                "response": "PT8H",  # placeholder
                "resolution": "PT80H",  # placeholder
            },
            "P4": {
                "calendar": "business-hours",
                "response": "PT16H",  # placeholder
                "resolution": "PT160H",  # placeholder
            },
        },
        "labels": {"P1": "Severity 1", "P2": "Severity 2", "P3": "Severity 3", "P4": "Severity 4"},
    },
    "microsoft": {
        "calendars": {"always": "24x7", "business-hours": _hk_office()},
        "targets": {
            "P1": {
                "calendar": "always",
                "response": "PT1H",  # published: Sev A, initial response 1 hour, 24x7
                "update": "PT4H",  # placeholder
                "resolution": "PT24H",  # placeholder
            },
            "P2": {
                "calendar": "business-hours",
                "response": "PT4H",  # placeholder
                "update": "PT8H",  # placeholder
                "resolution": "PT40H",  # placeholder
            },
            "P3": {
                "calendar": "business-hours",
                "response": "PT8H",  # placeholder
                "resolution": "PT80H",  # placeholder
            },
            "P4": {
                "calendar": "business-hours",
                "response": "PT8H",  # placeholder (Sev C, like P3)
                "resolution": "PT160H",  # placeholder
            },
        },
        "labels": {"P1": "Sev A", "P2": "Sev B", "P3": "Sev C", "P4": "Sev C"},
    },
    "yonyou": {
        "calendars": {"cn-office": _office("Asia/Shanghai", "CN", [["09:00", "12:00"], ["13:30", "18:00"]])},
        "targets": {
            "P1": {
                "calendar": "cn-office",
                "response": "PT2H",  # placeholder
                "update": "PT4H",  # placeholder
                "resolution": "PT15H",  # placeholder (two office days of 7.5 hours)
            },
            "P2": {
                "calendar": "cn-office",
                "response": "PT4H",  # placeholder
                "update": "PT8H",  # placeholder
                "resolution": "PT37H30M",  # placeholder (five office days)
            },
            "P3": {
                "calendar": "cn-office",
                "response": "PT7H30M",  # placeholder (one office day)
                "resolution": "PT75H",  # placeholder (ten office days)
            },
            "P4": {
                "calendar": "cn-office",
                "response": "PT15H",  # placeholder
                "resolution": "PT150H",  # placeholder
            },
        },
        "labels": {"P1": "紧急", "P2": "高", "P3": "中", "P4": "低"},
    },
    "multiable": {
        "calendars": {
            "hk-office": _office(
                "Asia/Hong_Kong",
                "HK",
                [["09:00", "13:00"], ["14:00", "18:00"]],
                saturday=[["09:00", "13:00"]],
            )
        },
        "targets": {
            "P1": {
                "calendar": "hk-office",
                "response": "PT1H",  # placeholder
                "update": "PT4H",  # placeholder
                "resolution": "PT16H",  # placeholder
            },
            "P2": {
                "calendar": "hk-office",
                "response": "PT4H",  # placeholder
                "update": "PT8H",  # placeholder
                "resolution": "PT40H",  # placeholder
            },
            "P3": {
                "calendar": "hk-office",
                "response": "PT8H",  # placeholder
                "resolution": "PT80H",  # placeholder
            },
            "P4": {
                "calendar": "hk-office",
                "response": "PT16H",  # placeholder
                "resolution": "PT160H",  # placeholder
            },
        },
        "labels": {"P1": "Critical", "P2": "High", "P3": "Medium", "P4": "Low"},
    },
    "internal": {
        "calendars": {"hk-office": _hk_office()},
        "targets": {
            "P1": {
                "calendar": "hk-office",
                "response": "PT30M",  # placeholder
                "resolution": "PT8H",  # placeholder
            },
            "P2": {
                "calendar": "hk-office",
                "response": "PT2H",  # placeholder
                "resolution": "PT27H",  # placeholder (three office days of 9 hours)
            },
            "P3": {
                "calendar": "hk-office",
                "response": "PT9H",  # placeholder (one office day)
                "resolution": "PT90H",  # placeholder (ten office days)
            },
            "P4": {
                "calendar": "hk-office",
                "response": "PT18H",  # placeholder
                "resolution": "PT180H",  # placeholder
            },
        },
        "labels": {"P1": "Critical", "P2": "High", "P3": "Medium", "P4": "Low"},
    },
}


def default_policy_document(vendor: str) -> dict[str, Any]:
    """A fresh copy of the vendor's default document; unknown vendors get ``internal``'s.

    A copy, so that a caller editing it cannot change the defaults of every later caller.
    """
    return copy.deepcopy(DEFAULT_POLICIES.get(vendor, DEFAULT_POLICIES["internal"]))
