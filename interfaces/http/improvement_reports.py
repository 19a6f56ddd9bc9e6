"""The quarterly health check (JSON, CSV, printable HTML), its measurements, and the suggestion
leaderboard with rewards paid per quarter and currency.

Administrators and the ERP integration (an app token) post measurements; administrators and
auditors read the reports.
"""

from __future__ import annotations

from typing import Any

from flask import Response, render_template

from domain.health import HealthCheck, Quarter
from interfaces.http import metrics
from interfaces.http.api import errors
from interfaces.http.blueprint import Blueprint
from interfaces.http.commands import command_context
from interfaces.http.improvement_common import csv_answer, internal_reader, negotiated, now, views, wants
from interfaces.http.improvement_schemas import HealthQuerySchema, MeasurementSchema, TopQuerySchema
from interfaces.http.presenters import json_safe
from interfaces.http.problems import Problem
from interfaces.http.services import desk
from projections.health_check import report_rows

blp = Blueprint(
    "improvement_reports",
    __name__,
    url_prefix="/api/v1",
    template_folder="templates",
    description="Quarterly health check and suggestion participation",
)


def _quarter(text: str) -> str:
    """The path's quarter, or 404 (a path that names no quarter names no resource)."""
    try:
        return str(Quarter.parse(text))
    except Exception:
        raise Problem(404, f"{text!r} is not a quarter like 2026Q3") from None


def _measurements_view(quarter: str, check: HealthCheck | None) -> dict[str, Any]:
    items = sorted(check.measurements.values(), key=lambda m: m["module"]) if check else []
    return {"quarter": quarter, "version": check.version if check else 0, "measurements": json_safe(items)}


@blp.route("/health-checks/<quarter>/measurements", methods=["POST"])
@blp.arguments(MeasurementSchema)
@blp.response(201)
@errors(blp, 400, 401, 403, 404, 409, 412, 413, 415, 422, 503)
def post_measurement(body: dict[str, Any], quarter: str) -> tuple[dict[str, Any], int, dict[str, str]]:
    """Post a module's figures for the quarter (0 to 1): data accuracy, process execution rate, user
    activity. A figure left out keeps its earlier value; a later figure corrects an earlier one."""
    name = _quarter(quarter)
    ctx = command_context()
    fields = {k: v for k, v in body.items() if v is not None}
    receipt = desk().record_measurement(ctx, name, **fields)
    if not receipt.replayed:
        metrics.command_accepted(receipt.kind, "measurements")
    check = desk().get_health_check(name)
    headers = {"ETag": f'"{receipt.version}"'}
    if receipt.position is not None:
        headers["X-Event-Position"] = str(receipt.position)
    if receipt.replayed:
        headers["Idempotent-Replayed"] = "true"
    return _measurements_view(name, check), 201, headers


@blp.route("/health-checks/<quarter>", methods=["GET"])
@blp.response(200)
@errors(blp, 401, 403, 404, 503)
def get_measurements(quarter: str) -> tuple[dict[str, Any], int, dict[str, str]]:
    """The measurements posted for the quarter, per module, with who posted them and when;
    `ETag` is the version a POST may name in `If-Match`"""
    internal_reader("health checks")
    name = _quarter(quarter)
    view = _measurements_view(name, desk().get_health_check(name))
    return view, 200, {"ETag": f'"{view["version"]}"'}


@blp.route("/reports/health-check", methods=["GET"])
@blp.arguments(HealthQuerySchema, location="query")
@blp.response(200)
@blp.doc(**negotiated("csv", "html"))
@errors(blp, 401, 403, 422, 503)
def health_check(query: dict[str, Any]) -> Any:
    """The quarterly health check (default: the current quarter) with rule-based recommendations.
    `Accept: text/csv` (or `?format=csv`) for CSV; `text/html` (or `?format=html`) for a printable page"""
    actor = internal_reader("health checks")
    read = views(query.get("min_position"))
    current = now()
    quarter = query.get("quarter") or str(Quarter.containing(current))
    report = read.improvement.health_check(quarter, actor, current)
    fmt = wants(query.get("format"), "json", "csv", "html")
    if fmt == "csv":
        return csv_answer(
            report_rows(report), f"health-check-{quarter}", ["quarter", "section", "subject", "metric", "value"]
        )
    if fmt == "html":
        page = render_template("health_check.html", report=json_safe(report))
        return Response(page, mimetype="text/html")
    return json_safe(report)


@blp.route("/reports/suggestions/top", methods=["GET"])
@blp.arguments(TopQuerySchema, location="query")
@blp.response(200)
@blp.doc(**negotiated("csv"))
@errors(blp, 401, 403, 422, 503)
def top_suggestions(query: dict[str, Any]) -> Any:
    """Top suggestions and suggesters (of a quarter, or all time) and rewards paid per quarter and currency.
    CSV gives the rewards table"""
    internal_reader("suggestion reports")
    report = views(query.get("min_position")).suggestions.top(query.get("quarter"))
    if wants(query.get("format"), "json", "csv") == "csv":
        return csv_answer(report["rewards"], "suggestion-rewards", ["quarter", "currency", "count", "total"])
    return json_safe(report)
