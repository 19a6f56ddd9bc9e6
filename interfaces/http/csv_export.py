"""The one CSV writer: every CSV the API or the console answers goes through `csv_response`.

Reporters write titles and sites, so any text cell may be typed by someone hostile. A
spreadsheet runs a cell that begins with `=`, `+`, `-`, `@`, a tab or a carriage return as a
formula (`=HYPERLINK(...)` leaks data, `=cmd|...` ran programs in old Excel). So a *text* cell
that begins with one of them gets a leading `'`, which spreadsheets show as plain text and
drop. Numbers the report computed (int, float, Decimal) are written as numbers even when they
are negative: the type tells them apart from text, since no text the user typed ever reaches
a report as a Python number, and a number cannot be a formula.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Mapping
from decimal import Decimal
from enum import Enum
from typing import Any

from flask import Response

from interfaces.http.presenters import json_safe

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """One value as the API's JSON shows it, with text a spreadsheet would run defused."""
    if isinstance(value, Enum):
        value = value.value
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int | float | Decimal):
        return value  # computed by the report, never typed: a number, negative or not
    plain = json_safe(value)
    if isinstance(plain, list | dict):
        plain = json.dumps(plain, ensure_ascii=False, sort_keys=True)
    if plain is None:
        return ""
    text = str(plain)
    return "'" + text if text.startswith(FORMULA_START) else text


def csv_response(
    rows: Iterable[Mapping[str, Any]], filename: str, columns: list[str] | None = None, bom: bool = False
) -> Response:
    """A CSV download with a header row (`columns`, or the first row's keys).

    `bom` puts a UTF-8 byte-order mark first, for downloads opened in spreadsheet programs
    (they read Chinese titles right only then); API clients get plain UTF-8.
    """
    rows = list(rows)
    fieldnames = columns if columns is not None else (list(rows[0].keys()) if rows else [])
    out = io.StringIO()
    if bom:
        out.write("\ufeff")
    writer = csv.DictWriter(out, fieldnames=fieldnames, extrasaction="ignore", lineterminator="\r\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: safe_cell(row.get(k)) for k in fieldnames})
    return Response(
        out.getvalue(), mimetype="text/csv", headers={"Content-Disposition": f'attachment; filename="{filename}"'}
    )
