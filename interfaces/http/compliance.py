"""SLA clocks of an issue, vendor SLA policies, and the compliance reports (JSON or CSV)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Response, request
from flask.views import MethodView
from marshmallow import RAISE, Schema, fields, validate

from domain.access import can_see_issue, can_see_policy, role_family
from interfaces.http.auth import reader, writer
from interfaces.http.blueprint import Blueprint
from interfaces.http.commands import command_context
from interfaces.http.csv_export import csv_response
from interfaces.http.presenters import history_page, json_safe
from interfaces.http.problems import Problem
from interfaces.http.reading import not_found, wait_for_views
from interfaces.http.schemas.common import (
    HistoryQuerySchema,
    position_parameter,
    query_text,
    query_time,
    single_line,
)
from interfaces.http.services import desk, services

blp = Blueprint("compliance", __name__, url_prefix="/api/v1", description="SLA clocks, policies and reports")

WITHIN = re.compile(r"^(\d{1,4})([hm])$")


class StrictSchema(Schema):
    class Meta:
        unknown = RAISE


class PeriodQuery(StrictSchema):
    # A time without an offset has always meant UTC here; the bounds are every time's (1970-2200).
    from_ = query_time(data_key="from", load_default=None, default_timezone=UTC)
    to = query_time(load_default=None, default_timezone=UTC)
    priority = fields.String(load_default=None, validate=validate.OneOf(["P1", "P2", "P3", "P4"]))
    group_by = fields.String(
        load_default="vendor", validate=validate.OneOf(["vendor", "priority", "module", "site", "month"])
    )
    min_position = position_parameter(load_default=None)
    vendor = query_text(64, load_default=None)
    module = fields.String(
        load_default=None,
        validate=validate.OneOf(
            ["finance", "warehouse", "production", "sales", "purchasing", "hr", "reporting", "other"]
        ),
    )
    site = query_text(64, load_default=None)


class AtRiskQuery(StrictSchema):
    within = fields.String(
        load_default="4h", validate=[validate.Regexp(WITHIN, error="use e.g. 4h or 90m"), single_line]
    )
    min_position = position_parameter(load_default=None)


class SlaQuery(StrictSchema):
    min_position = position_parameter(load_default=None)


class PolicySchema(StrictSchema):
    calendars = fields.Dict(required=True)
    targets = fields.Dict(required=True)
    labels = fields.Dict(load_default=None)


def _read_side() -> Any:
    read = services().read
    if read is None:
        raise Problem(503, "the read side is not available", headers={"Retry-After": "5"})
    return read


def _caught_up(min_position: int | None) -> Any:
    """`?min_position=` or `X-Min-Position`, read and bounded as on every other view query."""
    read = _read_side()
    wait_for_views(read, min_position)
    return read


def _now() -> datetime:
    return services().settings.clock()


def _policy_reader(vendor: str) -> None:
    """A vendor reads only its own policy; another vendor's answers the 404 of a missing one."""
    if not can_see_policy(reader(), vendor):
        raise not_found("SLA policy", vendor)


def _reports_reader() -> Any:
    actor = reader()
    if role_family(actor) not in ("admin", "auditor", "vendor", "system"):
        raise Problem(403, f"role {actor.role} may not read compliance reports")
    return actor


def _answer(items: list[dict[str, Any]], name: str) -> Response | dict[str, Any]:
    """JSON by default; CSV when the client asks for text/csv."""
    best = request.accept_mimetypes.best_match(["application/json", "text/csv"])
    if best == "text/csv" and request.accept_mimetypes["text/csv"] > request.accept_mimetypes["application/json"]:
        return csv_response(items, f"{name}.csv")
    return {"items": json_safe(items), "next_cursor": None}


