"""The figures of the compliance and vendor pages, from the API's own report queries.

Each function calls what a `/reports/...` or `/issues` route calls, with the viewer's Actor, so
a vendor sees only its own rows here exactly as through the API. Anything the console adds is
arithmetic on those answers (filtering rows, summing met and breached clocks over vendors).
The compliance report groups by one dimension and has no vendor, priority, module or site
filter; "per vendor by month" is therefore one `group_by=vendor` call per calendar month.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from domain import values
from domain.compliance_scope import REPORT_KINDS, clock_kinds
from domain.errors import InvalidCommand
from domain.health import Quarter
from domain.vocabulary import KNOWN_VENDORS, Module
from interfaces.web.charts import SMALL_HEIGHT, SMALL_WIDTH, BarChart, percent_bars
from interfaces.web.session import Viewer

MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
SITE = re.compile(r"^[A-Za-z0-9 _.-]{1,64}$")
FILTERS = ("from", "to", "quarter", "kind", "count", "vendor", "priority", "module", "site", "within")
COUNTS = ("clocks", "incidents")
"""The API's `count=`: every clock, or each incident once (duplicates left out, people affected)."""
"""The query parameters `read_filters` reads (the compliance, CSV and vendor pages)."""
PRIORITIES = ("P1", "P2", "P3", "P4")
MODULES = tuple(m.value for m in Module)
WITHIN = {"4h": timedelta(hours=4), "24h": timedelta(hours=24), "72h": timedelta(hours=72)}
FIRST_MONTH = values.EARLIEST.date()
DEFAULT_MONTHS = 6
MAX_MONTHS = 24
BREACH_LIMIT = 500  # the API's page size limit
KINDS = tuple(REPORT_KINDS)
QUARTERS_SHOWN = 8  # the picker offers this quarter and the seven before it


@dataclass(frozen=True)
class Filters:
    """The filter form, validated; a bad value is reported and replaced by its default."""

    first: date
    last: date
    vendor: str | None = None
    priority: str | None = None
    module: str | None = None
    site: str | None = None
    within: str = "4h"
    quarter: str | None = None
    """`2026Q3`: the period is that quarter's three months (the API's `quarter=`)."""
    kind: str | None = None
    """response, update or resolution: the API's `kind=` (None: every clock)."""
    errors: list[str] = field(default_factory=list)
    typed: dict[str, str] = field(default_factory=dict)
    count: str = "clocks"
    """`incidents`: each incident once, with the people it affected (the API's `count=`)."""
    """What was typed for a refused month, shown back in the form beside the message."""

    @property
    def start(self) -> datetime:
        return datetime.combine(self.first, datetime.min.time(), UTC)

    @property
    def end(self) -> datetime:
        return datetime.combine(next_month(self.last), datetime.min.time(), UTC)

    def report_filters(self) -> dict[str, str]:
        """The filters `/reports/sla-compliance` takes (vendor, priority, module, site)."""
        chosen = {"vendor": self.vendor, "priority": self.priority, "module": self.module, "site": self.site}
        return {name: value for name, value in chosen.items() if value}

    @property
    def kinds(self) -> tuple[str, ...] | None:
        return clock_kinds(self.kind)

    def months(self) -> list[date]:
        found, month = [], self.first
        while month <= self.last:
            found.append(month)
            month = next_month(month)
        return found

    def shown(self, name: str) -> str:
        """The form's value for `from` or `to`: the refused text as typed, else the month used."""
        if name in self.typed:
            return self.typed[name]
        if self.quarter:
            return ""  # the quarter picker sets the period
        return f"{self.first if name == 'from' else self.last:%Y-%m}"

    def query(self) -> dict[str, str]:
        """The filters as query parameters (for the CSV links: the download is what is shown)."""
        values = {"within": self.within}
        if self.quarter:
            values["quarter"] = self.quarter
        else:
            values.update({"from": f"{self.first:%Y-%m}", "to": f"{self.last:%Y-%m}"})
        for name in ("vendor", "priority", "module", "site", "kind"):
            if getattr(self, name):
                values[name] = getattr(self, name)
        if self.count != "clocks":
            values["count"] = self.count
        return values


def next_month(month: date) -> date:
    return (month.replace(day=1) + timedelta(days=32)).replace(day=1)


