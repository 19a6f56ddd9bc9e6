"""The vendor scorecard pages: one vendor's quarter for the quarterly review.

Pages and the API call they mirror (`GET /reports/vendor-scorecard?vendor=&quarter=`):

- /console/reports/vendor-scorecard?vendor=sap&quarter=2026Q2: the scorecard with a vendor and
  quarter picker; a vendor sees only its own (another vendor's is a 404, as in the API)
- /console/reports/vendor-scorecard?...&view=print: the same figures on a page without
  navigation or forms, for printing or saving as PDF for the review meeting
- /console/reports/vendor-scorecard.csv?...: the API's CSV rows

A quarter or vendor typed wrong is shown beside the picker, with what was typed kept (422).
"""

from __future__ import annotations

from typing import Any

from flask import Response, request
from flask.typing import ResponseReturnValue

from domain.errors import InvalidCommand
from domain.health import Quarter
from domain.sla_policy import VENDOR_SLUG
from domain.vocabulary import KNOWN_VENDORS
from interfaces.http.csv_export import csv_response
from interfaces.http.problems import Problem
from interfaces.http.scorecard import CSV_COLUMNS, scorecard
from interfaces.web import compliance_figures as figures
from interfaces.web.blueprint import bp, now, page
from interfaces.web.i18n import N_
from interfaces.web.parameters import reads
from interfaces.web.session import Viewer, require_viewer
from projections.scorecard import scorecard_rows

READERS = ("admin", "auditor", "vendor")


def _choice(viewer: Viewer) -> tuple[str, str, dict[str, str]]:
    """(vendor, quarter, errors by field) from the query; a vendor's own slug is fixed, and a
    rival's is the API's 404 (the page of another vendor does not exist for a vendor)."""
    errors: dict[str, str] = {}
    typed_vendor = (request.args.get("vendor") or "").strip()
    if viewer.vendor is not None:
        if typed_vendor and typed_vendor != viewer.vendor:
            raise Problem(404, f"vendor scorecard {typed_vendor[:64]} was not found")
        vendor = viewer.vendor
    else:
        vendor = typed_vendor or "sap"
        if not VENDOR_SLUG.match(vendor):
            errors["vendor"] = N_("Vendors are written like sap or oracle: lower-case letters, digits and hyphens.")
    quarter = (request.args.get("quarter") or "").strip() or str(Quarter.containing(now()))
    try:
        quarter = str(Quarter.parse(quarter))
    except InvalidCommand:
        errors["quarter"] = N_("Quarters are written like 2026Q3, from 2000Q1 to 2100Q4.")
    return vendor, quarter, errors


@bp.get("/reports/vendor-scorecard")
@reads("vendor", "quarter", "view")
def vendor_scorecard() -> ResponseReturnValue:
    """The scorecard of one vendor and quarter; `view=print` without navigation, for the review."""
    viewer = require_viewer(*READERS)
    vendor, quarter, errors = _choice(viewer)
    card: dict[str, Any] | None = None
    if not errors:
        card = scorecard(viewer.actor, vendor, Quarter.parse(quarter))
    printed = request.args.get("view") == "print" and card is not None
    body = page(
        "vendor_scorecard_print.html" if printed else "vendor_scorecard.html",
        card=card,
        vendor=vendor,
        quarter=quarter,
        errors=errors,
        vendors=sorted((set(KNOWN_VENDORS) - {"internal"}) | {vendor}) if viewer.vendor is None else [vendor],
        quarters=figures.quarter_options(now()),
    )
    return Response(body, status=422 if errors else 200, mimetype="text/html")


@bp.get("/reports/vendor-scorecard.csv")
@reads("vendor", "quarter")
def vendor_scorecard_csv() -> ResponseReturnValue:
    """The scorecard as the API's CSV rows (with a byte-order mark, for spreadsheet programs)."""
    viewer = require_viewer(*READERS)
    vendor, quarter, errors = _choice(viewer)
    if errors:  # a download has no form to show the message beside: say it on a page instead
        raise Problem(422, " ".join(errors.values()))
    card = scorecard(viewer.actor, vendor, Quarter.parse(quarter))
    return csv_response(scorecard_rows(card), f"vendor-scorecard-{vendor}-{quarter}.csv", CSV_COLUMNS, bom=True)
