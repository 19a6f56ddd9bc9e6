"""SLA automation rules: `PUT`/`GET`/`DELETE /automation/rules/{rule_id}`, the list and each rule's history.

Administrators manage rules; auditors may read them; nobody else sees them. The body is checked
here only for shape (so the OpenAPI document describes it); every rule about its values is the
domain's (`domain.automation_rule`), and whether what it names exists is the application's, so
the console refuses exactly what this API refuses (docs/automation.md).
"""

from __future__ import annotations

import json
from typing import Any

from flask import Response
from flask.views import MethodView
from marshmallow import fields, validate

from application.automation import RuleView
from domain.automation_rule import ACTION_KEYS, TRIGGERS
from interfaces.http.api import errors
from interfaces.http.auth import admins_write_auditors_read
from interfaces.http.blueprint import Blueprint
from interfaces.http.commands import command_context
from interfaces.http.presenters import history_page, json_safe
from interfaces.http.schemas.common import HistoryQuerySchema, StrictSchema
from interfaces.http.services import desk

blp = Blueprint(
    "automation",
    __name__,
    url_prefix="/api/v1/automation",
    description="SLA automation rules: what the desk does by itself, per vendor and priority",
)


@blp.before_request
def _authorise() -> None:
    admins_write_auditors_read("automation rules")


class ActionSchema(StrictSchema):
    type = fields.String(required=True, metadata={"enum": sorted(ACTION_KEYS)})
    subscription = fields.String(
        allow_none=True, metadata={"description": "notify (required), remind_vendor_team (optional): sub_…"}
    )
    group = fields.String(allow_none=True, metadata={"description": "reassign: the group to hand the issue to"})


class RuleSchema(StrictSchema):
    name = fields.String(allow_none=True, validate=validate.Length(max=200))
    trigger = fields.String(required=True, metadata={"enum": list(TRIGGERS)})
    vendor = fields.String(allow_none=True, metadata={"description": "null: every vendor"})
    priorities = fields.List(fields.String(), allow_none=True, metadata={"description": "empty: every priority"})
    clock = fields.String(allow_none=True, metadata={"description": "sla_at_risk only: one clock kind, or null"})
    after = fields.String(
        allow_none=True, metadata={"description": "vendor_update_overdue: business time, ISO 8601 (PT8H)"}
    )
    business_days = fields.Raw(
        allow_none=True, metadata={"type": "integer", "description": "resolved: business days before closing"}
    )
    action = fields.Nested(ActionSchema, required=True)
    enabled = fields.Raw(load_default=True, metadata={"type": "boolean"})  # the domain refuses "yes"


def rule_body(view: RuleView) -> dict[str, Any]:
    return {
        "id": view.rule_id,
        "version": view.version,
        **view.document,
        "built_in": view.built_in,
        "put_at": json_safe(view.put_at),
        "in_force_since": json_safe(view.in_force_since),
    }


def _answer(view: RuleView, position: int | None = None) -> Response:
    response = Response(json.dumps(rule_body(view), ensure_ascii=False), mimetype="application/json")
    response.headers["ETag"] = f'"{view.version}"'
    if position is not None:
        response.headers["X-Event-Position"] = str(position)
    return response


@blp.route("/rules")
class AutomationRules(MethodView):
    @blp.response(200)
    def get(self) -> dict[str, Any]:
        """Every rule: the built-in ones first, then the admins' by id"""
        return {"items": [rule_body(view) for view in desk().list_automation_rules()], "next_cursor": None}


@blp.route("/rules/<rule_id>")
class AutomationRuleResource(MethodView):
    @blp.response(200)
    @errors(blp, 404)
    def get(self, rule_id: str) -> Response:
        """One rule as it stands (deleted: 404)"""
        return _answer(desk().get_automation_rule(rule_id))

    @blp.arguments(RuleSchema)
    @blp.response(200)
    @errors(blp, 403, 409, 412, 422)
    def put(self, document: dict[str, Any], rule_id: str) -> Response:
        """Put the rule as its next version (admin; If-Match: the version you read, 0 for a new one)"""
        receipt = desk().put_automation_rule(command_context(), rule_id, document)
        return _answer(desk().get_automation_rule(rule_id), receipt.position)

    @blp.response(204)
    @errors(blp, 403, 404, 409, 412)
    def delete(self, rule_id: str) -> Response:
        """Delete the rule: it acts no more (its history stays)"""
        receipt = desk().delete_automation_rule(command_context(), rule_id)
        response = Response(status=204)
        response.headers["ETag"] = f'"{receipt.aggregate.rule_version}"'
        if receipt.position is not None:
            response.headers["X-Event-Position"] = str(receipt.position)
        return response


@blp.route("/rules/<rule_id>/history")
class AutomationRuleHistory(MethodView):
    @blp.arguments(HistoryQuerySchema, location="query")
    @blp.response(200)
    def get(self, query: dict[str, Any], rule_id: str) -> dict[str, Any]:
        """Every event of the rule, paged

        Oldest first, `?limit=` (default 50, max 500) events a page; pass `next_cursor` back as
        `?cursor=` for the next page (null on the last one).
        """
        return history_page(desk().automation_rule_history_page(rule_id, query["limit"], query["after"]))
