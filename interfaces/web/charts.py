"""Geometry of the console's SVG charts, computed from the report numbers on the server.

Hand-written SVG (templates/console/_charts.html draws these shapes) instead of a charting
dependency: the charts are three simple kinds, every figure is also in a table beside the
chart for screen readers and copying, and there is no script to load. Coordinates are in a
fixed viewBox; the SVG scales to the column width, so the same chart serves 1280 px and phones.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

BAR_WIDTH, BAR_HEIGHT = 560, 170
SMALL_WIDTH, SMALL_HEIGHT = 240, 130
BAR_LEFT, BAR_TOP, BAR_BOTTOM = 34, 14, 22
GOOD, FAIR = 90.0, 70.0  # % met at or above which a bar is drawn as good / fair


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    label: str
    text: str
    tone: str  # good | fair | poor | none (no decided clocks)


@dataclass(frozen=True)
class BarChart:
    """% met per period: bars on a 0-100 scale with gridlines at each quarter."""

    width: int
    height: int
    bars: list[Bar]
    grid: list[tuple[float, str]]  # (y, label)
    baseline: float


def tone(percent: float | None) -> str:
    if percent is None:
        return "none"
    return "good" if percent >= GOOD else "fair" if percent >= FAIR else "poor"


def percent_bars(
    points: Sequence[tuple[str, float | None]], width: int = BAR_WIDTH, height: int = BAR_HEIGHT
) -> BarChart:
    """One bar per (label, % met); a period without decided clocks gets an empty slot, not a 0.

    A smaller viewBox draws larger text once scaled to the page: small multiples use one."""
    plot_h = height - BAR_TOP - BAR_BOTTOM
    slot = (width - BAR_LEFT - 4) / max(1, len(points))
    bars = []
    for index, (label, percent) in enumerate(points):
        bar_h = plot_h * (percent or 0.0) / 100.0
        x = BAR_LEFT + index * slot + slot * 0.15
        text = "—" if percent is None else f"{percent:.0f}%"
        bars.append(Bar(x, BAR_TOP + plot_h - bar_h, slot * 0.7, bar_h, label, text, tone(percent)))
    grid = [(BAR_TOP + plot_h * (1 - q / 100), f"{q}%") for q in (0, 25, 50, 75, 100)]
    return BarChart(width, height, bars, grid, BAR_TOP + plot_h)


RANGE_WIDTH, RANGE_LEFT, RANGE_ROW = 640, 190, 22


@dataclass(frozen=True)
class RangeRow:
    y: float
    label: str
    period: str
    median_x: float
    p90_x: float
    max_x: float
    text: str


@dataclass(frozen=True)
class RangeChart:
    """Response-time distribution: per row a bar to the p90, a mark at the median and at the max."""

    width: int
    height: int
    left: int
    rows: list[RangeRow]
    ticks: list[tuple[float, str]]


def response_ranges(rows: Sequence[dict[str, Any]]) -> RangeChart:
    """Rows of `vendor_response_times` (median_hours, p90_hours, max_hours) on one hours axis."""
    top = max([float(r["max_hours"]) for r in rows] + [1.0])
    step = _nice_step(top)
    scale_max = step * -(-top // step)
    span = RANGE_WIDTH - RANGE_LEFT - 16

    def x(hours: float) -> float:
        return RANGE_LEFT + span * hours / scale_max

    drawn = [
        RangeRow(
            y=18 + index * RANGE_ROW,
            label=f"{r['priority']} · {r['month']}",
            period=r["period"],
            median_x=x(float(r["median_hours"])),
            p90_x=x(float(r["p90_hours"])),
            max_x=x(float(r["max_hours"])),
            text=f"median {r['median_hours']} h, p90 {r['p90_hours']} h, max {r['max_hours']} h (n={r['count']})",
        )
        for index, r in enumerate(rows)
    ]
    ticks = [(x(step * i), f"{step * i:g} h") for i in range(int(scale_max // step) + 1)]
    return RangeChart(RANGE_WIDTH, 30 + len(drawn) * RANGE_ROW, RANGE_LEFT, drawn, ticks)


def _nice_step(top: float) -> float:
    """A round tick step (1, 2, 5 x 10^n) giving four to eight ticks."""
    for step in (0.5, 1, 2, 4, 8, 12, 24, 48, 96, 168, 336, 720):
        if top / step <= 8:
            return float(step)
    return float(top / 8)


TIMELINE_WIDTH, TIMELINE_LEFT, TIMELINE_ROW = 720, 200, 34


@dataclass(frozen=True)
class Span:
    x: float
    width: float
    kind: str  # running | paused | overdue


@dataclass(frozen=True)
class ClockRow:
    y: float
    label: str  # the clock's kind, translated by the template
    detail: str
    status: str
    spans: list[Span]
    start_x: float
    due_x: float
    stop_x: float | None
    describe: str


@dataclass(frozen=True)
class Timeline:
    width: int
    height: int
    left: int
    rows: list[ClockRow]
    ticks: list[tuple[float, str]] = field(default_factory=list)
    now_x: float | None = None


def clock_timeline(clocks: Sequence[Any], now: datetime) -> Timeline:
    """SLA clocks (`domain.sla_clocks.SlaClock`) on one time axis: started, paused, due, stopped,
    and the overdue stretch of a breached clock from its due time to its stop (or now)."""
    if not clocks:
        return Timeline(TIMELINE_WIDTH, 40, TIMELINE_LEFT, [])
    start = min(c.started_at for c in clocks)
    running = any(c.stopped_at is None for c in clocks)
    end = max([c.due_at for c in clocks] + [c.stopped_at for c in clocks if c.stopped_at] + ([now] if running else []))
    end = max(end, start + timedelta(minutes=1))
    span = TIMELINE_WIDTH - TIMELINE_LEFT - 40  # room for the last tick's label
    total = (end - start).total_seconds()

    def x(when: datetime) -> float:
        return TIMELINE_LEFT + span * max(0.0, min(1.0, (when - start).total_seconds() / total))

    rows = []
    for index, clock in enumerate(clocks):
        until = clock.stopped_at or min(now, end)
        spans = _spans(clock, until, x)
        if clock.status == "breached" and until > clock.due_at:
            spans.append(Span(x(clock.due_at), max(1.0, x(until) - x(clock.due_at)), "overdue"))
        rows.append(
            ClockRow(
                y=26 + index * TIMELINE_ROW,
                label=clock.kind.replace("_", " "),
                detail=f"({clock.vendor}, {clock.priority})",
                status=str(clock.status),
                spans=spans,
                start_x=x(clock.started_at),
                due_x=x(clock.due_at),
                stop_x=x(clock.stopped_at) if clock.stopped_at else None,
                describe=f"{clock.kind}: {clock.status}",
            )
        )
    marks = [start + (end - start) * i / 4 for i in range(5)]
    ticks = [(x(mark), mark.strftime("%m-%d %H:%M")) for mark in marks]
    now_x = x(now) if start <= now <= end else None
    return Timeline(TIMELINE_WIDTH, 40 + len(rows) * TIMELINE_ROW, TIMELINE_LEFT, rows, ticks, now_x)


def _spans(clock: Any, until: datetime, x: Any) -> list[Span]:
    """The clock's life from start to `until`, cut into running and paused stretches."""
    spans: list[Span] = []
    cursor = clock.started_at
    for paused_from, paused_to in clock.paused:
        stop = paused_to or until
        if paused_from > cursor:
            spans.append(Span(x(cursor), x(paused_from) - x(cursor), "running"))
        spans.append(Span(x(paused_from), max(1.0, x(stop) - x(paused_from)), "paused"))
        cursor = max(cursor, stop)
    if until > cursor:
        spans.append(Span(x(cursor), x(until) - x(cursor), "running"))
    return spans