def _month(text: str) -> date | None:
    """A month `YYYY-MM` within the domain's years (`domain.values.day`: 1970 to 2200), or None."""
    match = MONTH.fullmatch(text)
    if match is None:
        return None
    try:
        return values.day(date(int(match.group(1)), int(match.group(2)), 1), "month")
    except (ValueError, InvalidCommand):  # year 0000 is no date at all; 9999 is past 2200
        return None


def _months_back(last: date, count: int) -> date:
    """The month `count` - 1 months before `last`, never before January 1970."""
    first = last
    for _ in range(count - 1):
        if first <= FIRST_MONTH:
            break
        first = (first - timedelta(days=1)).replace(day=1)
    return first


def read_filters(args: Mapping[str, str], now: datetime, viewer: Viewer) -> Filters:
    """Parse `from`, `to` (YYYY-MM) or `quarter` (2026Q3, which wins over the months), `kind`,
    `vendor`, `priority`, `module`, `site` and `within`.

    A refused value is named in `errors`, kept as typed in `typed`, and replaced by its default,
    so the page still shows figures (for the default period) and the person sees what to fix."""
    errors: list[str] = []
    typed: dict[str, str] = {}
    chosen: dict[str, date | None] = {}
    for name in ("from", "to"):
        text = (args.get(name) or "").strip()
        chosen[name] = _month(text) if text else None
        if text and chosen[name] is None:
            typed[name] = text[:40]
    if typed:
        errors.append("Months are written YYYY-MM, from 1970-01 to 2200-12.")
    last = chosen["to"] or now.date().replace(day=1)
    first = chosen["from"] or _months_back(last, DEFAULT_MONTHS)
    if first > last:
        errors.append("The period must start before it ends.")
        first = last
    if (last.year - first.year) * 12 + last.month - first.month >= MAX_MONTHS:
        errors.append(f"A period covers at most {MAX_MONTHS} months.")
        first = _months_back(last, MAX_MONTHS)
    quarter_text = (args.get("quarter") or "").strip()
    quarter: str | None = None
    if quarter_text:
        try:
            picked = Quarter.parse(quarter_text)
        except InvalidCommand:
            errors.append("Quarters are written like 2026Q3.")
            typed["quarter"] = quarter_text[:40]
        else:  # the picker wins over the month fields (a form without script sends both)
            quarter = str(picked)
            first, last = picked.start.date(), (picked.end - timedelta(days=1)).date().replace(day=1)

    def pick(name: str, ok: Any) -> str | None:
        value = (args.get(name) or "").strip()
        if not value:
            return None
        if not ok(value):
            errors.append(f"Unknown {name}: {value[:40]}.")
            return None
        return value

    vendor = viewer.vendor or pick("vendor", SLUG.fullmatch)
    within = args.get("within") or "4h"
    if within not in WITHIN:
        errors.append(f"Unknown within: {within[:40]}.")
        within = "4h"
    return Filters(
        first,
        last,
        vendor,
        pick("priority", PRIORITIES.__contains__),
        pick("module", MODULES.__contains__),
        pick("site", SITE.fullmatch),
        within,
        quarter,
        pick("kind", KINDS.__contains__),
        errors,
        typed,
        pick("count", COUNTS.__contains__) or "clocks",
    )


def monthly_compliance(read: Any, viewer: Viewer, f: Filters, now: datetime) -> list[dict[str, Any]]:
    """GET /reports/sla-compliance?group_by=vendor&from=<month>&to=<next month>, once per month."""
    rows = []
    for month in f.months():
        start = datetime.combine(month, datetime.min.time(), UTC)
        end = datetime.combine(next_month(month), datetime.min.time(), UTC)
        for row in read.reports.sla_compliance(
            "vendor", viewer.actor, now, start, end, f.report_filters(), f.kinds, count=f.count
        ):
            rows.append({"month": f"{month:%Y-%m}", **row})
    return rows


def percent(met: int, breached: int) -> float | None:
    decided = met + breached
    return round(100.0 * met / decided, 1) if decided else None


