"""**Save terms** on /console/admin/vendors/{vendor}: PUT /vendors/{vendor}/terms from the console.

The section "Vendor terms" of the vendor's settings page shows the terms in force (version 0 is
the shipped default, its placeholder fields marked) and, for administrators, a form whose button
(`data-action="vendor-terms"`) puts the form's document, `If-Match` the version the form showed.
The document is loaded with the API's schema and handed to the same desk method, so the domain is
the only validator; its refusal names a path (`escalation_fees.P1: ...`) and is shown beside that
input, with what was typed kept and the API's status.
"""

from __future__ import annotations

from typing import Any

from flask import Response, flash, redirect, request, url_for
from flask.typing import ResponseReturnValue
from marshmallow import ValidationError

from application.context import Context
from interfaces.http import metrics
from interfaces.http.problems import flatten_errors
from interfaces.http.services import desk
from interfaces.http.vendor_terms import TermsSchema
from interfaces.web.blueprint import bp
from interfaces.web.forms import INVALID, FormRefused, refusal
from interfaces.web.i18n import t
from interfaces.web.routes_admin_settings import _admin, _expected_version, _vendor, _vendor_page, placed
from interfaces.web.vendor_terms_form import terms_document, terms_section


@bp.post("/admin/vendors/<vendor>/terms", endpoint="save_vendor_terms")
def save_vendor_terms(vendor: str) -> ResponseReturnValue:
    """PUT /vendors/{vendor}/terms with the form's document, `If-Match` the shown version."""
    viewer = _admin()
    vendor = _vendor(vendor)
    typed = {k: v for k, v in request.form.items() if k not in ("csrf", "version")}
    document, inputs = terms_document(request.form)
    try:
        try:
            body: dict[str, Any] = TermsSchema().load(document)
        except ValidationError as exc:
            raise FormRefused(INVALID, flatten_errors(exc.messages), 422) from None
        receipt = desk().put_vendor_terms(Context(viewer.actor, expected_version=_expected_version()), vendor, body)
    except Exception as exc:  # refusal() re-raises what the API would not answer with a 4xx
        shown = placed(refusal(exc), inputs)
        return Response(_vendor_page(viewer, vendor, terms=terms_section(vendor, typed, shown)), status=shown.status)
    metrics.command_accepted(receipt.kind, "vendor-terms")
    flash(
        t(
            "Version {version} of the {vendor} terms was saved.",
            version=desk().get_vendor_terms(vendor).version,
            vendor=vendor,
        ),
        "ok",
    )
    return redirect(url_for("console.admin_vendor", vendor=vendor) + "#h-terms", code=303)
