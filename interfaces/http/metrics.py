"""Prometheus metrics: requests and latency by route template, commands by type, projection lag
and views stuck on an event.

Under gunicorn each worker is a process, so the counters use prometheus-client's multiprocess
mode (`PROMETHEUS_MULTIPROC_DIR`, set by `interfaces.serve` before any worker starts) and a
scrape aggregates every worker's files. Without that variable (tests, `--dev`) the process's
own registry is served.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily

REQUESTS = Counter(
    "kaizen_http_requests_total",
    "HTTP requests answered, by method, route template and status",
    ["method", "route", "status"],
)
LATENCY = Histogram(
    "kaizen_http_request_duration_seconds",
    "Time to answer an HTTP request, by route template and status",
    ["method", "route", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
COMMANDS = Counter(
    "kaizen_commands_total",
    "Commands accepted (replays of an Idempotency-Key not counted), by type",
    ["kind", "command"],
)
RATE_LIMITED = Counter(
    "kaizen_http_rate_limited_total",
    "Requests refused with 429, by what the bucket was keyed on (principal or address)",
    ["kind"],
)


def observe_request(method: str, route: str, status: int, seconds: float) -> None:
    REQUESTS.labels(method, route, str(status)).inc()
    LATENCY.labels(method, route, str(status)).observe(seconds)


def command_accepted(kind: str, command: str) -> None:
    COMMANDS.labels(kind, command).inc()


def rate_limited(kind: str) -> None:
    """One 429; labelled by kind only, since a subject or address label would grow without bound."""
    RATE_LIMITED.labels(kind).inc()


class _ScrapeTimeGauge:
    """A gauge read from the views at scrape time (never stale between scrapes)."""

    def __init__(self, name: str, documentation: str, label: str, values: Mapping[str, float]) -> None:
        self.name, self.documentation, self.label, self.values = name, documentation, label, values

    def collect(self) -> list[GaugeMetricFamily]:
        family = GaugeMetricFamily(self.name, self.documentation, labels=[self.label])
        for key, value in sorted(self.values.items()):
            family.add_metric([key], float(value))
        return [family]


def exposition(
    lag: Mapping[str, int] | None,
    breaches: Mapping[str, int] | None = None,
    stalled: Mapping[str, int] | None = None,
    failing_seconds: Mapping[str, float] | None = None,
) -> tuple[bytes, str]:
    """The text exposition of every worker's metrics (multiprocess) or this process's, plus the
    gauges read at scrape time: lag, open breaches, views stuck on an event."""
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if directory and os.path.isdir(directory):
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry, path=directory)  # type: ignore[no-untyped-call]
        output = generate_latest(registry)
    else:
        output = generate_latest(REGISTRY)
    extra = CollectorRegistry()
    if lag is not None:
        extra.register(_ScrapeTimeGauge("kaizen_projection_lag_events", "Events a view trails the log by", "view", lag))
    if stalled is not None:
        extra.register(
            _ScrapeTimeGauge(
                "kaizen_projection_stalled",
                "1 while a view has failed on one event for longer than KAIZEN_VIEW_STALL_SECONDS, else 0",
                "view",
                stalled,
            )
        )
    if failing_seconds is not None:
        extra.register(
            _ScrapeTimeGauge(
                "kaizen_projection_failing_seconds",
                "Seconds a view has been failing on the event it is stuck on (0: not failing)",
                "view",
                failing_seconds,
            )
        )
    if breaches is not None:
        extra.register(
            _ScrapeTimeGauge("kaizen_open_sla_breaches", "Running SLA clocks past their due time", "vendor", breaches)
        )
    output += generate_latest(extra)
    return output, CONTENT_TYPE_LATEST
