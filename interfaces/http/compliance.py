"""SLA clocks of an issue, vendor SLA policies, and the compliance reports (JSON or CSV)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Response, request
from flask.views import MethodView
from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema

from domain.access import can_see_issue, can_see_policy, role_family
from domain.compliance_scope import REPORT_KINDS, clock_kinds
from domain.health import Quarter
from domain.sla_policy import VENDOR_SLUG, check_vendor, validated_document
from domain.sla_policy_document import SlaPolicyDocument
from interfaces.http.auth import reader, writer
from interfaces.http.blueprint import Blueprint
from interfaces.http.commands import command_context
from interfaces.http.csv_export import csv_response
from interfaces.http.improvement_schemas import quarter_parameter
from interfaces.http.presenters import history_page, json_safe
from interfaces.http.problems import Problem, flatten_errors, validation_problem
from interfaces.http.reading import not_found, wait_for_views
from interfaces.http.schemas.common import (
    HistoryQuerySchema,
    aware_datetime,
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


REPORT_KIND = fields.String(
    load_default=None,
    validate=validate.OneOf(list(REPORT_KINDS)),
    metadata={"description": "response, update or resolution: the internal and vendor clocks of that target"},
)


class ComplianceQuery(PeriodQuery):
    """`/reports/sla-compliance`: the period as from/to or as a quarter, one report kind, and
    `as_of` for the figures exactly as they stood at a past time (replayed from the facts)."""

    kind = REPORT_KIND
    count = fields.String(
        load_default="clocks",
        validate=validate.OneOf(["clocks", "incidents"]),
        metadata={
            "description": "clocks (default) or incidents: duplicates' clocks left out, each row adding"
            " incidents and affected_count (people affected, duplicates' included)"
        },
    )
    quarter = quarter_parameter(load_default=None)
    as_of = query_time(
        load_default=None,
        metadata={"description": "RFC 3339: the figures as they stood then (facts recorded by then, judged then)"},
    )

    @validates_schema
    def quarter_or_period(self, data: dict[str, Any], **kwargs: Any) -> None:
        if data.get("quarter") is not None and (data.get("from_") is not None or data.get("to") is not None):
            raise ValidationError("give either quarter or from/to, not both", "quarter")


class WhatIfBody(StrictSchema):
    """`POST /reports/what-if`: proposed policy documents per vendor, each as PUT
    /vendors/{vendor}/sla-policy takes it, and the period whose clocks are recomputed."""

    policies = fields.Dict(
        keys=fields.String(validate=validate.Length(min=1, max=64)),
        values=fields.Raw(),
        required=True,
        validate=validate.Length(min=1, max=16),
        metadata={"example": {"sap": {"calendars": {}, "targets": {}}}},
    )
    from_ = aware_datetime(data_key="from", load_default=None)
    to = aware_datetime(load_default=None)
    quarter = quarter_parameter(load_default=None)
    group_by = fields.String(
        load_default="vendor", validate=validate.OneOf(["vendor", "priority", "module", "site", "month"])
    )
    kind = REPORT_KIND

    @validates_schema
    def quarter_or_period(self, data: dict[str, Any], **kwargs: Any) -> None:
        if data.get("quarter") is not None and (data.get("from_") is not None or data.get("to") is not None):
            raise ValidationError("give either quarter or from/to, not both", "quarter")


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
    site_calendars = fields.Dict(
        load_default=None,
        metadata={
            "description": "an issue's site -> a calendar name: office-hours targets of an issue at that site"
            " are counted on that calendar (24x7 targets stay 24x7)",
            "example": {"JKT": "jkt-office"},
        },
    )


def without_absent(document: dict[str, Any]) -> dict[str, Any]:
    """The loaded body less the optional parts left out (the domain's defaults apply)."""
    return {key: value for key, value in document.items() if not (key in OPTIONAL_POLICY_KEYS and value is None)}


OPTIONAL_POLICY_KEYS = ("labels", "site_calendars")


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


def _period(query: dict[str, Any]) -> tuple[datetime | None, datetime | None]:
    """`quarter=2026Q3` is `[2026-07-01T00:00Z, 2026-10-01T00:00Z)`; else from/to as given."""
    if query.get("quarter"):
        quarter = Quarter.parse(query["quarter"])
        return quarter.start, quarter.end
    return query.get("from_"), query.get("to")


def _as_of(query: dict[str, Any]) -> datetime | None:
    """A past time, or now: the figures of a time still to come are not known."""
    as_of: datetime | None = query.get("as_of")
    if as_of is not None and as_of > _now():
        raise validation_problem({"as_of": ["must not be in the future"]}, "as_of must not be in the future")
    return as_of


def proposed_policies(documents: dict[str, Any]) -> dict[str, SlaPolicyDocument]:
    """Each document checked exactly as PUT /vendors/{vendor}/sla-policy checks it: the same
    schema (its errors named under `policies.<vendor>`), then the same domain validation (the
    same 422 detail), so a what-if never runs on a policy that could not be published."""
    proposed: dict[str, SlaPolicyDocument] = {}
    for vendor, document in documents.items():
        if not VENDOR_SLUG.match(vendor):
            check_vendor(vendor)  # the policy API's own refusal of a bad slug
        try:
            loaded = PolicySchema().load(document)
        except ValidationError as error:
            raise validation_problem(flatten_errors(error.messages, f"policies.{vendor}")) from None
        proposed[vendor] = SlaPolicyDocument.from_document(validated_document(without_absent(loaded)))
    return proposed


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
        document = without_absent(document)
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
    @blp.arguments(ComplianceQuery, location="query")
    @blp.response(200)
    def get(self, query: dict[str, Any]) -> Any:
        """Clocks, met, breached, running and % met per group

        `kind=` keeps one target (response, update or resolution); `quarter=2026Q3` is the
        period `[2026-07-01, 2026-10-01)` UTC; `as_of=` gives the figures exactly as they stood
        then (facts recorded by then, clocks judged then), so a closed quarter never drifts.
        `count=incidents` counts an incident once: issues linked `duplicate_of` another are left
        out, and each row adds `incidents` and `affected_count`.
        """
        actor = _reports_reader()
        as_of = _as_of(query)
        read = _caught_up(query.get("min_position"))
        start, end = _period(query)
        filters = {name: query[name] for name in ("vendor", "priority", "module", "site") if query.get(name)}
        rows = read.reports.sla_compliance(
            query["group_by"], actor, _now(), start, end, filters, clock_kinds(query["kind"]), as_of, query["count"]
        )
        return _answer(rows, "sla-compliance")


@blp.route("/reports/what-if")
class WhatIfReport(MethodView):
    @blp.arguments(WhatIfBody)
    @blp.response(200)
    def post(self, body: dict[str, Any]) -> dict[str, Any]:
        """Compliance figures under proposed policies, beside today's

        Every clock of a named vendor is recomputed on its proposed document (whatever version
        it started on); other vendors keep their recorded versions. Computed in memory from the
        SLA facts: no view is written. Administrators and auditors.
        """
        actor = reader()
        if role_family(actor) not in ("admin", "auditor", "system"):
            raise Problem(403, f"role {actor.role} may not run what-if reports")
        proposed = proposed_policies(body["policies"])
        read = _read_side()
        start, end = _period(body)
        now = _now()
        kinds = clock_kinds(body["kind"])
        figures = read.reports.what_if(body["group_by"], actor, now, proposed, start, end, None, kinds)
        return {
            "group_by": body["group_by"],
            "from": json_safe(start),
            "to": json_safe(end),
            "kind": body["kind"],
            "computed_at": json_safe(now),
            "policies": {vendor: document.to_document() for vendor, document in proposed.items()},
            "current": json_safe(figures["current"]),
            "proposed": json_safe(figures["proposed"]),
        }


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
