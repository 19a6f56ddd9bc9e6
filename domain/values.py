"""What every stored value must be, whatever way it came in.

An event in the log is forever, and every view must be able to apply it on SQLite and on
PostgreSQL. So the domain refuses, before an event exists, what some view could not store: a
time that no calendar arithmetic survives (year 1 in +14:00 overflows when moved to UTC), a NUL
character (PostgreSQL's text type cannot hold one), other control characters that only ever
come from a broken or hostile client, an identifier too long for an index row, a number no
database column holds. HTTP bodies, import lines, the CLI and e-mail intake all reach the same
aggregates, so this is the one place that decides.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from domain.errors import InvalidCommand

EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(2201, 1, 1, tzinfo=UTC)
"""Times are accepted from 1970-01-01 up to the end of 2200 (UTC), in any offset."""

IDENTIFIER_LIMIT = 200
"""Person ids, roles, app names, vendor slugs, tickets, sites: short, single-line, indexable."""

TEXT_LIMIT = 20_000
"""The longest free text a field keeps (a description, a comment, a resolution)."""

STORED_TEXT_LIMIT = 100_000
"""No string of any event, whatever its field, is longer than this."""

LARGEST_INTEGER = 2**63 - 1
"""PostgreSQL's bigint: the widest integer column any view has."""

_MULTILINE_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
"""C0 and C1 controls except tab, newline and carriage return (browsers send CRLF), and lone
surrogates (a Python string may hold one; no UTF-8 column can)."""

_SINGLE_LINE_FORBIDDEN = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")
"""Every C0 and C1 control, the Unicode line and paragraph separators, and lone surrogates."""


def _describe(character: str) -> str:
    return f"U+{ord(character):04X}"


def refuse_control_characters(value: str, field: str, multiline: bool) -> str:
    """The value itself, or InvalidCommand naming the first control character and the field."""
    pattern = _MULTILINE_FORBIDDEN if multiline else _SINGLE_LINE_FORBIDDEN
    found = pattern.search(value)
    if found is not None:
        where = "" if multiline else " (a single line is expected)"
        raise InvalidCommand(
            f"{field} contains the character {_describe(found.group())}, which text may not hold{where}", field
        )
    return value


def text(value: object, field: str, limit: int = TEXT_LIMIT, multiline: bool = True) -> str:
    """Free text a person wrote: not blank, at most `limit` characters, no stray controls."""
    if not isinstance(value, str) or not value.strip():
        raise InvalidCommand(f"{field} must not be empty", field)
    if len(value) > limit:
        raise InvalidCommand(f"{field} is longer than {limit} characters", field)
    return refuse_control_characters(value, field, multiline)


def optional_text(value: object, field: str, limit: int = TEXT_LIMIT, multiline: bool = True) -> str | None:
    """`text`, but None (or absent) passes through."""
    return None if value is None else text(value, field, limit, multiline)


def identifier(value: object, field: str, limit: int = IDENTIFIER_LIMIT) -> str:
    """A name something is known by: one line, no surrounding blanks, at most `limit` characters."""
    if not isinstance(value, str) or not value.strip():
        raise InvalidCommand(f"{field} must not be empty", field)
    if value != value.strip():
        raise InvalidCommand(f"{field} must not begin or end with white space", field)
    if len(value) > limit:
        raise InvalidCommand(f"{field} is longer than {limit} characters", field)
    return refuse_control_characters(value, field, multiline=False)


def optional_identifier(value: object, field: str, limit: int = IDENTIFIER_LIMIT) -> str | None:
    """`identifier`, but None passes through."""
    return None if value is None else identifier(value, field, limit)


def moment(value: object, field: str) -> datetime:
    """An aware time between 1970 and the end of 2200, in whatever offset it was given."""
    if not isinstance(value, datetime):
        raise InvalidCommand(f"{field} must be a time", field)
    if value.tzinfo is None or value.utcoffset() is None:
        raise InvalidCommand(f"{field} needs a UTC offset", field)
    try:
        utc = value.astimezone(UTC)
    except (OverflowError, ValueError):
        utc = None
    if utc is None or not EARLIEST <= utc < LATEST:
        raise InvalidCommand(f"{field} must lie between 1970 and 2200, not {value.isoformat()}", field)
    return value


def day(value: object, field: str) -> date:
    """A calendar date between 1970 and 2200."""
    if not isinstance(value, date):
        raise InvalidCommand(f"{field} must be a date", field)
    if isinstance(value, datetime):
        return moment(value, field).date()
    if not EARLIEST.date() <= value < LATEST.date():
        raise InvalidCommand(f"{field} must lie between 1970 and 2200, not {value.isoformat()}", field)
    return value


def refuse_unstorable(values: Mapping[str, Any], where: str = "") -> None:
    """Walk an event's attributes and refuse anything some view could not store.

    This is the net under every command's own rules: a command method that forgot to check a
    field still cannot put a NUL, an out-of-range time or an unbounded number into the log.
    Field-specific rules (which text is multi-line, how long a title is) stay with the commands.
    """
    for name, value in values.items():
        _check(value, f"{where}{name}")


def _check(value: Any, field: str) -> None:
    """The common kinds first (text, then times and numbers): this runs for every attribute."""
    if isinstance(value, str):  # a StrEnum too
        if len(value) > STORED_TEXT_LIMIT:
            raise InvalidCommand(f"{field} is longer than {STORED_TEXT_LIMIT} characters", field)
        if _MULTILINE_FORBIDDEN.search(value) is not None:
            refuse_control_characters(value, field, multiline=True)
    elif value is None or isinstance(value, bool):
        return
    elif isinstance(value, datetime):
        moment(value, field)
    elif isinstance(value, date):
        day(value, field)
    elif isinstance(value, int):
        if abs(value) > LARGEST_INTEGER:
            raise InvalidCommand(f"{field} is too large a number", field)
    elif isinstance(value, float | Decimal):
        if not math.isfinite(value):
            raise InvalidCommand(f"{field} must be a finite number", field)
    elif isinstance(value, Enum):
        _check(value.value, field)
    elif isinstance(value, Mapping):
        for key, item in value.items():
            if isinstance(key, str):
                refuse_control_characters(key, field, multiline=False)
            _check(item, f"{field}.{key}")
    elif isinstance(value, list | tuple | set | frozenset):
        for index, item in enumerate(value):
            _check(item, f"{field}[{index}]")
    elif hasattr(value, "__dict__") and not isinstance(value, type):
        _check(vars(value), field)
