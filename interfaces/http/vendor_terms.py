"""Vendor terms: `PUT`/`GET /vendors/{vendor}/terms` and its history, versioned like the SLA policy.

The body is checked here only for shape (so the OpenAPI document describes it); every rule is
the domain's (`domain.vendor_terms`), and whether `fixed_team` is the vendor's team is the
application's, so the console refuses exactly what this API refuses.
"""

from __future__ import annotations

from typing import Any

from flask import Response
from flask.views import MethodView
from marshmallow import RAISE, Schema, fields

from application.vendor_terms import TermsView
from domain.access import can_see_policy, role_family
from interfaces.http.auth import reader, writer
from interfaces.http.blueprint import Blueprint
from interfaces.http.commands import command_context
from interfaces.http.presenters import history_page, json_safe
from interfaces.http.problems import Problem
from interfaces.http.reading import not_found
from interfaces.http.schemas.common import HistoryQuerySchema
from interfaces.http.services import desk

blp = Blueprint("vendor_terms", __name__, url_prefix="/api/v1", description="Vendor terms")


class StrictSchema(Schema):
    class Meta:
        unknown = RAISE


class QuotaSchema(StrictSchema):
    period = fields.String(required=True, metadata={"enum": ["year", "quarter", "month"]})
    count = fields.Integer(required=True, strict=True)


class FeeSchema(StrictSchema):
    amount = fields.String(required=True, metadata={"example": "500.00"})
    currency = fields.String(required=True, metadata={"example": "USD"})


class CreditTierSchema(StrictSchema):
    below_percent_met = fields.Raw(required=True, metadata={"type": "number", "example": 95})
    credit_percent = fields.Raw(required=True, metadata={"type": "number", "example": 5})


class TermsSchema(StrictSchema):
    labels_enforced = fields.Raw(required=True, metadata={"type": "boolean"})  # the domain refuses "yes"
    labels = fields.Dict(keys=fields.String(), values=fields.String(), required=True)
    incident_quota = fields.Nested(QuotaSchema, allow_none=True, load_default=None)
    escalation_fees = fields.Dict(keys=fields.String(), values=fields.Nested(FeeSchema), load_default=dict)
    mail_from = fields.List(fields.String(), load_default=list)
    service_credits = fields.List(fields.Nested(CreditTierSchema), load_default=list)
    fixed_team = fields.String(allow_none=True, load_default=None)


def terms_body(view: TermsView) -> dict[str, Any]:
    """The answer's shape: the document, its version, and which fields are placeholders."""
    return {
        "vendor": view.vendor,
        "version": view.version,
        **(view.document or {}),
        "placeholders": view.placeholders,
        "put_at": json_safe(view.put_at),
    }


def _answer(view: TermsView, position: int | None = None) -> Response:
    import json

    response = Response(json.dumps(json_safe(terms_body(view)), ensure_ascii=False), mimetype="application/json")
    response.headers["ETag"] = f'"{view.version}"'
    if position is not None:
        response.headers["X-Event-Position"] = str(position)
    return response


def _terms_reader(vendor: str) -> None:
    """Admins, auditors and the vendor itself; another vendor learns nothing (404), others 403."""
    actor = reader()
    family = role_family(actor)
    if family == "vendor":
        if not can_see_policy(actor, vendor):
            raise not_found("vendor terms", vendor)
    elif family not in ("admin", "auditor", "system"):
        raise Problem(403, f"role {actor.role} may not read vendor terms")


@blp.route("/vendors/<vendor>/terms")
class VendorTermsResource(MethodView):
    @blp.response(200)
    def get(self, vendor: str) -> Response:
        """The vendor's terms in force (version 0: the shipped default, with its placeholders)"""
        _terms_reader(vendor)
        view = desk().get_vendor_terms(vendor)
        if view.document is None:
            raise not_found("vendor terms", vendor)
        return _answer(view)

    @blp.arguments(TermsSchema)
    @blp.response(200)
    def put(self, document: dict[str, Any], vendor: str) -> Response:
        """Put the vendor's terms as a new version (admin; If-Match: the version you read)"""
        actor = writer()
        if role_family(actor) not in ("admin", "system"):
            raise Problem(403, f"role {actor.role} may not change vendor terms")
        receipt = desk().put_vendor_terms(command_context(), vendor, document)
        return _answer(desk().get_vendor_terms(vendor), receipt.position)


@blp.route("/vendors/<vendor>/terms/history")
class VendorTermsHistory(MethodView):
    @blp.arguments(HistoryQuerySchema, location="query")
    @blp.response(200)
    def get(self, query: dict[str, Any], vendor: str) -> dict[str, Any]:
        """Every event of the vendor's terms, paged

        Oldest first, `?limit=` (default 50, max 500) events a page; pass `next_cursor` back as
        `?cursor=` for the next page (null on the last one).
        """
        _terms_reader(vendor)
        return history_page(desk().vendor_terms_history_page(vendor, query["limit"], query["after"]))
