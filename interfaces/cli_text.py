"""How `kaizen` shows things in a terminal: tables, progress bars, issues and replays.

Kept apart from the command wiring so the text forms can be tested (and grown) on their own.
"""

from __future__ import annotations

import sys
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import IO, Any


def progress_bar(label: str, stream: IO[str] | None = None) -> Callable[[int, int], None]:
    """A progress callback (done, total): a redrawn bar on a terminal, a line per quarter otherwise."""
    out = stream or sys.stderr
    shown = {"quarter": -1}

    def report(done: int, total: int) -> None:
        fraction = done / total if total else 1.0
        if out.isatty():
            filled = int(fraction * 30)
            out.write(f"\r{label} [{'#' * filled}{'.' * (30 - filled)}] {fraction:4.0%} {done}/{total}")
            if done >= total:
                out.write("\n")
        elif int(fraction * 4) > shown["quarter"]:
            shown["quarter"] = int(fraction * 4)
            out.write(f"{label}: {fraction:.0%} ({done}/{total})\n")
        out.flush()

    return report


def when(value: Any) -> str:
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    if isinstance(value, date):
        return value.isoformat()
    return "-" if value is None else str(value)


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """Plain aligned columns (wide CJK characters count double), for terminals and grep."""
    cells = [[str(h) for h in headers]] + [["-" if c is None else str(c) for c in row] for row in rows]
    widths = [max(_width(row[i]) for row in cells) for i in range(len(headers))]
    return "\n".join(
        "  ".join(c + " " * (w - _width(c)) for c, w in zip(row, widths, strict=True)).rstrip() for row in cells
    )


def render_issue(issue: Any, history: Sequence[dict[str, Any]]) -> str:
    """The text block of `kaizen issue show`: state first, then every event."""
    esc = issue.escalation
    escalation = "-"
    if esc:
        label = esc["vendor_priority"] or "-"
        escalation = f"{esc['vendor']} {esc['vendor_ticket']} ({label}) since {when(esc['escalated_at'])}"
    workarounds = [
        f"{w['id']} {w['kind']} retire by {when(w['retire_by'])}"
        for w in issue.workarounds.values()
        if w["retired_at"] is None
    ]
    fields = [
        ("status", issue.status),
        ("priority", f"{issue.priority} ({issue.impact_class}; scope {issue.impact_scope}, urgency {issue.urgency})"),
        ("module", f"{issue.module}   site: {issue.site or '-'}   language: {issue.language or '-'}"),
        ("vendor", issue.vendor),
        ("reporter", issue.reporter),
        ("assignee", issue.assignee or "-"),
        ("escalation", escalation),
        ("reported", when(issue.reported_at) + (f" (noticed {when(issue.noticed_at)})" if issue.noticed_at else "")),
        ("first response", when(issue.first_response_at)),
        ("resolved", when(issue.resolved_at) + (f": {issue.resolution}" if issue.resolution else "")),
        ("closed", when(issue.closed_at)),
        ("reopened", f"{issue.reopen_count} time(s)"),
        ("open workarounds", ", ".join(workarounds) or "-"),
        ("updated", when(issue.updated_at)),
    ]
    lines = [f"{issue.key}  {issue.title}"] + [f"  {name + ':':<18}{value}" for name, value in fields]
    rows = [
        (e["version"], e["type"], f"{e['actor']} ({e['actor_role']})", e["via"], when(e["occurred_at"]))
        for e in history
    ]
    lines += ["", "events:", table(("version", "type", "actor", "via", "occurred_at"), rows)]
    return "\n".join(lines)


@dataclass(frozen=True)
class ReplayColumn:
    """An extra `kaizen replay` column; `value` sees each history entry in version order, so it may fold
    state across events (the SLA clocks' state after each event is meant to be added this way)."""

    header: str
    value: Callable[[dict[str, Any]], str]


# Factories (desk, key) -> ReplayColumn that `kaizen replay` adds for every issue it replays.
REPLAY_COLUMNS: list[Callable[[Any, str], ReplayColumn]] = []
# fmt: off
FACT_FIELDS = (
    "title", "priority", "previous_priority", "assignee", "vendor", "vendor_ticket", "vendor_priority", "on",
    "reason", "message", "body", "visibility", "kind", "retire_by", "scheduled_for", "resolution", "root_cause",
    "note", "impact", "effort", "outcome", "target_release", "amount", "currency", "into", "source", "site",
    "workaround_id", "change_id",
)
# fmt: on


def facts(entry: dict[str, Any], limit: int = 110) -> str:
    """The main facts of one event, short enough for one line."""
    data = entry["data"]
    parts = []
    for name in FACT_FIELDS:
        value = data.get(name)
        if value is None or value == "" or name == "previous_priority":
            continue
        if name == "priority" and data.get("previous_priority") not in (None, value):
            value = f"{data['previous_priority']}→{value}"
        elif name == "priority" and "previous_priority" in data:
            continue
        text = " ".join(when(value).split()) if isinstance(value, datetime | date) else " ".join(str(value).split())
        parts.append(f"{name}={text[:60] + '…' if len(text) > 60 else text}")
    line = ", ".join(parts)
    return line if len(line) <= limit else line[: limit - 1] + "…"


def replay_lines(history: Sequence[dict[str, Any]], columns: Sequence[ReplayColumn] = ()) -> str:
    """The timeline: time, actor, type, any extra columns, then the facts (last, as they vary in width)."""
    headers = ["occurred_at", "actor", "type", *[c.header for c in columns], "facts"]
    rows = []
    for entry in history:
        actor = entry["actor"] + (f" via {entry['via']}" if entry["via"] else "")
        extra = [column.value(entry) for column in columns]
        rows.append([when(entry["occurred_at"]), actor, entry["type"], *extra, facts(entry)])
    return table(headers, rows)


CLOCK_ABBREVIATIONS = {
    "internal_response": "IR",
    "internal_resolution": "IS",
    "vendor_response": "VR",
    "vendor_update": "VU",
    "vendor_resolution": "VS",
}
SLA_LEGEND = (
    "sla: IR internal response, IS internal resolution, VR vendor response, VU vendor update, VS vendor resolution"
)


def sla_column(desk: Any, key: str) -> ReplayColumn:
    """The SLA clocks' state after each event, e.g. `IR:met IS:running VR:breached`."""
    from application.sla_facts import clocks_after_each_event

    after = dict(clocks_after_each_event(desk.events_of(key), desk.policy_resolver()))

    def value(entry: dict[str, Any]) -> str:
        clocks = after.get(entry["version"], [])
        return " ".join(f"{CLOCK_ABBREVIATIONS.get(c.kind, c.kind)}:{c.status}" for c in clocks) or "-"

    return ReplayColumn("sla", value)


REPLAY_COLUMNS.append(sla_column)