@blp.route("/issues/<key>/sla")
class IssueSla(MethodView):
    @blp.arguments(SlaQuery, location="query")
    @blp.response(200)
    def get(self, query: dict[str, Any], key: str) -> dict[str, Any]:
        """The issue's SLA clocks, live as of now."""
        actor = reader()
        issue = desk().get_issue(key)
        if not can_see_issue(actor, issue):
            raise Problem(404, f"issue {key} was not found")
        read = _caught_up(query.get("min_position"))
        clocks = read.reports.issue_clocks(key, _now())
        if role_family(actor) == "vendor":
            clocks = [c for c in clocks if c.vendor == actor.vendor]
        return {"clocks": [c.to_dict() for c in clocks]}  # exactly the documented shape


@blp.route("/vendors/<vendor>/sla-policy")
class VendorPolicy(MethodView):
    @blp.response(200)
    def get(self, vendor: str) -> Response:
        _policy_reader(vendor)
        policy = desk().get_policy(vendor)
        body = {
            "vendor": vendor,
            "version": policy.version,
            **policy.document,
            "published_at": json_safe(policy.published_at),
        }
        response = Response(_json(body), mimetype="application/json")
        response.headers["ETag"] = f'"{policy.version}"'
        return response

    @blp.arguments(PolicySchema)
    @blp.response(200)
    def put(self, document: dict[str, Any], vendor: str) -> Response:
        actor = writer()
        if role_family(actor) not in ("admin", "system"):
            raise Problem(403, f"role {actor.role} may not change SLA policies")
        if document.get("labels") is None:
            document.pop("labels", None)
        receipt = desk().put_policy(command_context(), vendor, document)  # If-Match as every command reads it
        policy = desk().get_policy(vendor)
        body = {
            "vendor": vendor,
            "version": policy.version,
            **policy.document,
            "published_at": json_safe(policy.published_at),
        }
        response = Response(_json(body), mimetype="application/json")
        response.headers["ETag"] = f'"{policy.version}"'
        if receipt.position is not None:
            response.headers["X-Event-Position"] = str(receipt.position)
        return response


@blp.route("/vendors/<vendor>/sla-policy/history")
class VendorPolicyHistory(MethodView):
    @blp.arguments(HistoryQuerySchema, location="query")
    @blp.response(200)
    def get(self, query: dict[str, Any], vendor: str) -> dict[str, Any]:
        """Every event of the vendor's SLA policy, paged

        Oldest first, `?limit=` (default 50, max 500) events a page; pass `next_cursor` back as
        `?cursor=` for the next page (null on the last one).
        """
        _policy_reader(vendor)
        return history_page(desk().policy_history_page(vendor, query["limit"], query["after"]))


@blp.route("/reports/sla-compliance")
class SlaComplianceReport(MethodView):
    @blp.arguments(PeriodQuery, location="query")
    @blp.response(200)
    def get(self, query: dict[str, Any]) -> Any:
        actor = _reports_reader()
        read = _caught_up(query.get("min_position"))
        filters = {name: query[name] for name in ("vendor", "priority", "module", "site") if query.get(name)}
        rows = read.reports.sla_compliance(query["group_by"], actor, _now(), query["from_"], query["to"], filters)
        return _answer(rows, "sla-compliance")


@blp.route("/reports/vendor-response-times")
class VendorResponseReport(MethodView):
    @blp.arguments(PeriodQuery, location="query")
    @blp.response(200)
    def get(self, query: dict[str, Any]) -> Any:
        actor = _reports_reader()
        read = _caught_up(query.get("min_position"))
        rows = read.reports.vendor_response_times(actor, query["from_"], query["to"], query["priority"])
        return _answer(rows, "vendor-response-times")


@blp.route("/reports/sla-at-risk")
class AtRiskReport(MethodView):
    @blp.arguments(AtRiskQuery, location="query")
    @blp.response(200)
    def get(self, query: dict[str, Any]) -> Any:
        actor = _reports_reader()
        read = _caught_up(query.get("min_position"))
        number, unit = WITHIN.match(query["within"]).groups()  # type: ignore[union-attr]
        within = timedelta(hours=int(number)) if unit == "h" else timedelta(minutes=int(number))
        return _answer(read.reports.sla_at_risk(actor, _now(), within), "sla-at-risk")


def _json(body: dict[str, Any]) -> str:
    import json

    return json.dumps(json_safe(body), ensure_ascii=False)
