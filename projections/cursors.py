"""The cursors lists hand out, and the checks that make a forged one a refusal instead of a crash.

A cursor is opaque to clients, but it is decoded into values that go into SQL, and a forged one
can carry anything base64 can: a number past 2**63 (SQLite raises OverflowError binding it), a
string where a number belongs (PostgreSQL refuses to compare an integer with text), a time no
calendar survives. So every list decodes through here, and anything but what it handed out is
`ForgedCursor`, a ValueError the routes answer as a 422 on `cursor`.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import re
from datetime import datetime
from typing import Any

from domain import values
from domain.errors import InvalidCommand

_DIGITS = re.compile(r"[0-9]{1,19}")


class ForgedCursor(ValueError):
    """The cursor is not one this server issued (or no longer means anything)."""

    def __init__(self, detail: str = "cursor is not one this server issued") -> None:
        super().__init__(detail)


def encode_text(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def decode_text(cursor: str) -> str:
    try:
        return base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise ForgedCursor() from None


def encode_position(tag: str, position: int) -> str:
    """`<tag>:<n>`, base64url: a list ordered by one integer column (a sequence, a position)."""
    return encode_text(f"{tag}:{position}")


def decode_position(cursor: str, tag: str) -> int:
    """The integer of an `encode_position` cursor with this tag, within a bigint column."""
    found, _, number = decode_text(cursor).partition(":")
    if found != tag or not _DIGITS.fullmatch(number):
        raise ForgedCursor()
    return bounded_integer(int(number))


def encode_payload(payload: dict[str, Any]) -> str:
    return encode_text(json.dumps(payload, separators=(",", ":")))


def decode_payload(cursor: str) -> dict[str, Any]:
    """A JSON object cursor; its fields are checked by the list that reads them (below)."""
    try:
        payload = json.loads(decode_text(cursor))
    except (ValueError, RecursionError):
        raise ForgedCursor() from None
    if not isinstance(payload, dict):
        raise ForgedCursor()
    return payload


def bounded_integer(value: Any) -> int:
    """A whole number from 0 to PostgreSQL's bigint maximum (never a bool: JSON `true` is not 1)."""
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= values.LARGEST_INTEGER:
        raise ForgedCursor()
    return value


def bounded_number(value: Any) -> float:
    """A finite number a REAL/DOUBLE column can be compared with (a score, a trending weight)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ForgedCursor()
    if isinstance(value, int):
        bounded_integer(abs(value))
    elif not math.isfinite(value):
        raise ForgedCursor()
    return float(value)


def bounded_time(value: Any) -> datetime:
    """A time the cursor recorded (the first page's `now`), within the domain's 1970-2200."""
    if not isinstance(value, str):
        raise ForgedCursor()
    try:
        return values.moment(datetime.fromisoformat(value), "cursor")
    except (ValueError, InvalidCommand):
        raise ForgedCursor() from None