def charts(rows: list[dict[str, Any]], f: Filters) -> tuple[BarChart, list[tuple[str, BarChart, dict[str, int]]]]:
    """All vendors together per month, then one small chart per vendor (same months, same scale)."""
    labels = [f"{m:%Y-%m}" for m in f.months()]
    by_month: dict[str, list[int]] = {label: [0, 0] for label in labels}
    by_vendor: dict[str, dict[str, dict[str, Any]]] = {}
    for row in rows:
        by_month[row["month"]][0] += row["met"]
        by_month[row["month"]][1] += row["breached"]
        by_vendor.setdefault(row["vendor"], {})[row["month"]] = row
    overall = percent_bars([(label[2:], percent(*by_month[label])) for label in labels])
    vendors = []
    for vendor in sorted(by_vendor):
        months = by_vendor[vendor]
        points = [(label[2:], months[label]["percent_met"] if label in months else None) for label in labels]
        chart = percent_bars(points, SMALL_WIDTH, SMALL_HEIGHT)
        totals = {k: sum(int(m[k]) for m in months.values()) for k in ("clocks", "met", "breached", "running")}
        vendors.append((vendor, chart, totals))
    return overall, vendors


def breakdown(read: Any, viewer: Viewer, f: Filters, now: datetime, group: str) -> list[dict[str, Any]]:
    """GET /reports/sla-compliance?group_by=<priority|module|site>&from&to&vendor&priority&module&site."""
    rows: list[dict[str, Any]] = read.reports.sla_compliance(
        group, viewer.actor, now, f.start, f.end, f.report_filters(), f.kinds, count=f.count
    )
    return rows


def breaches(read: Any, viewer: Viewer, f: Filters, now: datetime) -> list[dict[str, Any]]:
    """GET /issues?breached=true&vendor&priority&module&site, kept to issues reported in the period."""
    filters = {"breached": "true"}
    # A vendor's list is already scoped to the issues escalated to it, as over the API.
    names = ("priority", "module", "site") if viewer.vendor else ("vendor", "priority", "module", "site")
    filters.update({k: v for k in names if (v := getattr(f, k))})
    items, _ = read.issues.list(filters, BREACH_LIMIT, None, viewer.actor, now)
    return [i for i in items if i["reported_at"] is not None and f.start <= i["reported_at"] < f.end]


def at_risk(read: Any, viewer: Viewer, f: Filters, now: datetime) -> list[dict[str, Any]]:
    """GET /reports/sla-at-risk?within=..., narrowed to the filters' vendor, priority, module, site."""
    rows: list[dict[str, Any]] = read.reports.sla_at_risk(viewer.actor, now, WITHIN[f.within])
    return [r for r in rows if all(getattr(f, k) in (None, r.get(k)) for k in ("vendor", "priority", "module", "site"))]


def quarter_options(now: datetime) -> list[str]:
    """This quarter and the ones before it, newest first, for the quarter picker."""
    quarter, found = Quarter.containing(now), []
    for _ in range(QUARTERS_SHOWN):
        found.append(str(quarter))
        quarter = quarter.previous
    return found


def vendor_options(viewer: Viewer, seen: list[dict[str, Any]]) -> list[str]:
    if viewer.vendor:
        return [viewer.vendor]
    return sorted(set(KNOWN_VENDORS) | {r["vendor"] for r in seen})


def response_summary(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per priority: responses at month-end close and in the rest of the month, and the worst
    monthly median and p90 of each (medians of different months cannot be pooled honestly)."""
    summary: dict[str, dict[str, Any]] = {}
    for row in rows:
        entry = summary.setdefault(row["priority"], {"priority": row["priority"]})
        side = row["period"]
        entry[f"{side}_count"] = entry.get(f"{side}_count", 0) + row["count"]
        entry[f"{side}_worst_median"] = max(entry.get(f"{side}_worst_median", 0.0), row["median_hours"])
        entry[f"{side}_worst_p90"] = max(entry.get(f"{side}_worst_p90", 0.0), row["p90_hours"])
    return [summary[p] for p in sorted(summary)]


def policy_targets(document: dict[str, Any]) -> list[dict[str, Any]]:
    """The policy document's targets as table rows, with the vendor's own label per priority."""
    labels = document.get("labels") or {}
    calendars = document.get("calendars") or {}
    rows = []
    for priority, target in sorted((document.get("targets") or {}).items()):
        calendar = calendars.get(target.get("calendar"))
        rows.append(
            {
                "priority": priority,
                "label": labels.get(priority, ""),
                "calendar": target.get("calendar"),
                "timezone": "24x7" if calendar == "24x7" else (calendar or {}).get("timezone", ""),
                "response": target.get("response"),
                "update": target.get("update"),
                "resolution": target.get("resolution"),
            }
        )
    return rows
