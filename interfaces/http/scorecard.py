"""`GET /reports/vendor-scorecard`: one vendor's quarter under its terms, as JSON or CSV.

Readers are the compliance reports' (administrators, auditors, and a vendor), and a vendor reads
only its own scorecard: another vendor's answers the 404 of one that does not exist, as its
terms and policy do, so a vendor learns nothing about a rival. The figures and their
definitions are `projections.scorecard`'s (docs/reference.md, "Vendor scorecard").
"""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from marshmallow import RAISE, Schema, fields, validate

from domain.access import role_family
from domain.actor import Actor
from domain.health import Quarter
from domain.sla_policy import VENDOR_SLUG
from interfaces.http.api import errors
from interfaces.http.auth import reader
from interfaces.http.blueprint import Blueprint
from interfaces.http.improvement_common import csv_answer, negotiated, now, views, wants
from interfaces.http.improvement_schemas import quarter_parameter
from interfaces.http.presenters import json_safe
from interfaces.http.problems import Problem, validation_problem
from interfaces.http.reading import not_found
from interfaces.http.schemas.common import position_parameter
from interfaces.http.services import desk
from projections.scorecard import scorecard_rows, vendor_scorecard

blp = Blueprint("scorecard", __name__, url_prefix="/api/v1", description="Vendor scorecard")

READERS = frozenset({"admin", "auditor", "vendor", "system"})
CSV_COLUMNS = ["vendor", "quarter", "section", "subject", "metric", "value"]


class ScorecardQuery(Schema):
    class Meta:
        unknown = RAISE

    vendor = fields.String(
        load_default=None,
        validate=validate.Regexp(VENDOR_SLUG, error="a vendor slug such as sap"),
        metadata={"description": "the vendor (a vendor's own token may leave it out)", "example": "sap"},
    )
    quarter = quarter_parameter(load_default=None)  # default: the current quarter
    format = fields.String(load_default=None, validate=validate.OneOf(["json", "csv"]))
    min_position = position_parameter(load_default=None)


def scorecard_reader(actor: Actor, vendor: str | None) -> str:
    """The vendor whose scorecard `actor` reads: 403 for roles that read no report, 404 for a
    vendor asking after another, 422 for others naming no vendor."""
    family = role_family(actor)
    if family not in READERS:
        raise Problem(403, f"role {actor.role} may not read vendor scorecards")
    if family == "vendor":
        if vendor is not None and vendor != actor.vendor:
            raise not_found("vendor scorecard", vendor)
        return str(actor.vendor)
    if vendor is None:
        raise validation_problem({"vendor": ["name the vendor, e.g. vendor=sap"]}, "vendor is required")
    return vendor


def scorecard(actor: Actor, vendor: str, quarter: Quarter, min_position: int | None = None) -> dict[str, Any]:
    """The scorecard as the API answers it (JSON-ready): the one call the console pages make too."""
    read = views(min_position)
    card = vendor_scorecard(read.store, vendor, quarter, actor, now(), desk().incidents_used)
    safe: dict[str, Any] = json_safe(card)
    return safe


@blp.route("/reports/vendor-scorecard")
class VendorScorecard(MethodView):
    @blp.arguments(ScorecardQuery, location="query")
    @blp.response(200)
    @blp.doc(**negotiated("csv"))
    @errors(blp, 401, 403, 404, 422, 503)
    def get(self, query: dict[str, Any]) -> Any:
        """One vendor's quarter: clocks met and breached by kind with median and p90 business
        hours, incidents used of the quota, fees paid per currency, the service credit owed under
        the terms in force at the quarter's end, and the reopen rate

        `quarter=2026Q3` (default: the current one); `Accept: text/csv` or `?format=csv` for CSV
        rows of (vendor, quarter, section, subject, metric, value). Definitions: docs/reference.md.
        """
        actor = reader()
        vendor = scorecard_reader(actor, query.get("vendor"))
        quarter = Quarter.parse(query["quarter"]) if query.get("quarter") else Quarter.containing(now())
        card = scorecard(actor, vendor, quarter, query.get("min_position"))
        if wants(query.get("format"), "json", "csv") == "csv":
            return csv_answer(scorecard_rows(card), f"vendor-scorecard-{vendor}-{quarter}", CSV_COLUMNS)
        return card
