"""A spreadsheet issue register (the go-live "shared Excel") as an import command log.

Columns may be headed in English or Chinese; values of the closed vocabularies may be given in
either language too. Each row becomes a `report` line, plus `resolve` (and `close`) lines when
the row says it was solved, so a CSV import goes through exactly the same validation and
idempotent replay as a JSON Lines import.
"""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Callable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from application.importer import ImportLineError

HEADERS = {
    "ref": ("ref", "编号"),
    "occurred_at": ("occurred_at", "发生时间"),
    "reporter": ("reporter", "报告人"),
    "title": ("title", "标题"),
    "description": ("description", "描述"),
    "module": ("module", "模块"),
    "impact_scope": ("impact_scope", "影响范围"),
    "urgency": ("urgency", "紧急程度"),
    "vendor": ("vendor", "供应商"),
    "site": ("site", "地点"),
    "status": ("status", "状态"),
    "resolution": ("resolution", "解决方案"),
    "resolved_at": ("resolved_at", "解决时间"),
}
REQUIRED = ("occurred_at", "reporter", "title", "module", "impact_scope", "urgency")
SYNONYMS = {
    "module": {
        "财务": "finance",
        "仓库": "warehouse",
        "生产": "production",
        "销售": "sales",
        "采购": "purchasing",
        "人事": "hr",
        "报表": "reporting",
        "其他": "other",
    },
    "impact_scope": {"公司": "company", "部门": "department", "团队": "team", "个人": "user"},
    "urgency": {"阻断": "blocking", "受影响": "degraded", "降级": "degraded", "轻微": "minor"},
    "status": {"未解决": "open", "处理中": "open", "已解决": "resolved", "已关闭": "closed"},
    "vendor": {"用友": "yonyou", "万达宝": "multiable", "微软": "microsoft", "甲骨文": "oracle", "内部": "internal"},
}
ADMIN = "register-import"
SITE_TIME_ZONE = "KAIZEN_SITE_TIME_ZONE"
DEFAULT_SITE_TIME_ZONE = "Asia/Hong_Kong"  # where the first site's register was kept


def site_time_zone(env: dict[str, str] | None = None) -> str:
    """The site's IANA time zone (`KAIZEN_SITE_TIME_ZONE`, default Asia/Hong_Kong): what a time
    written without an offset means in the register, and the console's zone for a person
    who has none. An unknown name is refused rather than silently read as another zone."""
    name = (os.environ if env is None else env).get(SITE_TIME_ZONE, "").strip() or DEFAULT_SITE_TIME_ZONE
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ImportLineError(f"{SITE_TIME_ZONE}={name!r} is not an IANA time zone like Asia/Hong_Kong") from None
    return name


def _column_map(fieldnames: list[str]) -> dict[str, str]:
    found: dict[str, str] = {}
    for name in fieldnames:
        clean = name.strip().lstrip("\ufeff")
        for canonical, spellings in HEADERS.items():
            if clean.lower() in spellings or clean in spellings:
                found[canonical] = name
    missing = [c for c in REQUIRED if c not in found]
    if missing:
        raise ImportLineError(f"line 1: missing columns {', '.join(missing)} (English or Chinese headers)")
    return found


def _time(value: str, row: int, zone: ZoneInfo, column: str) -> datetime:
    text = value.strip().replace("/", "-")
    parsers: tuple[Callable[[str], datetime], ...] = (
        lambda t: datetime.fromisoformat(t.replace("Z", "+00:00")),
        lambda t: datetime.strptime(t, "%Y-%m-%d %H:%M"),
    )
    for parse in parsers:
        try:
            moment = parse(text)
            break
        except ValueError:
            continue
    else:
        raise ImportLineError(f"line {row}: {column} {value!r} is not a time like 2026-03-02 09:15")
    return moment if moment.tzinfo else moment.replace(tzinfo=zone)


def _value(field: str, raw: str) -> str:
    text = raw.strip()
    return SYNONYMS.get(field, {}).get(text, text.lower() if field in SYNONYMS else text)


def csv_to_jsonl(text: str, timezone: str | None = None) -> str:
    """Translate the register into the import command log, in time order; times without an
    offset are in `timezone` (the site's time zone when not given)."""
    zone = ZoneInfo(timezone or site_time_zone())
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    columns = _column_map(list(reader.fieldnames or []))
    lines: list[tuple[datetime, int, dict[str, Any]]] = []
    for row_number, row in enumerate(reader, start=2):
        cell = {c: (row.get(h) or "").strip() for c, h in columns.items()}
        for name in REQUIRED:
            if not cell.get(name):
                raise ImportLineError(f"line {row_number}: {name} is empty")
        ref = cell.get("ref") or f"row-{row_number}"
        at = _time(cell["occurred_at"], row_number, zone, "occurred_at")
        data = {
            "title": cell["title"],
            "description": cell.get("description") or cell["title"],
            "module": _value("module", cell["module"]),
            "impact_scope": _value("impact_scope", cell["impact_scope"]),
            "urgency": _value("urgency", cell["urgency"]),
            "vendor": _value("vendor", cell.get("vendor") or "internal"),
            "site": cell.get("site") or None,
        }
        lines.append(
            (
                at,
                len(lines),
                {
                    "at": at.isoformat(),
                    "actor": cell["reporter"],
                    "role": "reporter",
                    "via": "register-csv",
                    "command": "report",
                    "ref": ref,
                    "data": data,
                },
            )
        )
        status = _value("status", cell.get("status") or "open")
        if status in ("resolved", "closed"):
            done = _time(cell.get("resolved_at") or cell["occurred_at"], row_number, zone, "resolved_at")
            lines.append(
                (
                    done,
                    len(lines),
                    {
                        "at": done.isoformat(),
                        "actor": ADMIN,
                        "role": "admin",
                        "via": "register-csv",
                        "command": "resolve",
                        "ref": ref,
                        "data": {"resolution": cell.get("resolution") or "resolved (register)"},
                    },
                )
            )
            if status == "closed":
                lines.append(
                    (
                        done,
                        len(lines),
                        {
                            "at": done.isoformat(),
                            "actor": ADMIN,
                            "role": "admin",
                            "via": "register-csv",
                            "command": "close",
                            "ref": ref,
                            "data": {},
                        },
                    )
                )
    lines.sort(key=lambda item: (item[0], item[1]))
    return "\n".join(json.dumps(line, ensure_ascii=False) for _, _, line in lines)
